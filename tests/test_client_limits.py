"""The client's bounds and edges: how long it waits between attempts, what it retries, how much
of an answer it reads, and what an error body cut short still says.

Waits are recorded instead of slept (the client's module sees a stand-in for `asyncio` whose
`sleep` only notes the delay), so a test of a two-minute cap takes no time. Most exchanges go
through the service double; the few that need a body cut off in the middle of a read, which
a server over a real socket cannot time exactly, use an httpx transport that serves the bytes
and then fails as a dropped connection does.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace

import httpx
import pytest

import claudechat.api.client as client_module
from claudechat.api import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ChatClient,
    ChatRequest,
    ResultBuilder,
    RetryNotice,
)
from claudechat.api.client import BACKOFF_CAP, RETRY_AFTER_CAP
from claudechat.api.reader import answer_too_large
from claudechat.errors import ClaudechatError
from claudechat.jsontext import utf8_json
from tests.double import ErrorReply, RawReply, Reply, ServiceDouble

pytestmark = pytest.mark.timeout(10)

TOKEN = "t"
MODEL = "claude-sonnet-4-6"


@pytest.fixture
def double():
    with ServiceDouble(token=TOKEN) as d:
        yield d


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The delays the client waits between attempts, recorded and not slept."""
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr(client_module, "asyncio", SimpleNamespace(sleep=sleep))
    return delays


def request(stream: bool = True) -> ChatRequest:
    return ChatRequest(model=MODEL, messages=[{"role": "user", "content": "Hello"}], stream=stream)


def run(base_url: str, req: ChatRequest | None = None, **options) -> tuple[str, ClaudechatError | None]:
    """The text the client yielded for one request and the error that ended it."""

    async def main() -> tuple[str, ClaudechatError | None]:
        builder = ResultBuilder()
        async with ChatClient(base_url, TOKEN, **options) as client:
            try:
                async for event in client.stream(req or request()):
                    builder.add(event)
            except ClaudechatError as error:
                return builder.result().content, error
        return builder.result().content, None

    return asyncio.run(main())


def completion(text: str) -> bytes:
    return utf8_json(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        }
    )


# --------------------------------------------------------------------------------------
# Waiting between attempts
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draw", "expected"),
    [
        (lambda low, high: low, [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]),
        (lambda low, high: high, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]),
    ],
    ids=["least", "most"],
)
def test_backoff_doubles_from_half_a_second_and_stops_at_its_cap(double, waits, monkeypatch, draw, expected):
    # The jitter draws from the upper half of each ceiling: at its least the wait is half of it.
    monkeypatch.setattr(client_module, "random", SimpleNamespace(uniform=draw))
    unavailable = ErrorReply(503, "service_unavailable", "overloaded")  # no Retry-After: backoff
    double.enqueue(*[unavailable] * 7, Reply(content="at last"))
    notices: list[RetryNotice] = []

    text, error = run(double.url, retries=7, on_retry=notices.append)

    assert error is None
    assert text == "at last"
    assert waits == expected
    assert max(waits) in (BACKOFF_CAP / 2, BACKOFF_CAP)
    assert [notice.delay for notice in notices] == expected
    assert [(notice.attempt, notice.retries) for notice in notices] == [(n, 7) for n in range(1, 8)]
    assert len(double.requests) == 8


def test_a_retry_notice_says_why_how_long_and_which_attempt():
    notice = RetryNotice(attempt=1, retries=2, delay=0.25, reason="the service is unavailable (503)")

    assert str(notice) == "the service is unavailable (503); retrying in 0.2 s (1 of 2)"
    assert str(RetryNotice(2, 3, 7.96, "x")) == "x; retrying in 8.0 s (2 of 3)"


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("100000", RETRY_AFTER_CAP), ("121", RETRY_AFTER_CAP), ("30", 30.0), ("0", 0.0)],
)
def test_retry_after_is_obeyed_up_to_two_minutes(double, waits, retry_after, expected):
    double.enqueue(
        ErrorReply(429, "too_many_requests", "slow down", headers={"Retry-After": retry_after}),
        Reply(content="done"),
    )
    notices: list[RetryNotice] = []

    text, error = run(double.url, retries=1, on_retry=notices.append)

    assert error is None
    assert text == "done"
    assert waits == [expected]
    assert [notice.delay for notice in notices] == [expected]
    assert RETRY_AFTER_CAP == 120.0
    assert len(double.requests) == 2


