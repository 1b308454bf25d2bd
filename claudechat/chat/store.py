"""Session files: one append-only JSON Lines log per session in the user data directory.

Why a log and not a JSON file rewritten each turn: saving a turn appends one line and syncs
it, a few kilobytes whatever the session's length, where a rewrite costs the whole session
(2 MB after 1,000 turns) every turn. A crash or a full disk can only tear the last line; the
reader drops a torn last line, and the writer cuts it off before appending again.

The first line is the header (format, version, id, created, title, settings); every other
line is one record of `claudechat.chat.session`. A process holds an exclusive lock on a
session's file while the session is open, so two claudechat processes never write to the
same session: the second one is told so, and can continue in a copy.

A file's modification time is when its session was last used: written, or opened (opening
touches it). `claudechat -c` continues the last used session and the listings sort by it, so
a session resumed and left without a new turn is still the one `-c` continues.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claudechat.chat.listing import SESSIONS_DIR_NAME, SUFFIX, session_files, session_names
from claudechat.chat.session import (
    Session,
    SessionError,
)
from claudechat.chat.records import (
    replay_log,
    session_from_document,
)
from claudechat.errors import EXIT_USAGE
from claudechat.files import PRIVATE_FILE, fsync_dir, make_private_dir
from claudechat.jsontext import utf8_json
from claudechat.paths import message_path
from claudechat.sanitize import one_line

__all__ = [
    "SUFFIX",
    "NoSavedSessionError",
    "SessionBusyError",
    "SessionFile",
    "SessionStore",
    "SessionSummary",
    "read_session_file",
    "sessions_dir",
]

MAX_SESSION_BYTES = 512 * 1024 * 1024  # larger is not a session this program wrote
COMPACTING_SUFFIX = ".compacting"  # a log's compacted form before it takes the log's name
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class SessionBusyError(SessionError):
    """Another claudechat process has the session open."""


class NoSavedSessionError(SessionError):
    """There is no session to continue: a usage error, since nothing was sent."""

    exit_code = EXIT_USAGE


def sessions_dir() -> Path:
    from claudechat.config import data_dir

    return data_dir() / SESSIONS_DIR_NAME


def _dumps(record: dict[str, Any]) -> bytes:
    # One line per record: json never emits a raw newline.
    return utf8_json(record, separators=(",", ":")) + b"\n"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _read_bytes(path: Path, fd: int | None = None) -> bytes:
    """The file's bytes, refusing symbolic links, non-regular files and absurd sizes."""
    shown = message_path(path)
    try:
        own = fd is None
        if own:
            # Non-blocking: a FIFO named like a session must not hang the listing.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | _CLOEXEC)
        try:
            info = os.fstat(fd)  # type: ignore[arg-type]
            if not stat.S_ISREG(info.st_mode):
                raise SessionError(f"{shown} is not a regular file")
            if info.st_size > MAX_SESSION_BYTES:
                raise SessionError(f"{shown} is {info.st_size // 2**20} MB, too large to be a session")
            chunks = []
            offset = 0
            while True:
                chunk = os.pread(fd, 1 << 20, offset)  # type: ignore[arg-type]
                if not chunk:
                    break
                chunks.append(chunk)
                offset += len(chunk)
            return b"".join(chunks)
        finally:
            if own:
                os.close(fd)  # type: ignore[arg-type]
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SessionError(f"{shown} is a symbolic link; refusing to follow it") from None
        if exc.errno == errno.ENOENT:
            raise SessionError(f"no session file {shown}", hint="see `claudechat sessions`") from None
        raise SessionError(f"cannot read {shown}: {_why(exc)}") from None


@dataclass
class _ParsedLog:
    session: Session
    intact: int  # bytes of whole records
    needs_newline: bool  # the last whole record lost its newline
    version: int  # the format the log says it is
    dead: int  # bytes of records whose messages no branch holds any more


