"""Search hits, for `claudechat search` and `/search`.

On a terminal each hit takes two rows fitted to its width: the session (id, date, turn,
model, title), then the snippet with the words found highlighted. Piped, each hit is one line
of tab-separated fields with no escape codes, for whatever reads it. Titles and snippets come
from session files and model output: they are sanitised, and never read as rich markup.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from claudechat.sanitize import one_line, sanitize

if TYPE_CHECKING:
    from rich.text import Text

    from claudechat.chat.index import SearchHit

__all__ = ["hit_rows", "plain_hit", "when_text"]

HIT_STYLE = "markdown.strong"  # a word found, in the snippet
META_STYLE = "status"
INDENT = "    "


def when_text(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))


def plain_hit(hit: SearchHit) -> str:
    """One line: id, date, model, title, turn, snippet, separated by tabs."""
    fields = (
        hit.session,
        when_text(hit.time),
        one_line(hit.model or "", 80),
        one_line(hit.title or "untitled", 300),
        f"turn {hit.turn}",
        one_line(hit.plain_snippet, 1000),
    )
    return "\t".join(field.replace("\t", " ") for field in fields)


def hit_rows(hits: list[SearchHit], width: int, *, numbered: bool = False) -> Text:
    """Two rows per hit, each at most `width` cells (cut with …, never folded)."""
    from rich.text import Text

    rows: list[Text] = []
    number_width = len(str(len(hits)))
    for number, hit in enumerate(hits, 1):
        head = Text()
        if numbered:
            head.append(f"{number:>{number_width}}  ", style="command")
        head.append(one_line(hit.session, 64), style="command")
        head.append(f"  {when_text(hit.time)}  turn {hit.turn}  {one_line(hit.model or '', 80)}  ", style=META_STYLE)
        head.append(one_line(hit.title or "untitled", 300), style="notice")  # last: what is cut on a narrow terminal
        body = Text(INDENT + (" " * (number_width + 2) if numbered else ""))
        for text, marked in hit.snippet_parts():
            body.append(sanitize(text), style=HIT_STYLE if marked else None)
        for row in (head, body):
            row.truncate(width, overflow="ellipsis")
            rows.append(row)
    joined = Text("\n").join(rows)
    joined.no_wrap, joined.overflow = True, "ellipsis"  # made to fit: rich must only cut, never fold
    return joined
