"""The async HTTP client for `POST {base_url}/chat/completions`.

It knows requests, bytes and events, and nothing of terminals: progress it cannot return as
an event (a retry about to happen) is reported through a callback the caller supplies.
"""

from __future__ import annotations

import asyncio
import json
import random
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from claudechat import __version__
from claudechat.api.chunks import events_from_completion, raise_for_error_object
from claudechat.api.errors import APIError, MalformedStreamError, TLSError, error_from_response
from claudechat.api.events import StreamEvent
from claudechat.api.network import connection_error
from claudechat.api.reader import ERROR_BODY_LIMIT, StreamReader, answer_too_large
from claudechat.api.request import ChatRequest
from claudechat.api.trace import ExchangeLog
from claudechat.jsontext import utf8_json

__all__ = ["ChatClient", "RetryNotice", "RETRYABLE_STATUSES"]

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0
RETRY_AFTER_CAP = 120.0


@dataclass(frozen=True)
class RetryNotice:
    """Told to the caller just before waiting `delay` seconds and retrying."""

    attempt: int
    retries: int
    delay: float
    reason: str

    def __str__(self) -> str:
        return f"{self.reason}; retrying in {self.delay:.1f} s ({self.attempt} of {self.retries})"


class _RetryableFailure(Exception):
    def __init__(self, error: APIError, delay: float | None) -> None:
        self.error = error
        self.delay = delay


class _UsageOptionRefused(Exception):
    """The server refused `stream_options`: the request goes again without it."""


