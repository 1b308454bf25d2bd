"""A search as the user types it, turned into an FTS5 query and filters.

The user's words never reach SQL as text: each word and phrase is quoted as an FTS5 string
here (so `-`, `:`, `*`, `(` or `OR` inside it are plain characters), and the FTS5 query and
the filters go to SQLite as parameters. What FTS5 sees is only ever quoted strings, a `*` for
a prefix, and the implicit AND between them.

    nginx "redirect loop" conf*  model:opus  since:7d  until:2026-03-01
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from claudechat.errors import UsageError
from claudechat.sanitize import one_line

__all__ = ["SearchQuery", "SearchQueryError", "parse_query", "parse_date"]

_DAY = 86_400.0
_FILTERS = ("model:", "since:", "until:")


class SearchQueryError(UsageError):
    """The query cannot be understood; nothing was searched."""


@dataclass(frozen=True)
class SearchQuery:
    match: str  # the FTS5 query: quoted strings, prefix stars
    terms: tuple[str, ...]  # the words and phrases as typed (for showing)
    model: str | None = None  # a part of the answering model's id, lower case
    since: float | None = None  # turns at or after this time
    until: float | None = None  # turns before this time


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def parse_date(value: str, *, end: bool, now: float | None = None) -> float:
    """`7d` (days ago), `12h`, `2w`, or an ISO date or date-time; a date alone is a whole local day
    (`until:` takes in all of it)."""
    from datetime import datetime, timedelta

    now = time.time() if now is None else now
    text = value.strip()
    units = {"h": 3600.0, "d": _DAY, "w": 7 * _DAY}
    if len(text) >= 2 and text[:-1].isdigit() and text[-1].lower() in units:
        return now - int(text[:-1]) * units[text[-1].lower()]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SearchQueryError(
            f"{one_line(value, 40)!r} is not a date",
            hint="give an ISO date like 2026-03-01, a date and time like 2026-03-01T14:30, or an age like 7d, 12h, 2w",
        ) from None
    if end and len(text) <= 10:  # a date alone: up to the end of that day
        moment += timedelta(days=1)
    return moment.timestamp()


def _split(text: str) -> list[tuple[str, bool]]:
    """Words and "quoted phrases" (True), a star right after a phrase staying with it."""
    parts: list[tuple[str, bool]] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
            continue
        if char == '"':
            close = text.find('"', position + 1)
            if close < 0:
                raise SearchQueryError(
                    "the search has a quote that is not closed",
                    hint='quote a phrase at both ends: "nginx redirect"',
                )
            phrase = text[position + 1 : close]
            position = close + 1
            star = position < len(text) and text[position] == "*"
            position += star
            if position < len(text) and not text[position].isspace():
                raise SearchQueryError(
                    "the search has a quote in the middle of a word",
                    hint='quote whole phrases, "like this", and leave quotes out of words',
                )
            parts.append((phrase + ("*" if star else ""), True))
            continue
        end = position
        while end < len(text) and not text[end].isspace():
            if text[end] == '"':
                raise SearchQueryError(
                    "the search has a quote in the middle of a word",
                    hint='quote whole phrases, "like this", and leave quotes out of words',
                )
            end += 1
        parts.append((text[position:end], False))
        position = end
    return parts


def parse_query(text: str, *, now: float | None = None) -> SearchQuery:
    """The query for `text`; SearchQueryError when it has no words or a stray quote."""
    match: list[str] = []
    terms: list[str] = []
    model = since = until = None
    for part, phrase in _split(text):
        lowered = part.lower()
        if not phrase and lowered.startswith(_FILTERS) and len(part) > lowered.index(":") + 1:
            name, value = part.split(":", 1)
            name = name.lower()
            if name == "model":
                model = value.lower()
            elif name == "since":
                since = parse_date(value, end=False, now=now)
            else:
                until = parse_date(value, end=True, now=now)
            continue
        prefix = part.endswith("*")
        body = part.rstrip("*") if prefix else part
        if not body.strip():
            continue  # a lone `*` or `""`: nothing to look for
        match.append(_quoted(body) + (" *" if prefix else ""))
        terms.append(f'"{body}"' if phrase else body)
    if not match:
        raise SearchQueryError("the search has no words to look for", hint='give a word or a "phrase" too')
    if since is not None and until is not None and since >= until:
        raise SearchQueryError("since: is not before until:, so nothing can match", hint="swap the two dates")
    return SearchQuery(" ".join(match), tuple(terms), model, since, until)
