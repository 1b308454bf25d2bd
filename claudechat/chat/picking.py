"""The session picker's rows and what typing keeps of them, apart from any terminal.

The rows are the saved sessions, the most recently used first, with their titles and turns
from the search index's table of logs. No log is opened to list them: the first rows come from
that table alone (`indexed_rows`), and the rows put in their place once the sessions directory
has been listed (`picker_rows`, from `index_read.scan_logs`: names, sizes and times) add the logs
the index has not read yet and the times of logs opened since it read them.

Typing keeps a row when every typed word is in its title, or when the full-text index finds
the words in one of its turns (`content_query` says what it is asked; the last word counts as
the start of a word until a space follows it). The title part is answered at once; the
content part arrives later, from a query that must never hold a keystroke up, and is merged
in when it comes (`PickerFilter.found`), unless the user has typed on since.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from claudechat.chat.search_query import SearchQuery, SearchQueryError, parse_query

if TYPE_CHECKING:
    from claudechat.chat.search_hit import SearchHit

__all__ = [
    "PREFIX_FROM", "Listed", "PickerFilter", "PickerRow", "Shown", "content_query", "indexed_rows", "picker_rows",
    "title_words",
]

# Letters the last word needs before it is looked for as the start of words: three letters start
# so many words that a query of 10,000 sessions takes a second, four a tenth of that.
PREFIX_FROM = 4
_SUFFIX = ".jsonl"
_FILTERS = ("model:", "since:", "until:")


# Not frozen, with slots: ten thousand rows are made while the picker opens, and a frozen
# dataclass's __init__ costs twice as much.
@dataclass(slots=True)
class PickerRow:
    id: str
    used: float  # last used: the log's modification time, in seconds
    title: str | None = None  # as the index read it (untrusted: sanitise to show it)
    turns: int | None = None  # None: the index has not read this log yet
    error: str | None = None  # why the index could not read the log

    @property
    def indexed(self) -> bool:
        return self.turns is not None


@dataclass(slots=True)
class Shown:
    row: PickerRow
    hit: SearchHit | None = None  # the turn that matched, when the row was found by what was said


Listed = dict[str, tuple["str | None", int, "str | None", int]]  # SearchIndex.listing(): title, turns, error, mtime_ns


def picker_rows(found: Iterable[tuple[bytes, int, int]], listed: Listed, *, leave_out: str | None = None) -> list[PickerRow]:
    """Rows for the logs `scan_logs` found (name, size, mtime_ns), with what the index `listed`
    of each (`SearchIndex.listing`); the most recently used first, `leave_out` left out."""
    rows = []
    unknown = (None, None, None, 0)
    for name, _, mtime_ns in sorted(found, key=lambda item: (item[2], item[0]), reverse=True):
        key = name[: -len(_SUFFIX)].decode("utf-8", "surrogateescape")  # as os.fsdecode, for less
        if key != leave_out:
            title, turns, error, _ = listed.get(key, unknown)
            rows.append(PickerRow(key, mtime_ns / 1e9, title, turns, error))
    return rows


def indexed_rows(listed: Listed, *, leave_out: str | None = None) -> list[PickerRow]:
    """Rows for the logs the index holds, as it last read them: what the picker shows first,
    before the sessions directory is listed (`picker_rows` then), which costs more than this.
    A log opened since (opening touches it) is placed by its older time until then."""
    rows = [PickerRow(key, mtime_ns / 1e9, title, turns, error)
            for key, (title, turns, error, mtime_ns) in listed.items() if key != leave_out]
    if any(rows[at].used < rows[at + 1].used for at in range(len(rows) - 1)):  # `listing` sorts them already
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
    shown: list[PickerRow] = field(default_factory=list)
    selected: int = 0
    generation: int = 0  # one more each time the text changes: a late content answer is told by it
    hits: dict[str, SearchHit] = field(default_factory=dict)  # the content part, for `hits_for`
    hits_for: str | None = None  # the text the hits were found for
    query: SearchQuery | None = None  # the content part of the text, if any
    hits_query: SearchQuery | None = None  # the query the hits answered
    by_content: dict[str, SearchHit] = field(default_factory=dict)  # shown rows kept only for what was said

    def __post_init__(self) -> None:
        self._set_rows(self.rows)
        self._refilter(keep=None)

    def _set_rows(self, rows: list[PickerRow]) -> None:
        self.rows = rows
        # What keystrokes look through, made at the first one: not while the picker opens.
        self._titles: list[str] | None = None
        self._position: dict[str, int] | None = None

    @property
    def current(self) -> Shown | None:
        if not self.shown:
            return None
        row = self.shown[self.selected]
        return Shown(row, self.by_content.get(row.id))

    def item(self, at: int) -> Shown:
        row = self.shown[at]
        return Shown(row, self.by_content.get(row.id))

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
        self.hits_for, self.hits_query = self.text, self.query
        self._refilter(keep=self._current_id())
        return True

    def set_rows(self, rows: list[PickerRow]) -> None:
        """New rows (the index caught up with the logs); the selection stays on its session."""
        keep = self._current_id()
        self._set_rows(rows)
        self._refilter(keep=keep)

    def move(self, delta: int) -> None:
        if self.shown:
            self.selected = max(0, min(len(self.shown) - 1, self.selected + delta))

    def _current_id(self) -> str | None:
        return self.shown[self.selected].id if self.shown else None

    def _refilter(self, keep: str | None) -> None:
        words = title_words(self.text)
        filtered = self.query is not None and (self.query.model or self.query.since or self.query.until)
        self.by_content = {}
        if not words and not self.hits and not filtered:
            shown = self.rows
        else:
            # With model:, since: or until: only what was said can match: a title has no model or time.
            # One pass of a list comprehension a word: a keystroke's whole cost over ten thousand rows.
            if self._titles is None:
                self._titles = [(row.title or "").casefold() for row in self.rows]
            titles = self._titles
            by_title: list[int] = []
            if words and not filtered:
                by_title = list(range(len(self.rows)))
                for word in words:
                    by_title = [at for at in by_title if word in titles[at]]
            if self.hits:
                if self._position is None:
                    self._position = {row.id: at for at, row in enumerate(self.rows)}
                found = {self._position[key] for key in self.hits if key in self._position}
                titled = set(by_title)
                shown = [self.rows[at] for at in sorted(titled | found)]
                self.by_content = {row.id: self.hits[row.id] for row in shown if row.id in self.hits
                                   and self._position[row.id] not in titled}
            else:
                shown = [self.rows[at] for at in by_title]
        self.shown = shown
        self.selected = next((at for at, row in enumerate(shown) if row.id == keep), 0) if keep else 0