def _media_type(content_type: str) -> str:
    """`text/event-stream` from `Text/Event-Stream; charset=UTF-8`."""
    return content_type.split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _backoff(attempt: int) -> float:
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class ChatClient:
    """Sends chat requests and yields typed events; use as `async with ChatClient(...)`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 120.0,
        connect_timeout: float = 10.0,
        retries: int = 2,
        on_retry: Callable[[RetryNotice], None] | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        stream_usage: bool = False,
        on_stream_usage_refused: Callable[[], None] | None = None,
        no_token_hint: str | None = None,
        trace: ExchangeLog | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """`stream_usage`: ask for the usage of a streamed answer (`stream_options`), which
        vLLM, Ollama, llama.cpp and TGI report only when asked. A server that refuses the field
        gets the request again without it, and `on_stream_usage_refused` is told, to remember.
        `no_token_hint` is what a 401 to a request sent without a token suggests; `trace`
        records the raw exchange.
        """
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.retries = retries
        self.max_answer_bytes = max_answer_bytes
        self.stream_usage = stream_usage
        self._on_stream_usage_refused = on_stream_usage_refused
        self._token_sent = bool(api_key)
        self._no_token_hint = no_token_hint
        self._trace = trace
        self._on_retry = on_retry
        headers = {"user-agent": f"claudechat/{__version__}", "content-type": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self._http = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=self.connect_timeout),
            transport=transport,
            verify=verify,
            trust_env=True,
        )

    async def __aenter__(self) -> ChatClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Yield the answer's events as they arrive.

        Raises an `APIError` subclass for every failure; events already yielded stay valid, so
        the caller keeps the text received so far. Closing the iterator (or cancelling the task
        consuming it) closes the connection at once.
        """
        request.validate()
        accept = "text/event-stream" if request.stream else "application/json"
        attempt = 0
        while True:
            ask_usage = request.stream and self.stream_usage
            body = request.to_body()
            if ask_usage:
                body["stream_options"] = {"include_usage": True}
            try:
                response = await self._open(utf8_json(body), accept, ask_usage)
            except _RetryableFailure as failure:
                attempt = await self._before_retry(failure, attempt)
                continue
            except _UsageOptionRefused:
                self.stream_usage = False
                if self._on_stream_usage_refused is not None:
                    self._on_stream_usage_refused()
                continue
            retry: _RetryableFailure | None = None
            # Everything happens in this one generator: a hop through nested async generators per
            # event costs more than the decoding itself.
            try:
                media_type = _media_type(response.headers.get("content-type", ""))
                # The event-stream rules do not insist on the type: a streamed request whose
                # answer is not declared JSON is read as events.
                if media_type != "text/event-stream" and (_is_json(media_type) or not request.stream):
                    for event in await self._events_from_body(response):
                        yield event
                    return
                reader = StreamReader(self.max_answer_bytes)
                try:
                    async for piece in self._pieces(response):
                        batch, failure = reader.feed(piece)
                        for event in batch:
                            yield event
                        if failure is not None:
                            raise failure
                        if reader.done:
                            return
                except httpx.TransportError as exc:
                    if reader.finished:
                        # Every event of a finished answer came; only the end of the body was
                        # lost ([DONE], the last chunk of the transfer): the answer is whole.
                        batch, _ = reader.close()
                        for event in batch:
                            yield event
                        return
                    error = connection_error(exc, self.url, self.timeout, self.connect_timeout)
                    if reader.received or isinstance(exc, httpx.TimeoutException):
                        raise error from None
                    retry = _RetryableFailure(error, None)
                else:
                    batch, failure = reader.close()
                    for event in batch:
                        yield event
                    if failure is not None:
                        raise failure
                    return
            except _RetryableFailure as failure:
                retry = failure
            finally:
                await response.aclose()
            attempt = await self._before_retry(retry, attempt)

    async def _before_retry(self, failure: _RetryableFailure, attempt: int) -> int:
        """Wait before the next attempt, or raise the failure when retries are used up."""
        if attempt >= self.retries:
            raise failure.error from None
        delay = failure.delay if failure.delay is not None else _backoff(attempt)
        if self._on_retry is not None:
            self._on_retry(RetryNotice(attempt + 1, self.retries, delay, str(failure.error.message)))
        await asyncio.sleep(delay)
        return attempt + 1

    def _pieces(self, response: httpx.Response) -> AsyncIterator[bytes]:
        """The body's reads; recorded too, when the exchange is being traced."""
        if self._trace is None:
            return response.aiter_bytes()
        return self._traced_pieces(response, self._trace)

    @staticmethod
    async def _traced_pieces(response: httpx.Response, trace: ExchangeLog) -> AsyncIterator[bytes]:
        try:
            async for piece in response.aiter_bytes():
                trace.received(piece)
                yield piece
        except httpx.TransportError as exc:
            trace.note(f"transport error: {type(exc).__name__}: {exc}")
            raise

    async def _open(self, content: bytes, accept: str, ask_usage: bool) -> httpx.Response:
        """Send the request; a response with an error status is read, closed and raised."""
        http_request = self._http.build_request("POST", self.url, content=content, headers={"accept": accept})
        if self._trace is not None:
            self._trace.request("POST", str(http_request.url), http_request.headers.multi_items(), content)
        try:
            response = await self._http.send(http_request, stream=True)
        except httpx.TransportError as exc:
            if self._trace is not None:
                self._trace.note(f"transport error: {type(exc).__name__}: {exc}")
            error = connection_error(exc, self.url, self.timeout, self.connect_timeout)
            if isinstance(exc, httpx.ReadTimeout) or isinstance(error, TLSError):
                raise error from None
            raise _RetryableFailure(error, None) from None
        if self._trace is not None:
            self._trace.response(response.status_code, response.headers.multi_items())
        if response.status_code >= 400:
            try:
                raise await self._status_error(response, ask_usage)
            finally:
                await response.aclose()
        return response

    async def _status_error(self, response: httpx.Response, ask_usage: bool) -> Exception:
        body = bytearray()
        try:
            async for piece in self._pieces(response):
                body += piece
                if len(body) >= ERROR_BODY_LIMIT:
                    break
        except httpx.TransportError:
            pass  # the status alone still says what happened
        if ask_usage and response.status_code in (400, 422) and (b"stream_options" in body or b"include_usage" in body):
            return _UsageOptionRefused()
        error = error_from_response(
            response.status_code,
            response.headers,
            bytes(body[:ERROR_BODY_LIMIT]),
            token_sent=self._token_sent,
            no_token_hint=self._no_token_hint,
        )
        if response.status_code in RETRYABLE_STATUSES:
            delay = min(error.retry_after, RETRY_AFTER_CAP) if error.retry_after is not None else None
            return _RetryableFailure(error, delay)
        return error

    async def _events_from_body(self, response: httpx.Response) -> list[StreamEvent]:
        body = bytearray()
        try:
            async for piece in self._pieces(response):
                body += piece
                if len(body) > self.max_answer_bytes:
                    raise answer_too_large(self.max_answer_bytes)
        except httpx.TransportError as exc:
            error = connection_error(exc, self.url, self.timeout, self.connect_timeout)
            # A server that accepted the request and then went quiet is not retried: it may
            # still be working on it, and another wait of --timeout helps nobody.
            if body or isinstance(exc, httpx.TimeoutException):
                raise error from None
            raise _RetryableFailure(error, None) from None
        try:
            obj: Any = json.loads(body)
        except (ValueError, RecursionError):
            raise MalformedStreamError(
                f"the server's answer is not JSON (content-type {response.headers.get('content-type') or 'missing'})",
                hint="check --base-url points at an OpenAI-compatible API",
            ) from None
        if isinstance(obj, dict):
            raise_for_error_object(obj)
        return events_from_completion(obj)
