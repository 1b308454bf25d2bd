"""A record of the raw exchange with the server, for a bug report (`--debug`).

Each request is written as sent (its token replaced by a mark), each response's status and
headers as received, and every read of the body as the bytes that arrived, each headed by the
time since the log began. The file is the user's to attach: it is created private (0600) and
never holds the token.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from claudechat import __version__

__all__ = ["ExchangeLog", "REDACTED"]

REDACTED = "[redacted]"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"})


class ExchangeLog:
    """Appends to one file; every write is flushed, so a crash still leaves what came before."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o600)
        os.fchmod(fd, 0o600)
        self._file = os.fdopen(fd, "ab", buffering=0)
        self._start = time.monotonic()
        self._requests = 0
        started = time.strftime("%Y-%m-%d %H:%M:%S %z")
        self._write(f"claudechat {__version__} exchange log, started {started}\n")

    def _write(self, text: str | bytes) -> None:
        self._file.write(text.encode("utf-8", "backslashreplace") if isinstance(text, str) else text)

    def _heading(self, what: str) -> None:
        self._write(f"\n--- {time.monotonic() - self._start:9.3f} s  {what}\n")

    def request(self, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        self._requests += 1
        self._heading(f"request {self._requests}: {method} {url}")
        for name, value in headers:
            self._write(f"{name}: {REDACTED if name.lower() in _SECRET_HEADERS else value}\n")
        self._write(b"\n" + body + b"\n")

    def response(self, status: int, headers: Iterable[tuple[str, str]]) -> None:
        self._heading(f"response: {status}")
        for name, value in headers:
            self._write(f"{name}: {REDACTED if name.lower() in _SECRET_HEADERS else value}\n")

    def received(self, data: bytes) -> None:
        self._heading(f"{len(data)} bytes")
        self._write(data)

    def note(self, text: str) -> None:
        self._heading(text)

    def close(self) -> None:
        self._file.close()
