"""A session in one of the formats it can be written in: Markdown, JSON or an HTML page.

`/save FILE` in the chat and `claudechat export` both choose the format here, by name or by
a file's suffix, and get the text from here, so the two always agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claudechat.chat.session import Session
    from claudechat.render.theme import Theme

__all__ = ["FORMATS", "KINDS", "format_of", "held", "transcript"]

FORMATS = ("md", "json", "html")
# A file's suffix -> its format.
_SUFFIXES = {".md": "md", ".markdown": "md", ".json": "json", ".html": "html", ".htm": "html"}
# What each format holds, as confirmations name it.
KINDS = {"md": "transcript (Markdown)", "json": "session (JSON)", "html": "page (HTML)"}


def format_of(path: Path) -> str | None:
    """The format a file name's suffix says (`.md`, `.json`, `.html`, ...), None for another one."""
    return _SUFFIXES.get(path.suffix.lower())


def transcript(session: Session, form: str, theme: Theme | None = None, *, all_branches: bool = False) -> bytes:
    """`session` written in `form` (one of FORMATS), as the bytes of a file.

    `theme` colours the HTML page (the default theme without one); the other formats have no
    colours. Markdown and HTML hold the branch in use, or every one with `all_branches`; JSON
    always holds every one.
    """
    if form == "html":
        from claudechat.render.html_export import to_html
        from claudechat.render.theme import DEFAULT_THEME, load_theme

        text = to_html(session, theme or load_theme(DEFAULT_THEME, no_color=False)[0], all_branches=all_branches)
    elif form == "json":
        from claudechat.chat.transcript import to_json

        text = to_json(session)
    else:
        from claudechat.chat.transcript import to_markdown

        text = to_markdown(session, all_branches=all_branches)
    return text.encode("utf-8", "replace")  # a lone surrogate (from a foreign file) becomes "?"


def held(session: Session, form: str, *, all_branches: bool = False) -> str:
    """What a file written by `transcript` holds, as a confirmation says it: turns or branches."""
    from claudechat.render.sessions import turns_text

    branches = len(session.lines()) if all_branches or form == "json" else 0
    return f"{branches} branches" if branches > 1 else turns_text(session.turns)
