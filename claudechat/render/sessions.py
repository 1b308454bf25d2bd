"""Saved sessions as a plain-text table, for `/sessions` and `claudechat sessions`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.chat.store import SessionSummary

__all__ = ["session_table", "turns_text"]


def turns_text(count: int) -> str:
    return f"{count:,} turn{'s' if count != 1 else ''}"


def session_table(summaries: list[SessionSummary], current: str | None = None) -> str:
    """Sessions as aligned lines: id, last used, turns, model, title (or why it is unreadable)."""
    lines = []
    for summary in summaries:
        mark = "▸" if summary.id == current else " "
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(summary.updated))
        if summary.error:
            lines.append(f"{mark} {one_line(summary.id, 64):<8}  {when}  unreadable: {one_line(summary.error, 200)}")
            continue
        turns = turns_text(summary.turns)
        model = one_line(summary.model or "", 40)
        title = one_line(summary.title or "untitled", 60)
        lines.append(f"{mark} {one_line(summary.id, 64):<8}  {when}  {turns:>11}  {model:<30}  {title}")
    return "\n".join(lines)