def test_retry_after_on_a_status_that_is_not_retried_is_not_waited_for(double, waits):
    double.enqueue(ErrorReply(500, "api_error", "failed", headers={"Retry-After": "5"}), Reply(content="no"))

    text, error = run(double.url, retries=2)

    assert isinstance(error, APIStatusError)
    assert error.status == 500
    assert error.retry_after == 5.0
    assert waits == []
    assert len(double.requests) == 1


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_each_retryable_status_is_tried_again(double, waits, status):
    double.enqueue(RawReply(status, b"", content_type="", headers={"Retry-After": "1"}), Reply(content="ok"))

    text, error = run(double.url, retries=1)

    assert (text, error) == ("ok", None)
    assert waits == [1.0]
    assert len(double.requests) == 2


# --------------------------------------------------------------------------------------
# What is not tried again
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "non-streamed"])
def test_no_headers_within_the_timeout_is_not_retried(waits, stream):
    """A server that took the request and sent nothing may still be working on it."""
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes connections nobody accepts: each one is counted
        port = listener.getsockname()[1]
        notices: list[RetryNotice] = []

        text, error = run(
            f"http://127.0.0.1:{port}/v1", request(stream), timeout=0.3, retries=2, on_retry=notices.append
        )

        listener.setblocking(False)
        connections = []
        while True:
            try:
                connections.append(listener.accept()[0])
            except BlockingIOError:
                break
        for connection in connections:
            connection.close()
    finally:
        listener.close()
    assert isinstance(error, APITimeoutError)
    assert "sent nothing for 0.3 s" in str(error)
    assert text == ""
    assert notices == []
    assert waits == []
    assert len(connections) == 1


class _Body(httpx.AsyncByteStream):
    """A response body that yields `pieces`, then fails as a connection that dropped."""

    def __init__(self, pieces: list[bytes], failure: Exception | None) -> None:
        self._pieces = pieces
        self._failure = failure

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece
        if self._failure is not None:
            raise self._failure


Answer = Callable[[httpx.Request], httpx.Response]


