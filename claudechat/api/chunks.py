"""Turn one decoded JSON chunk (streamed) or body (non-streamed) into typed events.

Servers that speak "OpenAI-compatible" differ in the details, so nothing here assumes more
than it must: `choices` may be missing, empty or hold several choices; `delta` or `content`
may be null; reasoning may come as `reasoning_content` or `reasoning`; usage may ride on any
chunk. What is not a JSON object is an error, never skipped.
"""

from __future__ import annotations

import json
from typing import Any

from claudechat.api.errors import MalformedStreamError, StreamError
from claudechat.api.events import (
    ContentDelta,
    FinishReason,
    ReasoningDelta,
    ResponseInfo,
    StreamEvent,
    Usage,
    UsageReport,
)
from claudechat.sanitize import one_line

__all__ = ["ChunkParser", "events_from_completion", "raise_for_error_object"]

_REASONING_KEYS = ("reasoning_content", "reasoning")
_loads = json.JSONDecoder().decode


def raise_for_error_object(obj: dict[str, Any]) -> None:
    """An error object where a chunk should be (`{"error": ...}`) ends the answer."""
    error = obj.get("error")
    if error is None and obj.get("success") is not False:
        return
    code = message = None
    if isinstance(error, dict):
        raw_code = error.get("code") or error.get("type")
        code = one_line(str(raw_code), 60) if raw_code is not None else None
        raw_message = error.get("message")
        message = one_line(raw_message) if isinstance(raw_message, str) else None
    elif isinstance(error, str):
        message = one_line(error)
    trace_id = obj.get("trace_id")
    raise StreamError(
        message or "no details given",
        code=code,
        trace_id=one_line(trace_id, 80) if isinstance(trace_id, str) else None,
    )


def _choice_events(choices: list[Any], key: str, events: list[StreamEvent]) -> None:
    for position, choice in enumerate(choices):
        if not isinstance(choice, dict):
            raise MalformedStreamError(
                f"the server sent a choice that is not an object: {one_line(repr(choice), 80)}"
            )
        index = choice.get("index")
        if type(index) is not int or index < 0:
            index = position
        body = choice.get(key)
        if body.__class__ is dict:
            if len(body) > 1 or "content" not in body:
                for reasoning_key in _REASONING_KEYS:
                    reasoning = body.get(reasoning_key)
                    if reasoning and isinstance(reasoning, str):
                        events.append(ReasoningDelta(index, reasoning))
                        break
            content = body.get("content")
            if content and isinstance(content, str):
                events.append(ContentDelta(index, content))
        finish = choice.get("finish_reason")
        if finish and isinstance(finish, str):
            events.append(FinishReason(index, finish))


def _events_from_object(obj: Any, key: str, info_sent: bool) -> tuple[list[StreamEvent], bool]:
    if obj.__class__ is not dict:
        raise MalformedStreamError(f"the server sent a chunk that is not a JSON object: {one_line(repr(obj), 80)}")
    if "error" in obj or obj.get("success") is False:
        raise_for_error_object(obj)
    events: list[StreamEvent] = []
    if not info_sent and ("id" in obj or "model" in obj):
        response_id, model = obj.get("id"), obj.get("model")
        events.append(
            ResponseInfo(
                id=response_id if isinstance(response_id, str) else None,
                model=model if isinstance(model, str) else None,
            )
        )
        info_sent = True
    choices = obj.get("choices")
    if choices.__class__ is list:
        _choice_events(choices, key, events)
    elif choices is not None:
        raise MalformedStreamError("the server sent `choices` that is not a list")
    usage = obj.get("usage")
    if isinstance(usage, dict):
        events.append(UsageReport(Usage.from_dict(usage)))
    return events, info_sent


class ChunkParser:
    """Parse the `data` of each streamed event.

    Remembers whether id/model were reported, and whether any choice has finished (a stream
    that ends without either a finish reason or `[DONE]` is incomplete).
    """

    def __init__(self) -> None:
        self._info_sent = False
        self.finished = False

    def parse(self, data: str) -> list[StreamEvent]:
        try:
            obj = _loads(data)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than json can follow
            raise MalformedStreamError(
                f"the server sent a chunk that is not valid JSON: {one_line(data, 80)!r}",
                hint="what arrived is shown; try again",
            ) from None
        events, self._info_sent = _events_from_object(obj, "delta", self._info_sent)
        if not self.finished:
            self.finished = any(type(event) is FinishReason for event in events)
        return events


def events_from_completion(obj: Any) -> list[StreamEvent]:
    """The events equivalent to a non-streamed completion body."""
    events, _ = _events_from_object(obj, "message", False)
    return events
