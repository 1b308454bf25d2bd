"""The conversation: what was said, by whom, with which model; what is sent each turn.

A turn enters the history only once it has an answer (complete, or interrupted with some
text), so a failed request leaves the history exactly as it was. Reasoning is kept with the
answer it led to but never sent back to the API.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Message", "Conversation", "text_of"]


def text_of(content: str | list[dict[str, Any]]) -> str:
    """The text of a message's content, with its image parts left out."""
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if part.get("type") == "text")


@dataclass
class Message:
    role: str
    content: str | list[dict[str, Any]]
    reasoning: str = ""
    model: str | None = None
    usage: dict[str, Any] | None = None
    created: float = field(default_factory=time.time)
    interrupted: bool = False

    def to_api(self) -> dict[str, Any]:
        return {"role": self.role, "content": self.content}


@dataclass
class Conversation:
    system: str | None = None
    messages: list[Message] = field(default_factory=list)

    def request_messages(self, new_user_content: str | list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """The messages for the next request: system prompt, history, then the new message."""
        messages = [{"role": "system", "content": self.system}] if self.system else []
        messages += [message.to_api() for message in self.messages]
        if new_user_content is not None:
            messages.append({"role": "user", "content": new_user_content})
        return messages

    def add_turn(self, user: Message, answer: Message) -> None:
        self.messages += [user, answer]

    def answers(self) -> list[Message]:
        """Assistant messages, oldest first."""
        return [message for message in self.messages if message.role == "assistant"]
