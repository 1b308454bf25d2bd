"""Messages: what was said, by whom, with which model, and how they go to the API.

Reasoning, usage, times and file names are kept with a message for the user (transcripts,
/think, /usage) but never sent back to the API.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from claudechat.sanitize import sanitize

if TYPE_CHECKING:
    from claudechat.api import ChatResult

__all__ = ["Message", "Candidate", "text_of", "image_names", "attachment_labels", "Content", "answer_from_result"]

Content = str | list[dict[str, Any]]


def text_of(content: Content) -> str:
    """The text the user wrote: image parts and attached text (files, command output) left out."""
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content if part.get("type") == "text" and "attachment" not in part)


def image_names(content: Content) -> list[str]:
    """The names (file or URL as the user gave it) of a message's images."""
    if isinstance(content, str):
        return []
    return [part.get("name") or "image" for part in content if part.get("type") == "image_url"]


def attachment_labels(content: Content) -> list[str]:
    """What went with a message, one label each: `image: a.png`, `file: src/x.py`, ..."""
    from claudechat.chat.attachments import attachment_from_part

    if isinstance(content, str):
        return []
    found = (attachment_from_part(part) for part in content)
    return [attachment.label for attachment in found if attachment is not None]


_OURS = ("name", "attachment")  # kept for lists and transcripts, never sent


def _api_content(content: Content) -> Content:
    if isinstance(content, str):
        return content
    return [{key: value for key, value in part.items() if key not in _OURS} for part in content]


@dataclass
class Candidate:
    """One of several answers asked for at once (n > 1)."""

    content: str
    reasoning: str = ""
    finish_reason: str | None = None


@dataclass
class Message:
    role: str
    content: Content
    reasoning: str = ""
    model: str | None = None
    usage: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    interrupted: bool = False
    candidates: list[Candidate] = field(default_factory=list)  # all answers when n > 1
    picked: int = 0  # which candidate this message holds

    @property
    def text(self) -> str:
        return text_of(self.content)

    def to_api(self) -> dict[str, Any]:
        return {"role": self.role, "content": _api_content(self.content)}


def answer_from_result(result: ChatResult, model: str, *, interrupted: bool = False) -> Message:
    """The answer as stored: what the model sent, its control characters made visible.

    With several choices, all of them are kept as candidates and the first is the answer.
    """
    candidates = []
    if len(result.choices) > 1:
        candidates = [
            Candidate(sanitize(choice.content), sanitize(choice.reasoning), choice.finish_reason)
            for choice in result.choices
        ]
    return Message(
        "assistant",
        sanitize(result.content or result.refusal),  # a refusal is what the model answered
        reasoning=sanitize(result.reasoning),
        model=sanitize(result.model) if result.model else model,
        usage=result.usage.to_dict() if result.usage else None,
        interrupted=interrupted,
        candidates=candidates,
    )
