"""Removing saved sessions: the log deleted under its lock, then its turns dropped from the index.

A log is deleted only while this process holds the lock a chat holds on a session it has open
(`claudechat.chat.store`), so a session open in another claudechat is never pulled from under
it: that one is kept and said to be busy. A chat that opens the log in the instant before it
goes finds it unlinked once it has the lock, and says the session was removed.

The search index is told after the logs are gone, in one short transaction. When it cannot be
(it is absent, another process holds it too long, it is damaged) nothing is lost: the index
notices at its next use that the logs it recorded are gone (see `SearchIndex.sync`), drops them
and searches again, so a removed session is never found.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from claudechat.chat.listing import SUFFIX
from claudechat.chat.session import SessionError
from claudechat.chat.store import SessionBusyError
from claudechat.files import fsync_dir

__all__ = ["Removal", "older_than", "parse_age", "remove_sessions"]

_UNITS = {"h": 3600, "d": 86_400, "w": 7 * 86_400}


@dataclass
class Removal:
    removed: list[str] = field(default_factory=list)  # ids whose logs are gone
    kept: dict[str, str] = field(default_factory=dict)  # id -> why it was not removed


def parse_age(text: str) -> float:
    """Seconds in `90d`, `12h` or `2w`; ValueError for anything else."""
    value = text.strip()
    if len(value) < 2 or not value[:-1].isascii() or not value[:-1].isdigit() or value[-1] not in _UNITS:
        raise ValueError(text)
    return int(value[:-1]) * _UNITS[value[-1]]


def older_than(files: list[tuple[float, Path]], age: float, *, now: float | None = None) -> list[tuple[float, Path]]:
    """The (last used, path) entries last used more than `age` seconds before `now`."""
    cut = (time.time() if now is None else now) - age
    return [(used, path) for used, path in files if used < cut]


def _unlink_locked(path: Path) -> None:
    """Delete the log at `path` holding its session lock; SessionBusyError if a chat has it."""
    try:
        # Read-only and non-blocking: enough to lock, and a FIFO named like a log cannot hang it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symbolic link named like a log: the link goes, not its target
            os.unlink(path)
            return
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SessionBusyError("it is open in another claudechat", hint="close that chat first") from None
        if not _still_named(fd, path):
            # A chat opening it compacted it meanwhile: the name holds the new log, locked by that chat.
            raise SessionBusyError("it is open in another claudechat", hint="close that chat first")
        os.unlink(path)
    finally:
        os.close(fd)


def _still_named(fd: int, path: Path) -> bool:
    """Whether the file open as `fd` is still the one `path` names (FileNotFoundError if none is)."""
    mine, named = os.fstat(fd), os.lstat(path)
    return (mine.st_dev, mine.st_ino) == (named.st_dev, named.st_ino)


def remove_sessions(paths: list[Path]) -> Removal:
    """Delete each session log (kept, with the reason, when busy or undeletable), then tell the index."""
    removal = Removal()
    for path in paths:
        key = path.name[: -len(SUFFIX)]
        try:
            _unlink_locked(path)
        except SessionError as err:
            removal.kept[key] = str(err)
            continue
        except FileNotFoundError:
            removal.kept[key] = "it was removed meanwhile"
            continue
        except OSError as exc:
            removal.kept[key] = f"cannot delete it: {exc.strerror or exc}"
            continue
        removal.removed.append(key)
    if removal.removed:
        fsync_dir(paths[0].parent)
        _forget(paths[0].parent, removal.removed)
    return removal


def _forget(sessions: Path, keys: list[str]) -> None:
    """Drop the removed sessions from the index, if there is one and it can be written now."""
    from claudechat.chat.index import INDEX_NAME, UPDATE_WAIT_MS, IndexError_, SearchIndex

    path = sessions.parent / INDEX_NAME
    if not path.exists():
        return  # no index to clean; one made later reads only the logs there are
    index = SearchIndex(path, sessions, wait_ms=UPDATE_WAIT_MS)
    try:
        index.forget(keys)
    except IndexError_:
        pass  # its next use finds these logs gone and drops them (see the module's docstring)
    finally:
        index.close()
