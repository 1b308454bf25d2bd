"""The async HTTP client for `POST {base_url}/chat/completions`.

It knows requests, bytes and events, and nothing of terminals: progress it cannot return as
an event (a retry about to happen) is reported through a callback the caller supplies.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from claudechat import __version__
from claudechat.api.chunks import (
    ChunkParser,
    events_from_completion,
    raise_for_error_object,
)
from claudechat.api.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    IncompleteStreamError,
    MalformedStreamError,
    error_from_response,
)
from claudechat.api.events import ChatResult, ResultBuilder, StreamEvent
from claudechat.api.request import ChatRequest
from claudechat.api.sse import ServerSentEvent, SSEDecoder
from claudechat.jsontext import utf8_json

__all__ = ["ChatClient", "RetryNotice", "RETRYABLE_STATUSES"]

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
ERROR_BODY_LIMIT = 64 * 1024
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


def _walk_causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _proxy_for(url: str) -> str | None:
    """The proxy from the environment that a request to `url` goes through, if any."""
    from urllib.request import getproxies_environment, proxy_bypass_environment

    parts = urlsplit(url)
    proxies = getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and not proxy_bypass_environment(parts.hostname or "", proxies):
        return proxy
    return None


def _connection_error(exc: httpx.TransportError, url: str, timeout: float, connect_timeout: float) -> APIError:
    parts = urlsplit(url)
    host = parts.hostname or url
    where = f"{host}:{parts.port}" if parts.port else host
    proxy = _proxy_for(url)
    if proxy and isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.ProxyError):
        proxy_parts = urlsplit(proxy)
        return APIConnectionError(
            f"cannot reach {where} through the proxy {proxy_parts.hostname}:{proxy_parts.port or ''}: {exc}",
            hint="check the HTTPS_PROXY / HTTP_PROXY environment variables",
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return APITimeoutError(
            f"could not connect to {where} within {connect_timeout:g} s",
            hint="check the network and --base-url",
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"the server sent nothing for {timeout:g} s",
            hint="what arrived is shown; raise the limit with --timeout",
        )
    causes = _walk_causes(exc)
    if any(isinstance(cause, ssl.SSLError) for cause in causes) or "SSL" in str(exc) or "CERTIFICATE" in str(exc):
        reason = next((str(c) for c in causes if isinstance(c, ssl.SSLError)), str(exc))
        return APIConnectionError(
            f"secure connection to {where} failed: {reason}",
            hint="check --base-url (http vs https) and the server's certificate",
        )
    if any(isinstance(cause, socket.gaierror) for cause in causes) or any(
        marker in str(exc) for marker in ("Name or service not known", "nodename nor servname", "getaddrinfo", "name resolution")
    ):
        return APIConnectionError(f"cannot resolve host {host!r}", hint="check --base-url and your DNS")
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes) or "refused" in str(exc).lower():
        return APIConnectionError(
            f"connection refused by {where}", hint="is the server running? check --base-url"
        )
    if isinstance(exc, httpx.ConnectError):
        return APIConnectionError(f"cannot connect to {where}: {exc}", hint="check the network and --base-url")
    return APIConnectionError(
        f"the connection to {where} dropped before the answer was finished",
        hint="what arrived is shown; try again",
    )


def _backoff(attempt: int) -> float:
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _too_large(limit: int) -> APIError:
    size = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
    return APIError(
        f"the answer grew past {size} and was stopped",
        hint="what arrived is shown; `claudechat config set max_answer_mb N` raises the limit",
    )


class _StreamReader:
    """Bytes in, events out, for one streamed response; knows when the answer is complete."""

    def __init__(self, max_bytes: int) -> None:
        self._decoder = SSEDecoder()
        self._parser = ChunkParser()
        self._max_bytes = max_bytes
        self.received = 0
        self.done = False  # [DONE] arrived

    def feed(self, piece: bytes) -> tuple[list[StreamEvent], APIError | None]:
        """The events in `piece`, and the error that stopped the answer (after those events)."""
        self.received += len(piece)
        batch, failure = self._parse(self._decoder.feed(piece))
        if failure is None and self.received > self._max_bytes:
            failure = _too_large(self._max_bytes)
        return batch, failure

    @property
    def finished(self) -> bool:
        """A finish reason or [DONE] arrived: the answer is complete."""
        return self._parser.finished or self.done

    def close(self) -> tuple[list[StreamEvent], APIError | None]:
        """At the end of the body: the last events, or why the answer is incomplete."""
        batch, failure = self._parse(self._decoder.close())
        if failure is None and not self.finished:
            failure = IncompleteStreamError(
                "the stream ended before the answer was finished (no finish reason, no [DONE])",
                hint="what arrived is shown; try again",
            )
        return batch, failure

    def _parse(self, events: list[ServerSentEvent]) -> tuple[list[StreamEvent], APIError | None]:
        batch: list[StreamEvent] = []
        for sse in events:
            if sse.data == "[DONE]":
                self.done = True
                break
            try:
                batch += self._parser.parse(sse.data)
            except APIError as error:
                return batch, error
        return batch, None


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
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.retries = retries
        self.max_answer_bytes = max_answer_bytes
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

    async def complete(self, request: ChatRequest) -> ChatResult:
        """Send `request` and return the whole answer (streamed or not, as the request says)."""
        builder = ResultBuilder()
        async for event in self.stream(request):
            builder.add(event)
        return builder.result()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Yield the answer's events as they arrive.

        Raises an `APIError` subclass for every failure; events already yielded stay valid, so
        the caller keeps the text received so far. Closing the iterator (or cancelling the task
        consuming it) closes the connection at once.
        """
        request.validate()
        content = utf8_json(request.to_body())
        accept = "text/event-stream" if request.stream else "application/json"
        attempt = 0
        while True:
            try:
                response = await self._open(content, accept)
            except _RetryableFailure as failure:
                attempt = await self._before_retry(failure, attempt)
                continue
            retry: _RetryableFailure | None = None
            # Everything happens in this one generator: a hop through nested async generators per
            # event costs more than the decoding itself.
            try:
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    for event in await self._events_from_body(response):
                        yield event
                    return
                reader = _StreamReader(self.max_answer_bytes)
                try:
                    async for piece in response.aiter_bytes():
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
                    error = _connection_error(exc, self.url, self.timeout, self.connect_timeout)
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

    async def _open(self, content: bytes, accept: str) -> httpx.Response:
        """Send the request; a response with an error status is read, closed and raised."""
        http_request = self._http.build_request("POST", self.url, content=content, headers={"accept": accept})
        try:
            response = await self._http.send(http_request, stream=True)
        except httpx.TransportError as exc:
            error = _connection_error(exc, self.url, self.timeout, self.connect_timeout)
            if isinstance(exc, httpx.ReadTimeout):
                raise error from None
            raise _RetryableFailure(error, None) from None
        if response.status_code >= 400:
            try:
                raise await self._status_error(response)
            finally:
                await response.aclose()
        return response

    async def _status_error(self, response: httpx.Response) -> Exception:
        body = bytearray()
        try:
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) >= ERROR_BODY_LIMIT:
                    break
        except httpx.TransportError:
            pass  # the status alone still says what happened
        error = error_from_response(response.status_code, response.headers, bytes(body[:ERROR_BODY_LIMIT]))
        if response.status_code in RETRYABLE_STATUSES:
            delay = min(error.retry_after, RETRY_AFTER_CAP) if error.retry_after is not None else None
            return _RetryableFailure(error, delay)
        return error

    async def _events_from_body(self, response: httpx.Response) -> list[StreamEvent]:
        body = bytearray()
        try:
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) > self.max_answer_bytes:
                    raise _too_large(self.max_answer_bytes)
        except httpx.TransportError as exc:
            error = _connection_error(exc, self.url, self.timeout, self.connect_timeout)
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
