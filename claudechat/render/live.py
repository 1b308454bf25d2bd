"""The live region: the few rows at the bottom of the terminal that change while an answer streams.

Everything above it is scrollback and is never touched again. Each frame is one write. A full
frame: synchronized-output start, erase the previous live rows, print what was committed since
the last frame (it scrolls up into the scrollback for good), draw the new live rows,
synchronized-output end. Terminals that know mode 2026 show the frame at once; others ignore
the markers.

Most frames need far less, and over SSH every byte redrawn crosses the network, so the region
keeps the rows as it drew them and a frame writes only what differs: the rows that changed,
and of those only the cells from the first difference to the last. When the text committed
is the rows already on screen (a paragraph drawn live, now finished), they are left where
they are and become scrollback as they stand. Anything the diff cannot be sure of (a new
width, text committed that is not on screen) gets a full frame.

Each live row ends with a newline, so the cursor rests at the start of the row below the
region and a row that fills the full width never leaves the terminal in its pending-wrap
state, which would throw the count of rows to erase off by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["LiveRegion", "SYNC_START", "SYNC_END", "ERASE_DOWN", "visible_width", "row_change", "without_padding"]

SYNC_START = "\x1b[?2026h"
SYNC_END = "\x1b[?2026l"
# Erase from the start of the cursor's row to the end of the screen, cursor left in column 0.
# Not a plain ED: tmux (scroll-on-clear, on by default) takes ED from the top-left corner for
# a clear-screen and pushes the whole screen into its history, so a region drawn on the top
# row (after `clear`) would leave a copy of itself there on every frame. Erasing the row, then
# ED from its second column, clears the same cells and is never taken for a clear.
ERASE_DOWN = "\x1b[2K\x1b[C\x1b[J\r"
_SGR = re.compile(r"\x1b\[[0-9;]*m")
# Committed text beyond the rows on screen is written in full by either kind of frame; past
# this many new rows, the full frame's one erase is the simpler way.
_MAX_NEW_COMMITTED_ROWS = 8
_SGR_OR_CSI = re.compile(r"\x1b\[[0-9;:?]*[ -/]*[@-~]")


def visible_width(line: str) -> int:
    """Cells a rendered line takes: its text without the colour codes rich put in."""
    from rich.cells import cell_len

    return cell_len(_SGR.sub("", line))


def _escape_end(text: str, index: int) -> int:
    """`index` moved off the inside of an escape sequence: to its start (the sequence is then
    written whole)."""
    escape = text.rfind("\x1b", 0, index)
    if escape == -1:
        return index
    found = _SGR_OR_CSI.match(text, escape)
    if found is not None and found.end() <= index:
        return index
    return escape


def _grapheme_start(text: str, index: int) -> int:
    """`index` moved back to the start of the character cluster it falls in (combining marks,
    variation selectors and zero-width joiners belong to the character before them)."""
    from rich.cells import cell_len

    while 0 < index < len(text) and text[index] != "\x1b" and (cell_len(text[index]) == 0 or text[index - 1] == "\u200d"):
        index -= 1
    return index


def _style_at(text: str) -> str:
    """The SGR sequences in force at the end of `text`: those since the last reset."""
    active: list[str] = []
    for found in _SGR.finditer(text):
        code = found.group()
        params = code[2:-1]
        if not params or params == "0" or params.startswith("0;"):
            active.clear()
            if params.startswith("0;"):
                active.append(code)
        else:
            active.append(code)
    return "".join(active)


def without_padding(row: str) -> str:
    """`row` without the spaces rich pads it to the full width with, where they have no style:
    on a cleared row they change nothing, and a paragraph's rows are mostly padding."""
    stripped = row.rstrip(" ")
    if len(stripped) == len(row) or _style_at(stripped):
        return row
    return stripped


def row_change(old: str, new: str) -> tuple[int, str, bool] | None:
    """How to turn the drawn row `old` into `new` in place: (the column to start at, the text to
    write there, whether to erase to the end of the row after it); None if they look the same.

    The cells before the first difference and, when both rows end at the same column and
    start it in the same style, after the last, are left as they are.
    """
    old, new = without_padding(old), without_padding(new)
    if old == new:
        return None
    limit = min(len(old), len(new))
    cut = 0
    while cut < limit and old[cut] == new[cut]:
        cut += 1
    cut = _escape_end(new, _grapheme_start(new, _escape_end(new, cut)))
    old_width, new_width = visible_width(old), visible_width(new)
    end = len(new)
    if old_width == new_width:
        same = 0
        while same < limit - cut and old[-1 - same] == new[-1 - same]:
            same += 1
        if same:
            end = _after_cluster(new, _escape_after(new, len(new) - same))
            if end < cut or _style_at(new[:end]) != _style_at(old[: len(old) - (len(new) - end)]):
                end = len(new)
    text = _style_at(new[:cut]) + new[cut:end]
    if end < len(new) and _style_at(new[:end]):
        text += "\x1b[0m"
    return visible_width(new[:cut]), text, end == len(new) and new_width < old_width


