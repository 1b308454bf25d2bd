"""Reading session records back: every record checked, replayed into a `Session`.

Files come from disk and may have been written by anyone: every record is checked, and
anything unexpected is a `SessionError` naming the line, never a crash. Writing the records is
the session's own business (`claudechat.chat.session`).
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

from claudechat.chat.conversation import Candidate, Content, Message
from claudechat.chat.session import (
    _SETTING_TYPES,
    Branch,
    FORMAT,
    MAX_DEPTH,
    MAX_TIMESTAMP,
    VERSION,
    Session,
    SessionError,
    SessionSettings,
    SystemChange,
    UsageEntry,
    _merged,
)

if TYPE_CHECKING:
    from claudechat.chat.compaction import Compaction

__all__ = [
    "apply_record",
    "check_depth",
    "check_header",
    "check_version",
    "message_from_dict",
    "replay_log",
    "session_from_document",
    "session_from_header",
    "session_from_records",
]


class _Invalid(Exception):
    """A record is not what this version writes; becomes a SessionError with its line."""


def _get(data: dict[str, Any], key: str, kinds: type | tuple[type, ...], default: Any = ...) -> Any:
    if key not in data:
        if default is ...:
            raise _Invalid(f"missing {key!r}")
        return default
    value = data[key]
    if value is None and default is None:
        return None
    # bool is an int to Python, never to a session file.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        raise _Invalid(f"{key!r} has the wrong type")
    return value


def _time(data: dict[str, Any], key: str, default: Any = ...) -> float:
    """A timestamp that time.localtime can show (a transcript does): finite, 1970 to year 5000."""
    value = float(_get(data, key, (int, float), default))
    if not 0 <= value <= MAX_TIMESTAMP:
        raise _Invalid(f"{key!r} is not a usable time")
    return value


def _depth(value: Any) -> int:
    """How deeply `value` nests lists and objects, counted without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack += [(child, level + 1) for child in item]
    return deepest


def check_depth(record: Any) -> None:
    """Refuse nesting this program never writes: saving it again could exhaust the stack."""
    if _depth(record) > MAX_DEPTH:
        raise _Invalid("nested deeper than a session record can be")


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _content_from(value: Any) -> Content:
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise _Invalid("'content' has the wrong type")
    parts: list[dict[str, Any]] = []
    for part in value:
        if not isinstance(part, dict):
            raise _Invalid("a content part is not an object")
        kind = part.get("type")
        if kind == "text":
            _get(part, "text", str)
            source = _get(part, "attachment", dict, None)
            if source is not None:
                _get(source, "name", str)
        elif kind == "image_url":
            image = _get(part, "image_url", dict)
            _get(image, "url", str)
            _get(part, "name", str, None)
        else:
            raise _Invalid("a content part has an unknown type")
        parts.append(part)
    return parts


_ROLES = ("user", "assistant")


def message_from_dict(data: Any) -> Message:
    if not isinstance(data, dict):
        raise _Invalid("a message is not an object")
    role = _get(data, "role", str)
    if role not in _ROLES:
        raise _Invalid(f"unknown role {role[:20]!r}")
    candidates = []
    for item in _get(data, "candidates", list, []):
        if not isinstance(item, dict):
            raise _Invalid("a candidate is not an object")
        candidates.append(
            Candidate(
                _get(item, "content", str),
                _get(item, "reasoning", str, ""),
                _get(item, "finish_reason", str, None),
            )
        )
    picked = _get(data, "picked", int, 0)
    if candidates and not 0 <= picked < len(candidates):
        raise _Invalid("'picked' is out of range")
    return Message(
        role=role,
        content=_content_from(data.get("content")),
        reasoning=_get(data, "reasoning", str, ""),
        model=_get(data, "model", str, None),
        usage=_get(data, "usage", dict, None),
        created=_time(data, "created"),
        interrupted=_get(data, "interrupted", bool, False),
        candidates=candidates,
        picked=picked,
    )


_NULLABLE = {"system", "temperature", "max_tokens", "profile", "role"}


def _settings_changes(data: Any) -> dict[str, Any]:
    from claudechat.models import is_model_id

    if not isinstance(data, dict):
        raise _Invalid("'settings' is not an object")
    changes = {}
    for key, value in data.items():
        if key not in _SETTING_TYPES:
            continue  # a setting this version does not know: harmless to ignore
        changes[key] = _get(data, key, _SETTING_TYPES[key], None if key in _NULLABLE else ...)
    if "model" in changes and not is_model_id(changes["model"]):
        raise _Invalid("'model' is not a usable model id")  # it is shown and sent as it is
    return changes


