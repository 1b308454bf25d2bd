"""/context on the screen: what the next request would use, part by part, biggest first.

The rows come from `claudechat.chat.context`; here they are only drawn: a line with the total
against the model's window, then a table (what, tokens, share, a bar) fitted to the terminal,
each row on one line, long labels shortened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from rich.console import RenderableType

    from claudechat.chat.context import ContextPart, ContextUse

__all__ = ["context_report"]

SHOWN_ROWS = 15  # the biggest rows; the rest are summed up in one
_FULL = "█"
_PARTS = " ▏▎▍▌▋▊▉"  # eighths of a cell


def _bar(fraction: float, width: int) -> str:
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    if fraction > 0 and eighths == 0:
        eighths = 1  # something is there: never an empty bar
    bar = _FULL * (eighths // 8) + (_PARTS[eighths % 8] if eighths % 8 else "")
    return bar.ljust(width)


def _count(part: ContextPart) -> str:
    return f"{part.tokens:,}" if part.counted else f"~{part.tokens:,}"


def context_report(parts: list[ContextPart], use: ContextUse, *, model: str, width: int) -> list[RenderableType]:
    """The total, then the table of `parts` (biggest first), then what the marks mean.

    Every row is one line of the terminal: the columns of numbers and bars are as wide as they
    need, the labels get the rest and are shortened to it.
    """
    from rich.table import Table
    from rich.text import Text

    total = sum(part.tokens for part in parts)
    bar_width = max(8, min(24, width // 5))
    head = Text()
    if use.window:
        share = use.tokens / use.window
        head.append("context ▕", style="notice")
        head.append(_bar(share, bar_width), style="toolbar.context" + (f".{use.level}" if use.level else ""))
        head.append(f"▏ {share:.0%} · ~{use.tokens:,} of {use.window:,} tokens · {one_line(model, 80)}", style="notice")
    else:
        head.append(f"context: ~{use.tokens:,} tokens · {one_line(model, 80)} (its window is unknown: set "
                    "context_window in the config)", style="notice")

    ordered = sorted(parts, key=lambda part: part.tokens, reverse=True)
    shown, rest = ordered[:SHOWN_ROWS], ordered[SHOWN_ROWS:]
    rows = [(one_line(part.label, 400), _count(part), part.tokens) for part in shown]
    if rest:
        rows.append((f"{len(rest):,} more, each smaller", f"~{sum(part.tokens for part in rest):,}",
                     sum(part.tokens for part in rest)))
    count_width = max(len("tokens"), *(len(count) for _, count, _ in rows)) if rows else len("tokens")
    share_width = len("share")
    label_width = max(10, width - count_width - share_width - bar_width - 3)
    table = Table(box=None, show_header=True, header_style="status", pad_edge=False, padding=(0, 1, 0, 0),
                  collapse_padding=True)
    table.add_column("part", style="notice", no_wrap=True, width=label_width)
    table.add_column("tokens", style="notice", justify="right", no_wrap=True, width=count_width)
    table.add_column("share", style="status", justify="right", no_wrap=True, width=share_width)
    table.add_column("", style="toolbar.context", no_wrap=True, width=bar_width)
    for label, count, tokens in rows:
        fraction = tokens / total if total else 0.0
        table.add_row(one_line(label, label_width), count, f"{fraction:.0%}", _bar(fraction, bar_width).rstrip())
    notes = Text(
        "~ estimated; other counts are the server's · /compact summarises the turns · /undo drops the last exchange",
        style="status",
    )
    line = Table.grid()  # one row, shortened at the end: a Text of its own would be folded
    line.add_column(no_wrap=True, overflow="ellipsis")
    line.add_row(head)
    return [line, table, notes]
