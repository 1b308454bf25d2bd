"""Checks that the service double speaks the Claude Chat Completion API's wire format.

Client tests are only as trustworthy as the double they run against, so these tests pin
down its behaviour byte by byte where the format matters (event framing, JSON spacing,
UTF-8, chunked encoding) and check every fault it can inject really happens on the wire.
Raw sockets are used wherever an HTTP library would hide the bytes being checked.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.double import (
    DEFAULT_TRACE_ID,
    ErrorReply,
    OpenAIErrorReply,
    RawReply,
    Reply,
    ServiceDouble,
)

AUTH = {"Authorization": "Bearer test-token"}
SEED_USAGE_KEYS = [
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
    "input_tokens",
    "output_tokens",
    "input_tokens_details",
    "claude_cache_creation_5_m_tokens",
    "claude_cache_creation_1_h_tokens",
]
SEED_CHUNK_KEYS = [
    "id",
    "object",
    "created",
    "model",
    "system_fingerprint",
    "choices",
    "usage",
]


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


@pytest.fixture
def double():
    with ServiceDouble() as d:
        yield d


@pytest.fixture
def client():
    with httpx.Client(timeout=5.0) as c:
        yield c


def chat_body(text: str = "Hello", *, stream: bool = False, **extra) -> dict:
    body = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": text}]}
    if stream:
        body["stream"] = True
    body.update(extra)
    return body


def endpoint(d: ServiceDouble) -> str:
    return d.url + "/chat/completions"


def sse_payloads(text: str) -> list[str]:
    """The data of each event in an SSE body, comments skipped (a deliberately small parser)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    payloads = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        data = [line[5:].removeprefix(" ") for line in lines if line.startswith("data:")]
        if data:
            payloads.append("\n".join(data))
    return payloads


def stream_chunks(client: httpx.Client, d: ServiceDouble, body: dict) -> list:
    """POST a streaming request and return its events: parsed JSON, or the raw string."""
    response = client.post(endpoint(d), json=body, headers=AUTH)
    assert response.status_code == 200
    result = []
    for payload in sse_payloads(response.text):
        try:
            result.append(json.loads(payload))
        except ValueError:
            result.append(payload)
    return result


def content_of(chunks: list, index: int = 0) -> str:
    return "".join(
        c["choices"][0]["delta"].get("content", "")
        for c in chunks
        if isinstance(c, dict) and c.get("choices") and c["choices"][0]["index"] == index
    )


@dataclass
class RawResponse:
    status: int
    head: str
    chunks: list[bytes]  # chunked-encoding chunk payloads, in order
    terminated: bool  # the zero-length terminating chunk arrived
    raw: bytes

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


def raw_request(d: ServiceDouble, body: dict | bytes, headers: dict | None = None) -> bytes:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    lines = [
        "POST /v1/chat/completions HTTP/1.1",
        f"Host: 127.0.0.1:{d.port}",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        "Connection: close",
    ]
    lines += [f"{k}: {v}" for k, v in (headers if headers is not None else AUTH).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def parse_raw(raw: bytes) -> RawResponse:
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    chunks: list[bytes] = []
    terminated = False
    if b"transfer-encoding: chunked" in head.lower():
        while rest:
            size_line, sep, rest = rest.partition(b"\r\n")
            if not sep:
                break
            size = int(size_line, 16)
            if size == 0:
                terminated = True
                break
            chunks.append(rest[:size])
            assert rest[size : size + 2] == b"\r\n"
            rest = rest[size + 2 :]
    else:
        chunks = [rest]
    return RawResponse(status, head.decode("latin-1"), chunks, terminated, raw)


def raw_exchange(d: ServiceDouble, body: dict | bytes, headers: dict | None = None) -> RawResponse:
    """Send one request on a fresh socket and read the response bytes until the server closes."""
    with socket.create_connection(("127.0.0.1", d.port), timeout=5) as sock:
        sock.sendall(raw_request(d, body, headers))
        data = bytearray()
        while block := sock.recv(65536):
            data += block
    return parse_raw(bytes(data))


def read_until(sock: socket.socket, marker: bytes, data: bytes = b"") -> bytes:
    while marker not in data:
        block = sock.recv(65536)
        assert block, f"connection closed before {marker!r}"
        data += block
    return data


# --------------------------------------------------------------------------------------
# Non-streaming responses
# --------------------------------------------------------------------------------------


def test_non_stream_body_has_the_seed_shape(double, client):
    response = client.post(endpoint(double), json=chat_body("Hello there"), headers=AUTH)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    body = response.json()
    assert list(body) == ["id", "model", "object", "created", "choices", "usage"]
    assert body["id"].startswith("msg_")
    assert body["object"] == "chat.completion"
    assert body["model"] == "claude-sonnet-4-6"
    assert isinstance(body["created"], int)
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "echo: Hello there"},
            "finish_reason": "stop",
        }
    ]
    usage = body["usage"]
    assert list(usage) == SEED_USAGE_KEYS
    assert usage["prompt_tokens"] == len("Hello there") // 4
    assert usage["completion_tokens"] == len("echo: Hello there") // 4
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["input_tokens_details"] is None


