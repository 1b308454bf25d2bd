"""Which sessions there are, from the names and times of the files in the sessions directory.

No log is opened here: listing the ids of thousands of sessions (as shell completion does on a
Tab) costs one directory scan. `claudechat.chat.store` lists its sessions through this too, and
this module imports nothing of the session format, so it stays cheap to load.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SESSIONS_DIR_NAME", "SUFFIX", "session_files", "session_ids", "session_names"]

SUFFIX = ".jsonl"
SESSIONS_DIR_NAME = "sessions"  # in the user data directory


def _entries(directory: Path) -> list[os.DirEntry[str]]:
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    return [entry for entry in entries if entry.name.endswith(SUFFIX) and not entry.name.startswith(".")]


def _scan(directory: Path, limit: int | None = None) -> list[tuple[float, os.DirEntry[str]]]:
    """The session files' (last used, entry), the most recently used first; the first `limit`."""
    import heapq

    found = []
    for entry in _entries(directory):
        try:
            found.append((entry.stat(follow_symlinks=False).st_mtime, entry))
        except OSError:
            continue
    newest = lambda item: item[0]  # noqa: E731  (entries themselves do not compare)
    if limit is not None:
        return heapq.nlargest(limit, found, key=newest)
    return sorted(found, key=newest, reverse=True)


def session_files(directory: Path, limit: int | None = None) -> list[tuple[float, Path]]:
    """(last used, path) of every session file (or of the `limit` used last), the most recently
    used first.

    A missing directory has no sessions; one that cannot be listed raises OSError. Hidden
    files (a save in progress) and entries that vanish while listed are left out. Only the
    entries returned become paths: at 10,000 sessions making every one costs more than the listing.
    """
    return [(used, Path(entry.path)) for used, entry in _scan(directory, limit)]


def session_names(directory: Path) -> list[str]:
    """The file name of every session, in no order: one directory scan, no file looked at."""
    return [entry.name for entry in _entries(directory)]


def session_ids(directory: Path) -> list[str]:
    """The id of every session in `directory`, the most recently used first."""
    # From the names, without a Path a session: thousands are listed on a Tab.
    return [entry.name[: -len(SUFFIX)] for _, entry in _scan(directory)]
