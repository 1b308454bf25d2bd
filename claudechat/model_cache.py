"""The model lists servers gave, kept for a day in the user cache directory (`models.json`).

Keyed by the profile and the server (`work@gateway.example.com`), or the server alone when no
profile is in use: two profiles on one server may hold tokens that see different models.
An entry holds the ids, or null for a server that has no list to give (asked again after a
day too). The file is a cache: one that cannot be read counts as empty, and one that cannot
be written only means asking again next time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["MAX_AGE", "ModelCache", "cache_key"]

_FILE_NAME = "models.json"
_MAX_BYTES = 4 * 1024 * 1024
MAX_AGE = 24 * 3600.0


def cache_key(server: str, profile: str | None) -> str:
    return f"{profile}@{server}" if profile else server


class ModelCache:
    def __init__(self, directory: Path | None = None, *, clock: Callable[[], float] = time.time) -> None:
        if directory is None:
            from claudechat.config import cache_dir

            directory = cache_dir()
        self.path = directory / _FILE_NAME
        self._clock = clock

    def _read(self) -> dict[str, Any]:
        from claudechat.jsontext import read_json_object

        return read_json_object(self.path, _MAX_BYTES)

    def get(self, key: str) -> tuple[bool, list[str] | None]:
        """(found, ids): found is False when there is no entry younger than a day."""
        entry = self._read().get(key)
        if not isinstance(entry, dict):
            return False, None
        saved = entry.get("time")
        if not isinstance(saved, (int, float)) or not 0 <= self._clock() - saved < MAX_AGE:
            return False, None
        ids = entry.get("ids")
        if ids is None:
            return True, None
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            return False, None
        return True, ids

    def put(self, key: str, ids: list[str] | None) -> None:
        from claudechat.files import make_private_dir, write_atomically

        now = self._clock()
        data = {
            name: entry
            for name, entry in self._read().items()
            if isinstance(entry, dict) and isinstance(entry.get("time"), (int, float)) and now - entry["time"] < MAX_AGE
        }
        data[key] = {"time": now, "ids": ids}
        try:
            make_private_dir(self.path.parent, tighten=False)
            write_atomically(self.path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8") + b"\n")
        except OSError:
            pass