def _parse_log(data: bytes, where: str) -> _ParsedLog:
    """The session in a log and what the log is like."""
    import json  # not at import: a new chat reads no session before its prompt

    lines = data.split(b"\n")
    intact = len(data)
    needs_newline = False
    if lines and lines[-1] == b"":
        lines.pop()  # the file ends with a newline, as it should
    elif lines:
        try:
            json.loads(lines[-1])
            needs_newline = True  # complete, only its newline was lost
        except (ValueError, RecursionError):
            intact -= len(lines[-1])  # torn mid-record by a crash: it never was a record
            lines.pop()
    if not lines:
        raise SessionError(f"{where} is empty, not a claudechat session")
    try:
        decoded = [json.loads(line) for line in lines[:1]]
    except (ValueError, RecursionError):
        raise SessionError(f"{where} is not a claudechat session", hint="the file is left as it is") from None
    records = []
    for number, line in enumerate(lines[1:], 2):
        try:
            records.append(json.loads(line))
        except (ValueError, RecursionError):
            raise SessionError(
                f"{where}, line {number}: not valid JSON; the session is damaged", hint="the file is left as it is"
            ) from None
    session, dead = replay_log(decoded[0], records, where=where, sizes=[len(line) + 1 for line in lines[1:]])
    # A log raised to format 3 or later says so in a record (its header is never rewritten).
    version = max([decoded[0]["version"]] + [record["version"] for record in records if record.get("op") == "format"])
    return _ParsedLog(session, intact, needs_newline, version, dead)


def read_session_file(path: Path) -> Session:
    """A session from a log or from a JSON document (`/save x.json`), without locking it."""
    import json  # not at import: a new chat reads no session before its prompt

    where = message_path(path)
    data = _read_bytes(path)
    if data.lstrip()[:1] == b"{":
        # A document parses whole; a log fails at its second line, having cost only its first.
        try:
            document = json.loads(data)
        except (ValueError, RecursionError):
            document = None
        if isinstance(document, dict) and "messages" in document:
            return session_from_document(document, where=where)
    return _parse_log(data, where).session


