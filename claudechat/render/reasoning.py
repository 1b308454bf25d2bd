"""How a thinking model's reasoning is shown: live, collapsed, and in full on request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from claudechat.sanitize import sanitize

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = ["REASONING_MODES", "live_panel", "summary_line", "full_panel", "word_count"]

REASONING_MODES = ("collapsed", "expanded", "hidden")
LIVE_LINES = 5
_TAIL_CHARS = 4000  # enough text for LIVE_LINES wrapped rows at any sane width


def word_count(text: str) -> int:
    return len(text.split())


def live_panel(console: Console, reasoning: str, elapsed: float) -> RenderableType:
    """A dim panel with the last few lines of the reasoning as it streams."""
    from rich.panel import Panel
    from rich.text import Text

    tail = sanitize(reasoning[-_TAIL_CHARS:])
    width = max(10, console.width - 4)
    lines = Text(tail.strip("\n"), style="reasoning.text").wrap(console, width)
    shown = Text("\n").join(list(lines)[-LIVE_LINES:])
    return Panel(
        shown,
        title=Text(f"Thinking · {elapsed:.1f} s", style="reasoning.title"),
        title_align="left",
        border_style="reasoning.border",
        padding=(0, 1),
    )


def summary_line(reasoning: str, seconds: float) -> RenderableType:
    from rich.text import Text

    words = word_count(reasoning)
    return Text(  # numbers only: no untrusted text reaches the line
        f"▸ Thought for {seconds:.1f} s · {words:,} word{'s' if words != 1 else ''}  (/think to expand)",
        style="reasoning.summary",
    )


def full_panel(reasoning: str, code_theme: str, title: str = "Reasoning") -> RenderableType:
    """The whole reasoning, as Markdown, in a dim panel.

    Its code blocks have no numbers: those are for `/copy N`, which copies from the answer.
    """
    from rich.panel import Panel
    from rich.text import Text

    from claudechat.render.markdown import SafeMarkdown

    return Panel(
        SafeMarkdown(sanitize(reasoning), code_theme=code_theme, first_code_number=None),
        title=Text(title, style="reasoning.title"),
        title_align="left",
        border_style="reasoning.border",
        style="reasoning.text",
        padding=(0, 1),
    )