def served(*answers: Answer) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport giving each request the next answer; the requests it got are recorded."""
    seen: list[httpx.Request] = []

    def handle(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return answers[len(seen) - 1](req)

    return httpx.MockTransport(handle), seen


def cut(status: int, pieces: list[bytes], content_type: str = "application/json") -> Answer:
    def answer(req: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            headers={"content-type": content_type},
            stream=_Body(pieces, httpx.ReadError("connection reset by peer", request=req)),
        )

    return answer


def whole(status: int, body: bytes, content_type: str = "application/json") -> Answer:
    return lambda req: httpx.Response(status, headers={"content-type": content_type}, content=body)


def test_an_error_body_cut_off_mid_read_still_gives_the_status_error(waits):
    transport, seen = served(cut(404, [b'{"error": {"code": "model_not_found", "message": "no such']))

    text, error = run("http://service.test/v1", transport=transport, retries=2)

    assert isinstance(error, APIStatusError)
    assert not isinstance(error, APIConnectionError)
    assert error.status == 404
    assert "404" in str(error)
    assert len(seen) == 1


def test_a_retryable_error_body_cut_off_mid_read_is_retried(waits):
    transport, seen = served(cut(503, [b"<html><title>503 Service"], "text/html"), whole(200, completion("fine")))

    text, error = run("http://service.test/v1", request(stream=False), transport=transport, retries=1)

    assert (text, error) == ("fine", None)
    assert len(waits) == 1
    assert len(seen) == 2


def test_a_whole_answer_cut_off_after_some_bytes_is_not_retried(waits):
    transport, seen = served(cut(200, [completion("lost")[:20]]), whole(200, completion("should not be fetched")))

    text, error = run("http://service.test/v1", request(stream=False), transport=transport, retries=2)

    assert isinstance(error, APIConnectionError)
    assert not isinstance(error, APITimeoutError)
    assert "dropped" in str(error)
    assert waits == []
    assert len(seen) == 1


def test_a_whole_answer_lost_before_its_first_byte_is_retried(waits):
    transport, seen = served(cut(200, []), whole(200, completion("second try")))
    notices: list[RetryNotice] = []

    text, error = run(
        "http://service.test/v1", request(stream=False), transport=transport, retries=1, on_retry=notices.append
    )

    assert (text, error) == ("second try", None)
    assert len(notices) == 1
    assert "dropped" in notices[0].reason
    assert len(seen) == 2


def test_a_stream_lost_before_its_first_byte_is_retried(waits):
    events = b'data: {"choices":[{"index":0,"delta":{"content":"again"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
    transport, seen = served(cut(200, [], "text/event-stream"), whole(200, events, "text/event-stream"))

    text, error = run("http://service.test/v1", transport=transport, retries=1)

    assert (text, error) == ("again", None)
    assert len(waits) == 1
    assert len(seen) == 2


# --------------------------------------------------------------------------------------
# How much of an answer is read
# --------------------------------------------------------------------------------------


def test_a_whole_answer_larger_than_the_limit_is_refused(double):
    body = completion("x" * 5000)
    double.enqueue(RawReply(200, body, content_type="application/json"))

    text, error = run(double.url, request(stream=False), max_answer_bytes=1000)

    assert isinstance(error, APIError)
    assert "the answer grew past 1,000 bytes" in str(error)
    assert "max_answer_mb" in error.hint
    assert text == ""
    assert len(double.requests) == 1


def test_a_whole_answer_of_exactly_the_limit_is_read(double):
    body = completion("y" * 3000)
    double.enqueue(RawReply(200, body, content_type="application/json"))

    text, error = run(double.url, request(stream=False), max_answer_bytes=len(body))

    assert error is None
    assert text == "y" * 3000


def test_a_stream_of_exactly_the_limit_is_read():
    events = b'data: {"choices":[{"index":0,"delta":{"content":"edge"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
    transport, _ = served(whole(200, events, "text/event-stream"))

    text, error = run("http://service.test/v1", transport=transport, max_answer_bytes=len(events))
    over_text, over_error = run(
        "http://service.test/v1", transport=served(whole(200, events, "text/event-stream"))[0],
        max_answer_bytes=len(events) - 1,
    )

    assert (text, error) == ("edge", None)
    assert isinstance(over_error, APIError)
    assert "grew past" in str(over_error)


@pytest.mark.parametrize(
    ("limit", "said"),
    [(1000, "1,000 bytes"), (1024 * 1024 - 1, "1,048,575 bytes"), (1024 * 1024, "1 MB"), (3 * 1024 * 1024 // 2, "1.5 MB")],
)
def test_the_size_limit_is_named_in_the_units_it_was_set_in(limit, said):
    assert str(answer_too_large(limit)).startswith(f"the answer grew past {said} and was stopped")


# --------------------------------------------------------------------------------------
# What the body is read as
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json"])
def test_a_stream_answered_with_json_is_read_as_the_whole_answer(content_type):
    transport, _ = served(whole(200, completion("as json"), content_type))

    text, error = run("http://service.test/v1", transport=transport)

    assert (text, error) == ("as json", None)


@pytest.mark.parametrize("content_type", ["", "text/plain", "Text/Event-Stream; charset=UTF-8"])
def test_a_stream_answered_without_a_json_type_is_read_as_events(content_type):
    events = b'data: {"choices":[{"index":0,"delta":{"content":"events"},"finish_reason":"stop"}]}\n\n'
    transport, _ = served(whole(200, events, content_type))

    text, error = run("http://service.test/v1", transport=transport)

    assert (text, error) == ("events", None)


def test_a_whole_answer_declared_as_events_is_read_as_events():
    events = b'data: {"choices":[{"index":0,"delta":{"content":"streamed"},"finish_reason":"stop"}]}\n\n'
    transport, _ = served(whole(200, events, "text/event-stream"))

    text, error = run("http://service.test/v1", request(stream=False), transport=transport)

    assert (text, error) == ("streamed", None)


def test_the_request_says_what_it_accepts_and_who_sends_it():
    transport, seen = served(whole(200, completion("a")), whole(200, completion("b")))

    run("http://service.test/v1/", request(stream=False), transport=transport)
    run("http://service.test/v1", request(stream=True), transport=transport)

    assert [str(req.url) for req in seen] == ["http://service.test/v1/chat/completions"] * 2
    assert [req.headers["accept"] for req in seen] == ["application/json", "text/event-stream"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert seen[0].headers["content-type"] == "application/json"
    assert seen[0].headers["user-agent"].startswith("claudechat/")


# --------------------------------------------------------------------------------------
# Errors in words
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "named"), [("text/html; charset=utf-8", "text/html; charset=utf-8"), (None, "missing")]
)
def test_a_whole_answer_that_is_not_json_names_its_content_type(content_type, named):
    headers = {"content-type": content_type} if content_type else {}
    transport, _ = served(lambda req: httpx.Response(200, headers=headers, content=b"<html>login</html>"))

    text, error = run("http://service.test/v1", request(stream=False), transport=transport)

    assert isinstance(error, APIError)
    assert error.message == f"the server's answer is not JSON (content-type {named})"
    assert error.hint == "check --base-url points at an OpenAI-compatible API"


def test_a_dropped_whole_answer_names_the_host(waits):
    transport, _ = served(cut(200, [b'{"choices": [']))

    text, error = run("http://service.test:8443/v1", request(stream=False), transport=transport, retries=0)

    assert isinstance(error, APIConnectionError)
    assert error.message == "the connection to service.test:8443 dropped before the answer was finished"


def test_a_whole_answer_lost_before_its_first_byte_with_no_retries_left_is_reported(waits):
    transport, seen = served(cut(200, []))

    text, error = run("http://service.test/v1", request(stream=False), transport=transport, retries=0)

    assert isinstance(error, APIConnectionError)
    assert "dropped" in str(error)
    assert waits == []
    assert len(seen) == 1


def test_an_error_body_read_in_pieces_is_read_whole():
    pieces = [b'{"error": {"code": "model_not_found", ', b'"message": "no model ', b'called x"}}']
    transport, _ = served(lambda req: httpx.Response(404, headers={"content-type": "application/json"},
                                                     stream=_Body(pieces, None)))

    text, error = run("http://service.test/v1", transport=transport, retries=0)

    assert isinstance(error, APIStatusError)
    assert error.code == "model_not_found"
    assert error.server_message == "no model called x"


def test_a_401_to_a_request_without_a_token_says_none_was_sent(double):
    async def main() -> ClaudechatError | None:
        async with ChatClient(double.url, None, no_token_hint="run `claudechat auth` first") as client:
            try:
                async for _ in client.stream(request()):
                    pass
            except ClaudechatError as error:
                return error
        return None

    error = asyncio.run(main())

    assert isinstance(error, APIStatusError)
    assert error.status == 401
    assert error.message.startswith("the server wants an API token and none was sent")
    assert error.hint == "run `claudechat auth` first"
    assert "authorization" not in double.requests[0].headers


# --------------------------------------------------------------------------------------
# A server that refuses `stream_options`
# --------------------------------------------------------------------------------------

EVENTS = b'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'


def refusal(status: int, words: bytes) -> Answer:
    return whole(status, b'{"error": {"message": "unknown field: ' + words + b'"}}')


@pytest.mark.parametrize(
    ("status", "words"),
    [(400, b"stream_options"), (422, b"stream_options"), (400, b"include_usage"), (422, b"body.include_usage")],
)
def test_a_refused_usage_option_is_dropped_and_the_request_sent_again(status, words):
    transport, seen = served(refusal(status, words), whole(200, EVENTS, "text/event-stream"))
    told: list[bool] = []

    text, error = run(
        "http://service.test/v1", transport=transport, stream_usage=True,
        on_stream_usage_refused=lambda: told.append(True),
    )

    assert (text, error) == ("ok", None)
    assert told == [True]
    assert [b"stream_options" in req.content for req in seen] == [True, False]


@pytest.mark.parametrize(("status", "words"), [(401, b"stream_options"), (500, b"include_usage"), (400, b"temperature")])
def test_other_refusals_of_a_request_asking_for_usage_are_errors(status, words):
    transport, seen = served(refusal(status, words), whole(200, EVENTS, "text/event-stream"))

    text, error = run("http://service.test/v1", transport=transport, stream_usage=True, retries=0)

    assert isinstance(error, APIStatusError)
    assert error.status == status
    assert len(seen) == 1


def test_a_refusal_naming_the_option_when_it_was_not_sent_is_an_error():
    transport, seen = served(refusal(400, b"stream_options"), whole(200, completion("no")))

    text, error = run("http://service.test/v1", request(stream=False), transport=transport, stream_usage=True)

    assert isinstance(error, APIStatusError)
    assert b"stream_options" not in seen[0].content
    assert len(seen) == 1


# --------------------------------------------------------------------------------------
# The exchange log (--debug)
# --------------------------------------------------------------------------------------


def test_the_exchange_log_holds_the_request_the_response_and_every_read(tmp_path):
    from claudechat.api.trace import ExchangeLog

    pieces = [b'data: {"choices":[{"index":0,"delta":{"content":"lo"}}]}\n\n',
              b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n']
    transport, seen = served(
        lambda req: httpx.Response(200, headers={"content-type": "text/event-stream", "x-request-id": "r1"},
                                   stream=_Body(pieces, None))
    )
    log = ExchangeLog(tmp_path / "exchange.log")

    text, error = run("http://service.test/v1", transport=transport, trace=log)
    log.close()

    written = (tmp_path / "exchange.log").read_text("utf-8")
    assert (text, error) == ("lo", None)
    assert "request 1: POST http://service.test/v1/chat/completions\n" in written
    assert "authorization: [redacted]\n" in written
    assert "accept: text/event-stream\n" in written
    assert "\n" + seen[0].content.decode() + "\n" in written
    assert "response: 200\ncontent-type: text/event-stream\nx-request-id: r1\n" in written
    assert f"{len(pieces[0])} bytes\n".encode().decode() + pieces[0].decode() in written
    assert f"{len(pieces[1])} bytes\n" + pieces[1].decode() in written


def test_the_exchange_log_notes_a_connection_lost_before_or_during_the_answer(tmp_path, waits):
    from claudechat.api.trace import ExchangeLog

    def refused(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=req)

    transport, _ = served(refused, cut(200, [b"data: {}\n\n"], "text/event-stream"))
    log = ExchangeLog(tmp_path / "exchange.log")

    text, error = run("http://service.test/v1", transport=transport, trace=log, retries=1)
    log.close()

    written = (tmp_path / "exchange.log").read_text("utf-8")
    assert isinstance(error, APIConnectionError)
    assert "transport error: ConnectError: connection refused\n" in written
    assert "transport error: ReadError: connection reset by peer\n" in written
    assert written.count("request ") == 2


# --------------------------------------------------------------------------------------
# More edges of the body
# --------------------------------------------------------------------------------------


def big_completion(size: int) -> bytes:
    return completion("z" * size)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8; profile=x", "application/vnd.api+json"]
)
def test_a_stream_answered_with_a_large_json_answer_reads_it_whole(content_type):
    """Past the 64 KB the event reader keeps of a body's start: only the JSON path reads it."""
    transport, _ = served(whole(200, big_completion(100_000), content_type))

    text, error = run("http://service.test/v1", transport=transport)

    assert error is None
    assert text == "z" * 100_000