def test_non_stream_json_uses_default_separators_and_raw_utf8(double):
    double.enqueue(Reply(content="héllo ✓"))
    response = raw_exchange(double, chat_body())

    assert "héllo ✓".encode() in response.body
    assert b"\\u" not in response.body
    parsed = json.loads(response.body)
    assert response.body == json.dumps(parsed, ensure_ascii=False).encode()


def test_non_stream_reasoning_n_and_overrides(double, client):
    double.enqueue(
        Reply(content="hi", reasoning="because", model="other", n=2, finish_reason="length")
    )
    body = client.post(endpoint(double), json=chat_body(), headers=AUTH).json()

    assert body["model"] == "other"
    assert [c["index"] for c in body["choices"]] == [0, 1]
    assert body["choices"][1]["message"] == {
        "role": "assistant",
        "content": "[1] hi",
        "reasoning_content": "because",
    }
    assert body["choices"][0]["finish_reason"] == "length"


def test_thinking_model_gets_default_reasoning(double, client):
    request = chat_body("why?", model="claude-sonnet-4-20250514-thinking")
    message = client.post(endpoint(double), json=request, headers=AUTH).json()["choices"][0][
        "message"
    ]
    assert message["reasoning_content"] == "Thinking about: why?"
    assert message["content"] == "echo: why?"


def test_echo_joins_text_parts_and_counts_all_messages(double, client):
    request = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "x" * 40},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "text", "text": "here"},
                ],
            },
        ],
    }
    body = client.post(endpoint(double), json=request, headers=AUTH).json()

    assert body["choices"][0]["message"]["content"] == "echo: look here"
    assert body["usage"]["prompt_tokens"] == (40 + 8) // 4


def test_send_usage_false_omits_usage_and_custom_usage_is_verbatim(double, client):
    double.enqueue(Reply(send_usage=False), Reply(usage={"prompt_tokens": 7}))
    first = client.post(endpoint(double), json=chat_body(), headers=AUTH).json()
    second = client.post(endpoint(double), json=chat_body(), headers=AUTH).json()

    assert "usage" not in first
    assert second["usage"] == {"prompt_tokens": 7}


def test_usage_when_asked_is_streamed_only_with_stream_options(double, client):
    double.enqueue(Reply(usage_when_asked=True), Reply(usage_when_asked=True))
    bodies = [chat_body(stream=True), chat_body(stream=True, stream_options={"include_usage": True})]
    usages = []
    for body in bodies:
        with client.stream("POST", endpoint(double), json=body, headers=AUTH) as r:
            chunks = [json.loads(p) for p in sse_payloads(r.read().decode())[:-1]]
        usages.append([c["usage"] for c in chunks if c["usage"] is not None])
    assert usages[0] == [] and len(usages[1]) == 1 and usages[1][0]["total_tokens"] > 0


def test_refused_fields_get_mistrals_422_without_taking_a_reply(double, client):
    double.refused_fields.add("stream_options")
    double.enqueue(Reply(content="kept for the next request"))
    refused = client.post(endpoint(double), json=chat_body(stream_options={"include_usage": True}), headers=AUTH)
    assert refused.status_code == 422
    assert refused.json()["message"]["detail"][0]["loc"] == ["body", "stream_options"]
    assert refused.json()["object"] == "error"
    served = client.post(endpoint(double), json=chat_body(), headers=AUTH).json()
    assert served["choices"][0]["message"]["content"] == "kept for the next request"


# --------------------------------------------------------------------------------------
# Streaming responses
# --------------------------------------------------------------------------------------


