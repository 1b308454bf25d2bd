"""A chat session: its messages, request settings, title and spending, and their record form.

Every change is a method here that both updates the session and queues one record saying
what changed (`pending`); the store appends those records to the session's file after each
turn. Replaying a file's records rebuilds the session, so a file is a log, never rewritten:
saving a turn costs the same in a session of 1,000 turns as in one of 2.

Files come from disk and may have been written by anyone: every record is checked, and
anything unexpected is a `SessionError` naming the line, never a crash.

A log's header holds the settings the session started with, and its records every change
since, messages and settings in the order they happened; so replaying it also tells after
which message each change of the system prompt came (`Session.system_changes`), which a
transcript shows where it happened.

Format 2 adds compaction (a summary sent in place of earlier turns, `compact` and
`uncompact` records). A log is written as format 1 until its first compaction, so files
without one stay readable by claudechat versions that know only format 1; an older version
refuses a format 2 file in one line rather than misreading its records.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from claudechat.chat.conversation import Content, Message
from claudechat.errors import ClaudechatError
from claudechat.sanitize import sanitize

if TYPE_CHECKING:
    from claudechat.api import ChatResult
    from claudechat.chat.compaction import Compaction

__all__ = [
    "COMPACTION_OPS",
    "FORMAT",
    "VERSION",
    "Session",
    "SessionError",
    "SessionSettings",
    "SystemChange",
    "UsageEntry",
    "new_session_id",
    "message_to_dict",
]

FORMAT = "claudechat-session"
VERSION = 2  # the newest format this version reads and writes
COMPACTION_OPS = frozenset({"compact", "uncompact"})  # the records format 2 added
TITLE_LENGTH = 60
MAX_TIMESTAMP = 95_617_584_000.0  # the year 5000
MAX_DEPTH = 16  # records nest 6 levels deep; usage objects from servers a few more


class SessionError(ClaudechatError):
    """A session file cannot be read or written; the file is left as it was."""


def new_session_id() -> str:
    return os.urandom(4).hex()  # (secrets would import hashlib and random at start-up: 5 ms)


@dataclass
class SessionSettings:
    """What each request of the session is sent with; changed by /model, /system, /n, ..."""

    model: str
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    n: int = 1
    json: bool = False
    profile: str | None = None  # the config profile (server, token) the session used last
    # The role the settings came from (-r, /role), shown in the toolbar; None when there is none.
    # Older files have no such key and older versions ignore it, so the format stays the same.
    role: str | None = None


@dataclass
class UsageEntry:
    """The tokens one request cost (answers later undone or retried still cost them)."""

    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    time: float = field(default_factory=time.time)


SystemChange = tuple[int, str | None]  # (messages before it, the prompt from then on: None for none)


@dataclass
class Session:
    settings: SessionSettings
    id: str = field(default_factory=new_session_id)
    created: float = field(default_factory=time.time)
    title: str | None = None
    messages: list[Message] = field(default_factory=list)
    usage: list[UsageEntry] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list, repr=False)
    # Where the system prompt changed: each (message count, prompt) in order, a position at most
    # once, none that changes nothing. The prompt a session starts with is the change at 0.
    system_changes: list[SystemChange] = field(default_factory=list)
    # Summaries standing in for earlier messages in requests, oldest first; the last one whose
    # messages are all still there is the one sent (/compact).
    compactions: list[Compaction] = field(default_factory=list)
    # The settings when the session was made: its log's header, which the records then replay.
    _start: SessionSettings = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._start = SessionSettings(**asdict(self.settings))
        if not self.system_changes:
            self.system_changes = _merged([(0, self.settings.system)])

    # --- reading ---------------------------------------------------------------------

    @property
    def turns(self) -> int:
        return sum(1 for message in self.messages if message.role == "user")

    def answers(self) -> list[Message]:
        """Assistant messages, oldest first."""
        return [message for message in self.messages if message.role == "assistant"]

    def last_user_message(self) -> Message | None:
        for message in reversed(self.messages):
            if message.role == "user":
                return message
        return None

    def compaction(self, end: int | None = None) -> Compaction | None:
        """The summary a request with the first `end` messages (all by default) sends, if any."""
        end = len(self.messages) if end is None else end
        for compaction in reversed(self.compactions):
            if compaction.covers <= end:
                return compaction
        return None

    def request_messages(self, new: Content | None = None, *, drop_last: int = 0) -> list[dict[str, Any]]:
        """System prompt, history (less its last `drop_last` messages), then the new message.

        After a compaction the summary goes with the system prompt, in place of the messages
        it covers.
        """
        end = len(self.messages) - drop_last
        system = self.settings.system
        history = self.messages[:end]
        compaction = self.compaction(end)
        if compaction is not None:
            from claudechat.chat.compaction import system_with_summary  # (not at start-up: few sessions compact)

            system = system_with_summary(system, compaction.summary)
            history = self.messages[compaction.covers:end]
        messages = [{"role": "system", "content": system}] if system else []
        messages += [message.to_api() for message in history]
        if new is not None:
            messages.append({"role": "user", "content": new})
        return messages

    def format_version(self) -> int:
        """The log format the session needs: 2 once it holds a compaction, else 1."""
        if self.compactions or any(record.get("op") in COMPACTION_OPS for record in self.pending):
            return 2
        return 1

    def header(self, settings: SessionSettings | None = None) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.format_version(),
            "id": self.id,
            "created": self.created,
            "title": self.title,
            "settings": asdict(self.settings if settings is None else settings),
        }

    def log_header(self) -> dict[str, Any]:
        """The first line of a new log: the settings the session started with.

        Every change since is a pending record, so the log replays the settings as they are
        now, and knows after which message each change came.
        """
        return self.header(self._start)

    def to_document(self) -> dict[str, Any]:
        """The whole session as one JSON document (what `/save x.json` writes)."""
        document = {
            **self.header(),
            "messages": [message_to_dict(message) for message in self.messages],
            "usage": [asdict(entry) for entry in self.usage],
            "system_changes": [list(change) for change in self.system_changes],
        }
        if self.compactions:
            document["compactions"] = [compaction.to_record() for compaction in self.compactions]
        return document

    # --- changing (each change queues the record that replays it) ------------------------

    def add_turn(self, user: Message, answer: Message) -> None:
        self._replace(len(self.messages), [user, answer])
        if self.title is None:
            self.rename(default_title(user))

    def replace_answer(self, answer: Message) -> None:
        """The last answer becomes `answer` (/pick)."""
        if not self.messages:
            raise ValueError("there is no answer to replace")
        self._replace(len(self.messages) - 1, [answer])

    def replace_turn(self, user: Message, answer: Message) -> None:
        """The last exchange becomes this one (/edit, /retry)."""
        if len(self.messages) < 2:
            raise ValueError("there is no exchange to replace")
        self._replace(len(self.messages) - 2, [user, answer])

    def undo(self) -> None:
        """Drop the last exchange."""
        self._replace(max(0, len(self.messages) - 2), [])

    def compact(self, compaction: Compaction) -> None:
        """From now on `compaction`'s summary is sent in place of the messages it covers."""
        if not 0 < compaction.covers <= len(self.messages):
            raise ValueError("a compaction covers messages the session has")
        if self.compactions and compaction.covers <= self.compactions[-1].covers:
            raise ValueError("a compaction covers more than the one before it")
        self.compactions.append(compaction)
        self.pending.append({"op": "compact", **compaction.to_record()})

    def uncompact(self) -> Compaction:
        """Undo the last compaction: the messages it covers are sent again."""
        if not self.compactions:
            raise ValueError("there is no compaction to undo")
        self.pending.append({"op": "uncompact"})
        return self.compactions.pop()

    def _replace(self, keep: int, add: list[Message]) -> None:
        self._set_messages(keep, add)
        record: dict[str, Any] = {"op": "messages", "keep": keep}
        if add:
            record["add"] = [message_to_dict(message) for message in add]
        self.pending.append(record)

    def _set_messages(self, keep: int, add: list[Message]) -> None:
        """Keep the first `keep` messages, then `add`; for a change and its replay alike.

        A system prompt change after the messages dropped moves back to `keep`: an undone
        exchange takes it back to where the conversation now ends, a retried one was asked
        with it. When only an answer is replaced (/pick), the change stays after that answer.
        """
        del self.messages[keep:]
        self.messages += add
        # A summary of messages that were replaced or dropped no longer says what they said.
        while self.compactions and self.compactions[-1].covers > keep:
            self.compactions.pop()
        if self.system_changes and self.system_changes[-1][0] > keep:
            at = keep
            if at < len(self.messages) and self.messages[at].role == "assistant":
                at += 1  # never between a question and its answer
            self.system_changes = _merged([(min(position, at), prompt) for position, prompt in self.system_changes])

    def _set_system(self, prompt: str | None) -> None:
        """The system prompt changes after the messages there are now."""
        self.system_changes = _merged([*self.system_changes, (len(self.messages), prompt)])

    def rename(self, title: str) -> None:
        self.title = title
        self.pending.append({"op": "title", "title": title})

    def change_settings(self, **changes: Any) -> None:
        from claudechat.models import is_model_id

        unknown = set(changes) - set(_SETTING_TYPES)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        if "model" in changes and not is_model_id(changes["model"]):
            raise ValueError(f"not a model id: {changes['model']!r}")  # the file could not be read back
        for key, value in changes.items():
            setattr(self.settings, key, value)
        if "system" in changes:
            self._set_system(changes["system"])
        self.pending.append({"op": "settings", "settings": changes})

    def record_result(self, result: ChatResult, model: str) -> None:
        """The tokens a request cost, when the server said (kept even if the answer is not).

        A request stopped before the server said counts too, with the tokens it cost unknown.
        """
        usage = result.usage
        if usage is None and not result.interrupted:
            return
        self.record_usage(
            UsageEntry(
                model=sanitize(result.model) if result.model else model,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                cached_tokens=usage.cached_tokens if usage else 0,
            )
        )

    def record_usage(self, entry: UsageEntry) -> None:
        self.usage.append(entry)
        self.pending.append({"op": "usage", **asdict(entry)})

    def copy(self) -> Session:
        """A new session with this one's history and settings, all queued for its own file.

        The messages are queued in pieces with the system prompt changes between them, so
        the copy knows where each happened too.
        """
        settings = SessionSettings(**asdict(self.settings))
        first = self.system_changes[0] if self.system_changes else (0, None)
        settings.system = first[1] if first[0] == 0 else None
        twin = Session(settings=settings, title=self.title, created=self.created)
        done = 0
        for position, prompt in self.system_changes:
            if position > 0:
                twin._replace(done, self.messages[done:position])
                done = position
                twin.change_settings(system=prompt)
        if done == 0 or done < len(self.messages):
            twin._replace(done, self.messages[done:])
        if twin.settings.system != self.settings.system:  # "" where the changes say None
            twin.change_settings(system=self.settings.system)
        for entry in self.usage:
            twin.record_usage(UsageEntry(**asdict(entry)))
        for compaction in self.compactions:
            twin.compact(type(compaction)(**asdict(compaction)))
        return twin