def _usage_entry(data: dict[str, Any]) -> UsageEntry:
    names = {item.name for item in fields(UsageEntry)} - {"model", "time"}
    values = {name: _get(data, name, int, 0) for name in names}
    return UsageEntry(model=_get(data, "model", str), time=_time(data, "time", 0), **values)


def check_header(header: Any) -> None:
    """Refuse what this version did not write: another format, or a newer version."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _Invalid("not a claudechat session")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _Invalid("no format version")
    check_version(version)


def check_version(version: int) -> None:
    if version > VERSION:
        raise _Invalid(f"written by a newer claudechat (format {version}; this one reads {VERSION})")


def session_from_header(header: dict[str, Any]) -> Session:
    settings = _settings_changes(_get(header, "settings", dict))
    if "model" not in settings:
        raise _Invalid("no model in 'settings'")
    session_id = _get(header, "id", str)
    if not session_id or len(session_id) > 64 or not all(c.isalnum() or c in "-_" for c in session_id):
        raise _Invalid("'id' is not a usable session id")
    return Session(
        settings=SessionSettings(**settings),
        id=session_id,
        created=_time(header, "created"),
        title=_get(header, "title", str, None),
    )


def apply_record(session: Session, record: Any) -> None:
    if not isinstance(record, dict):
        raise _Invalid("a record is not an object")
    op = record.get("op")
    if op == "messages":
        keep = _get(record, "keep", int)
        if not 0 <= keep <= len(session.messages):
            raise _Invalid("'keep' is out of range")
        session._set_messages(keep, [message_from_dict(item) for item in _get(record, "add", list, [])])
    elif op == "title":
        session.title = _get(record, "title", str)
    elif op == "settings":
        changes = _settings_changes(record.get("settings"))
        for key, value in changes.items():
            setattr(session.settings, key, value)
        if "system" in changes:
            session._set_system(changes["system"])
    elif op == "usage":
        session.usage.append(_usage_entry(record))
    elif op == "compact":
        _add_compaction(session, _compaction(record))
    elif op == "uncompact":
        if not session.compactions:
            raise _Invalid("'uncompact' with no compaction to undo")
        session.compactions.pop()
    elif op == "branch":
        keep = _get(record, "keep", int)
        if not 0 <= keep <= len(session.messages):
            raise _Invalid("'keep' is out of range")
        fork = _get(record, "fork", int, keep)
        if fork < keep:
            raise _Invalid("'fork' is before 'keep'")
        session._branch_from(keep, _time(record, "created"), fork)
    elif op == "switch":
        to = _get(record, "to", int)
        if not 0 <= to < len(session.branches) or to == session.branch:
            raise _Invalid("'to' is not another branch")
        session._switch_branch(to)
    elif op == "format":
        check_version(_get(record, "version", int))
    else:
        raise _Invalid("unknown record")


def _compaction(data: Any) -> Compaction:
    from claudechat.chat.compaction import Compaction

    if not isinstance(data, dict):
        raise _Invalid("a compaction is not an object")
    tokens = _get(data, "tokens", int, None)
    if tokens is not None and tokens < 0:
        raise _Invalid("'tokens' is negative")
    return Compaction(
        covers=_get(data, "covers", int),
        summary=_get(data, "summary", str),
        created=_time(data, "created"),
        model=_get(data, "model", str, None),
        tokens=tokens,
        instructions=_get(data, "instructions", str, None),
    )


def _add_compaction(session: Session, compaction: Compaction) -> None:
    if not 0 < compaction.covers <= len(session.messages):
        raise _Invalid("'covers' is out of range")
    if session.compactions and compaction.covers <= session.compactions[-1].covers:
        raise _Invalid("a compaction covers no more than the one before it")
    session.compactions.append(compaction)


def session_from_records(header: Any, records: list[Any], *, where: str, first_line: int = 2) -> Session:
    """Rebuild a session from its header and records; SessionError says which line is wrong."""
    return replay_log(header, records, where=where, first_line=first_line)[0]


def replay_log(header: Any, records: list[Any], *, where: str, first_line: int = 2,
               sizes: list[int] | None = None) -> tuple[Session, int]:
    """`session_from_records`, and how many of the records' bytes (`sizes`, one per record)
    hold messages no line of the conversation has any more: undone, retried, replaced."""
    line = first_line - 1
    written: dict[int, float] = {}  # id() of each message read: its share of its record's bytes
    messages_bytes = 0
    try:
        check_header(header)
        check_depth(header)
        if "messages" in header:
            raise _Invalid("a session saved as one document, not a log: open it with /load")
        session = session_from_header(header)
        for line, record in enumerate(records, first_line):
            check_depth(record)
            apply_record(session, record)
            if sizes is not None and record.get("op") == "messages":
                size = sizes[line - first_line]
                messages_bytes += size
                added = record.get("add") or ()
                for message in session.messages[len(session.messages) - len(added):]:
                    written[id(message)] = size / len(added)
    except (_Invalid, ValueError, TypeError, OverflowError) as exc:
        at = f"{where}, line {line}" if line >= first_line else where
        raise SessionError(f"{at}: {exc}", hint="the file is left as it is") from None
    if sizes is None:
        return session, 0
    lines = session.lines()
    live = {id(message) for message in session.messages} | {id(m) for branch in lines for m in branch.messages}
    return session, max(0, round(messages_bytes - sum(written.get(key, 0) for key in live)))


def session_from_document(document: Any, *, where: str) -> Session:
    """Read a session saved as one JSON document (`/save x.json`)."""
    try:
        check_header(document)
        if _depth(document) > MAX_DEPTH + 2:  # the document wraps the messages in two more levels
            raise _Invalid("nested deeper than a session can be")
        session = session_from_header(document)
        session.messages = [message_from_dict(item) for item in _get(document, "messages", list)]
        session.usage = [_usage_entry(item) for item in _get(document, "usage", list, []) if _is_dict(item)]
        if "system_changes" in document:  # older documents have none: their prompt is at the start
            session.system_changes = _system_changes(document["system_changes"], len(session.messages))
            session._set_system(session.settings.system)  # the settings have the last word
        for item in _get(document, "compactions", list, []):
            _add_compaction(session, _compaction(item))
        if "branches" in document:
            _read_branches(session, _get(document, "branches", list), _get(document, "branch", int))
    except (_Invalid, ValueError, TypeError, OverflowError) as exc:
        raise SessionError(f"{where}: {exc}", hint="the file is left as it is") from None
    return session


def _read_branches(session: Session, items: list[Any], current: int) -> None:
    """The document's lines replace its one: the line in use is `current` of them."""
    if not 0 <= current < len(items):
        raise _Invalid("'branch' is not one of 'branches'")
    lines = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _Invalid("a branch is not an object")
        parent = _get(item, "parent", int, None)
        if (parent is None) != (index == 0) or (parent is not None and not 0 <= parent < index):
            raise _Invalid("a branch leaves from no earlier branch")
        line = Branch(parent=parent, fork=_get(item, "fork", int), created=_time(item, "created"))
        line.messages = [message_from_dict(message) for message in _get(item, "messages", list)]
        if line.fork < 0:
            raise _Invalid("'fork' is negative")
        if "system_changes" in item:
            line.system_changes = _system_changes(item["system_changes"], len(line.messages))
        for data in _get(item, "compactions", list, []):
            compaction = _compaction(data)
            if not 0 < compaction.covers <= len(line.messages) or (
                    line.compactions and compaction.covers <= line.compactions[-1].covers):
                raise _Invalid("a branch's compaction covers messages it does not have")
            line.compactions.append(compaction)
        lines.append(line)
    session.branches = lines
    session.branch = current
    line = lines[current]
    session.messages, session.compactions, session.system_changes = line.messages, line.compactions, line.system_changes


def _system_changes(value: Any, messages: int) -> list[SystemChange]:
    if not isinstance(value, list):
        raise _Invalid("'system_changes' is not a list")
    changes: list[tuple[int, str | None]] = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2):
            raise _Invalid("'system_changes' holds something other than [position, prompt] pairs")
        position, prompt = item
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= messages:
            raise _Invalid("'system_changes' has a position outside the messages")
        if changes and position < changes[-1][0]:
            raise _Invalid("'system_changes' is not in order")
        if prompt is not None and not isinstance(prompt, str):
            raise _Invalid("'system_changes' has a prompt that is not text")
        changes.append((position, prompt))
    return _merged(changes)


def _is_dict(item: Any) -> bool:
    if not isinstance(item, dict):
        raise _Invalid("a usage entry is not an object")
    return True