def test_stream_event_sequence(double, client):
    request = chat_body("Hi!", stream=True)
    with client.stream("POST", endpoint(double), json=request, headers=AUTH) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert r.headers["transfer-encoding"] == "chunked"
        assert r.headers["cache-control"] == "no-cache"
        payloads = sse_payloads(r.read().decode())

    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert all(list(c) == SEED_CHUNK_KEYS for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(c["system_fingerprint"] is None for c in chunks)

    role, *deltas, finish, usage = chunks
    assert role["choices"] == [
        {
            "delta": {"content": "", "role": "assistant"},
            "logprobs": None,
            "finish_reason": None,
            "index": 0,
        }
    ]
    assert [d["choices"][0]["delta"] for d in deltas] == [
        {"content": "echo"},
        {"content": ": Hi"},
        {"content": "!"},
    ]
    assert all(d["usage"] is None and d["choices"][0]["finish_reason"] is None for d in deltas)
    assert finish["choices"] == [
        {"delta": {}, "logprobs": None, "finish_reason": "stop", "index": 0}
    ]
    assert finish["usage"] is None
    assert usage["choices"] == []
    assert list(usage["usage"]) == SEED_USAGE_KEYS


def test_stream_wire_bytes_match_seed_format(double):
    double.enqueue(Reply(content=["héllo", " ✓"]))
    response = raw_exchange(double, chat_body(stream=True))

    assert response.status == 200
    assert response.terminated
    text = response.body.decode("utf-8")
    assert text.startswith('data: {"id": "msg_')
    assert '"object": "chat.completion.chunk", "created": ' in text
    assert '"choices": [{"delta": {"content": "héllo"}, "logprobs": null, ' in text
    assert text.endswith("data: [DONE]\n\n")
    assert "\r" not in text
    for payload in sse_payloads(text)[:-1]:
        assert payload == json.dumps(json.loads(payload), ensure_ascii=False)
    # By default the events are not split across chunks of the chunked encoding.
    assert all(chunk.endswith(b"\n\n") for chunk in response.chunks)


def test_stream_list_content_gives_exact_deltas(double, client):
    double.enqueue(Reply(content=["a", "", "bc"]))
    chunks = stream_chunks(client, double, chat_body(stream=True))
    deltas = [c["choices"][0]["delta"] for c in chunks[1:4]]
    assert deltas == [{"content": "a"}, {"content": ""}, {"content": "bc"}]


def test_stream_reasoning_comes_first_without_content_key(double, client):
    double.enqueue(
        Reply(content="ok", reasoning=["th", "ink"]),
        Reply(content="ok", reasoning="abc", reasoning_field="reasoning", delta_size=2),
    )
    first = stream_chunks(client, double, chat_body(stream=True))
    second = stream_chunks(client, double, chat_body(stream=True))

    assert [c["choices"][0]["delta"] for c in first[1:4]] == [
        {"reasoning_content": "th"},
        {"reasoning_content": "ink"},
        {"content": "ok"},
    ]
    assert [c["choices"][0]["delta"] for c in second[1:3]] == [
        {"reasoning": "ab"},
        {"reasoning": "c"},
    ]


def test_stream_n2_interleaves_choices(double, client):
    double.enqueue(Reply(content="abcdefgh", n=2))
    chunks = stream_chunks(client, double, chat_body(stream=True))
    choices = [c["choices"][0] for c in chunks if isinstance(c, dict) and c["choices"]]
    indexed = [(choice["index"], choice) for choice in choices]

    assert [i for i, _ in indexed] == [0, 1] + [0, 1] * 3 + [0, 1]
    assert all(len(c["choices"]) <= 1 for c in chunks if isinstance(c, dict))
    assert content_of(chunks, 0) == "[0] abcdefgh"
    assert content_of(chunks, 1) == "[1] abcdefgh"
    finishes = [choice for _, choice in indexed if choice["finish_reason"] is not None]
    assert [f["index"] for f in finishes] == [0, 1]


def test_request_n_is_honoured(double, client):
    body = client.post(endpoint(double), json=chat_body("x", n=3), headers=AUTH).json()
    assert [c["message"]["content"] for c in body["choices"]] == [
        "[0] echo: x",
        "[1] echo: x",
        "[2] echo: x",
    ]


def test_stream_shape_switches(double, client):
    double.enqueue(
        Reply(content="ab", usage_on_finish_chunk=True),
        Reply(content="ab", send_role_chunk=False, send_usage=False, send_done=False),
        Reply(content="ab", finish_reason=None),
    )
    on_finish = stream_chunks(client, double, chat_body(stream=True))
    bare = stream_chunks(client, double, chat_body(stream=True))
    unfinished = stream_chunks(client, double, chat_body(stream=True))

    assert on_finish[-2]["choices"][0]["finish_reason"] == "stop"
    assert list(on_finish[-2]["usage"]) == SEED_USAGE_KEYS
    assert on_finish[-1] == "[DONE]"
    assert all(c == "[DONE]" or c["choices"] for c in on_finish)

    assert [c["choices"][0]["delta"] for c in bare] == [{"content": "ab"}, {}]

    finish_reasons = [c["choices"][0]["finish_reason"] for c in unfinished[:-2]]
    assert finish_reasons == [None, None]  # the role chunk and the one delta
    assert unfinished[-2]["choices"] == []


def test_crlf_bom_and_no_space_appear_on_the_wire(double):
    double.enqueue(Reply(content="abc", crlf=True, bom=True, no_space=True))
    body = raw_exchange(double, chat_body(stream=True)).body

    assert body.startswith(b"\xef\xbb\xbfdata:{")
    assert body.endswith(b"data:[DONE]\r\n\r\n")
    assert b"data: " not in body
    assert body.count(b"\r\n\r\n") == 5  # role, delta, finish, usage, [DONE]
    assert body.count(b"\n") == body.count(b"\r\n")  # no bare line feeds


def test_keepalive_comments_precede_every_fifth_event(double):
    double.enqueue(Reply(content="abcdefghijkl", keepalive_comments=True))
    text = raw_exchange(double, chat_body(stream=True)).body.decode()
    blocks = text.split("\n\n")[:-1]

    assert blocks[0] == ": keep-alive"
    comment_positions = [i for i, b in enumerate(blocks) if b == ": keep-alive"]
    # 3 deltas + role + finish + usage + [DONE] = 7 events: comments before events 0 and 5.
    assert comment_positions == [0, 6]
    assert len(blocks) == 9


def test_split_writes_cut_lines_and_utf8_characters(double):
    content = "é✓" * 20
    double.enqueue(Reply(content=content, split_writes=7))
    response = raw_exchange(double, chat_body(stream=True))

    assert response.terminated
    assert all(len(chunk) <= 7 for chunk in response.chunks)
    assert len(response.chunks) > 50
    undecodable = 0
    for chunk in response.chunks:
        try:
            chunk.decode("utf-8")
        except UnicodeDecodeError:
            undecodable += 1
    assert undecodable > 0  # some pieces end inside a multi-byte character
    chunks = [json.loads(p) for p in sse_payloads(response.body.decode())[:-1]]
    assert content_of(chunks) == content


def test_split_writes_apply_to_json_bodies(double):
    double.enqueue(Reply(content="x" * 50, split_writes=16))
    response = raw_exchange(double, chat_body())
    assert json.loads(response.body)["choices"][0]["message"]["content"] == "x" * 50


def test_malformed_event_is_injected_then_the_stream_continues(double, client):
    double.enqueue(Reply(content="abcdefgh", delta_size=2, malformed_after=2))
    chunks = stream_chunks(client, double, chat_body(stream=True))

    assert chunks[3] == "{not valid json"
    assert content_of(chunks[:3]) == "abcd"
    assert content_of(chunks) == "abcdefgh"
    assert chunks[-1] == "[DONE]"


def test_error_event_ends_the_stream_cleanly(double):
    double.enqueue(Reply(content="abcdefgh", delta_size=2, error_after=1))
    response = raw_exchange(double, chat_body(stream=True))
    payloads = sse_payloads(response.body.decode())

    assert response.terminated
    assert "[DONE]" not in payloads
    assert len(payloads) == 3  # role, one delta, the error
    assert json.loads(payloads[-1]) == {
        "success": False,
        "error": {"code": "api_error", "message": "upstream failed"},
        "trace_id": DEFAULT_TRACE_ID,
    }


def test_drop_after_closes_without_terminating_chunk(double, client):
    double.enqueue(Reply(content="abcdefgh", delta_size=2, drop_after=2))
    received = []
    request = chat_body(stream=True)
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("POST", endpoint(double), json=request, headers=AUTH) as r,
    ):
        for line in r.iter_lines():
            received.append(line)

    chunks = [json.loads(p) for p in sse_payloads("\n".join(received) + "\n")]
    assert content_of(chunks) == "abcd"

    raw = raw_exchange(double, chat_body(stream=True))  # the default reply is unaffected
    assert raw.terminated


