"""The input history file, shared safely by every claudechat running at once."""

from __future__ import annotations

import datetime
import fcntl
import os

from prompt_toolkit.history import FileHistory

__all__ = ["SharedFileHistory"]


class SharedFileHistory(FileHistory):
    """prompt_toolkit's history file, with each entry appended whole under a lock.

    The stock class writes an entry in several buffered pieces; two chats saving at the same
    moment could interleave them and garble both entries. Here an entry is one write, made
    while holding an exclusive lock on the file.
    """

    def store_string(self, string: str) -> None:
        lines = "".join(f"+{line}\n" for line in string.split("\n"))
        data = f"\n# {datetime.datetime.now()}\n{lines}".encode()
        fd = os.open(self.filename, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)  # releases the lock
