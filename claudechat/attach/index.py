"""The working tree's paths for `@` completion: listed in the background, usable while listing.

An index lists a folder and everything below it with `walk_tree` (.gitignore respected in a
git work tree, `.git` skipped, links to folders not followed), shallow paths first, in a thread
of its own: nothing ever waits for it. A search while it fills ranks what is listed so far, and
says that it is partial; `when_listed` tells the caller when the rest is there.

Bounds: at most MAX_ENTRIES paths and MAX_SECONDS of listing (a home folder with millions of
files, a slow network disk). An index cut short says so (`SearchResult.capped`); thanks to the
shallow-first order it still holds the paths nearest the top.

Freshness: files come and go during a chat (a command run from it, an editor elsewhere). A
listing older than REFRESH_AFTER seconds is made anew in the background at the next search, and
`invalidate()` (`working_tree_changed()` for the current folder's) asks for that at the next
search whatever its age; until the new listing is whole, the old one keeps answering, so
results never flicker away. Each chat process starts with no index: the first `@` starts it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from claudechat.attach.fuzzy import PathList, Ranker
from claudechat.attach.tree import TreeEntry, walk_tree

__all__ = [
    "FIRST_BATCH",
    "MAX_ENTRIES",
    "MAX_SECONDS",
    "REFRESH_AFTER",
    "PathIndex",
    "SearchResult",
    "fuzzy_path_completions",
    "working_tree_changed",
    "working_tree_index",
]

MAX_ENTRIES = 100_000  # twice a big monorepo's files; about 25 MB of strings and offsets
MAX_SECONDS = 20.0
REFRESH_AFTER = 30.0
FIRST_BATCH = 1000  # paths listed before those waiting are told a first time
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class SearchResult:
    paths: list[str]  # best first, relative to the index's root; folders end in "/"
    indexed: int  # paths listed so far
    complete: bool  # the listing has finished (whole, or cut short at a limit)
    capped: bool  # it was cut short: some paths are not in it


class _Listing:
    """One walk of the tree and what it found so far."""

    def __init__(self, capacity: int) -> None:
        self.paths = PathList(capacity)
        self.ranker = Ranker(self.paths)
        self.done = threading.Event()
        self.capped = False
        self.finished_at: float | None = None


def _walk(root: Path) -> Iterable[TreeEntry]:
    return walk_tree(root, breadth_first=True)


class PathIndex:
    """The paths under `root`, listed by a background thread; search from one thread only.

    `walk` lists a folder (shallowest paths first); tests give one that pauses.
    """

    def __init__(
        self,
        root: Path,
        *,
        max_entries: int = MAX_ENTRIES,
        max_seconds: float = MAX_SECONDS,
        refresh_after: float = REFRESH_AFTER,
        walk: Callable[[Path], Iterable[TreeEntry]] = _walk,
    ) -> None:
        self.root = root
        self._walk = walk
        self.max_entries = max_entries
        self.max_seconds = max_seconds
        self.refresh_after = refresh_after
        self._lock = threading.Lock()
        self._serving: _Listing | None = None  # what searches use
        self._building: _Listing | None = None  # the walk under way, if any
        self._invalid = False
        self._waiting: list[Callable[[], None]] = []
        self._closed = False

    # --- the listing -------------------------------------------------------------------------

    def start(self) -> None:
        """Begin listing, unless it has begun."""
        with self._lock:
            if self._serving is None and self._building is None:
                self._begin()

    def invalidate(self) -> None:
        """The tree has changed (or may have): the next search lists it anew."""
        self._invalid = True

    def close(self) -> None:
        """Stop a walk under way at its next path (the thread then ends)."""
        self._closed = True

    def wait(self, timeout: float | None = None) -> bool:
        """Until the walk under way (if any) has finished; False on timeout."""
        with self._lock:
            listing = self._building
        return listing is None or listing.done.wait(timeout)

    def when_listed(self, callback: Callable[[], None]) -> bool:
        """Call `callback` (from the listing thread) when the walk under way has listed more:
        its first FIRST_BATCH paths, or else all of them. False when no walk is under way."""
        with self._lock:
            if self._building is None:
                return False
            self._waiting.append(callback)
            return True

    def _begin(self) -> None:  # with the lock held
        listing = _Listing(self.max_entries)
        self._building = listing
        self._invalid = False
        if self._serving is None:
            self._serving = listing  # the first listing answers while it fills
        thread = threading.Thread(target=self._fill, args=(listing,), name="claudechat-paths", daemon=True)
        thread.start()

    def _stale(self) -> bool:  # with the lock held
        serving = self._serving
        if self._building is not None or serving is None or serving.finished_at is None:
            return False
        return self._invalid or time.monotonic() - serving.finished_at > self.refresh_after

    def _fill(self, listing: _Listing) -> None:
        paths = listing.paths
        deadline = time.monotonic() + self.max_seconds
        try:
            for entry in self._walk(self.root):
                if self._closed:
                    break
                if not paths.append(entry.path + "/" if entry.is_dir else entry.path) or time.monotonic() > deadline:
                    listing.capped = True
                    break
                if paths.count == FIRST_BATCH:  # enough for a first menu: show it
                    self._tell_waiting()
        except Exception:  # a thread's traceback would land on the prompt
            # An unreadable corner of the tree (a broken .gitignore pattern, say) ends the walk;
            # what was listed is still offered, marked as partial.
            listing.capped = True
        finally:
            listing.finished_at = time.monotonic()
            with self._lock:
                listing.done.set()
                if self._building is listing:
                    self._building = None
                self._serving = listing
            self._tell_waiting()

    def _tell_waiting(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for callback in waiting:
            with contextlib.suppress(Exception):  # one listener's failure is not the index's
                callback()

    # --- searching ---------------------------------------------------------------------------

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> SearchResult:
        """The best matches of `query` among the paths listed so far; never waits for the walk."""
        with self._lock:
            if (self._serving is None and self._building is None) or self._stale():
                self._begin()
            listing = self._serving
        assert listing is not None
        indices = listing.ranker.rank(query, limit)
        paths = listing.paths.paths
        return SearchResult(
            [paths[index] for index in indices],
            indexed=listing.paths.count,
            complete=listing.done.is_set(),
            capped=listing.capped,
        )


_current: PathIndex | None = None  # the index of the current folder, made at the first `@`
_current_lock = threading.Lock()


def working_tree_index() -> PathIndex:
    """The index of the current folder (one at a time: a new folder replaces it)."""
    global _current
    try:
        root = Path(os.getcwd())
    except OSError:  # the folder was deleted under us: nothing to offer
        root = Path(os.devnull)
    with _current_lock:
        if _current is None or _current.root != root:
            if _current is not None:
                _current.close()
            _current = PathIndex(root)
        return _current


def working_tree_changed() -> None:
    """Files may have changed (a command run from the chat): the next `@` lists the folder anew."""
    with _current_lock:
        if _current is not None:
            _current.invalidate()


def fuzzy_path_completions(query: str, limit: int = DEFAULT_LIMIT) -> list[str]:
    """Paths under the current folder that match `query` fuzzily, best first, folders ending in "/".

    For commands that take paths. It never waits: while the folder is still being listed, the
    paths listed so far are ranked.
    """
    return working_tree_index().search(query, limit).paths
