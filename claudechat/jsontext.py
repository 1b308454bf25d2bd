"""JSON as UTF-8 bytes, whatever its strings hold: requests, session records, transcripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["read_json_object", "utf8_json"]


def utf8_json(value: Any, *, indent: int | None = None, separators: tuple[str, str] | None = None) -> bytes:
    """`value` as JSON in UTF-8, non-ASCII text kept readable.

    A lone surrogate (half of an emoji a server split across two chunks, or from a file
    someone else wrote) has no UTF-8 form; then everything non-ASCII is escaped instead,
    which is still valid JSON meaning exactly the same, so one odd character never stops a
    request or a save.
    """
    import json  # imported when first written: the chat's start-up writes nothing

    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, indent=indent, separators=separators).encode("ascii")


def read_json_object(path: Path, max_bytes: int) -> dict[str, Any]:
    """The JSON object a small file of claudechat's own holds; {} when it is missing, unreadable,
    larger than `max_bytes`, or not an object (such files are remade, never trusted)."""
    import json

    try:
        with path.open("rb") as handle:
            data = json.loads(handle.read(max_bytes + 1)[:max_bytes])
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}
