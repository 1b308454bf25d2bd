"""`@` mentions at the prompt: Tab offers paths of the working tree, fuzzily, without waiting.

A mention is `@` at the start of the input or after white space (so `me@host` is none), then a
path: bare, with `\\ ` for a space (`@a\\ b.txt`), or in double quotes (`@"a b.txt"`). The path
typed so far is the query: matched fuzzily against the working tree's index (the current folder
and below, .gitignore respected), or, when it starts like a path of its own (`/`, `~`, `./`,
`../`), completed from a listing of that folder like any path.

The index is listed in the background from the first `@` on; until it is whole, the paths
listed so far are offered with a last row saying so, and the menu is refreshed once the
listing ends.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from prompt_toolkit.completion import Completion
from prompt_toolkit.document import Document

from claudechat.attach.index import PathIndex, SearchResult, working_tree_index
from claudechat.sanitize import one_line

__all__ = ["Mention", "MentionCompleter", "literal_paths", "mention_before_cursor", "mention_text"]

SHOWN = 50  # completions offered at most: a menu, not a listing
_AT_SIGNS_SEEN = 8  # a quoted path may hold @ signs of its own
_LISTED_AT_MOST = 5000  # entries of one folder read for a literal path (a huge /usr/lib, say)
_LITERAL_STARTS = ("/", "~", "./", "../")
_QUOTED = re.compile(r'"([^"]*)')
_BARE = re.compile(r'((?:\\.|[^\s\\"])*)\\?')
_ESCAPE = re.compile(r"\\(.)")
_NEEDS_QUOTES = re.compile(r'[\s"\\]')
_UNTYPABLE = re.compile(r"[\x00-\x1f\x7f]")  # no mention can hold these: not offered


@dataclass(frozen=True)
class Mention:
    start: int  # where the "@" is in the line
    query: str  # the path typed after it, unquoted


def mention_before_cursor(line: str) -> Mention | None:
    """The mention being typed at the end of `line` (the text before the cursor), if any."""
    end = len(line)
    for _ in range(_AT_SIGNS_SEEN):
        at = line.rfind("@", 0, end)
        if at < 0:
            return None
        end = at
        if at and not line[at - 1].isspace():
            continue  # an e-mail address, or an @ inside a word
        rest = line[at + 1:]
        quoted = _QUOTED.fullmatch(rest)
        if quoted is not None:
            return Mention(at, quoted.group(1))
        bare = _BARE.fullmatch(rest)
        if bare is not None:
            return Mention(at, _ESCAPE.sub(r"\1", bare.group(1)))
    return None


def mention_text(path: str) -> str:
    """`@path` as typed: quoted when the path has spaces (a folder's quote is left open to go on)."""
    if not _NEEDS_QUOTES.search(path):
        return "@" + path
    if '"' not in path:
        return '@"' + path + ("" if path.endswith("/") else '"')
    return "@" + re.sub(r'([\s"\\])', r"\\\1", path)


def literal_paths(query: str, limit: int = SHOWN) -> list[str]:
    """Paths completing `query` as typed (`~/Doc`, `/etc/ho`), from a listing of its folder."""
    if query == "~":
        return ["~/"]
    folder, slash, stem = query.rpartition("/")
    directory = os.path.expanduser(folder + slash)
    try:
        with os.scandir(directory) as scan:
            entries = list(islice(scan, _LISTED_AT_MOST))
    except OSError:
        return []
    sensitive = stem != stem.lower()
    wanted = stem if sensitive else stem.lower()
    found = []
    for entry in entries:
        name = entry.name
        if (name.startswith(".") and not stem.startswith(".")) or not (name if sensitive else name.lower()).startswith(wanted):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        found.append(folder + slash + name + ("/" if is_dir else ""))
    return sorted(found)[:limit]


def _split(path: str) -> tuple[str, str]:
    """(folder part, name) of a path; a folder's name keeps its "/"."""
    end = len(path) - 1 if path.endswith("/") else len(path)
    cut = path.rfind("/", 0, end) + 1
    return path[:cut], path[cut:]


def _status(result: SearchResult) -> str | None:
    paths = f"{result.indexed:,} path{'' if result.indexed == 1 else 's'}"
    if not result.complete:
        return f"listing the folder: {paths} so far"
    if result.capped:
        return f"only the first {paths} listed (a limit): type more of the path"
    return None


class MentionCompleter:
    """Completions for the mention before the cursor.

    While the index is still listing, `refresh` is called (in the event loop) when it has
    listed more: by default the prompt's menu is asked for again.
    """

    def __init__(self, index: Callable[[], PathIndex] = working_tree_index, refresh: Callable[[], None] | None = None) -> None:
        self._index = index
        self._refresh = refresh or _refresh_menu
        self._refresh_pending = False

    def completions(self, document: Document) -> Iterator[Completion]:
        line = document.current_line_before_cursor
        mention = mention_before_cursor(line)
        if mention is None:
            return
        replaced = -(len(line) - mention.start)
        query = mention.query
        if query.startswith(_LITERAL_STARTS):
            paths, status = literal_paths(query), None
        else:
            index = self._index()
            result = index.search(query, SHOWN)
            paths, status = result.paths, _status(result)
            if not result.complete:
                self._refresh_when_listed(index)
        for path in paths:
            if path == query or _UNTYPABLE.search(path):
                continue  # what is typed already, or what no mention can hold
            folder, name = _split(path)
            yield Completion(mention_text(path), replaced, display=one_line(name, 80), display_meta=one_line(folder, 80))
        if status is not None:  # a last row that changes nothing: what the list is
            yield Completion(line[mention.start:], replaced, display="…", display_meta=status)

    def _refresh_when_listed(self, index: PathIndex) -> None:
        if self._refresh_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not at a running prompt
            return

        def listed() -> None:  # in the listing thread
            self._refresh_pending = False
            loop.call_soon_threadsafe(self._refresh)

        self._refresh_pending = True  # before: the walk may end before when_listed returns
        if not index.when_listed(listed):  # it ended since the search: ask again at once
            self._refresh_pending = False
            loop.call_soon(self._refresh)


def _refresh_menu() -> None:
    """Ask again for the completions of the mention at the cursor, unless one is being chosen."""
    from prompt_toolkit.application import get_app_or_none

    app = get_app_or_none()
    if app is None or not app.is_running:
        return
    buffer = app.current_buffer
    state = buffer.complete_state
    if state is not None and state.complete_index is not None:
        return  # the user is going through the menu: it stays as it is
    if mention_before_cursor(buffer.document.current_line_before_cursor) is None:
        return
    buffer.complete_state = None
    buffer.start_completion(select_first=False)
