"""JSON as UTF-8 bytes, whatever its strings hold: requests, session records, transcripts."""

from __future__ import annotations

from typing import Any

__all__ = ["utf8_json"]


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
