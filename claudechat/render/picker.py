"""The session picker's rows and preview as text: fitted to the terminal, untrusted text made harmless.

A row is the date the session was last used, its turns, the model of its last answer and its
title, never wider than the terminal (the model column gives way first on a narrow one); what
comes from the logs (titles, models, messages) is sanitised before it is measured or shown.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from claudechat.sanitize import one_line, sanitize
from claudechat.textwidth import cell_width, crop, fit_words

if TYPE_CHECKING:
    from claudechat.chat.picking import PickerRow

__all__ = ["MODEL_WIDTH", "answer_text", "row_text"]

MODEL_WIDTH = 18
TITLE_ROOM = 20  # cells a title keeps before the model column is left out
DATE_FORMAT = "%Y-%m-%d %H:%M"
_PREVIEW_CHARS = 4000  # of an answer: more than any preview pane shows


def row_text(row: PickerRow, model: str | None, width: int, marker: str) -> str:
    """One row: marker (two cells), last used, turns, model, title; never wider than `width` cells."""
    when = time.strftime(DATE_FORMAT, time.localtime(row.used))
    turns = "" if row.error else "?" if row.turns is None else f"{row.turns:,}"
    head = f"{when}  {turns:>5}  "  # ASCII: measured by len, as every row is on every frame
    used = 2 + len(head)
    if width - used - MODEL_WIDTH - 2 >= TITLE_ROOM:  # else the model gives way to the title
        model = crop(one_line(model or "", 80), MODEL_WIDTH)
        head += f"{model}{' ' * (MODEL_WIDTH - cell_width(model))}  "
        used += MODEL_WIDTH + 2
    if row.error:
        title = f"unreadable: {one_line(row.error, 300)}"
    elif not row.indexed:
        title = "…"  # the index has not read it yet: it is, on the worker
    else:
        title = one_line(row.title or "untitled", 300)
    text = marker + head + fit_words(title, max(0, width - used))
    return text if used <= width else crop(text, width)


def answer_text(text: str) -> str:
    """An answer for the preview: sanitised, tabs as spaces, no runs of blank lines."""
    lines = sanitize(text[:_PREVIEW_CHARS]).replace("\t", "    ").split("\n")
    kept: list[str] = []
    for line in lines:
        if line.strip() or (kept and kept[-1].strip()):
            kept.append(line.rstrip())
    return "\n".join(kept).strip("\n")
