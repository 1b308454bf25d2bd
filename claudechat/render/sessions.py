"""Saved sessions as a plain-text table, for `/sessions` and `claudechat sessions`.

A header row names the columns: ID, LAST USED, TURNS, MODEL, TITLE. Given a width, every row
fits in it on one line: a long title is shortened at a word boundary first (down to
`TITLE_ROOM` cells), then the model column narrows (down to `MODEL_ROOM`), then the title
takes what is left; when that is under `TITLE_LEAST` cells the model column goes, and a
terminal narrower still crops the rows. Without a width (output to a pipe) nothing is
shortened.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from claudechat.paths import short_path
from claudechat.textwidth import cell_width, crop, fit_words
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.chat.store import SessionSummary

__all__ = ["session_table", "turns_text"]

TITLE_ROOM = 20  # cells a title keeps before the model column gives up any
MODEL_ROOM = 12  # the narrowest the model column gets
TITLE_LEAST = 10  # less room than this for the title, and the model column is left out
GAP = "  "
_HEADER = ("ID", "LAST USED", "TURNS", "MODEL", "TITLE")


def turns_text(count: int) -> str:
    return f"{count:,} turn{'s' if count != 1 else ''}"


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_width(text))


def _error_text(summary: SessionSummary, room: int | None, home: str | None) -> str:
    """Why the file is unreadable, its path shortened to leave room for the reason."""
    text = one_line(summary.error or "", 300)
    where = one_line(str(summary.path), 300)
    if where in text:
        before, after = text.split(where, 1)
        budget = None if room is None else room - cell_width(f"unreadable: {before}{after}")
        text = before + short_path(summary.path, None if budget is None else max(budget, 0), home=home) + after
    text = f"unreadable: {text}"
    return text if room is None else fit_words(text, room)


def session_table(
    summaries: list[SessionSummary], current: str | None = None, *, width: int | None = None, home: str | None = None
) -> str:
    """Sessions under a header row: id, last used, turns, model, title (or why it is unreadable).

    `current` adds a first column marking that session with ▸. With `width` (a terminal's),
    no row is wider than `width` cells, so none folds onto a second line. `home` is passed
    to `short_path` for the paths in error messages.
    """
    mark = current is not None
    ids = [one_line(summary.id, 64) for summary in summaries]
    whens = [time.strftime("%Y-%m-%d %H:%M", time.localtime(summary.updated)) for summary in summaries]
    turns = [f"{summary.turns:,}" for summary in summaries]
    readable = [summary for summary in summaries if not summary.error]
    models = {summary.id: one_line(summary.model or "", 80) for summary in readable}
    titles = {summary.id: one_line(summary.title or "untitled", 300) for summary in readable}

    id_width = max(cell_width(text) for text in [_HEADER[0], *ids])
    when_width = max(cell_width(text) for text in [_HEADER[1], *whens])
    turns_width = max(cell_width(text) for text in [_HEADER[2], *turns])
    model_width = max(cell_width(text) for text in [_HEADER[3], *models.values()])
    title_width = max(cell_width(text) for text in [_HEADER[4], *titles.values()])
    lead = (2 if mark else 0) + id_width + len(GAP) + when_width + len(GAP)  # where TURNS starts
    fixed = lead + turns_width + len(GAP)  # where MODEL starts
    title_room: int | None = None
    show_model = True
    if width is not None:
        title_room = width - fixed - model_width - len(GAP)
        wanted = min(title_width, TITLE_ROOM)
        if title_room < wanted:  # the title has been cut to TITLE_ROOM: now the model column
            model_width = max(min(model_width, MODEL_ROOM), width - fixed - len(GAP) - wanted)
            title_room = width - fixed - model_width - len(GAP)
            if title_room < min(title_width, TITLE_LEAST):
                show_model = False
                title_room = width - fixed

    def row(marker: str, cells: tuple[str, str, str, str, str]) -> str:
        ident, when, count, model, title = cells
        line = (
            (marker if mark else "")
            + _pad(ident, id_width) + GAP
            + _pad(when, when_width) + GAP
            + " " * (turns_width - cell_width(count)) + count + GAP
            + (_pad(crop(model, model_width), model_width) + GAP if show_model else "")
            + (title if title_room is None else fit_words(title, max(title_room, 0)))
        )
        return line.rstrip()

    lines = [row("  ", _HEADER)]
    for summary, ident, when, count in zip(summaries, ids, whens, turns):
        marker = "▸ " if summary.id == current else "  "
        if summary.error:
            room = None if width is None else width - lead
            line = (marker if mark else "") + _pad(ident, id_width) + GAP + _pad(when, when_width) + GAP
            lines.append(line + _error_text(summary, room, home))
        else:
            lines.append(row(marker, (ident, when, count, models[summary.id], titles[summary.id])))
    if width is not None:
        lines = [crop(line, width) for line in lines]  # narrower than the fixed columns: cut
    return "\n".join(lines)