def test_a_whole_answer_read_in_pieces_is_joined():
    body = completion("joined from pieces")
    pieces = [body[:10], body[10:30], body[30:]]
    transport, _ = served(lambda req: httpx.Response(200, headers={"content-type": "application/json"},
                                                     stream=_Body(pieces, None)))

    text, error = run("http://service.test/v1", request(stream=False), transport=transport)

    assert (text, error) == ("joined from pieces", None)


def test_a_finished_stream_whose_end_is_lost_is_whole(waits):
    events = b'data: {"choices":[{"index":0,"delta":{"content":"all here"},"finish_reason":"stop"}]}\n\n'
    transport, seen = served(cut(200, [events], "text/event-stream"))

    text, error = run("http://service.test/v1", transport=transport, retries=2)

    assert (text, error) == ("all here", None)
    assert len(seen) == 1


def test_an_unfinished_stream_cut_off_names_the_host_and_is_not_retried(waits):
    events = b'data: {"choices":[{"index":0,"delta":{"content":"half"}}]}\n\n'
    transport, seen = served(cut(200, [events], "text/event-stream"))

    text, error = run("http://service.test:8443/v1", transport=transport, retries=2)

    assert text == "half"
    assert isinstance(error, APIConnectionError)
    assert error.message == "the connection to service.test:8443 dropped before the answer was finished"
    assert len(seen) == 1


