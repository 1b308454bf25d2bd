"""File paths as the user reads them: the home directory as `~`, long ones cut in the middle."""

from __future__ import annotations

import os

from claudechat.textwidth import ELLIPSIS, cell_width
from claudechat.sanitize import sanitize

__all__ = ["short_path", "message_path"]

# sanitize() keeps newline and tab; on one line they are shown as their Control Pictures too.
_ONE_LINE = str.maketrans({"\n": "\u240a", "\t": "\u2409"})


def short_path(path: str | os.PathLike[str], width: int | None = None, *, home: str | None = None) -> str:
    """`path` for showing on one line: `~` for the home directory, the middle cut to fit `width`.

    - A path in the home directory starts with `~` (`/home/ann/notes.md` → `~/notes.md`).
    - If the result is wider than `width` terminal cells, directories are dropped from the
      middle and replaced by `…`, keeping the first part (`~`, `/` or the first directory)
      and as many of the last directories as fit:
      `~/.local/share/claudechat/sessions/3fa2b1c4.jsonl` in 38 cells is
      `~/…/claudechat/sessions/3fa2b1c4.jsonl`, in 20 cells `~/…/3fa2b1c4.jsonl`, then
      `…/3fa2b1c4.jsonl`.
    - The file name (the last part) is never cut, so the result is wider than `width` when
      the name alone is; `width=None` only replaces the home directory.
    - Control characters (escape, newline, tab, bidi overrides) are shown as visible symbols,
      so a file's name cannot act on the terminal; the result is safe to print.

    `home` defaults to the user's home directory (`$HOME`); the path is taken as given,
    neither resolved nor made absolute.
    """
    text = os.fspath(path)
    home = os.path.expanduser("~") if home is None else home
    home = home.rstrip("/")
    if home and (text == home or text.startswith(home + "/")):
        text = "~" + text[len(home) :]
    text = sanitize(text).translate(_ONE_LINE)
    if width is None or cell_width(text) <= width:
        return text
    parts = text.split("/")
    if len(parts) < 3:
        return text  # nothing between the first part and the name to leave out
    first, middle, name = parts[0], parts[1:-1], parts[-1]
    for kept in range(len(middle) - 1, -1, -1):
        shown = "/".join([first, ELLIPSIS, *middle[len(middle) - kept :], name])
        if cell_width(shown) <= width:
            return shown
    return f"{ELLIPSIS}/{name}"


def message_path(path: str | os.PathLike[str], width: int = 300) -> str:
    """`path` as an error message names it: whole (no `~`), cut in the middle only past `width`
    cells, so the file's name always ends it."""
    return short_path(path, width, home="")
