"""How wide text is on a terminal, and how to make it fit: cells, not characters.

Only `unicodedata` is used, so the table of sessions and the chat's toolbar can measure text
without loading rich. A CJK character or an emoji takes two cells; combining marks, variation
selectors and zero-width joiners none.
"""

from __future__ import annotations

import unicodedata

__all__ = ["ELLIPSIS", "cell_width", "crop", "fit_words"]

ELLIPSIS = "…"
_TRAILING = " ,;:-–—"  # left at the end of a cut title they would dangle before the ellipsis


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_width(text: str) -> int:
    """The number of terminal cells `text` takes (it is one line, already sanitised)."""
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def _prefix(text: str, cells: int) -> str:
    """The longest start of `text` that takes at most `cells` cells."""
    used = 0
    for index, char in enumerate(text):
        used += _char_width(char)
        if used > cells:
            return text[:index]
    return text


def crop(text: str, width: int) -> str:
    """`text` cut to `width` cells, an ellipsis at the end when anything was cut."""
    if cell_width(text) <= width:
        return text
    if width <= 0:
        return ""
    return _prefix(text, width - 1).rstrip() + ELLIPSIS


def fit_words(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut between words with an ellipsis when it is longer.

    A word is cut only when the first one alone is wider than `width`, and text without
    spaces (a CJK title) is cut between characters.
    """
    if cell_width(text) <= width:
        return text
    if width <= 0:
        return ""
    head = _prefix(text, width - 1)
    if not head[-1:].isspace() and not text[len(head)].isspace() and " " in head.strip():
        head = head[: head.rstrip().rindex(" ")]  # the word that does not fit goes whole
    words = head.rstrip(_TRAILING)
    return (words or head.rstrip()) + ELLIPSIS
