"""Which sessions there are, from the names and times of the files in the sessions directory.

No log is opened here: listing the ids of thousands of sessions (as shell completion does on a
Tab) costs one directory scan. `claudechat.chat.store` lists its sessions through this too, and
this module imports nothing of the session format, so it stays cheap to load.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SESSIONS_DIR_NAME", "SUFFIX", "session_files", "session_ids"]

SUFFIX = ".jsonl"
SESSIONS_DIR_NAME = "sessions"  # in the user data directory


def _scan(directory: Path) -> list[tuple[float, os.DirEntry[str]]]:
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    found = []
    for entry in entries:
        if entry.name.endswith(SUFFIX) and not entry.name.startswith("."):
            try:
                found.append((entry.stat(follow_symlinks=False).st_mtime, entry))
            except OSError:
                continue
    found.sort(key=lambda item: item[0], reverse=True)
    return found


def session_files(directory: Path) -> list[tuple[float, Path]]:
    """(last used, path) of every session file, the most recently used first.

    A missing directory has no sessions; one that cannot be listed raises OSError. Hidden
    files (a save in progress) and entries that vanish while listed are left out.
    """
    return [(used, Path(entry.path)) for used, entry in _scan(directory)]


def session_ids(directory: Path) -> list[str]:
    """The id of every session in `directory`, the most recently used first."""
    # From the names, without a Path a session: thousands are listed on a Tab.
    return [entry.name[: -len(SUFFIX)] for _, entry in _scan(directory)]