def test_drop_after_on_the_wire(double):
    double.enqueue(Reply(content="abcdefgh", delta_size=2, drop_after=3))
    response = raw_exchange(double, chat_body(stream=True))

    assert not response.terminated
    assert not response.raw.endswith(b"0\r\n\r\n")
    chunks = [json.loads(p) for p in sse_payloads(response.body.decode())]
    assert content_of(chunks) == "abcdef"


def test_stall_then_client_close_is_noticed(double, client):
    double.enqueue(Reply(content="abcdefgh", delta_size=2, stall_after=2))
    got = ""
    with client.stream("POST", endpoint(double), json=chat_body(stream=True), headers=AUTH) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                got += json.loads(line[6:])["choices"][0]["delta"].get("content", "")
            if got == "abcd":
                break

    assert double.wait_for_disconnect(timeout=2)
    assert double.disconnects == 1


def test_close_releases_a_stalled_handler_promptly(client):
    d = ServiceDouble().start()
    d.enqueue(Reply(content="abcdefgh", delta_size=2, stall_after=1))
    with client.stream("POST", endpoint(d), json=chat_body(stream=True), headers=AUTH) as r:
        lines = r.iter_lines()
        assert next(lines).startswith("data: ")  # the role chunk
        d.close()
        with pytest.raises(httpx.RemoteProtocolError):
            for _ in lines:
                pass
    assert d.disconnects == 0  # the double hung up, not the client
    d.close()  # idempotent


