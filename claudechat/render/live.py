"""The live region: the few rows at the bottom of the terminal that are redrawn each frame.

Everything above it is scrollback and is never touched again. Each frame is one write:
synchronized-output start, erase the previous live rows, print what was committed since the
last frame (it scrolls up into the scrollback for good), draw the new live rows, synchronized-
output end. Terminals that know mode 2026 show the frame at once; others ignore the markers.

Each live row ends with a newline, so the cursor rests at the start of the row below the
region and a row that fills the full width never leaves the terminal in its pending-wrap
state, which would throw the count of rows to erase off by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["LiveRegion", "SYNC_START", "SYNC_END", "ERASE_DOWN", "visible_width"]

SYNC_START = "\x1b[?2026h"
SYNC_END = "\x1b[?2026l"
# Erase from the start of the cursor's row to the end of the screen, cursor left in column 0.
# Not a plain ED: tmux (scroll-on-clear, on by default) takes ED from the top-left corner for
# a clear-screen and pushes the whole screen into its history, so a region drawn on the top
# row (after `clear`) would leave a copy of itself there on every frame. Erasing the row, then
# ED from its second column, clears the same cells and is never taken for a clear.
ERASE_DOWN = "\x1b[2K\x1b[C\x1b[J\r"
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def visible_width(line: str) -> int:
    """Cells a rendered line takes: its text without the colour codes rich put in."""
    from rich.cells import cell_len

    return cell_len(_SGR.sub("", line))


class LiveRegion:
    """Draw, replace and erase the live rows; print committed text above them."""

    def __init__(self, write: Callable[[str], None], columns: Callable[[], int]) -> None:
        self._write = write
        self._columns = columns
        self._widths: list[int] = []  # visible width of each row drawn by the last frame
        self._drawn_columns = 0

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
        self._write("".join(parts))
        self._widths = [visible_width(line) for line in live]
        self._drawn_columns = self._columns()
