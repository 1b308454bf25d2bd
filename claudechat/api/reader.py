"""One streamed answer's body: bytes in as they arrive, events out, and how the answer ended.

The event stream is decoded by the WHATWG rules (`sse`), each event's data by `chunks`. Beyond
that, what servers do at the edges: `[DONE]`, an event named `error`, an error reported inside
a chunk (whose other contents still count), a body that is one bare JSON object instead of
events (an error, or the whole answer), and an answer that grows past its bound.
"""

from __future__ import annotations

import json
from typing import Any

from claudechat.api.chunks import ChunkParser, events_from_completion, raise_for_error_object
from claudechat.api.errors import (
    APIError,
    IncompleteStreamError,
    StreamError,
    error_details,
)
from claudechat.api.events import StreamEvent
from claudechat.api.sse import ServerSentEvent, SSEDecoder
from claudechat.sanitize import one_line

__all__ = ["StreamReader", "answer_too_large", "ERROR_BODY_LIMIT"]

ERROR_BODY_LIMIT = 64 * 1024  # what is read of an error body, or kept of a stream's start


def answer_too_large(limit: int) -> APIError:
    size = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
    return APIError(
        f"the answer grew past {size} and was stopped",
        hint="what arrived is shown; `claudechat config set max_answer_mb N` raises the limit",
    )


def _error_event(data: str) -> StreamError:
    """An SSE event named `error`: its data is an error object, or the error's words."""
    try:
        body: Any = json.loads(data)
    except (ValueError, RecursionError):
        body = data
    details = error_details(body)
    return StreamError(
        details.message or one_line(data) or "no details given", code=details.code, trace_id=details.trace_id
    )


class StreamReader:
    """Bytes in, events out, for one streamed response; knows when the answer is complete."""

    def __init__(self, max_bytes: int) -> None:
        self._decoder = SSEDecoder()
        self._parser = ChunkParser()
        self._max_bytes = max_bytes
        self.received = 0
        self.done = False  # [DONE] arrived
        # The body's start, kept until an event arrives: a server that answers a stream with a
        # bare JSON object (an error, or the whole answer) sends no events at all.
        self._head: bytearray | None = bytearray()

    def feed(self, piece: bytes) -> tuple[list[StreamEvent], APIError | None]:
        """The events in `piece`, and the error that stopped the answer (after those events)."""
        self.received += len(piece)
        if self._head is not None and len(self._head) < ERROR_BODY_LIMIT:
            self._head += piece[: ERROR_BODY_LIMIT - len(self._head)]
        batch, failure = self._parse(self._decoder.feed(piece))
        if failure is None and self.received > self._max_bytes:
            failure = answer_too_large(self._max_bytes)
        return batch, failure

    @property
    def finished(self) -> bool:
        """A finish reason or [DONE] arrived: the answer is complete."""
        return self._parser.finished or self.done

    def close(self) -> tuple[list[StreamEvent], APIError | None]:
        """At the end of the body: the last events, or why the answer is incomplete."""
        batch, failure = self._parse(self._decoder.close())
        if failure is None and not batch and self._head:
            batch, failure = self._unframed(bytes(self._head))
        if failure is None and not self.finished:
            failure = IncompleteStreamError(
                "the stream ended before the answer was finished (no finish reason, no [DONE])",
                hint="what arrived is shown; try again",
            )
        return batch, failure

    def _unframed(self, head: bytes) -> tuple[list[StreamEvent], APIError | None]:
        """A body with no events that is one JSON object: the answer whole, or an error."""
        try:
            obj = json.loads(head)
        except (ValueError, RecursionError):
            return [], None
        if not isinstance(obj, dict):
            return [], None
        try:
            raise_for_error_object(obj)
            events = events_from_completion(obj)
        except APIError as error:
            return [], error
        self.done = True
        return events, None

    def _parse(self, events: list[ServerSentEvent]) -> tuple[list[StreamEvent], APIError | None]:
        batch: list[StreamEvent] = []
        if events:
            self._head = None
        for sse in events:
            if sse.data == "[DONE]":
                self.done = True
                break
            if sse.event == "error":
                return batch, _error_event(sse.data)
            try:
                batch += self._parser.parse(sse.data)
            except StreamError as error:
                return batch + error.events, error
            except APIError as error:
                return batch, error
        return batch, None
