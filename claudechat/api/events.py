"""Typed events decoded from a chat completion, and the result they add up to.

Events are plain slotted dataclasses rather than frozen ones: a long answer creates one per
delta and a frozen dataclass costs three times as much to build.

A streamed answer and a non-streamed one produce the same `ChatResult`, so every consumer
(one-shot output, the REPL, transcripts) handles both the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

__all__ = [
    "ResponseInfo",
    "ContentDelta",
    "ReasoningDelta",
    "RefusalDelta",
    "FinishReason",
    "UsageReport",
    "StreamEvent",
    "Usage",
    "Choice",
    "ChatResult",
    "ResultBuilder",
]


@dataclass(slots=True)
class ResponseInfo:
    """The response's id and model, sent once when first seen."""

    id: str | None
    model: str | None


@dataclass(slots=True)
class ContentDelta:
    index: int
    text: str


@dataclass(slots=True)
class ReasoningDelta:
    index: int
    text: str


@dataclass(slots=True)
class RefusalDelta:
    """Text of a refusal (OpenAI's `refusal`): the model declined, and says why."""

    index: int
    text: str


@dataclass(slots=True)
class FinishReason:
    index: int
    reason: str


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _nested_int(raw: dict[str, Any], outer: str, inner: str) -> int:
    details = raw.get(outer)
    return _int(details.get(inner)) if isinstance(details, dict) else 0


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts. `raw` keeps every field exactly as the server sent it."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Usage:
        prompt = _int(raw.get("prompt_tokens")) or _int(raw.get("input_tokens"))
        completion = _int(raw.get("completion_tokens")) or _int(raw.get("output_tokens"))
        # Tokens written to the prompt cache come split by how long they stay (5 minutes, 1
        # hour), or as one aggregate; the larger is the count, so none is counted twice.
        split = _int(raw.get("claude_cache_creation_5_m_tokens")) + _int(raw.get("claude_cache_creation_1_h_tokens"))
        return cls(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=_int(raw.get("total_tokens")) or prompt + completion,
            cached_tokens=_nested_int(raw, "prompt_tokens_details", "cached_tokens"),
            cache_creation_tokens=max(split, _int(raw.get("claude_cache_creation_input_tokens"))),
            reasoning_tokens=_nested_int(raw, "completion_tokens_details", "reasoning_tokens"),
            raw=raw,
        )

    def to_dict(self) -> dict[str, Any]:
        """The server's fields, with the three totals always present."""
        return {
            **self.raw,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(slots=True)
class UsageReport:
    usage: Usage


StreamEvent = Union[ResponseInfo, ContentDelta, ReasoningDelta, RefusalDelta, FinishReason, UsageReport]


@dataclass(slots=True)
class Choice:
    index: int
    content: str = ""
    reasoning: str = ""
    finish_reason: str | None = None
    refusal: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "content": self.content,
            "reasoning": self.reasoning,
            "refusal": self.refusal,
            "finish_reason": self.finish_reason,
        }


@dataclass(slots=True)
class ChatResult:
    """One answer: every choice, the usage, and how it ended."""

    id: str | None = None
    model: str | None = None
    choices: list[Choice] = field(default_factory=list)
    usage: Usage | None = None
    incomplete: bool = False
    interrupted: bool = False

    def _first(self) -> Choice:
        return self.choices[0] if self.choices else Choice(index=0)

    @property
    def content(self) -> str:
        return self._first().content

    @property
    def reasoning(self) -> str:
        return self._first().reasoning

    @property
    def finish_reason(self) -> str | None:
        return self._first().finish_reason

    @property
    def refusal(self) -> str:
        return self._first().refusal


class ResultBuilder:
    """Fold stream events into a `ChatResult`; text is joined once, so cost stays linear."""

    def __init__(self) -> None:
        self.id: str | None = None
        self.model: str | None = None
        self.usage: Usage | None = None
        self._content: dict[int, list[str]] = {}
        self._reasoning: dict[int, list[str]] = {}
        self._refusal: dict[int, list[str]] = {}
        self._finish: dict[int, str] = {}
        self.started = False  # any event of the answer arrived

    def add(self, event: StreamEvent) -> None:
        self.started = True
        kind = type(event)
        if kind is ContentDelta:
            self._content.setdefault(event.index, []).append(event.text)  # type: ignore[union-attr]
        elif kind is ReasoningDelta:
            self._reasoning.setdefault(event.index, []).append(event.text)  # type: ignore[union-attr]
        elif kind is RefusalDelta:
            self._refusal.setdefault(event.index, []).append(event.text)  # type: ignore[union-attr]
        elif kind is FinishReason:
            self._finish[event.index] = event.reason  # type: ignore[union-attr]
        elif kind is UsageReport:
            self.usage = event.usage  # type: ignore[union-attr]
        elif kind is ResponseInfo:
            self.id = self.id or event.id  # type: ignore[union-attr]
            self.model = self.model or event.model  # type: ignore[union-attr]

    def result(self, *, error: Exception | None = None, interrupted: bool = False) -> ChatResult:
        """The result so far; text is joined here, with surrogate halves paired up.

        `error`: what ended the answer early. The answer is incomplete when some of it had
        come (a dropped connection, an error inside the stream) or the stream ended short.
        """
        from claudechat.api.errors import IncompleteStreamError

        indexes = sorted({0, *self._content, *self._reasoning, *self._refusal, *self._finish})
        choices = [
            Choice(
                index=index,
                content=_paired("".join(self._content.get(index, ()))),
                reasoning=_paired("".join(self._reasoning.get(index, ()))),
                finish_reason=self._finish.get(index),
                refusal=_paired("".join(self._refusal.get(index, ()))),
            )
            for index in indexes
        ]
        incomplete = error is not None and (self.started or isinstance(error, IncompleteStreamError))
        return ChatResult(
            id=self.id,
            model=self.model,
            choices=choices,
            usage=self.usage,
            incomplete=incomplete,
            interrupted=interrupted,
        )


def _paired(text: str) -> str:
    """`text` with surrogate halves made whole characters, and any half left alone made U+FFFD.

    A server may escape a character outside the BMP as two halves (`\\ud83d\\ude00`), and split them
    across two chunks; each chunk then decodes to half a character.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text
