"""A summary on the screen while the model writes it (/compact), and the panel it ends in.

`SummaryView` takes the events of an answer like `AnswerView` does (`stream_answer` feeds
either), but draws them as a panel of the summary's last lines, redrawn each frame; when it is
done the whole summary is printed once, as Markdown in a panel, by `summary_panel`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from claudechat.sanitize import one_line, sanitize

if TYPE_CHECKING:
    from rich.console import RenderableType

    from claudechat.render.screen import Screen

__all__ = ["SummaryView", "summary_panel"]

_LIVE_LINES = 6
_TAIL_CHARS = 4000  # enough text for the live lines at any sane width
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_TICK = 0.1
_CHARS_PER_TOKEN = 4  # a rough count for the indicator; the note after it has the server's


def summary_panel(summary: str, title: str, code_theme: str) -> RenderableType:
    """The whole summary as Markdown in a panel (its code blocks have no numbers: /copy is for answers)."""
    from rich.panel import Panel
    from rich.text import Text

    from claudechat.render.markdown import SafeMarkdown

    return Panel(
        SafeMarkdown(sanitize(summary), code_theme=code_theme, first_code_number=None),
        title=Text(one_line(title, 120), style="notice"),
        title_align="left",
        border_style="notice",
        padding=(0, 1),
    )


class SummaryView:
    """The summary as it streams: the last lines in a panel, and a row saying it is coming."""

    def __init__(
        self,
        screen: Screen,
        *,
        title: str,
        stop_hint: str = "Esc stops",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._screen = screen
        self._title = title
        self._stop_hint = stop_hint
        self._clock = clock
        self.started = clock()
        self.first_token_at: float | None = None
        self._text: list[str] = []
        self._chars = 0
        self._thinking = False
        self._typed = ""
        self._dirty = True
        self._last_draw = 0.0
        self.on_due: Callable[[], None] = lambda: None  # new input wants a frame now (see AnswerView)

    @property
    def screen(self) -> Screen:
        return self._screen

    @property
    def text(self) -> str:
        return "".join(self._text)

    def content(self, text: str) -> None:
        if not text:
            return
        if self.first_token_at is None:
            self.first_token_at = self._clock()
        self._text.append(text)
        self._chars += len(text)
        self._due()

    def refusal(self, text: str) -> None:
        self.content(text)

    def reasoning(self, text: str) -> None:
        """A thinking model thinks first: said on the indicator, not shown (it is not the summary)."""
        if text and not self._thinking:
            self._thinking = True
            self._due()
        if text and self.first_token_at is None:
            self.first_token_at = self._clock()

    def typed(self, text: str) -> None:
        self._typed = text
        self._due()

    def resized(self) -> None:
        self._due()

    def _due(self) -> None:
        if not self._dirty:
            self._dirty = True
            self.on_due()

    def next_frame_in(self) -> float:
        """Seconds until a frame would draw something, if no new input comes meanwhile."""
        return 0.0 if self._dirty else max(0.0, self._last_draw + _TICK - self._clock())

    def frame(self) -> None:
        now = self._clock()
        if not self._dirty and now - self._last_draw < _TICK:
            return
        self._screen.region.update("", self._panel_lines() + [self._indicator(now)])
        self._dirty = False
        self._last_draw = now

    def _panel_lines(self) -> list[str]:
        if not self._chars:
            return []
        from rich.panel import Panel
        from rich.text import Text

        console = self._screen.console
        tail = sanitize(self.text[-_TAIL_CHARS:]).strip("\n")
        lines = Text(tail).wrap(console, max(10, console.width - 4))
        panel = Panel(
            Text("\n").join(list(lines)[-_LIVE_LINES:]),
            title=Text(one_line(self._title, 120), style="notice"),
            title_align="left",
            border_style="notice",
            padding=(0, 1),
        )
        return self._screen.render(panel).rstrip("\n").split("\n")

    def _indicator(self, now: float) -> str:
        from rich.text import Text

        elapsed = now - self.started
        spinner = _SPINNER[int(elapsed / _TICK) % len(_SPINNER)]
        if self._chars:
            said = f"{spinner} Summarising · {elapsed:.1f} s · ~{self._chars // _CHARS_PER_TOKEN:,} tokens"
        else:
            said = f"{spinner} {'Thinking' if self._thinking else 'Summarising'} · {elapsed:.1f} s"
        line = Text(f"{said} · {self._stop_hint}", style="spinner")
        if self._typed:
            line.append("  next: ", style="status")
            line.append(one_line(self._typed, 500), style="prompt")
        line.truncate(max(10, self._screen.console.width - 1), overflow="ellipsis")
        return self._screen.render(line).rstrip("\n")

    def finish(self, *after: RenderableType) -> None:
        """Done (or failed): the live rows go, `after` is printed in their place."""
        self._screen.region.update("".join(self._screen.render(item) for item in after), [])
