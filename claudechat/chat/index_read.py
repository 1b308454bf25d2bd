"""What the search index reads of the sessions: which logs changed, and the turns of each.

`scan_logs` lists the sessions directory, one lstat a log, and sums a hash of each log's name, size
and modification time: the index keeps the same sum of what it recorded, so one number says
whether anything changed since.

A turn is a user message and the answers after it, numbered by counting user messages. Of it
the index keeps the user's text with the labels of what was attached (`file: src/app.py`,
`image: a.png`), not the attachments' text; the answers' text, not their reasoning; the
turn's time (its user message's) and the model that answered.

Reading every log for a rebuild is most of its cost, so `read_log` replays only what the
index needs (messages and titles) from the log's JSON lines instead of building and checking
a whole Session. A log it cannot follow is read by the real reader, which either reads it after
all or says in one line, naming the file and line, why it is damaged.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudechat.sanitize import sanitize

from claudechat.chat.session import SessionError

if TYPE_CHECKING:
    from claudechat.chat.session import Session

__all__ = ["DIGEST_MASK", "IndexedTurn", "LogTurns", "indexed_turns", "log_digest", "log_hash", "read_log", "scan_logs"]

_KNOWN_OPS = frozenset({"messages", "title", "settings", "usage", "compact", "uncompact"})

# (role, text as indexed, time, model) of one message
_Said = tuple[str, str, float, "str | None"]


@dataclass(frozen=True)
class IndexedTurn:
    turn: int
    time: float
    model: str | None
    user: str
    answer: str


@dataclass(frozen=True)
class LogTurns:
    title: str | None
    turns: list[IndexedTurn]


def _content_text(content: Any, role: str) -> str:
    """The text of a message's content; for the user's, the attachments' labels after it."""
    if isinstance(content, str):
        return content
    texts: list[str] = []
    labels: list[str] = []
    for part in content:
        kind = part["type"]
        source = part.get("attachment")
        if kind == "text" and not isinstance(source, dict):
            texts.append(part["text"])
        elif kind == "text":
            labels.append(f"{source.get('kind') or 'file'}: {source.get('name') or 'attachment'}")
        elif kind == "image_url":
            labels.append(f"image: {part.get('name') or 'image'}")
        else:
            raise ValueError("a content part of an unknown type")
    text = "\n".join(texts)
    return "\n".join([text, *labels]) if labels and role == "user" else text


def _first_turn_start(roles: list[str], first_message: int) -> int:
    """Where the turn holding message `first_message - 1` starts: the last user message before it."""
    for position in range(min(first_message, len(roles)) - 1, -1, -1):
        if roles[position] == "user":
            return position
    return 0


def _turns(said: list[_Said], first_message: int, default_model: str | None) -> list[IndexedTurn]:
    start = _first_turn_start([item[0] for item in said], first_message)
    number = sum(1 for item in said[:start] if item[0] == "user")
    turns: list[IndexedTurn] = []
    position = start
    while position < len(said):
        role, user, created, _ = said[position]
        position += 1
        if role != "user":
            continue  # an answer to no question (a hand-made file): nothing to find it by
        answers = []
        model = None
        while position < len(said) and said[position][0] != "user":
            answers.append(said[position][1])
            model = said[position][3] or model
            position += 1
        number += 1
        turns.append(IndexedTurn(number, created, model or default_model, sanitize(user), sanitize("\n\n".join(answers))))
    return turns


def indexed_turns(session: Session, first_message: int = 0) -> list[IndexedTurn]:
    """The turns from the one holding message `first_message - 1` on (all by default)."""
    messages = session.messages
    start = _first_turn_start([message.role for message in messages], first_message)
    said: list[_Said] = []
    for position, message in enumerate(messages):
        if position < start:
            said.append((message.role, "", 0.0, None))  # before the turns wanted: only counted
            continue
        said.append((message.role, _content_text(message.content, message.role), message.created, message.model))
    return _turns(said, first_message, session.settings.model)


def _said(item: dict[str, Any]) -> _Said:
    role = item["role"]
    if role not in ("user", "assistant"):
        raise ValueError("a message of an unknown role")
    model = item.get("model")
    created = item["created"]
    if not isinstance(created, (int, float)) or isinstance(created, bool) or (model is not None and not isinstance(model, str)):
        raise ValueError("a message field of the wrong type")
    return role, _content_text(item["content"], role), float(created), model