def test_a_stream_lost_before_its_first_byte_with_no_retries_left_is_reported(waits):
    transport, seen = served(cut(200, [], "text/event-stream"))

    text, error = run("http://service.test/v1", transport=transport, retries=0)

    assert isinstance(error, APIConnectionError)
    assert "dropped" in str(error)
    assert len(seen) == 1


def test_a_401_to_a_request_with_a_token_says_the_token_was_refused(double):
    async def main() -> ClaudechatError | None:
        async with ChatClient(double.url, "wrong-token") as client:
            try:
                async for _ in client.stream(request()):
                    pass
            except ClaudechatError as error:
                return error
        return None

    error = asyncio.run(main())

    assert isinstance(error, APIStatusError)
    assert error.message.startswith("the service refused the API token (401")
    assert "none was sent" not in str(error)


# --------------------------------------------------------------------------------------
# How the client is set up
# --------------------------------------------------------------------------------------


def test_the_default_limits_are_two_minutes_of_silence_and_ten_seconds_to_connect():
    async def main() -> list[ChatClient]:
        clients = [ChatClient("http://service.test/v1", None), ChatClient("http://service.test/v1", None, timeout=3)]
        for client in clients:
            await client.aclose()
        return clients

    default, short = asyncio.run(main())

    assert (default.timeout, default.connect_timeout, default.retries) == (120.0, 10.0, 2)
    assert default._http.timeout == httpx.Timeout(120.0, connect=10.0)
    assert (short.timeout, short.connect_timeout) == (3, 3)  # never longer to connect than to wait
    assert short._http.timeout == httpx.Timeout(3, connect=3)


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("http://service.test/v1", "http://service.test/v1/chat/completions"),
        ("http://service.test/v1//", "http://service.test/v1/chat/completions"),
        ("http://service.test/APIX", "http://service.test/APIX/chat/completions"),
    ],
)
def test_the_endpoint_is_the_base_url_and_chat_completions(base_url, url):
    async def main() -> str:
        async with ChatClient(base_url, None) as client:
            return client.url

    assert asyncio.run(main()) == url


def test_the_proxy_from_the_environment_is_used(double, monkeypatch):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: a proxy that refuses
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    text, error = run(double.url, retries=0)

    assert isinstance(error, APIConnectionError)
    assert f"through the proxy 127.0.0.1:{port}" in str(error)
    assert double.requests == []
