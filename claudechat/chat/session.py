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

Format 3 adds branches: `branch` starts a new line of the conversation from an earlier point
of the one in use, which is kept whole, and `switch` changes the line in use. A log meets
format 3 at its first branch, and says so by appending a `format` record before it rather
than by rewriting its header: older versions stop at that record with one line.
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
    "BRANCH_OPS",
    "COMPACTION_OPS",
    "FORMAT",
    "VERSION",
    "Branch",
    "Session",
    "SessionError",
    "SessionSettings",
    "SystemChange",
    "UsageEntry",
    "new_session_id",
    "message_to_dict",
]

FORMAT = "claudechat-session"
VERSION = 3  # the newest format this version reads and writes
COMPACTION_OPS = frozenset({"compact", "uncompact"})  # the records format 2 added
BRANCH_OPS = frozenset({"branch", "switch"})  # the records format 3 added
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
    cached_tokens: int = 0  # of the prompt, read from the prompt cache
    time: float = field(default_factory=time.time)
    cache_creation_tokens: int = 0  # of the prompt, written to the prompt cache


SystemChange = tuple[int, str | None]  # (messages before it, the prompt from then on: None for none)


@dataclass
class Branch:
    """One line of a conversation: where it leaves its parent, and what it holds.

    The line in use lives in the session's own `messages`, `compactions` and `system_changes`;
    the others are kept here as they were when left.
    """

    parent: int | None  # the line it left from; None for the first
    fork: int  # how many of the parent's messages it started with
    created: float
    messages: list[Message] = field(default_factory=list)
    compactions: list[Compaction] = field(default_factory=list)
    system_changes: list[SystemChange] = field(default_factory=list)

    @property
    def turns(self) -> int:
        return sum(1 for message in self.messages if message.role == "user")


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
    # Every line of the conversation once it has more than one (/rewind), and which is in use.
    branches: list[Branch] = field(default_factory=list)
    branch: int = 0
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

    def turns_before(self, position: int) -> int:
        """How many of the user's messages come before message `position`."""
        return sum(1 for message in self.messages[:position] if message.role == "user")

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
        """The log format the session needs: 3 once it has branches, 2 with a compaction, else 1."""
        if self.branches:  # (a branch or switch record is never pending without one)
            return 3
        if self.compactions or any(record.get("op") in COMPACTION_OPS for record in self.pending):
            return 2
        return 1

    def branch_view(self, index: int) -> Session:
        """The session seen through line `index` of `lines()`, for writing it out: not to change."""
        import copy

        line = self.lines()[index]
        view = copy.copy(self)
        view.messages, view.compactions, view.system_changes = line.messages, line.compactions, line.system_changes
        view.branch = index
        return view

    def shared_start(self, index: int) -> int:
        """How many messages, in whole turns, line `index` begins with as the line in use does:
        where writing it after the line in use starts."""
        other = self.lines()[index].messages
        shared = 0
        for mine, theirs in zip(self.messages, other):
            if mine != theirs:
                break
            shared += 1
        while shared and shared < len(other) and other[shared].role != "user":
            shared -= 1  # an answer is written with its question
        return shared

    def lines(self) -> list[Branch]:
        """Every line of the conversation, the one in use as it is now ([] while there is one)."""
        if self.branches:
            self._stash()
        return self.branches

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
        if self.branches:
            document["branch"] = self.branch
            document["branches"] = [_branch_to_dict(line) for line in self.lines()]
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

    def branch_from(self, keep: int) -> None:
        """Go on in a new line holding the first `keep` messages of this one, which is kept."""
        if not 0 <= keep <= len(self.messages):
            raise ValueError("a branch leaves from a point of the conversation")
        created = time.time()
        self._branch_from(keep, created)
        self.pending.append({"op": "branch", "keep": keep, "created": created})

    def switch_branch(self, index: int) -> None:
        """Make line `index` (of `lines()`) the one in use."""
        if not 0 <= index < len(self.branches) or index == self.branch:
            raise ValueError("no such other branch")
        self._switch_branch(index)
        self.pending.append({"op": "switch", "to": index})

    def _branch_from(self, keep: int, created: float, fork: int | None = None) -> None:
        """`branch_from`, or its replay; `fork` is where the new line said it left when that was
        further than its parent now reaches (a compacted log's: the parent was cut back since)."""
        if not self.branches:
            self.branches.append(Branch(parent=None, fork=0, created=self.created))
        self._stash()
        self.branches.append(Branch(parent=self.branch, fork=keep if fork is None else fork, created=created))
        self.branch = len(self.branches) - 1
        # Copies: the line left keeps its own, and the new one is cut back to `keep`.
        self.messages = list(self.messages)
        self.compactions = list(self.compactions)
        self.system_changes = list(self.system_changes)
        self._set_messages(keep, [])

    def _switch_branch(self, index: int) -> None:
        self._stash()
        line = self.branches[index]
        self.branch = index
        self.messages, self.compactions, self.system_changes = line.messages, line.compactions, line.system_changes
        # The system prompt is the line's: the one it says was in use where it ends.
        self.settings.system = self.system_changes[-1][1] if self.system_changes else None

    def _stash(self) -> None:
        line = self.branches[self.branch]
        line.messages, line.compactions, line.system_changes = self.messages, self.compactions, self.system_changes

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
                cache_creation_tokens=usage.cache_creation_tokens if usage else 0,
            )
        )

    def record_usage(self, entry: UsageEntry) -> None:
        self.usage.append(entry)
        self.pending.append({"op": "usage", **asdict(entry)})

    def copy(self, *, with_usage: bool = True) -> Session:
        """A new session with this one's history (the branch in use) and settings, all queued
        for its own file; with what the requests so far cost unless `with_usage` is False.

        The messages are queued in pieces with the system prompt changes between them, so
        the copy knows where each happened too.
        """
        settings = SessionSettings(**asdict(self.settings))
        settings.system = _starting_prompt(self.system_changes)
        twin = Session(settings=settings, title=self.title, created=self.created)
        twin._queue_line(self.messages, self.system_changes, self.compactions)
        if twin.settings.system != self.settings.system:  # "" where the changes say None
            twin.change_settings(system=self.settings.system)
        for entry in self.usage if with_usage else ():
            twin.record_usage(UsageEntry(**asdict(entry)))
        return twin

    def rebuilt(self) -> Session:
        """This session, every branch included, as the fewest records of a new log (same id).

        What the records of the session's log replay to, less what was undone, retried or
        replaced on the way: what a compacted log holds.
        """
        lines = self.lines()
        first = lines[0] if lines else self  # (a session's line in use has the same three lists)
        twin = Session(settings=SessionSettings(**asdict(self.settings)), id=self.id, title=self.title,
                       created=self.created)
        twin.settings.system = twin._start.system = _starting_prompt(first.system_changes)
        twin.system_changes = _merged([(0, twin.settings.system)])
        twin._queue_line(first.messages, first.system_changes, first.compactions)
        for line in lines[1:]:
            assert line.parent is not None  # every line but the first leaves an earlier one
            if twin.branch != line.parent:
                twin.switch_branch(line.parent)
            keep = min(line.fork, len(twin.messages))
            twin._branch_from(keep, line.created, line.fork)
            record = {"op": "branch", "keep": keep, "created": line.created}
            twin.pending.append(record if keep == line.fork else {**record, "fork": line.fork})
            shared = keep if twin._starts_as(line) else 0
            if not shared:
                if twin.messages:
                    twin._replace(0, [])  # the line is written whole: it no longer starts as its parent does
                if _starting_prompt(line.system_changes) != twin.settings.system:
                    twin.change_settings(system=_starting_prompt(line.system_changes))
            twin._queue_line(line.messages, line.system_changes, line.compactions, start=shared)
        if twin.branch != self.branch:
            twin.switch_branch(self.branch)
        if twin.settings.system != self.settings.system:  # "" where the changes say None
            twin.change_settings(system=self.settings.system)
        for entry in self.usage:
            twin.record_usage(UsageEntry(**asdict(entry)))
        return twin

    def _starts_as(self, line: Branch) -> bool:
        """Whether the line in use is `line` up to where it ends now (a new branch's start)."""
        end = len(self.messages)
        return (
            self.messages == line.messages[:end]
            and self.system_changes == [change for change in line.system_changes if change[0] <= end]
            and self.compactions == [compaction for compaction in line.compactions if compaction.covers <= end]
        )

    def _queue_line(self, messages: list[Message], system_changes: list[SystemChange],
                    compactions: list[Compaction], *, start: int = 0) -> None:
        """Queue the records that make the line in use, which holds the first `start` of
        `messages`, hold all of them, with the system prompt changes between them where they
        happened, and the compactions."""
        done = start
        for position, prompt in system_changes:
            if position > done:
                self._replace(done, messages[done:position])
                done = position
                self.change_settings(system=prompt)
        if done == 0 or done < len(messages):
            self._replace(done, messages[done:])
        for compaction in compactions:
            if compaction.covers > start:
                self.compact(type(compaction)(**asdict(compaction)))


def _starting_prompt(changes: list[SystemChange]) -> str | None:
    return changes[0][1] if changes and changes[0][0] == 0 else None


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


def _branch_to_dict(line: Branch) -> dict[str, Any]:
    data: dict[str, Any] = {
        "parent": line.parent,
        "fork": line.fork,
        "created": line.created,
        "messages": [message_to_dict(message) for message in line.messages],
        "system_changes": [list(change) for change in line.system_changes],
    }
    if line.compactions:
        data["compactions"] = [compaction.to_record() for compaction in line.compactions]
    return data


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
