"""How an attached file is written into a message: its path as a heading, its text in a fence.

The fence is longer than any run of backticks in the text, so nothing in a file can close it
early; the language after the fence (from the file's name, as Pygments knows it) lets the
model, and any Markdown viewer of a transcript, read it as what it is.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from typing import Any

__all__ = ["fence_for", "language_for", "file_block"]

_BACKTICKS = re.compile(r"`{3,}")
_PLAIN_TEXT = {"text", ""}  # Pygments' TextLexer: no language worth naming


def fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks in `text` (three at least)."""
    if "```" not in text:  # the common case, without a regular expression over the whole text
        return "```"
    longest = max(map(len, _BACKTICKS.findall(text)), default=0)
    return "`" * max(3, longest + 1)


def file_block(heading: str, text: str, language: str = "") -> str:
    """`heading` on a line of its own, then `text` fenced, its language named after the fence."""
    fence = fence_for(text)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{heading}\n{fence}{language}\n{body}{fence}"


def language_for(name: str) -> str:
    """The language of a file for highlighting, from its name (`src/app.py` → `python`); "" if none."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    index = _index()
    if base in index.names or index.special.match(base):  # Makefile, *.cmake.in, ...: ask Pygments itself
        return _language_of_name(base)
    dot = base.rfind(".")
    if dot <= 0:
        return ""
    return _language_of_suffix(base[dot:].lower())


@functools.lru_cache(maxsize=1024)
def _language_of_suffix(suffix: str) -> str:
    return _language_of_name("x" + suffix)


@functools.lru_cache(maxsize=1024)
def _language_of_name(base: str) -> str:
    from pygments.lexers import find_lexer_class_for_filename
    from pygments.util import ClassNotFound

    try:
        lexer = find_lexer_class_for_filename(base)
    except ClassNotFound:  # pragma: no cover  (find_... returns None; kept for older Pygments)
        return ""
    if lexer is None or not lexer.aliases:
        return ""
    alias: str = lexer.aliases[0]
    return "" if alias in _PLAIN_TEXT else alias


class _Index:
    """What Pygments' file name patterns need: which names are more than `*.suffix`.

    Most patterns are `*.suffix`, answered once per suffix; a name that some other pattern
    could match (`Makefile`, `*.cmake.in`) is looked up whole. Pygments' own lookup tries
    every pattern of every lexer, too slow for thousands of files.
    """

    def __init__(self, lexers: Any) -> None:
        suffix_only = re.compile(r"^\*\.[^*?./]+$")  # `*.py`, `*.[ch]`: the suffix decides
        others = {
            pattern
            for _name, _aliases, patterns, _mimetypes in lexers
            for pattern in patterns
            if not suffix_only.match(pattern)
        }
        self.names = {pattern for pattern in others if not any(char in pattern for char in "*?[")}
        wild = others - self.names
        translated = "|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in sorted(wild))
        self.special = re.compile(translated or r"(?!)")


@functools.lru_cache(maxsize=1)
def _index() -> _Index:
    from pygments.lexers import get_all_lexers

    return _Index(get_all_lexers(plugins=False))
