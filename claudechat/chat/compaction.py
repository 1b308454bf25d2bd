"""Compaction: a summary the model writes of the conversation so far, sent in place of the turns
it covers (/compact, `auto_compact`).

The summary goes to the model inside the system message, after the system prompt if there is
one. Not as a message of its own: servers differ in what they accept there (two user messages
in a row, a second system message, an assistant message first), while every one of them takes
a system message at the start. The turns it covers stay in the session and its transcripts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Compaction", "SUMMARY_HEADING", "summary_request", "system_with_summary"]

SUMMARY_HEADING = (
    "The earlier part of this conversation was summarised to save room in the context window. "
    "Continue from this summary of it as if the whole conversation were still here:"
)

_SUMMARY_PROMPT = (
    "Summarise our conversation so far, so that it can go on from your summary alone, without "
    "the messages themselves. Keep what is still needed: what I want and asked for, the decisions "
    "and conclusions reached, facts, names, numbers, file names, and code or text that is still "
    "being worked on (verbatim where details matter), and what is open or comes next. Leave out "
    "what no longer matters. Write it as compact notes under short headings, in the language of "
    "the conversation. Do not answer anything new and do not address me; write only the summary."
)


@dataclass
class Compaction:
    """A summary standing in for the first `covers` messages of the session in requests."""

    covers: int  # messages it replaces: those before this position
    summary: str
    created: float = field(default_factory=time.time)
    model: str | None = None  # which model wrote it
    tokens: int | None = None  # its length as the server counted it (the request's completion tokens)
    instructions: str | None = None  # what the user asked it to focus on (/compact INSTRUCTIONS)

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"covers": self.covers, "summary": self.summary, "created": self.created}
        for key in ("model", "tokens", "instructions"):
            if getattr(self, key) is not None:
                record[key] = getattr(self, key)
        return record


def summary_request(instructions: str | None = None) -> str:
    """The message that asks for a summary; the user's instructions steer it."""
    if instructions and instructions.strip():
        return f"{_SUMMARY_PROMPT}\n\nIn particular: {instructions.strip()}"
    return _SUMMARY_PROMPT


def system_with_summary(system: str | None, summary: str) -> str:
    """The system message's content when a summary stands in for earlier turns."""
    block = f"{SUMMARY_HEADING}\n\n<summary>\n{summary.strip()}\n</summary>"
    return f"{system.rstrip()}\n\n{block}" if system else block
