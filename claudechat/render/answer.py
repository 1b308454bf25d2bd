"""One answer on the screen while it streams: spinner, reasoning panel, Markdown, status line.

The view only collects text as it arrives (`reasoning`, `content`); the screen changes in
`frame`, which the caller runs from one clock at a fixed rate, never once per delta. Until the
answer ends, the live region's last row says it is still coming (elapsed time, about how many
tokens, how to stop it) and shows what was typed meanwhile, so a stalled stream looks stalled.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from claudechat.render.reasoning import full_panel, live_panel, summary_line
from claudechat.render.stream import MarkdownStream
from claudechat.sanitize import one_line, sanitize

if TYPE_CHECKING:
    from rich.console import RenderableType

    from claudechat.render.screen import Screen

__all__ = ["AnswerView", "status_text", "error_text", "interrupted_text", "ending_notes", "FRAME_INTERVAL"]

FRAME_INTERVAL = 1 / 25  # seconds between frames: smooth to the eye, cheap for the CPU
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_TICK = 0.1  # the spinner and elapsed time need a redraw this often even with no new text
# While text streams, the text itself shows the answer is alive: the indicator row moves on
# this slowly then, so most frames rewrite only the end of the text's last row.
_FLOWING_TICK = 1.0
# Text that trickles in is drawn a few words at a time, at most _HOLD late: a frame per delta
# at a model's pace would move the cursor and restyle a row to add one word, and render the
# tail again for it. Text arriving faster is drawn every frame.
_MIN_NEW_CHARS = 64
_HOLD = 0.3
# Seconds a frame spends drawing finished blocks when they arrive faster than that: the rest
# is left for the next frames, so the terminal (and Esc) never wait long for one.
_FRAME_BUDGET = 0.003
_STALLED = 3.0  # seconds without new text after which the indicator says so
_CHARS_PER_TOKEN = 4  # a rough count for the indicator; the status line has the server's


def status_text(
    model: str,
    *,
    seconds: float,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    generating_seconds: float | None = None,
    finish_reason: str | None = None,
    cost: str | None = None,
) -> str:
    """The one dim line after an answer: model, tokens and their cost, time, speed, and an
    unusual finish.

    The model id and finish reason come from the server: they are shown sanitised.
    """
    parts = [one_line(model, 120)]
    if prompt_tokens is not None and completion_tokens is not None:
        parts.append(f"{prompt_tokens:,} → {completion_tokens:,} tokens")
    if cost is not None:
        parts.append(cost)
    parts.append(f"{seconds:.1f} s")
    if completion_tokens and generating_seconds and generating_seconds >= 0.2:
        parts.append(f"{completion_tokens / generating_seconds:,.0f} tok/s")
    if finish_reason and finish_reason != "stop":
        parts.append(f"finish: {one_line(finish_reason, 60)}")
    return " · ".join(parts)


def error_text(message: str) -> RenderableType:
    """An error, in one line, where an answer would be."""
    from rich.text import Text

    return Text(f"error: {one_line(message, 2000)}", style="error")


def interrupted_text(*, kept: bool = True) -> RenderableType:
    """The mark left under an answer that was stopped before its end."""
    from rich.text import Text

    return Text("⏹ interrupted · the partial answer is kept" if kept else "⏹ interrupted", style="interrupted")


def ending_notes(finish_reason: str | None, *, refused: bool, raise_limit: str) -> list[RenderableType]:
    """Lines under an answer that ended unusually: a refusal, or cut off at the token limit."""
    from rich.text import Text

    notes: list[RenderableType] = []
    if refused:
        notes.append(Text("⊘ the model refused: the text above is its refusal", style="warning"))
    if finish_reason == "length":
        notes.append(Text(f"⚠ the answer was cut off at the max_tokens limit ({raise_limit})", style="warning"))
    return notes


class AnswerView:
    def __init__(
        self,
        screen: Screen,
        *,
        model: str,
        reasoning_mode: str = "collapsed",
        code_theme: str = "monokai",
        code_language: str | None = None,
        stop_hint: str = "Esc stops",
        clock: Callable[[], float] = time.monotonic,
        work_clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        # Everything alive now (modules, history) lives on; freezing it keeps the garbage
        # collector from walking it again in the middle of a frame, where a full pass over
        # claudechat's heap costs 15-20 ms, a whole frame's budget.
        gc.freeze()
        self._screen = screen
        self._model = model
        self._reasoning_mode = reasoning_mode
        self._code_theme = code_theme
        self._clock = clock
        self._work_clock = work_clock  # what the frame budget is measured with
        self.started = clock()
        self.first_token_at: float | None = None
        self._reasoning: list[str] = []
        self._reasoning_started: float | None = None
        self._reasoning_closed = False
        self._answering = False
        self._characters = 0  # of the answer so far, for the indicator's token count
        self._last_text_at: float | None = None
        self._typed = ""  # typed while the answer streams: the next message's start
        self.refused = False
        self._stop_hint = stop_hint  # the chat stops on Esc; a one-shot answer on Ctrl-C only
        self._tail: list[str] | None = None  # the tail's rows as last drawn; None: redraw
        self._tail_width = 0
        self._commits: list[str] = []
        # An answer asked for as code (JSON) is drawn as one code block, highlighted as it
        # streams. A tilde fence: the model's own ``` lines cannot close it. That block is
        # the whole answer, which `/copy` copies, so it has no number for `/copy N`.
        self._markdown = MarkdownStream(
            screen.render,
            code_theme=code_theme,
            number_code_blocks=not code_language,
            width=lambda: screen.console.width,
        )
        self._code_fence = f"~~~~{code_language}\n" if code_language else ""
        self._dirty = True
        self._last_draw = 0.0
        self._held_chars = 0  # of text not drawn yet, and since when it waits
        self._held_since = 0.0
        self._indicator_row: str | None = None
        self._indicator_key: tuple[object, ...] = ()
        self._indicator_at = 0.0
        # Called when new input makes a frame due now (text to draw at once, text typed): the
        # frame clock sleeps until the next frame is due otherwise (see next_frame_in).
        self.on_due: Callable[[], None] = lambda: None

    @property
    def screen(self) -> Screen:
        return self._screen

    @property
    def reasoning_text(self) -> str:
        return "".join(self._reasoning)

    def reasoning(self, text: str) -> None:
        if not text:
            return
        now = self._clock()
        if self._reasoning_started is None:
            self._reasoning_started = now
        if self.first_token_at is None:
            self.first_token_at = now
        self._reasoning.append(sanitize(text))
        self._due()

    def typed(self, text: str) -> None:
        """What the user has typed meanwhile, shown under the answer until it ends."""
        self._typed = text
        self._due()

    def refusal(self, text: str) -> None:
        """A refusal is shown where the answer would be, and marked as one at the end."""
        self.refused = True
        self.content(text)

    def content(self, text: str) -> None:
        if not text:
            return
        self._characters += len(text)
        self._last_text_at = now = self._clock()
        if self.first_token_at is None:
            self.first_token_at = now
        if not self._answering:
            self._close_reasoning()
            self._answering = True
            self._due()  # the first words are drawn at once
            if self._code_fence:
                self._markdown.feed(self._code_fence)
        self._markdown.feed(sanitize(text))
        if not self._held_chars:
            self._held_since = now
        before, self._held_chars = self._held_chars, self._held_chars + len(text)
        if before < _MIN_NEW_CHARS <= self._held_chars:
            self.on_due()

    def resized(self) -> None:
        """The terminal was resized: the next frame draws the rows again, and is due now."""
        self._due()

    def _due(self) -> None:
        self._dirty = True
        self.on_due()

    def next_frame_in(self) -> float:
        """Seconds until a frame would draw something, if no new input comes meanwhile."""
        if self._dirty or self._held_chars >= _MIN_NEW_CHARS:
            return 0.0
        now = self._clock()
        moments = [self._last_draw + self._tick(now)]
        if self._held_chars:
            moments.append(self._held_since + _HOLD)
        if self._last_text_at is not None and now - self._last_text_at < _FLOWING_TICK:
            moments.append(self._last_text_at + _FLOWING_TICK)  # the tick shortens when text stops
        return max(0.0, min(moments) - now)

    def _close_reasoning(self) -> None:
        """Reasoning is over: leave its summary (or all of it, or nothing) in the scrollback."""
        if self._reasoning_started is None or self._reasoning_closed:
            return
        self._reasoning_closed = True
        seconds = self._clock() - self._reasoning_started
        text = self.reasoning_text
        if self._reasoning_mode == "collapsed":
            self._commits.append(self._screen.render(summary_line(text, seconds)))
        elif self._reasoning_mode == "expanded":
            self._commits.append(self._screen.render(full_panel(text, self._code_theme)))

    def frame(self) -> None:
        """Draw one frame if anything changed (or the indicator's clock is due)."""
        now = self._clock()
        due = self._held_chars >= _MIN_NEW_CHARS or (self._held_chars and now - self._held_since >= _HOLD)
        if not self._dirty and not due and now - self._last_draw < self._tick(now):
            return
        if due or (self._dirty and self._held_chars):  # the text that came is drawn in this frame
            self._held_chars = 0
            self._tail = None
        committed = "".join(self._commits)
        self._commits.clear()
        if self._answering and self._tail is None:
            committed += self._markdown.commit_finished(self._work_clock() + _FRAME_BUDGET, self._work_clock)
        max_lines = max(1, self._screen.rows - 3)
        self._screen.region.update(committed, self._live_lines(now, max_lines) + [self._indicator(now)])
        self._dirty = self._markdown.behind  # the next frame draws on from where this one stopped
        self._last_draw = now

    def _live_lines(self, now: float, max_lines: int) -> list[str]:
        if self._answering:
            width = self._screen.console.width
            if self._markdown.behind:  # finished blocks are still being drawn above where the tail goes
                return self._markdown.live_lines(max_lines)  # nothing, or a closed code block as it was
            if self._tail is None or width != self._tail_width:  # new text, or a new width
                self._tail = self._markdown.live_lines(max_lines)
                self._tail_width = width
            return self._tail
        if self._reasoning_started is not None and self._reasoning_mode != "hidden":
            panel = live_panel(self._screen.console, self.reasoning_text, now - self._reasoning_started)
            return self._screen.render(panel).rstrip("\n").split("\n")[-max_lines:]
        return []

    def _tick(self, now: float) -> float:
        """How often the indicator moves on: slowly while text flows, which shows the answer alive."""
        flowing = self._last_text_at is not None and now - self._last_text_at < _FLOWING_TICK
        return _FLOWING_TICK if flowing else _TICK

    def _indicator(self, now: float) -> str:
        """The row saying the answer is still coming: time, tokens so far, how to stop it."""
        step = self._tick(now)
        key = (self._answering, self._reasoning_started is not None, self._typed, self._screen.console.width)
        if self._indicator_row is not None and key == self._indicator_key and now - self._indicator_at < step:
            return self._indicator_row
        self._indicator_key, self._indicator_at = key, now
        self._indicator_row = self._draw_indicator(now)
        return self._indicator_row

    def _draw_indicator(self, now: float) -> str:
        from rich.text import Text

        elapsed = now - self.started
        spinner = _SPINNER[int(elapsed / _TICK) % len(_SPINNER)]
        if self._answering:
            parts = [f"{spinner} {elapsed:.1f} s", f"~{self._characters // _CHARS_PER_TOKEN:,} tokens"]
            if self._last_text_at is not None and now - self._last_text_at >= _STALLED:
                parts.append(f"nothing new for {now - self._last_text_at:.0f} s")
        else:
            label = "Thinking" if self._reasoning_started is not None else f"Waiting for {one_line(self._model, 80)}"
            parts = [f"{spinner} {label} · {elapsed:.1f} s"]
        parts.append(self._stop_hint)
        line = Text(" · ".join(parts), style="spinner")
        if self._typed:
            line.append("  next: ", style="status")
            line.append(one_line(self._typed, 500), style="prompt")
        line.truncate(max(10, self._screen.console.width - 1), overflow="ellipsis")
        return self._screen.render(line).rstrip("\n")

    def finish(self, *after: RenderableType) -> None:
        """The answer is over (complete, interrupted or failed): commit it all, then `after`."""
        self._close_reasoning()
        if self._code_fence and self._answering:
            self._markdown.feed("\n~~~~\n")
        committed = "".join(self._commits) + self._markdown.finish()
        self._commits.clear()
        committed += "".join(self._screen.render(item) for item in after)
        self._screen.region.update(committed, [])
