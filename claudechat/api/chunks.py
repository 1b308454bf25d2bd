"""Turn one decoded JSON chunk (streamed) or body (non-streamed) into typed events.

Servers that speak "OpenAI-compatible" differ in the details, so nothing here assumes more
than it must: `choices` may be missing, null, empty or hold several choices; `delta` or
`content` may be null; content may be a string or a list of parts (Mistral's thinking and
text parts); reasoning may come as `reasoning_content`, `reasoning` or OpenRouter's
`reasoning_details`; a refusal comes as `refusal`; usage may ride on any chunk, at the top
level or in Groq's `x_groq`. An error may arrive in any of the shapes
`error_details` knows, alone or on a chunk that also carries choices. What is not a JSON
object is an error, never skipped.
"""

from __future__ import annotations

import json
from typing import Any

from claudechat.api.errors import MalformedStreamError, StreamError, error_details, is_error_object
from claudechat.api.events import (
    ContentDelta,
    FinishReason,
    ReasoningDelta,
    RefusalDelta,
    ResponseInfo,
    StreamEvent,
    Usage,
    UsageReport,
)
from claudechat.sanitize import one_line

__all__ = ["ChunkParser", "events_from_completion", "raise_for_error_object"]

_REASONING_KEYS = ("reasoning_content", "reasoning")
_REASONING_PART_TYPES = frozenset({"thinking", "reasoning", "reasoning.text", "reasoning.summary"})
# What a well-formed chunk's `object` says; anything else is looked at as a possible error.
_ANSWER_OBJECTS = frozenset({"chat.completion.chunk", "chat.completion"})
_loads = json.JSONDecoder().decode


def _stream_error(obj: dict[str, Any], events: list[StreamEvent]) -> StreamError:
    details = error_details(obj)
    return StreamError(details.message or "no details given", code=details.code, trace_id=details.trace_id,
                       events=events)


def raise_for_error_object(obj: dict[str, Any]) -> None:
    """An error object where a chunk or an answer should be ends the answer."""
    if is_error_object(obj):
        raise _stream_error(obj, [])


def _part_text(part: Any, depth: int = 0) -> str:
    """The text of a thinking part, whose own `thinking` may be a string or a list of parts."""
    if isinstance(part, str):
        return part
    if depth > 3 or not isinstance(part, (dict, list)):
        return ""
    if isinstance(part, list):
        return "".join(_part_text(item, depth + 1) for item in part)
    for key in ("text", "thinking", "reasoning", "summary"):
        value = part.get(key)
        if isinstance(value, (str, list)):
            return _part_text(value, depth + 1)
    return ""


def _content_parts(index: int, parts: list[Any], events: list[StreamEvent]) -> None:
    """Content given as a list: text parts are the answer, thinking parts its reasoning."""
    for part in parts:
        if isinstance(part, str):
            text, kind = part, "text"
        elif isinstance(part, dict):
            kind = part.get("type")
            text = part.get("text") if kind == "text" else _part_text(part) if kind in _REASONING_PART_TYPES else ""
        else:
            continue
        if text and isinstance(text, str):
            events.append(ContentDelta(index, text) if kind == "text" else ReasoningDelta(index, text))


def _reasoning_details(index: int, details: Any, events: list[StreamEvent]) -> None:
    """OpenRouter's list of reasoning entries, used when no reasoning string came with them."""
    if not isinstance(details, list):
        return
    text = "".join(_part_text(item) for item in details if isinstance(item, dict) and item.get("type") in _REASONING_PART_TYPES)
    if text:
        events.append(ReasoningDelta(index, text))


def _choice_events(choices: list[Any], key: str, events: list[StreamEvent]) -> bool:
    """Append the events of each choice; whether one finished with the reason "error"."""
    failed = False
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
                else:
                    _reasoning_details(index, body.get("reasoning_details"), events)
                refusal = body.get("refusal")
                if refusal and isinstance(refusal, str):
                    events.append(RefusalDelta(index, refusal))
            content = body.get("content")
            if content and isinstance(content, str):
                events.append(ContentDelta(index, content))
            elif content.__class__ is list:
                _content_parts(index, content, events)
        finish = choice.get("finish_reason")
        if finish and isinstance(finish, str):
            events.append(FinishReason(index, finish))
            failed = failed or finish == "error"
    return failed


def _events_from_object(obj: Any, key: str, info_sent: bool) -> tuple[list[StreamEvent], bool]:
    if obj.__class__ is not dict:
        raise MalformedStreamError(f"the server sent a chunk that is not a JSON object: {one_line(repr(obj), 80)}")
    # This runs for every chunk: the common one is told apart from an error by membership
    # tests alone, and only something unusual is looked at closely.
    kind = obj.get("object")
    failed = (
        "error" in obj or "success" in obj or "x_groq" in obj or "type" in obj
        or kind.__class__ is not str or kind not in _ANSWER_OBJECTS
    ) and is_error_object(obj)
    events: list[StreamEvent] = []
    if not info_sent and ("id" in obj or "model" in obj) and not failed:
        response_id, model = obj.get("id"), obj.get("model")
        events.append(
            ResponseInfo(
                id=response_id if isinstance(response_id, str) and response_id else None,
                model=model if isinstance(model, str) and model else None,
            )
        )
        info_sent = True
    choices = obj.get("choices")
    finished_with_error = False
    if choices.__class__ is list:
        finished_with_error = _choice_events(choices, key, events)
    elif choices is not None and not failed:
        raise MalformedStreamError("the server sent `choices` that is not a list")
    usage = obj.get("usage")
    if usage.__class__ is not dict and "x_groq" in obj:
        groq = obj["x_groq"]
        usage = groq.get("usage") if isinstance(groq, dict) else None  # Groq's place for it
    if usage.__class__ is dict:
        events.append(UsageReport(Usage.from_dict(usage)))
    if failed:
        raise _stream_error(obj, events)
    if finished_with_error:
        # Mistral and Together list it among their finish reasons: the answer failed.
        raise StreamError("the answer ended with finish reason \"error\" and no details", events=events)
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
