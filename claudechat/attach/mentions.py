"""`@path` mentions in a chat message: the files and folders it attaches.

A mention is `@` at the start of a word followed by a path that exists: `@src/app.py`,
`@"my notes.txt"`, `@'my notes.txt'`, `@my\\ notes.txt`, `@~/todo.md`. Punctuation that ends
a sentence is not part of the path (`look at @app.py, please`). Anything else stays text:
an e-mail address (`ann@example.com`: the `@` is inside a word), a decorator or a handle
(`@property`, `@ann`: no such path), and whatever is inside code (`` `@x` `` or a fenced
block), which is quoted, not meant.

The mention stays in the message as typed: the model reads "explain @app.py" and, below the
message, the file in a block headed `app.py`.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Mention", "find_mentions"]

_START = re.compile(r"(?:^|(?<=[\s(\[{<]))@")
_TRAILING = ".,;:!?)]}>'\""
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)
_INLINE_CODE = re.compile(r"(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")  # on one line: no rescans of a long paste


@dataclass(frozen=True)
class Mention:
    start: int  # where the `@` is
    end: int  # just after the mention
    path: str  # as typed, quotes and backslashes taken off (`~` not expanded)


def _exists(path: str) -> bool:
    return os.path.lexists(os.path.expanduser(path))


def find_mentions(text: str, exists: Callable[[str], bool] = _exists) -> list[Mention]:
    """The mentions in `text` whose paths exist, in order."""
    if "@" not in text:
        return []
    code = _code_spans(text)
    starts = [start for start, _end in code]
    mentions = []
    for match in _START.finditer(text):
        at = match.start()
        inside = bisect.bisect_right(starts, at) - 1
        if inside >= 0 and at < code[inside][1]:
            continue
        found = _mention_at(text, at, exists)
        if found is not None:
            mentions.append(found)
    return mentions


def _mention_at(text: str, at: int, exists: Callable[[str], bool]) -> Mention | None:
    begin = at + 1
    if begin < len(text) and text[begin] in "\"'":
        close = text.find(text[begin], begin + 1)
        if close == -1 or "\n" in text[begin:close]:
            return None
        path = text[begin + 1 : close]
        return Mention(at, close + 1, path) if path and exists(path) else None
    chars: list[str] = []
    ends: list[int] = []  # where in `text` the word ends after each of its characters
    index = begin
    while index < len(text) and not text[index].isspace():
        if text[index] == "\\" and index + 1 < len(text):
            index += 1
        chars.append(text[index])
        index += 1
        ends.append(index)
    while chars:
        path = "".join(chars)
        if exists(path):
            return Mention(at, ends[-1], path)
        if chars[-1] not in _TRAILING:
            return None
        chars.pop()
        ends.pop()
    return None


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds code: fenced blocks (an unclosed one runs to the end) and `inline` spans."""
    if "`" not in text and "~~~" not in text:
        return []
    spans: list[tuple[int, int]] = []
    opened: tuple[int, str] | None = None
    for match in _FENCE.finditer(text):
        marker = match.group(1)
        if opened is None:
            opened = (match.start(), marker)
        elif marker[0] == opened[1][0] and len(marker) >= len(opened[1]):
            line_end = text.find("\n", match.end())
            spans.append((opened[0], len(text) if line_end == -1 else line_end))
            opened = None
    if opened is not None:
        spans.append((opened[0], len(text)))
    fences = list(spans)
    fence_starts = [start for start, _end in fences]
    for match in _INLINE_CODE.finditer(text):
        inside = bisect.bisect_right(fence_starts, match.start()) - 1
        if not (inside >= 0 and match.start() < fences[inside][1]):
            spans.append(match.span())
    return sorted(spans)