def test_failed_write_counts_as_disconnect(double):
    double.enqueue(Reply(content="x" * 12_000_000, delta_size=1 << 16))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    sock.connect(("127.0.0.1", double.port))
    sock.sendall(raw_request(double, chat_body(stream=True)))
    read_until(sock, b"\r\n\r\n")
    sock.close()  # unread data pending: the kernel resets the connection

    assert double.wait_for_disconnect(timeout=2)


def test_pause_before_first_holds_the_body_until_released(double):
    release = threading.Event()
    double.enqueue(Reply(content="abc", pause_before_first=release))
    with socket.create_connection(("127.0.0.1", double.port), timeout=5) as sock:
        sock.sendall(raw_request(double, chat_body(stream=True)))
        data = read_until(sock, b"\r\n\r\n")
        head, _, early_body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert early_body == b""
        sock.settimeout(0.05)
        with pytest.raises(TimeoutError):
            sock.recv(1)
        sock.settimeout(5)

        release.set()
        while block := sock.recv(65536):
            data += block
    response = parse_raw(data)
    assert response.terminated
    assert sse_payloads(response.body.decode())[-1] == "[DONE]"


def test_client_leaving_during_pause_is_noticed(double):
    double.enqueue(Reply(pause_before_first=threading.Event()))
    with socket.create_connection(("127.0.0.1", double.port), timeout=5) as sock:
        sock.sendall(raw_request(double, chat_body(stream=True)))
        read_until(sock, b"\r\n\r\n")
    assert double.wait_for_disconnect(timeout=2)


def test_close_releases_a_paused_handler(client):
    d = ServiceDouble().start()
    d.enqueue(Reply(pause_before_first=threading.Event()))
    with client.stream("POST", endpoint(d), json=chat_body(stream=True), headers=AUTH) as r:
        assert r.status_code == 200
        d.close()
        with pytest.raises(httpx.RemoteProtocolError):
            r.read()


