"""The input history file, shared safely by every claudechat running at once."""

from __future__ import annotations

import datetime
import fcntl
import os
from collections.abc import Callable

from prompt_toolkit.history import FileHistory

__all__ = ["SharedFileHistory"]


class SharedFileHistory(FileHistory):
    """prompt_toolkit's history file, with each entry appended whole under a lock.

    The stock class writes an entry in several buffered pieces; two chats saving at the same
    moment could interleave them and garble both entries. Here an entry is one write, made
    while holding an exclusive lock on the file. A symbolic link in its place is not followed,
    and a failed write (a full disk) is reported through `on_error` instead of ending the chat:
    an entry of input history is not worth losing the conversation for.
    """

    def __init__(self, filename: str, on_error: Callable[[OSError], None] | None = None) -> None:
        super().__init__(filename)
        self._on_error = on_error

    def store_string(self, string: str) -> None:
        lines = "".join(f"+{line}\n" for line in string.split("\n"))
        data = f"\n# {datetime.datetime.now()}\n{lines}".encode("utf-8", "replace")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.filename, flags, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                except OSError:
                    os.ftruncate(fd, size)  # whole or not at all: no torn entry to load later
                    raise
            finally:
                os.close(fd)  # releases the lock
        except OSError as exc:
            if self._on_error is not None:
                self._on_error(exc)