def _escape_after(text: str, index: int) -> int:
    """`index` moved off the inside of an escape sequence: past its end."""
    escape = text.rfind("\x1b", 0, index)
    if escape == -1:
        return index
    found = _SGR_OR_CSI.match(text, escape)
    if found is not None and escape < index < found.end():
        return found.end()
    return index


def _after_cluster(text: str, index: int) -> int:
    """`index` moved forward past marks that belong to the character before it."""
    from rich.cells import cell_len

    while index < len(text) and (cell_len(text[index]) == 0 and text[index] != "\x1b" or text[index - 1] == "\u200d"):
        index += 1
    return index


class LiveRegion:
    """Draw, replace and erase the live rows; print committed text above them."""

    def __init__(self, write: Callable[[str], None], columns: Callable[[], int]) -> None:
        self._write = write
        self._columns = columns
        self._rows: list[str] = []  # the rows the last frame left on screen, as drawn
        self._widths: list[int] = []  # visible width of each
        self._drawn_columns = 0
        self._resized = False  # since the last frame: the rows drawn may not be as drawn

    def resized(self) -> None:
        """The terminal was resized: the next frame is drawn in full."""
        self._resized = True

    def _rows_to_erase(self) -> int:
        """Rows the last frame occupies now; after a narrowing resize, wrapped rows count twice.

        Terminals reflow soft-wrapped text when they get narrower, so a row drawn at 100
        columns takes two rows at 60. Rows end in hard newlines, so widening changes nothing.
        """
        columns = self._columns()
        if columns >= self._drawn_columns or columns <= 0:
            return len(self._widths)
        return sum(max(1, -(-width // columns)) for width in self._widths)

    def update(self, committed: str = "", live: list[str] | None = None) -> None:
        """One frame: `committed` goes to the scrollback for good, `live` replaces the live rows."""
        live = live or []
        columns = self._columns()
        frame = self._changes(committed, live, columns)
        if frame is None:
            frame = self._full_frame(committed, live)
        if frame:
            self._write(frame)
        self._rows = list(live)
        self._widths = [visible_width(line) for line in live]
        self._drawn_columns = columns
        self._resized = False

    def _full_frame(self, committed: str, live: list[str]) -> str:
        parts = [SYNC_START]
        rows = self._rows_to_erase()
        # Erasing to the end of the screen even with no rows of ours drawn yet also clears what
        # others left below the cursor (the prompt's toolbar), so it never scrolls into history.
        parts.append(f"\x1b[{rows}A\r{ERASE_DOWN}" if rows else f"\r{ERASE_DOWN}")
        if committed:
            parts.append(committed if committed.endswith("\n") else committed + "\n")
        for line in live:
            parts.append(line)
            parts.append("\n")
        parts.append(SYNC_END)
        return "".join(parts)

    def _changes(self, committed: str, live: list[str], columns: int) -> str | None:
        """The frame as changes to the rows on screen; None when only a full frame is safe.

        Committed rows and live rows are drawn where the full frame would put them; rows that
        are there already are skipped, so rows scroll into the scrollback as they would anyway.
        """
        old = self._rows
        if not old or self._resized or columns != self._drawn_columns or columns <= 0 or max(self._widths) > columns:
            return None
        rows = live
        if committed:
            above = committed.split("\n")
            if above[-1] == "":
                above.pop()
            if above[0] != old[0] or len(above) > len(old) + _MAX_NEW_COMMITTED_ROWS:
                return None  # mostly new text: the full frame is as short
            rows = above + live
        first = 0
        while first < len(old) and first < len(rows) and old[first] == rows[first]:
            first += 1
        if first == len(old) == len(rows):
            return ""
        if any(visible_width(row) > columns for row in rows[len(old) :]):
            return None
        parts: list[str] = []
        up = len(old) - first
        if up:
            parts.append(f"\x1b[{up}A")
        rows_written = 0
        for index in range(first, len(rows)):
            if index >= len(old):
                parts.append(without_padding(rows[index]))
                rows_written += 1
            else:
                change = row_change(old[index], rows[index])
                if change is not None:
                    column, text, erase = change
                    parts.append(f"\x1b[{column + 1}G" if column else "\r")
                    parts.append(text)
                    if erase:
                        parts.append("\x1b[K")
                    rows_written += 1
            parts.append("\n")
        if len(rows) < len(old):
            parts.append(ERASE_DOWN)
            rows_written += 1
        if rows_written > 1:  # shown at once where the terminal can; one row needs no such care
            return SYNC_START + "".join(parts) + SYNC_END
        return "".join(parts)
