"""The session picker's rows and what typing keeps of them, apart from any terminal.

The rows are the saved sessions, the most recently used first: one listing of the sessions
directory (`index_read.scan_logs`: names, sizes and times, no log read) and the search index's
table of logs (title, turns). No log is opened to list them, so ten thousand sessions list as
fast as one directory scan and one table read.

Typing keeps a row when every typed word is in its title, or when the full-text index finds
the words in one of its turns (`content_query` says what it is asked; the last word counts as
the start of a word until a space follows it). The title part is answered at once; the
content part arrives later, from a query that must never hold a keystroke up, and is merged
in when it comes (`PickerFilter.found`), unless the user has typed on since.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from claudechat.chat.search_query import SearchQuery, SearchQueryError, parse_query

if TYPE_CHECKING:
    from claudechat.chat.search_hit import SearchHit

__all__ = ["PREFIX_FROM", "PickerFilter", "PickerRow", "Shown", "content_query", "picker_rows", "title_words"]

PREFIX_FROM = 3  # letters the last word needs before it is looked for as the start of words
_SUFFIX = ".jsonl"
_FILTERS = ("model:", "since:", "until:")


@dataclass(frozen=True)
class PickerRow:
    id: str
    used: float  # last used: the log's modification time, in seconds
    title: str | None = None  # as the index read it (untrusted: sanitise to show it)
    turns: int | None = None  # None: the index has not read this log yet
    error: str | None = None  # why the index could not read the log

    @property
    def indexed(self) -> bool:
        return self.turns is not None


@dataclass(frozen=True)
class Shown:
    row: PickerRow
    hit: SearchHit | None = None  # the turn that matched, when the row was found by what was said


def picker_rows(found: Iterable[tuple[bytes, int, int]], listed: dict[str, tuple[str | None, int, str | None]],
                *, leave_out: str | None = None) -> list[PickerRow]:
    """Rows for the logs `scan_logs` found (name, size, mtime_ns), with what the index `listed`
    of each (`SearchIndex.listing`); the most recently used first, `leave_out` left out."""
    rows = []
    for name, _, mtime_ns in found:
        key = os.fsdecode(name)[: -len(_SUFFIX)]
        if key == leave_out:
            continue
        title, turns, error = listed.get(key, (None, None, None))
        rows.append(PickerRow(key, mtime_ns / 1e9, title, turns, error))
    rows.sort(key=lambda row: (row.used, row.id), reverse=True)
    return rows


def _plain(text: str) -> list[str]:
    """The words of `text` that are not filters, quotes left out."""
    return [word for word in text.replace('"', " ").split() if not word.lower().startswith(_FILTERS)]


def title_words(text: str) -> list[str]:
    """What a title must contain, each (case-folded), for its row to be kept."""
    return [word.rstrip("*").casefold() for word in _plain(text) if word.rstrip("*")]


def content_query(text: str) -> SearchQuery | None:
    """The full-text query for what is typed, or None when there is nothing to ask yet.

    A quote left open is closed, and the last word, when nothing follows it and it has at least
    PREFIX_FROM letters, is asked as a prefix, so the rows narrow as a word is typed. A query the
    index would refuse (a quote in a word, a bad date) is None: the title part still filters.
    """
    if not text.strip():
        return None
    being_typed = text[-1:].isalnum()  # a letter last: the word is not finished
    if text.count('"') % 2:  # a phrase being typed
        words = text.rsplit('"', 1)[1].split()
        typed = text + '"' + ("*" if being_typed and words and len(words[-1]) >= PREFIX_FROM else "")
    else:
        last = text.split()[-1]
        prefix = being_typed and len(last) >= PREFIX_FROM and '"' not in last and not last.lower().startswith(_FILTERS)
        typed = text + ("*" if prefix else "")
    try:
        return parse_query(typed)
    except SearchQueryError:
        return None


def _in_title(row: PickerRow, words: list[str]) -> bool:
    title = (row.title or "").casefold()
    return all(word in title for word in words)


@dataclass
class PickerFilter:
    """The rows, what is typed, the rows it keeps and which of them is selected."""

    rows: list[PickerRow]
    text: str = ""
    shown: list[Shown] = field(default_factory=list)
    selected: int = 0
    generation: int = 0  # one more each time the text changes: a late content answer is told by it
    hits: dict[str, SearchHit] = field(default_factory=dict)  # the content part, for `hits_for`
    hits_for: str | None = None  # the text the hits were found for
    query: SearchQuery | None = None  # the content part of the text, if any

    def __post_init__(self) -> None:
        self._refilter(keep=None)

    @property
    def current(self) -> Shown | None:
        return self.shown[self.selected] if self.shown else None

    @property
    def by_content(self) -> int:
        """Rows kept only for what was said in them."""
        return sum(1 for item in self.shown if item.hit is not None)

    def type(self, text: str) -> tuple[int, SearchQuery | None]:
        """The text is now `text`: the rows its title part keeps are shown at once. Returns the
        generation and the content query to run for it (None: none to run)."""
        if text == self.text:
            return self.generation, None
        narrowing = self.hits_for is not None and text.startswith(self.hits_for)
        self.text = text
        self.generation += 1
        self.query = content_query(text)
        if not narrowing or self.query is None:
            # Hits of other words would keep rows they no longer mean; those of a shorter text
            # stay until the new ones come, so that rows do not blink out and back.
            self.hits, self.hits_for = {}, None
        self._refilter(keep=self._current_id())
        return self.generation, self.query

    def found(self, generation: int, hits: list[SearchHit]) -> bool:
        """The content query of `generation` answered; False (and nothing changes) when the
        text has changed since."""
        if generation != self.generation:
            return False
        self.hits = {hit.session: hit for hit in hits}
        self.hits_for = self.text
        self._refilter(keep=self._current_id())
        return True

    def set_rows(self, rows: list[PickerRow]) -> None:
        """New rows (the index caught up with the logs); the selection stays on its session."""
        self.rows = rows
        self._refilter(keep=self._current_id())

    def move(self, delta: int) -> None:
        if self.shown:
            self.selected = max(0, min(len(self.shown) - 1, self.selected + delta))

    def _current_id(self) -> str | None:
        current = self.current
        return None if current is None else current.row.id

    def _refilter(self, keep: str | None) -> None:
        words = title_words(self.text)
        filtered = self.query is not None and (self.query.model or self.query.since or self.query.until)
        if not words and not self.hits and not filtered:
            shown = [Shown(row) for row in self.rows]
        else:
            # With model:, since: or until: only what was said can match: a title has no model or time.
            by_title = bool(words) and not filtered
            shown = []
            for row in self.rows:
                hit = self.hits.get(row.id)
                if by_title and _in_title(row, words):
                    shown.append(Shown(row))
                elif hit is not None:
                    shown.append(Shown(row, hit))
        self.shown = shown
        self.selected = next((at for at, item in enumerate(shown) if item.row.id == keep), 0)
