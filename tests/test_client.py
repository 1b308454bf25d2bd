"""The real `ChatClient` against the service double, over a real socket.

Every test starts its own double, drives the client in-process with `asyncio.run`, and checks
both sides: what the client yielded or raised, and what the double recorded receiving.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from typing import NamedTuple

import pytest

from claudechat.api import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ChatClient,
    ChatRequest,
    ChatResult,
    ContentDelta,
    FinishReason,
    IncompleteStreamError,
    MalformedStreamError,
    ReasoningDelta,
    RequestValidationError,
    ResponseInfo,
    ResultBuilder,
    RetryNotice,
    StreamError,
    StreamEvent,
    UsageReport,
)
from claudechat.errors import ClaudechatError
from tests.double import (
    CHAT_COMPLETIONS_PATH,
    DEFAULT_TRACE_ID,
    ErrorReply,
    OpenAIErrorReply,
    RawReply,
    Reply,
    ServiceDouble,
)
from tests.sockets import full_accept_queue

pytestmark = pytest.mark.timeout(10)

TOKEN = "t"
MODEL = "claude-sonnet-4-6"
TEXT = "The quick brown fox jumps over the lazy dog."
NON_ASCII = "héllo → 世界 🎉 " * 4
DELTAS = ["one ", "two ", "three ", "four"]
USAGE = {
    "prompt_tokens": 11,
    "completion_tokens": 22,
    "total_tokens": 33,
    "prompt_tokens_details": {"cached_tokens": 7, "text_tokens": 4, "audio_tokens": 0, "image_tokens": 0},
    "completion_tokens_details": {"text_tokens": 22, "audio_tokens": 0, "reasoning_tokens": 5},
    "input_tokens": 0,
    "output_tokens": 0,
    "input_tokens_details": None,
    "claude_cache_creation_5_m_tokens": 3,
    "claude_cache_creation_1_h_tokens": 2,
}


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


@pytest.fixture
def double():
    with ServiceDouble(token=TOKEN) as d:
        yield d


class Outcome(NamedTuple):
    result: ChatResult
    error: ClaudechatError | None
    events: list[StreamEvent]


def make_request(text: str = "Hello", **options) -> ChatRequest:
    model = options.pop("model", MODEL)
    return ChatRequest(model=model, messages=[{"role": "user", "content": text}], **options)


async def collect(client: ChatClient, request: ChatRequest) -> Outcome:
    """Everything the client yields for `request`, and the error that ended it (if any)."""
    builder = ResultBuilder()
    events: list[StreamEvent] = []
    try:
        async for event in client.stream(request):
            events.append(event)
            builder.add(event)
    except ClaudechatError as error:
        return Outcome(builder.result(error=error), error, events)
    return Outcome(builder.result(), None, events)


def chat(base_url: str, request: ChatRequest | None = None, *, api_key: str | None = TOKEN, **options) -> Outcome:
    """Run one request through a fresh client in its own event loop."""

    async def main() -> Outcome:
        async with ChatClient(base_url, api_key, **options) as client:
            return await collect(client, request or make_request())

    return asyncio.run(main())


def content_deltas(events: list[StreamEvent]) -> list[str]:
    return [event.text for event in events if isinstance(event, ContentDelta)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------
# Answers that arrive whole
# --------------------------------------------------------------------------------------


def test_streamed_answer_matches_what_the_double_sent(double):
    double.enqueue(Reply(content=TEXT, usage=USAGE))

    outcome = chat(double.url, make_request("Hi there"))

    assert outcome.error is None
    result = outcome.result
    assert result.content == TEXT
    assert result.reasoning == ""
    assert result.finish_reason == "stop"
    assert len(result.choices) == 1
    infos = [event for event in outcome.events if isinstance(event, ResponseInfo)]
    assert len(infos) == 1 and outcome.events[0] is infos[0]
    assert infos[0].model == MODEL and result.model == MODEL
    assert infos[0].id is not None and infos[0].id.startswith("msg_bdrk_")
    assert result.id == infos[0].id
    usage = result.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (11, 22, 33)
    assert usage.cached_tokens == 7
    assert usage.cache_creation_tokens == 5
    assert usage.reasoning_tokens == 5
    assert usage.raw == USAGE
    assert len(content_deltas(outcome.events)) > 1  # really streamed, not one lump

    assert len(double.requests) == 1
    sent = double.requests[0]
    assert sent.method == "POST"
    assert sent.path == CHAT_COMPLETIONS_PATH
    assert sent.json == {"model": MODEL, "messages": [{"role": "user", "content": "Hi there"}], "stream": True}
    assert sent.headers["authorization"] == "Bearer t"
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"].startswith("claudechat/")


def test_request_options_are_sent_in_the_body(double):
    request = make_request(NON_ASCII, temperature=0.5, max_tokens=64, response_format="json_object")

    outcome = chat(double.url, request)

    assert outcome.error is None
    assert outcome.result.content == "echo: " + NON_ASCII
    body = double.requests[0].json
    assert body["temperature"] == 0.5
    assert body["max_tokens"] == 64
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"][0]["content"] == NON_ASCII


def test_non_streamed_answer_gives_the_same_result(double):
    reply = Reply(content=TEXT, reasoning="Let me think.", usage=USAGE, model="claude-opus-4-1")
    double.enqueue(reply, reply)

    streamed = chat(double.url, make_request(stream=True))
    whole = chat(double.url, make_request(stream=False))

    assert streamed.error is None and whole.error is None
    for result in (streamed.result, whole.result):
        assert result.content == TEXT
        assert result.reasoning == "Let me think."
        assert result.finish_reason == "stop"
        assert result.model == "claude-opus-4-1"
        assert result.id is not None and result.id.startswith("msg_bdrk_")
        assert result.usage is not None and result.usage.raw == USAGE
    assert whole.result.usage == streamed.result.usage
    assert [c.to_dict() for c in whole.result.choices] == [c.to_dict() for c in streamed.result.choices]

    assert [r.json["stream"] for r in double.requests] == [True, False]
    assert double.requests[1].headers["accept"] == "application/json"


@pytest.mark.parametrize("reasoning_field", ["reasoning_content", "reasoning"])
def test_reasoning_of_a_thinking_model_comes_before_content(double, reasoning_field):
    double.enqueue(Reply(reasoning_field=reasoning_field))

    outcome = chat(double.url, make_request("Why?", model="claude-sonnet-4-6-thinking"))

    assert outcome.error is None
    assert outcome.result.reasoning == "Thinking about: Why?"
    assert outcome.result.content == "echo: Why?"
    kinds = [type(event) for event in outcome.events if isinstance(event, (ReasoningDelta, ContentDelta))]
    first_content = kinds.index(ContentDelta)
    assert first_content > 0
    assert set(kinds[:first_content]) == {ReasoningDelta}
    assert ReasoningDelta not in kinds[first_content:]


def test_two_choices_arrive_complete_and_separate(double):
    double.enqueue(Reply(content=TEXT))

    outcome = chat(double.url, make_request(n=2))

    assert outcome.error is None
    choices = outcome.result.choices
    assert [choice.index for choice in choices] == [0, 1]
    assert choices[0].content == "[0] " + TEXT
    assert choices[1].content == "[1] " + TEXT
    assert [choice.finish_reason for choice in choices] == ["stop", "stop"]
    assert double.requests[0].json["n"] == 2


@pytest.mark.parametrize(
    "quirk",
    [
        {"crlf": True},
        {"bom": True},
        {"no_space": True},
        {"keepalive_comments": True},
        {"split_writes": 1},
        {"split_writes": 3},
        {"split_writes": 1, "crlf": True, "bom": True},
        {"usage_on_finish_chunk": True},
        {"send_role_chunk": False},
    ],
    ids=lambda quirk: ",".join(f"{k}={v}" for k, v in quirk.items()),
)
def test_wire_quirks_give_identical_content(double, quirk):
    double.enqueue(Reply(content=NON_ASCII, usage=USAGE, **quirk))

    outcome = chat(double.url)

    assert outcome.error is None
    assert outcome.result.content == NON_ASCII
    assert outcome.result.finish_reason == "stop"
    assert outcome.result.usage is not None and outcome.result.usage.raw == USAGE
    assert outcome.result.model == MODEL


def test_missing_done_after_a_finish_reason_is_complete(double):
    double.enqueue(Reply(content=TEXT, send_done=False))

    outcome = chat(double.url)

    assert outcome.error is None
    assert outcome.result.content == TEXT
    assert outcome.result.finish_reason == "stop"


# --------------------------------------------------------------------------------------
# Streams that break
# --------------------------------------------------------------------------------------


def test_stream_without_done_or_finish_reason_is_incomplete(double):
    double.enqueue(Reply(content=TEXT, finish_reason=None, send_done=False))

    outcome = chat(double.url)

    assert isinstance(outcome.error, IncompleteStreamError)
    assert outcome.result.content == TEXT  # everything yielded before the error is kept
    assert not any(isinstance(event, FinishReason) for event in outcome.events)
    assert len(double.requests) == 1


def test_malformed_chunk_stops_the_stream_keeping_what_came_before(double):
    double.enqueue(Reply(content=DELTAS, malformed_after=2))

    outcome = chat(double.url)

    assert isinstance(outcome.error, MalformedStreamError)
    assert "not valid JSON" in str(outcome.error)
    assert outcome.result.content == "one two "
    assert content_deltas(outcome.events) == ["one ", "two "]
    assert isinstance(outcome.events[-1], ContentDelta)  # nothing after the bad chunk
    assert len(double.requests) == 1


def test_error_object_inside_the_stream_raises_stream_error(double):
    double.enqueue(Reply(content=DELTAS, error_after=2))

    outcome = chat(double.url)

    error = outcome.error
    assert isinstance(error, StreamError)
    assert error.code == "api_error"
    assert error.trace_id == DEFAULT_TRACE_ID
    assert DEFAULT_TRACE_ID in str(error)
    assert "upstream failed" in str(error)
    assert outcome.result.content == "one two "
    assert not any(isinstance(event, FinishReason) for event in outcome.events)
    assert len(double.requests) == 1


def test_connection_dropped_mid_stream_is_not_retried(double):
    double.enqueue(Reply(content=DELTAS, drop_after=2), Reply(content="should not be fetched"))
    notices: list[RetryNotice] = []

    outcome = chat(double.url, on_retry=notices.append)

    assert isinstance(outcome.error, APIConnectionError)
    assert not isinstance(outcome.error, APITimeoutError)
    assert "dropped" in str(outcome.error)
    assert outcome.result.content == "one two "
    assert notices == []
    assert len(double.requests) == 1


def test_stall_mid_stream_times_out_and_is_not_retried(double):
    double.enqueue(Reply(content=DELTAS, stall_after=2), Reply(content="should not be fetched"))
    notices: list[RetryNotice] = []

    outcome = chat(double.url, timeout=0.5, on_retry=notices.append)

    assert isinstance(outcome.error, APITimeoutError)
    assert "0.5 s" in str(outcome.error)
    assert "--timeout" in str(outcome.error)
    assert outcome.result.content == "one two "
    assert notices == []
    assert len(double.requests) == 1


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "non-streamed"])
def test_silence_before_the_first_byte_times_out_and_is_not_retried(double, stream):
    never = threading.Event()
    double.enqueue(Reply(content=TEXT, pause_before_first=never), Reply(content=TEXT, pause_before_first=never))
    notices: list[RetryNotice] = []

    outcome = chat(double.url, make_request(stream=stream), timeout=0.3, retries=1, on_retry=notices.append)

    assert isinstance(outcome.error, APITimeoutError)
    assert "0.3 s" in str(outcome.error)
    assert "--timeout" in str(outcome.error)
    assert outcome.events == []
    assert notices == []
    assert len(double.requests) == 1


# --------------------------------------------------------------------------------------
# Cancellation closes the connection
# --------------------------------------------------------------------------------------


def test_closing_the_stream_closes_the_connection(double):
    double.enqueue(Reply(content=DELTAS, stall_after=2))

    async def main() -> tuple[list[str], bool]:
        async with ChatClient(double.url, TOKEN) as client:
            agen = client.stream(make_request())
            texts: list[str] = []
            while len(texts) < 2:
                event = await asyncio.wait_for(agen.__anext__(), 5)
                if isinstance(event, ContentDelta):
                    texts.append(event.text)
            assert double.disconnects == 0
            await agen.aclose()
            # Checked while the client (and its connection pool) is still open.
            disconnected = await asyncio.to_thread(double.wait_for_disconnect, 5)
            return texts, disconnected

    texts, disconnected = asyncio.run(main())

    assert texts == ["one ", "two "]
    assert disconnected is True
    assert double.disconnects == 1


def test_cancelling_the_consuming_task_closes_the_connection(double):
    double.enqueue(Reply(content=DELTAS, stall_after=2))

    async def main() -> tuple[list[str], bool, bool]:
        async with ChatClient(double.url, TOKEN) as client:
            texts: list[str] = []
            two_seen = asyncio.Event()

            async def consume() -> None:
                async for event in client.stream(make_request()):
                    if isinstance(event, ContentDelta):
                        texts.append(event.text)
                        if len(texts) == 2:
                            two_seen.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(two_seen.wait(), 5)
            assert double.disconnects == 0
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                cancelled = True
            else:
                cancelled = False
            disconnected = await asyncio.to_thread(double.wait_for_disconnect, 5)
            return texts, cancelled, disconnected

    texts, cancelled, disconnected = asyncio.run(main())

    assert texts == ["one ", "two "]
    assert cancelled is True
    assert disconnected is True


# --------------------------------------------------------------------------------------
# Error statuses
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "message", "expected"),
    [
        (400, "token_mismatched", "token does not match", "the token does not match this API"),
        (400, "api_not_implemented", "api not implemented", "does not implement it"),
        (401, "invalid_token", "invalid token", "claudechat auth"),
        (429, "too_many_requests", "too many requests", "rate limiting"),
        (500, "api_error", "internal error", "failed to answer"),
    ],
    ids=["400-token_mismatched", "400-api_not_implemented", "401-invalid_token", "429-too_many_requests", "500-api_error"],
)
def test_documented_error_statuses(double, status, code, message, expected):
    trace = f"trace-{status}-{code}"
    double.enqueue(ErrorReply(status, code, message, trace_id=trace), Reply(content="should not be fetched"))
    # 429 is retried by design; without Retry-After that means backoff, so it is turned off here.
    retries = 0 if status == 429 else 2

    outcome = chat(double.url, retries=retries)

    error = outcome.error
    assert isinstance(error, APIStatusError)
    assert (error.status, error.code, error.server_message, error.trace_id) == (status, code, message, trace)
    assert str(status) in str(error)
    assert message in str(error)
    assert expected in str(error)
    assert trace in str(error)
    assert outcome.events == []
    assert len(double.requests) == 1


def test_wrong_token_is_refused_with_a_hint(double):
    outcome = chat(double.url, api_key="wrong")

    error = outcome.error
    assert isinstance(error, APIStatusError)
    assert (error.status, error.code) == (401, "invalid_token")
    assert "claudechat auth" in str(error)
    assert len(double.requests) == 1
    assert double.requests[0].headers["authorization"] == "Bearer wrong"


def test_openai_style_error_message_is_shown(double):
    message = "The model `claude-nope` does not exist"
    double.enqueue(OpenAIErrorReply(404, message, code="model_not_found"))

    outcome = chat(double.url)

    error = outcome.error
    assert isinstance(error, APIStatusError)
    assert error.status == 404
    assert error.code == "model_not_found"
    assert error.server_message == message
    assert message in str(error)
    assert "404" in str(error)
    assert len(double.requests) == 1


# --------------------------------------------------------------------------------------
# Retries
# --------------------------------------------------------------------------------------


def test_rate_limit_with_retry_after_is_retried_then_succeeds(double):
    double.enqueue(
        ErrorReply(429, "too_many_requests", "slow down", headers={"Retry-After": "0"}),
        Reply(content=TEXT),
    )
    notices: list[RetryNotice] = []

    outcome = chat(double.url, on_retry=notices.append)

    assert outcome.error is None
    assert outcome.result.content == TEXT
    assert len(notices) == 1
    notice = notices[0]
    assert (notice.attempt, notice.retries, notice.delay) == (1, 2, 0.0)
    assert "429" in notice.reason
    assert len(double.requests) == 2
    assert double.requests[0].body == double.requests[1].body


def test_retries_exhausted_raise_the_last_status(double):
    unavailable = ErrorReply(503, "service_unavailable", "overloaded", headers={"Retry-After": "0"})
    double.enqueue(unavailable, unavailable, unavailable, Reply(content="should not be fetched"))
    notices: list[RetryNotice] = []

    outcome = chat(double.url, retries=2, on_retry=notices.append)

    assert isinstance(outcome.error, APIStatusError)
    assert outcome.error.status == 503
    assert [notice.attempt for notice in notices] == [1, 2]
    assert len(double.requests) == 3


def test_no_retries_means_one_request(double):
    double.enqueue(
        ErrorReply(503, "service_unavailable", "overloaded", headers={"Retry-After": "0"}),
        Reply(content="should not be fetched"),
    )
    notices: list[RetryNotice] = []

    outcome = chat(double.url, retries=0, on_retry=notices.append)

    assert isinstance(outcome.error, APIStatusError)
    assert outcome.error.status == 503
    assert notices == []
    assert len(double.requests) == 1


# --------------------------------------------------------------------------------------
# Error bodies that are not the service's
# --------------------------------------------------------------------------------------


def test_html_gateway_page_becomes_a_short_message(double):
    page = (
        b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    double.enqueue(RawReply(502, page))

    outcome = chat(double.url, retries=0)

    error = outcome.error
    assert isinstance(error, APIStatusError)
    assert error.status == 502
    assert "502" in str(error)
    assert "Bad Gateway" in str(error)
    assert "<" not in str(error)
    assert len(double.requests) == 1


def test_empty_error_body_still_names_the_status(double):
    double.enqueue(RawReply(503, b"", content_type=""))

    outcome = chat(double.url, retries=0)

    error = outcome.error
    assert isinstance(error, APIStatusError)
    assert error.status == 503
    assert "503" in str(error)
    assert error.server_message is None


def test_huge_error_body_is_not_read_whole(double):
    # Larger than loopback socket buffers can hold, so the double notices the early hang-up.
    body = (b"E" * 1023 + b"\n") * 32 * 1024  # 32 MB
    double.enqueue(RawReply(500, body, content_type="text/plain"))

    outcome = chat(double.url)

    error = outcome.error
    assert isinstance(error, APIStatusError)
    assert error.status == 500
    assert len(str(error)) < 500
    assert len(double.requests) == 1
    assert double.wait_for_disconnect(5)  # the client stopped reading after a bounded excerpt


# --------------------------------------------------------------------------------------
# Connection failures
# --------------------------------------------------------------------------------------


def test_connection_refused_is_retried_then_reported():
    port = free_port()
    notices: list[RetryNotice] = []

    outcome = chat(f"http://127.0.0.1:{port}/v1", retries=1, on_retry=notices.append)

    error = outcome.error
    assert isinstance(error, APIConnectionError)
    assert not isinstance(error, APITimeoutError)
    assert "connection refused" in str(error)
    assert f"127.0.0.1:{port}" in str(error)
    assert len(notices) == 1
    assert (notices[0].attempt, notices[0].retries) == (1, 1)
    assert 0.25 <= notices[0].delay <= 0.5


def test_unknown_host_is_reported():
    outcome = chat("http://nonexistent.invalid/v1", retries=0, connect_timeout=5)

    error = outcome.error
    assert isinstance(error, APIConnectionError)
    assert "cannot resolve host" in str(error)
    assert "nonexistent.invalid" in str(error)


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl to make a certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


def test_untrusted_certificate_is_reported(self_signed):
    _, server_context = self_signed
    with ServiceDouble(token=TOKEN, ssl_context=server_context) as double:
        outcome = chat(double.url, retries=0)
        recorded = len(double.requests)

    error = outcome.error
    assert isinstance(error, APIConnectionError)
    assert "secure connection" in str(error)
    assert "certificate" in str(error).lower()
    assert recorded == 0


def test_trusted_certificate_works(self_signed):
    cert, server_context = self_signed
    with ServiceDouble(token=TOKEN, ssl_context=server_context) as double:
        double.enqueue(Reply(content=TEXT))
        outcome = chat(double.url, retries=0, verify=ssl.create_default_context(cafile=str(cert)))
        recorded = len(double.requests)

    assert outcome.error is None
    assert outcome.result.content == TEXT
    assert recorded == 1


def test_connect_timeout_is_reported():
    with full_accept_queue() as port:
        outcome = chat(f"http://127.0.0.1:{port}/v1", connect_timeout=0.3, retries=0)

    error = outcome.error
    assert isinstance(error, APITimeoutError)
    assert "could not connect" in str(error)
    assert "0.3 s" in str(error)


# --------------------------------------------------------------------------------------
# Limits and validation
# --------------------------------------------------------------------------------------


def test_invalid_request_is_not_sent(double):
    outcome = chat(double.url, make_request(temperature=3))

    assert isinstance(outcome.error, RequestValidationError)
    assert "temperature" in str(outcome.error)
    assert outcome.events == []
    assert len(double.requests) == 0


def test_answer_larger_than_the_limit_is_stopped(double):
    text = "".join(f"{i:05d} lorem ipsum dolor sit amet. " for i in range(350))  # about 10 KB
    assert len(text.encode()) > 10_000
    double.enqueue(Reply(content=text, delta_size=100))

    outcome = chat(double.url, max_answer_bytes=1000)

    error = outcome.error
    assert isinstance(error, APIError)
    assert "grew past" in str(error)
    content = outcome.result.content
    assert content  # what arrived before the limit is kept
    assert text.startswith(content)
    assert len(content) < 1000
    assert not any(isinstance(event, (FinishReason, UsageReport)) for event in outcome.events)
    assert len(double.requests) == 1
