"""Neutralise untrusted text (model output, server messages, file names) before it is shown.

Text from the network is data. A terminal interprets ESC sequences (cursor moves, window
titles, OSC 52 clipboard writes, hyperlinks) and bidi overrides reorder what the reader sees,
so every such character is replaced by a visible stand-in; newline and tab survive.

This module sits at the bottom of the import graph because both the API layer (error
excerpts) and the renderer need it, and it must stay free of imports.
"""

from __future__ import annotations

__all__ = ["sanitize", "one_line", "json_line"]

_REPLACEMENT = "\ufffd"


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0x20):
        # Control Pictures (U+2400..U+241F) show C0 controls literally, e.g. ESC as "␛".
        table[code] = chr(0x2400 + code)
    del table[ord("\n")]
    del table[ord("\t")]
    # A lone carriage return would let text overwrite the line; CRLF becomes LF.
    table[ord("\r")] = None
    table[0x7F] = "\u2421"  # ␡
    table.update(dict.fromkeys(range(0x80, 0xA0), _REPLACEMENT))
    for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x061C, 0x200E, 0x200F):
        table[code] = _REPLACEMENT
    # A lone surrogate cannot even be written to a terminal. (fromkeys: this runs at every start.)
    table.update(dict.fromkeys(range(0xD800, 0xE000), _REPLACEMENT))
    return table


_TABLE = _build_table()


def sanitize(text: str) -> str:
    """Return `text` with every terminal control and bidi override made harmless and visible."""
    return text.translate(_TABLE)


def one_line(text: str, limit: int = 300) -> str:
    """Sanitise `text` and fold it onto one line of at most `limit` characters."""
    folded = " ".join(sanitize(text).split())
    if len(folded) > limit:
        folded = folded[: limit - 1].rstrip() + "…"
    return folded


# What json.dumps leaves raw with ensure_ascii=False but a terminal would act on.
_JSON_ESCAPES = {
    code: f"\\u{code:04x}" for code, replacement in _TABLE.items() if code >= 0x7F and replacement is not None
}


def json_line(value: object, *, ascii_only: bool = False) -> str:
    """`value` as one line of JSON whose bytes are safe on a terminal, meaning unchanged.

    json.dumps escapes C0 controls itself; DEL, C1 and bidi controls are escaped here too (in
    JSON text they can only occur inside strings, where an escape such as `\\u0085` means the
    same character).
    """
    import json

    return json.dumps(value, ensure_ascii=ascii_only).translate(_JSON_ESCAPES)