class SessionFile:
    """An open, locked session log; `save` appends what the session has pending."""

    def __init__(self, path: Path, fd: int, size: int, *, needs_newline: bool, version: int) -> None:
        self.path = path
        self._fd = fd
        self._size = size  # bytes known to be whole records
        self._needs_newline = needs_newline
        self._version = version  # the format its header says

    @classmethod
    def create(cls, directory: Path, session: Session) -> SessionFile:
        if directory.exists() and not directory.is_dir():
            raise SessionError(
                f"cannot save sessions: {message_path(directory)} is not a directory",
                hint="move it away; the chat goes on and saves after the next turn",
            )
        try:
            make_private_dir(directory, tighten=False)
            path = directory / f"{session.id}{SUFFIX}"
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, PRIVATE_FILE)
        except OSError as exc:
            raise SessionError(f"cannot create a session file in {message_path(directory)}: {_why(exc)}") from None
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # new and ours: cannot be held by anyone
        os.fchmod(fd, PRIVATE_FILE)  # exactly 0600, whatever the umask
        session.pending.insert(0, session.log_header())
        return cls(path, fd, 0, needs_newline=False, version=session.pending[0]["version"])

    @classmethod
    def open(cls, path: Path) -> tuple[SessionFile, Session]:
        """Lock and read an existing session; SessionBusyError if another process has it."""
        where = message_path(path)
        if path.parent.is_symlink():
            raise SessionError(f"{message_path(path.parent)} is a symbolic link; refusing to write through it")
        for _attempt in range(3):
            fd = _open_for_writing(path, where)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise SessionBusyError(f"session {path.stem} is open in another claudechat") from None
                if os.fstat(fd).st_nlink:
                    break
            except BaseException:
                os.close(fd)
                raise
            # Opened just before `claudechat sessions rm` deleted it or a compaction replaced it,
            # locked just after: the name holds another file now, or none.
            os.close(fd)
            if not os.path.lexists(path):
                raise SessionError(f"session {path.stem} was removed", hint="see `claudechat sessions`")
        else:
            raise SessionBusyError(f"session {path.stem} is open in another claudechat")
        try:
            parsed = _parse_log(_read_bytes(path, fd), where)
        except BaseException:
            os.close(fd)
            raise
        opened = cls(path, fd, parsed.intact, needs_newline=parsed.needs_newline, version=parsed.version)
        if parsed.dead * 2 > parsed.intact:
            opened._compact(parsed.session)
        _touch(opened._fd)
        return opened, parsed.session

    def _compact(self, session: Session) -> None:
        """Write the session's fewest records to a new file and rename it over the log.

        Done under the session's lock: the new file is locked before it takes the log's name,
        so no other process can open it in between. A crash at any step leaves the old log or
        the new one whole under the name, and at worst a spare file that the next compaction
        replaces. A failure leaves the log as it was, still open and locked: it is not needed.
        """
        try:
            rebuilt = session.rebuilt()
            data = b"".join(_dumps(record) for record in [rebuilt.log_header(), *rebuilt.pending])
            # Only a log that reads back as the very same session replaces the one there is.
            same = _parse_log(data, message_path(self.path)).session.to_document() == session.to_document()
        except (SessionError, ValueError, TypeError):
            same = False
        if not same:
            return
        spare = self.path.with_name(f".{self.path.stem}{COMPACTING_SUFFIX}")
        fd = -1
        try:
            try:
                os.unlink(spare)  # left by a crash during an earlier compaction
            except FileNotFoundError:
                pass
            fd = os.open(spare, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, PRIVATE_FILE)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.fchmod(fd, PRIVATE_FILE)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            os.rename(spare, self.path)
        except OSError:
            if fd >= 0:
                os.close(fd)
                try:
                    os.unlink(spare)
                except OSError:
                    pass
            return
        fsync_dir(self.path.parent)  # (never fails: the rename is done, and the new log is ours)
        os.close(self._fd)  # the old log, no longer named: its lock goes with it
        self._fd = fd
        self._size = len(data)
        self._needs_newline = False
        self._version = max(rebuilt.format_version(), 1)

    def save(self, session: Session) -> None:
        """Append the session's pending records in one write, synced; on failure keep them pending."""
        if not session.pending:
            return
        needed = session.format_version()
        if needed > max(self._version, 1):
            if needed >= 3 and self._size > 0:
                # From format 3 on the log says so by an append: nothing written is rewritten.
                session.pending.insert(0, {"op": "format", "version": needed})
                self._version = needed
            else:
                self._raise_version(session)
        data = b"".join(_dumps(record) for record in session.pending)
        if self._needs_newline:
            data = b"\n" + data
        try:
            os.ftruncate(self._fd, self._size)  # drop a torn tail left by a crash or a failed save
            view = memoryview(data)
            offset = self._size
            while view:
                written = os.pwrite(self._fd, view, offset)
                view = view[written:]
                offset += written
            os.fsync(self._fd)
        except OSError as exc:
            try:
                os.ftruncate(self._fd, self._size)  # the file stays exactly as it was
            except OSError:
                pass
            raise SessionError(
                f"could not save the session to {message_path(self.path)}: {_why(exc)}",
                hint="the chat goes on; it is saved again after the next turn",
            ) from None
        if self._size == 0:
            fsync_dir(self.path.parent)
        self._size += len(data)
        self._needs_newline = False
        session.pending.clear()

    def _raise_version(self, session: Session) -> None:
        """Mark the log as the newer format its next records need, before they are written.

        The one write that is not an append: the version digit in the header, replaced by
        another of the same length, so the file is never in between. Written and synced first,
        so an older claudechat refuses the file before it could meet a record it would misread.
        """
        import re

        version = session.format_version()
        if self._size == 0:  # nothing written yet: the header is the first of the records to write
            session.pending[0]["version"] = version
            self._version = version
            return
        try:
            head = os.pread(self._fd, 4096, 0)
            found = re.match(rb'\{\s*"format"\s*:\s*"[^"]*"\s*,\s*"version"\s*:\s*(\d)[,}\s]', head)
            if found is None:
                raise SessionError(
                    f"cannot save a compaction to {message_path(self.path)}: its header is not as this "
                    "claudechat writes it",
                    hint="the chat goes on; the compaction stays unsaved",
                )
            os.pwrite(self._fd, str(version).encode("ascii"), found.start(1))
            os.fsync(self._fd)
        except OSError as exc:
            raise SessionError(
                f"could not save the session to {message_path(self.path)}: {_why(exc)}",
                hint="the chat goes on; it is saved again after the next turn",
            ) from None
        self._version = version

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1