def test_drip_sends_the_body_one_byte_at_a_time(double):
    interval = 0.001
    double.enqueue(
        Reply(content="abcdefgh", send_role_chunk=False, send_usage=False, drip_interval=interval)
    )
    with socket.create_connection(("127.0.0.1", double.port), timeout=5) as sock:
        sock.sendall(raw_request(double, chat_body(stream=True)))
        data = read_until(sock, b"\r\n\r\n")
        head_size = data.index(b"\r\n\r\n") + 4
        reads = 0
        started = time.monotonic()
        while block := sock.recv(65536):
            data += block
            reads += 1
        elapsed = time.monotonic() - started
    response = parse_raw(data)
    body_size = len(data) - head_size
    assert response.terminated
    payloads = sse_payloads(response.body.decode())
    assert payloads[-1] == "[DONE]"
    assert content_of([json.loads(p) for p in payloads[:-1]]) == "abcdefgh"
    # One byte per write, the interval apart: the reads cannot have gathered much.
    assert reads > body_size // 10
    assert elapsed >= (body_size - 2) * interval  # (the first byte may come with the headers)


def test_a_client_leaving_a_drip_is_noticed_at_once(double):
    double.enqueue(Reply(content="x" * 1000, drip_interval=0.01))
    with socket.create_connection(("127.0.0.1", double.port), timeout=5) as sock:
        sock.sendall(raw_request(double, chat_body(stream=True)))
        read_until(sock, b"\r\n\r\n")
        sock.recv(1)
    assert double.wait_for_disconnect(timeout=1)


def test_omit_terminator_closes_after_the_last_event(double):
    double.enqueue(Reply(content="abcd", omit_terminator=True))
    response = raw_exchange(double, chat_body(stream=True))

    assert not response.terminated
    assert not response.raw.endswith(b"0\r\n\r\n")
    payloads = sse_payloads(response.body.decode())
    assert payloads[-1] == "[DONE]"  # every event was sent; only the body's end is missing
    assert content_of([json.loads(p) for p in payloads[:-1]]) == "abcd"
    assert raw_exchange(double, chat_body(stream=True)).terminated  # the next reply is whole


def test_endless_repeats_the_content_until_the_client_leaves(double):
    double.enqueue(Reply(content="round ", delta_size=6, endless=True))
    with socket.create_connection(("127.0.0.1", double.port), timeout=5) as sock:
        sock.sendall(raw_request(double, chat_body(stream=True)))
        data = read_until(sock, b"\r\n\r\n")
        while data.count(b'"content": "round "') < 50:
            block = sock.recv(65536)
            assert block, "the endless stream ended"
            data += block
    assert b"[DONE]" not in data and b'"finish_reason": "stop"' not in data and b'"usage": {' not in data
    assert double.wait_for_disconnect(timeout=5)  # its writes fail once the client has gone


def test_error_bytes_sent_counts_what_the_socket_took(double, client):
    body = b"<html>" + b"x" * 100_000 + b"</html>"
    double.enqueue(RawReply(502, body), RawReply(500, b"y" * (8 * 1024 * 1024), send_buffer=8192))
    assert client.post(endpoint(double), json=chat_body(), headers=AUTH).content == body
    assert double.wait_for_error_bodies(1)
    assert double.error_bytes_sent == [len(body)]

    with socket.create_connection(("127.0.0.1", double.port), timeout=5) as sock:
        sock.sendall(raw_request(double, chat_body()))
        read_until(sock, b"\r\n\r\n")
        # Unread data pending: closing resets the connection, and the blocked write fails.
    assert double.wait_for_disconnect(timeout=5)
    assert double.wait_for_error_bodies(2)
    assert 0 < double.error_bytes_sent[1] < 8 * 1024 * 1024


def test_long_stream_is_fast_and_complete(double, client):
    content = "lorem ipsum ✓ " * 4300  # about 15,000 deltas of 4 characters
    double.enqueue(Reply(content=content))
    chunks = stream_chunks(client, double, chat_body(stream=True))
    assert len(chunks) == 15_054
    assert content_of(chunks) == content


# --------------------------------------------------------------------------------------
# Errors, authentication and routing
# --------------------------------------------------------------------------------------


def test_wrong_token_gets_401_without_consuming_a_reply(double, client):
    double.enqueue(Reply(content="queued"))
    denied = client.post(
        endpoint(double), json=chat_body(), headers={"Authorization": "Bearer nope"}
    )
    missing = client.post(endpoint(double), json=chat_body())
    allowed = client.post(endpoint(double), json=chat_body(), headers=AUTH)

    assert denied.status_code == missing.status_code == 401
    assert denied.headers["content-type"] == "application/json"
    assert denied.content == (
        b'{"success": false, "error": {"code": "invalid_token", "message": "invalid token"}, '
        b'"trace_id": "2cf86e86-22a4-46e1-ac2f-032c0f2a4e89"}'
    )
    assert allowed.json()["choices"][0]["message"]["content"] == "queued"
    assert len(double.requests) == 3


