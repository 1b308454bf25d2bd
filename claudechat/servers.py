"""What claudechat has learned about the servers it talks to, kept between runs.

Today one fact: which servers refuse `stream_options` (the field that asks for the usage of a
streamed answer). Learned when a server refuses it, so each server pays for the refusal once.
The file is a cache: one that cannot be read counts as empty, and one that cannot be written
only means the lesson is learned again next time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["ServerMemory"]

_FILE_NAME = "servers.json"
_MAX_BYTES = 256 * 1024


class ServerMemory:
    def __init__(self, directory: Path | None = None) -> None:
        if directory is None:
            from claudechat.config import state_dir

            directory = state_dir()
        self.path = directory / _FILE_NAME

    def _read(self) -> dict[str, Any]:
        from claudechat.jsontext import read_json_object

        return read_json_object(self.path, _MAX_BYTES)

    def refuses_stream_options(self, server: str) -> bool:
        entry = self._read().get(server)
        return isinstance(entry, dict) and entry.get("stream_options") is False

    def remember_stream_options_refused(self, server: str) -> None:
        from claudechat.files import make_private_dir, write_atomically

        data = self._read()
        entry = data.get(server) if isinstance(data.get(server), dict) else {}
        data[server] = {**entry, "stream_options": False}
        try:
            make_private_dir(self.path.parent, tighten=False)
            write_atomically(self.path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8") + b"\n")
        except OSError:
            pass