def _open_for_writing(path: Path, where: str) -> int:
    try:
        return os.open(path, os.O_RDWR | _NOFOLLOW | _CLOEXEC)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise SessionError(f"cannot open {where} for writing: {_why(exc)}") from None
        _read_bytes(path)  # for its message: symlink, missing, ...
        raise SessionError(f"cannot open {where}: {_why(exc)}") from None


def _touch(fd: int) -> None:
    """Mark the session as used now; where that is not allowed, it keeps its last write time."""
    try:
        os.utime(fd)
    except OSError:
        pass


@dataclass(frozen=True)
class SessionSummary:
    id: str
    path: Path
    updated: float  # last used: written or opened (the file's modification time)
    title: str | None = None
    created: float | None = None
    turns: int = 0
    model: str | None = None
    error: str | None = None  # why the file could not be read

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created": self.created,
            "updated": self.updated,
            "turns": self.turns,
            "model": self.model,
            "path": str(self.path),
            "error": self.error,
        }


class SessionStore:
    """The sessions directory: find, list, open and create session logs."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = sessions_dir() if directory is None else directory

    def _files(self, limit: int | None = None) -> list[tuple[float, Path]]:
        try:
            return session_files(self.directory, limit)
        except OSError as exc:
            raise SessionError(f"cannot list {self.directory}: {_why(exc)}") from None

    def files(self) -> list[tuple[float, Path]]:
        """(last used, path) of every session file, the most recently used first."""
        return self._files()

    def paths(self) -> list[Path]:
        """Every session file, the most recently used first."""
        return [path for _, path in self._files()]

    def summaries(self, limit: int | None = None) -> list[SessionSummary]:
        """The most recently used sessions first; unreadable files are listed with their error."""
        return [self.summary(updated, path) for updated, path in self._files(limit)]

    @staticmethod
    def summary(updated: float, path: Path) -> SessionSummary:
        """The summary of the log at `path`, last used at `updated`; its error if it cannot be read."""
        try:
            session = read_session_file(path)
        except SessionError as err:
            return SessionSummary(path.stem, path, updated, error=err.message)
        return SessionSummary(  # the file's name is what `find` looks up
            path.stem, path, updated, session.title, session.created, session.turns, session.settings.model
        )

    def most_recent(self) -> Path:
        files = self._files(1)
        if not files:
            raise NoSavedSessionError("there is no saved session yet", hint="start one with `claudechat`")
        return files[0][1]

    def has(self, key: str) -> bool:
        """Whether `key` names a session (an id, or a unique start of one)."""
        try:
            self.find(key)
        except SessionError:
            return False
        return True

    def find(self, key: str) -> Path:
        """The session file for an id, or for a unique beginning of one."""
        shown = one_line(key, 80)
        if not key or not all(c.isalnum() or c in "-_" for c in key):
            raise SessionError(f"{shown!r} is not a session id", hint="see `claudechat sessions`")
        exact = self.directory / f"{key}{SUFFIX}"
        if exact.exists() or exact.is_symlink():
            return exact
        try:
            names = session_names(self.directory)
        except OSError as exc:
            raise SessionError(f"cannot list {self.directory}: {_why(exc)}") from None
        matches = [self.directory / name for name in names if name.startswith(key)]
        if not matches:
            raise SessionError(f"no session {shown}", hint="see `claudechat sessions`")
        if len(matches) > 1:
            raise SessionError(f"{shown} is the start of {len(matches)} session ids", hint="give more of the id")
        return matches[0]

    def create(self, session: Session) -> SessionFile:
        return SessionFile.create(self.directory, session)

    def open(self, path: Path) -> tuple[SessionFile, Session]:
        return SessionFile.open(path)
