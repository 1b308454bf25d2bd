"""Two columns of text whose second column wraps under itself, never back under the first."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["two_columns"]


def two_columns(rows: list[tuple[str, str]], *, left: str = "notice", right: str = "notice") -> Table:
    """A borderless table: the first column as wide as its longest cell and never wrapped, the
    second wrapping at word boundaries within the rest of the width. Cells are plain text, so
    brackets in them are never taken for markup."""
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(Text(name, style=left), Text(value, style=right))
    return table