def test_no_token_accepts_any_request(client):
    with ServiceDouble(None) as d:
        response = client.post(endpoint(d), json=chat_body("free"))
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "echo: free"


def test_unknown_path_404_and_wrong_method_405(double, client):
    missing = client.post(double.url + "/models", json={}, headers=AUTH)
    wrong_method = client.get(endpoint(double), headers=AUTH)

    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert missing.json()["success"] is False
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"


def test_error_reply_body_and_headers(double, client):
    double.enqueue(
        ErrorReply(429, "too_many_requests", "slow down", headers={"Retry-After": "0"}),
        ErrorReply(500, "api_error", "fetch failed", trace_id="t-1"),
    )
    limited = client.post(endpoint(double), json=chat_body(stream=True), headers=AUTH)
    failed = client.post(endpoint(double), json=chat_body(), headers=AUTH)

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "0"
    assert limited.json() == {
        "success": False,
        "error": {"code": "too_many_requests", "message": "slow down"},
        "trace_id": DEFAULT_TRACE_ID,
    }
    assert failed.status_code == 500
    assert failed.json()["trace_id"] == "t-1"


def test_openai_error_reply(double, client):
    double.enqueue(OpenAIErrorReply(400, "bad model", code="model_not_found"))
    response = client.post(endpoint(double), json=chat_body(), headers=AUTH)

    assert response.status_code == 400
    assert response.content == (
        b'{"error": {"message": "bad model", "type": "invalid_request_error", '
        b'"code": "model_not_found"}}'
    )


def test_raw_replies(double, client):
    big = b"z" * (5 * 1024 * 1024)
    double.enqueue(
        RawReply(502, b"<html><body>Bad Gateway</body></html>"),
        RawReply(200, b"", content_type="application/json"),
        RawReply(200, big, content_type="text/plain", headers={"X-Extra": "1"}),
    )
    gateway = client.post(endpoint(double), json=chat_body(), headers=AUTH)
    empty = client.post(endpoint(double), json=chat_body(), headers=AUTH)
    huge = client.post(endpoint(double), json=chat_body(), headers=AUTH)

    assert gateway.status_code == 502
    assert gateway.headers["content-type"] == "text/html"
    assert gateway.text == "<html><body>Bad Gateway</body></html>"
    assert empty.content == b""
    assert empty.headers["content-length"] == "0"
    assert huge.content == big
    assert huge.headers["x-extra"] == "1"


def test_reply_headers_and_status_apply_to_completions(double, client):
    double.enqueue(Reply(status=203, headers={"X-Request-Id": "r1", "Content-Type": "text/plain"}))
    response = client.post(endpoint(double), json=chat_body(), headers=AUTH)

    assert response.status_code == 203
    assert response.headers["x-request-id"] == "r1"
    assert response.headers.get_list("content-type") == ["text/plain"]


def test_enqueue_rejects_non_replies(double):
    with pytest.raises(TypeError):
        double.enqueue("not a reply")


# --------------------------------------------------------------------------------------
# Recording and synchronisation
# --------------------------------------------------------------------------------------


def test_requests_are_recorded(double, client):
    client.post(
        endpoint(double) + "?x=1",
        json=chat_body("rec"),
        headers={**AUTH, "X-Custom": "yes"},
    )
    bad = client.post(endpoint(double), content=b"{oops", headers=AUTH)

    first, second = double.requests
    assert first.method == "POST"
    assert first.path == "/v1/chat/completions?x=1"
    assert first.headers["authorization"] == "Bearer test-token"
    assert first.headers["x-custom"] == "yes"
    assert all(name == name.lower() for name in first.headers)
    assert json.loads(first.body) == chat_body("rec")
    assert first.json == chat_body("rec")
    assert second.body == b"{oops"
    assert second.json is None
    assert bad.status_code == 400


def test_wait_for_requests(double, client):
    assert not double.wait_for_requests(1, timeout=0.01)
    worker = threading.Thread(
        target=lambda: client.post(endpoint(double), json=chat_body(), headers=AUTH)
    )
    worker.start()
    assert double.wait_for_requests(1, timeout=2)
    worker.join()
    assert not double.wait_for_requests(2, timeout=0.01)