def _merged(changes: list[tuple[int, str | None]]) -> list[SystemChange]:
    """Changes in order with the last one at each position kept, and those that change nothing dropped."""
    merged: list[SystemChange] = []
    for position, prompt in changes:
        prompt = prompt or None  # an empty prompt is no prompt: none is sent
        if merged and merged[-1][0] == position:
            merged.pop()
        if prompt != (merged[-1][1] if merged else None):
            merged.append((position, prompt))
    return merged


def default_title(message: Message) -> str:
    from claudechat.sanitize import one_line

    words = " ".join(message.text.split())
    if not words:
        return "image" if not isinstance(message.content, str) else "untitled"
    return one_line(words, TITLE_LENGTH)


# --- records -------------------------------------------------------------------------------

_SETTING_TYPES: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "system": (str,),
    "temperature": (int, float),
    "max_tokens": (int,),
    "n": (int,),
    "json": (bool,),
    "profile": (str,),
    "role": (str,),
}



def message_to_dict(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.role, "content": message.content, "created": message.created}
    if message.reasoning:
        data["reasoning"] = message.reasoning
    if message.model is not None:
        data["model"] = message.model
    if message.usage is not None:
        data["usage"] = message.usage
    if message.interrupted:
        data["interrupted"] = True
    if message.candidates:
        data["candidates"] = [asdict(candidate) for candidate in message.candidates]
        data["picked"] = message.picked
    return data
