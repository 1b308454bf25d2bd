"""A shell command's output on the screen while it runs, and the line saying how it ended.

Output is data like a model's answer: it is decoded as UTF-8 (invalid bytes replaced), its
controls and escapes are made visible, and only then written. Finished lines go to the
scrollback as plain text, so they can be selected and copied as the command wrote them; the
unfinished last line and a row saying the command still runs are the live region, redrawn on
the caller's frame clock. A carriage return shows what a terminal would leave on the line (a
progress bar's last state). Past `limit` bytes nothing more is shown, and one line says so.
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from claudechat.sanitize import one_line, sanitize

if TYPE_CHECKING:
    from rich.console import RenderableType

    from claudechat.render.screen import Screen

__all__ = ["CommandView", "byte_size"]

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_TICK = 0.1  # the spinner and the clock need a redraw this often even with no new output
_TAB_SIZE = 8


def byte_size(count: int) -> str:
    """A byte count for people: "812 bytes", "64 KB", "3.2 MB"."""
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.1f} MB"
    if count >= 1024:
        return f"{count / 1024:,.0f} KB"
    return f"{count:,} byte{'s' if count != 1 else ''}"


def _after_return(text: str) -> str:
    """`text` from its last carriage return on, not counting those at its very end."""
    end = len(text.rstrip("\r"))
    start = text.rfind("\r", 0, end)
    return text[start + 1 :] if start >= 0 else text


def _shown_line(raw: str) -> str:
    """A line as a terminal leaves it: the text after its last carriage return, made safe."""
    return sanitize(_after_return(raw).rstrip("\r")).expandtabs(_TAB_SIZE)


def _shown_lines(raw: str) -> str:
    """Whole lines (without the last newline) as `_shown_line` shows each, done in bulk."""
    if "\r" in raw:
        raw = "\n".join(_after_return(line).rstrip("\r") for line in raw.split("\n"))
    return sanitize(raw).expandtabs(_TAB_SIZE)  # tab stops start again after each newline


class CommandView:
    def __init__(
        self,
        screen: Screen,
        *,
        limit: int,
        stop_hint: str = "Ctrl-C stops",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._screen = screen
        self._limit = limit
        self._stop_hint = stop_hint
        self._clock = clock
        self.started = clock()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._received = 0
        self._shown = 0
        self._lines: list[str] = []  # finished lines not yet committed, a block of them each
        self._partial: list[str] = []  # the unfinished last line, in the pieces it came in
        self._muted = False  # past the limit: nothing more is shown
        self._stopping = False
        self._typed = ""
        self._dirty = True
        self._last_draw = 0.0

    def output(self, data: bytes) -> None:
        self._received += len(data)
        self._dirty = True
        if self._muted:
            return
        if self._shown + len(data) > self._limit:
            data = data[: self._limit - self._shown]
            self._muted = True
        self._shown += len(data)
        text = self._decoder.decode(data, final=self._muted)
        self._add_text(text)
        if self._muted:
            self._close_partial()
            self._lines.append(self._note(f"… over {byte_size(self._limit)} of output: the rest is not shown"))

    def _note(self, text: str) -> str:
        from rich.text import Text

        return self._screen.render(Text(text, style="notice")).rstrip("\n")

    def _add_text(self, text: str) -> None:
        # Kept in pieces, joined only when a line ends or is drawn: a line written a few bytes
        # at a time would otherwise be copied whole for each piece.
        if "\n" in text:
            finished, _, last = ("".join(self._partial) + text).rpartition("\n")
            self._lines.append(_shown_lines(finished))
            self._partial = [last] if last else []
        elif "\r" in text:  # what is before the last carriage return can never be shown
            self._partial = [_after_return("".join(self._partial) + text)]
        elif text:
            self._partial.append(text)

    def _close_partial(self) -> None:
        if self._partial:
            self._lines.append(_shown_line("".join(self._partial)))
            self._partial = []

    def stopping(self) -> None:
        """The user asked the command to stop; the row says so until it has."""
        self._stopping = True
        self._dirty = True

    def typed(self, text: str) -> None:
        """What the user typed meanwhile, shown on the last row: the start of the next message."""
        self._typed = text
        self._dirty = True

    def _committed(self) -> str:
        if not self._lines:
            return ""
        text = "\n".join(self._lines) + "\n"
        self._lines.clear()
        return text

    def frame(self) -> None:
        """Draw one frame if anything changed (or the clock on the last row is due)."""
        now = self._clock()
        if not self._dirty and now - self._last_draw < _TICK:
            return
        live = []
        width = max(10, self._screen.console.width - 1)
        if self._partial:
            live.append(self._fit(_shown_line("".join(self._partial)), width))
        live.append(self._indicator(now, width))
        self._screen.region.update(self._committed(), live)
        self._dirty = False
        self._last_draw = now

    def _fit(self, line: str, width: int) -> str:
        """One row of the live region: it must not wrap, or the rows to erase would be miscounted."""
        from rich.text import Text

        text = Text(line[: width * 2])  # no character takes more than two cells
        text.truncate(width, overflow="ellipsis")
        return text.plain

    def _indicator(self, now: float, width: int) -> str:
        from rich.text import Text

        elapsed = now - self.started
        spinner = _SPINNER[int(elapsed / _TICK) % len(_SPINNER)]
        parts = [f"{spinner} {'stopping' if self._stopping else 'running'} · {elapsed:.1f} s"]
        if self._received:
            parts.append(byte_size(self._received))
        parts.append("Ctrl-C again forces it" if self._stopping else self._stop_hint)
        line = Text(" · ".join(parts), style="spinner")
        if self._typed:
            line.append("  next: ", style="status")
            line.append(one_line(self._typed, 500), style="prompt")
        line.truncate(width, overflow="ellipsis")
        return self._screen.render(line).rstrip("\n")

    def finish(self, *after: RenderableType, last_lines: list[str] | None = None) -> None:
        """The command has ended: the rest of its output, then `after`, go to the scrollback.

        When the output was too long to show whole, `last_lines` (its end) are shown after the
        note: where a long build says what went wrong.
        """
        if not self._muted:
            self._add_text(self._decoder.decode(b"", final=True))
            self._close_partial()
        elif last_lines:
            self._lines.append(self._note(f"… its last {len(last_lines)} lines:"))
            self._lines += [_shown_line(line) for line in last_lines]
        committed = self._committed() + "".join(self._screen.render(item) for item in after)
        self._screen.region.update(committed, [])