def _replay(data: bytes) -> LogTurns:
    """The log's title and turns; any exception when it is not as this version writes it."""
    from claudechat.chat.records import check_header

    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        try:
            json.loads(lines[-1])
        except ValueError:
            lines.pop()  # torn by a crash: never a record
    header = json.loads(lines[0])
    check_header(header)
    if "messages" in header:
        raise ValueError("a session document, not a log")
    title = header.get("title")
    model = header["settings"]["model"]
    said: list[_Said] = []
    for line in lines[1:]:
        record = json.loads(line)
        op = record["op"]
        if op == "messages":
            keep = record["keep"]
            if not isinstance(keep, int) or not 0 <= keep <= len(said):
                raise ValueError("'keep' is out of range")
            del said[keep:]
            said += [_said(item) for item in record.get("add", ())]
        elif op == "title":
            title = record["title"]
        elif op == "settings":
            model = record["settings"].get("model", model)
        elif op not in _KNOWN_OPS:
            raise ValueError("an unknown record")
    if not (title is None or isinstance(title, str)) or not isinstance(model, str):
        raise ValueError("a title or model of the wrong type")
    return LogTurns(title, _turns(said, 0, model))


def read_log(path: Path) -> LogTurns:
    """The turns of the session log at `path`; SessionError, naming it, when it is damaged."""
    from claudechat.chat.store import _read_bytes, read_session_file

    data = _read_bytes(path)  # refuses links, FIFOs and absurd sizes, in one line
    try:
        return _replay(data)
    except Exception:  # noqa: BLE001 - anything unexpected: the real reader says what, or reads it
        pass
    session = read_session_file(path)
    return LogTurns(session.title, indexed_turns(session))


DIGEST_MASK = (1 << 63) - 1  # digests stay SQLite integers
_NAME_FACTOR = 0x9E3779B97F4A7C15
_SIZE_FACTOR = 0xC2B2AE3D27D4EB4F


def log_hash(name: bytes, size: int, mtime_ns: int) -> int:
    """A log's file name, size and modification time in one number; logs' hashes are summed."""
    return (zlib.crc32(name) * _NAME_FACTOR + size * _SIZE_FACTOR + mtime_ns) & DIGEST_MASK


def _stat_logs(directory: Path, found: list[tuple[bytes, int, int]] | None) -> int:
    """The sum of the hashes of the logs in `directory`, each appended to `found` if given."""
    # The hash is linear, so the sum is taken as three sums, weighted once at the end: a search
    # pays this for every log, and it is the Python work per log, beside the lstat, that counts.
    # One listing and an fstatat a log relative to the directory's descriptor: cheaper than
    # DirEntry.stat, which makes an object a log and looks the directory up by path again.
    try:
        names = os.listdir(os.fsencode(directory))
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise SessionError(f"cannot list {directory}: {exc.strerror or exc}") from None
    crcs = sizes = mtimes = 0
    stat, crc32 = os.stat, zlib.crc32
    try:
        for name in names:
            if name.endswith(b".jsonl") and not name.startswith(b"."):
                try:
                    info = stat(name, dir_fd=fd, follow_symlinks=False)
                except OSError:
                    continue  # gone since the listing
                crcs += crc32(name)
                sizes += info.st_size
                mtimes += info.st_mtime_ns
                if found is not None:
                    found.append((name, info.st_size, info.st_mtime_ns))
    finally:
        os.close(fd)
    return (crcs * _NAME_FACTOR + sizes * _SIZE_FACTOR + mtimes) & DIGEST_MASK


def log_digest(directory: Path) -> int:
    """The sum of the hashes of every session log in `directory`, as `scan_logs` gives it, without the list."""
    return _stat_logs(directory, None)


def scan_logs(directory: Path) -> tuple[int, list[tuple[bytes, int, int]]]:
    """Every session log in `directory` (file name, size, mtime_ns) and the sum of their hashes:
    one listing, one lstat each, nothing read."""
    found: list[tuple[bytes, int, int]] = []
    return _stat_logs(directory, found), found