def test_concurrent_requests_are_all_served(double, client):
    def call(i: int, out: list) -> None:
        out.append(client.post(endpoint(double), json=chat_body(f"m{i}"), headers=AUTH).json())

    results: list = []
    workers = [threading.Thread(target=call, args=(i, results)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(r["choices"][0]["message"]["content"] for r in results) == sorted(
        f"echo: m{i}" for i in range(8)
    )
    assert len(double.requests) == 8


def test_keep_alive_connection_does_not_delay_close(client):
    d = ServiceDouble().start()
    assert client.post(endpoint(d), json=chat_body(), headers=AUTH).status_code == 200
    d.close()
    with pytest.raises(httpx.TransportError):
        client.post(endpoint(d), json=chat_body(), headers=AUTH)


def test_url_and_port(double):
    assert double.url == f"http://127.0.0.1:{double.port}/v1"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_tls(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))

    with ServiceDouble(ssl_context=server_context) as d:
        assert d.url.startswith("https://127.0.0.1:")
        with httpx.Client(verify=client_context, timeout=5) as c:
            plain = c.post(endpoint(d), json=chat_body("tls"), headers=AUTH)
            d.enqueue(Reply(content="secret", stall_after=1))
            with c.stream("POST", endpoint(d), json=chat_body(stream=True), headers=AUTH) as r:
                for line in r.iter_lines():
                    if '"content": "secr"' in line:
                        break
        assert plain.json()["choices"][0]["message"]["content"] == "echo: tls"
        assert d.wait_for_disconnect(timeout=2)


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------

DOUBLE_SCRIPT = Path(__file__).with_name("double.py")


@pytest.mark.e2e
def test_command_line_serves_until_stdin_closes():
    proc = subprocess.Popen(
        [sys.executable, str(DOUBLE_SCRIPT), "--token", "tok"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = proc.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        response = httpx.post(
            url + "/chat/completions",
            json=chat_body("cli"),
            headers={"Authorization": "Bearer tok"},
            timeout=5,
        )
        assert response.json()["choices"][0]["message"]["content"] == "echo: cli"
        proc.stdin.close()
        assert proc.wait(timeout=5) == 0
        assert proc.stderr.read() == b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.e2e
def test_command_line_content_file_and_sigterm(tmp_path):
    content_file = tmp_path / "content.txt"
    content_file.write_text("streamed ✓ text", encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            str(DOUBLE_SCRIPT),
            "--token",
            "",
            "--content-file",
            str(content_file),
            "--delta-size",
            "5",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        url = proc.stdout.readline().decode().strip()
        response = httpx.post(url + "/chat/completions", json=chat_body(stream=True), timeout=5)
        chunks = [json.loads(p) for p in sse_payloads(response.text)[:-1]]
        assert [c["choices"][0]["delta"].get("content") for c in chunks[1:4]] == [
            "strea",
            "med ✓",
            " text",
        ]
        proc.terminate()
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- GET /v1/models ----------------------------------------------------------------------------


def test_models_is_off_by_default_and_answers_404_as_the_service_does(double, client):
    response = client.get(double.url + "/models", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert double.requests[-1].method == "GET" and double.requests[-1].path == "/v1/models"


def test_models_lists_ids_in_openais_shape_when_given(client):
    with ServiceDouble(models=["qwen2.5-7b", "llama-3-8b"]) as d:
        response = client.get(d.url + "/models", headers=AUTH)
        denied = client.get(d.url + "/models")
        d.models = None  # switched off again
        off = client.get(d.url + "/models", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["object"] == "list"
    assert [item["id"] for item in body["data"]] == ["qwen2.5-7b", "llama-3-8b"]
    assert all(item["object"] == "model" for item in body["data"])
    assert denied.status_code == 401 and denied.json()["error"]["code"] == "invalid_token"
    assert off.status_code == 404
    assert len(d.requests) == 3


def test_models_takes_no_reply_from_the_queue(client):
    with ServiceDouble(models=["m"]) as d:
        d.enqueue(Reply(content="queued"))
        client.get(d.url + "/models", headers=AUTH)
        answer = client.post(endpoint(d), json=chat_body("x"), headers=AUTH)
    assert answer.json()["choices"][0]["message"]["content"] == "queued"
