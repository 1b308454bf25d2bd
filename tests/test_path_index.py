"""The working tree's index for `@` completion: gitignore-aware, usable while it fills, bounded, fresh."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from claudechat.attach import TreeEntry, walk_tree
from claudechat.attach.index import PathIndex, fuzzy_path_completions, working_tree_changed, working_tree_index

WAIT = 10.0


def _make(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def work_tree(tmp_path: Path) -> Path:
    _make(tmp_path, {
        ".git/HEAD": "ref: refs/heads/main\n",
        ".gitignore": "*.log\nbuild/\n",
        "src/main.py": "", "src/util.py": "", "docs/maintenance.md": "",
        "main.log": "", "build/main_build.py": "",
    })
    return tmp_path


def _finished(index: PathIndex) -> PathIndex:
    index.start()
    assert index.wait(WAIT)
    return index


def test_offers_files_and_folders_but_not_what_gitignore_excludes(work_tree: Path) -> None:
    index = _finished(PathIndex(work_tree))
    result = index.search("mai")
    assert result.paths == ["src/main.py", "docs/maintenance.md"]  # not main.log, not build/
    assert result.complete and not result.capped
    assert set(index.search("", 100).paths) == {".gitignore", "docs/", "src/", "docs/maintenance.md",
                                                "src/main.py", "src/util.py"}


def test_a_breadth_first_walk_lists_each_level_before_the_next(work_tree: Path) -> None:
    listed = [entry.path for entry in walk_tree(work_tree, breadth_first=True)]
    assert listed == [".gitignore", "docs", "src", "docs/maintenance.md", "src/main.py", "src/util.py"]


def test_the_shallow_paths_are_listed_first(work_tree: Path) -> None:
    listed = _finished(PathIndex(work_tree)).search("", 100).paths
    depths = [path.rstrip("/").count("/") for path in listed]
    assert depths == sorted(depths)


class PausingWalk:
    """A walk that lists `first`, then waits to be let go before listing `rest`."""

    def __init__(self, first: list[str], rest: list[str]) -> None:
        self.first, self.rest = first, rest
        self.paused = threading.Event()
        self.go_on = threading.Event()

    def __call__(self, root: Path) -> Iterator[TreeEntry]:
        for path in self.first:
            yield TreeEntry(path, False)
        self.paused.set()
        self.go_on.wait(WAIT)
        for path in self.rest:
            yield TreeEntry(path, False)


def test_a_search_while_listing_ranks_what_is_listed_then_everything(tmp_path: Path) -> None:
    walk = PausingWalk(["docs/main_notes.md"], ["main.py"])
    index = PathIndex(tmp_path, walk=walk)
    told = threading.Event()
    index.start()
    assert walk.paused.wait(WAIT)
    partial = index.search("main")
    assert partial.paths == ["docs/main_notes.md"]
    assert not partial.complete and partial.indexed == 1
    assert index.when_listed(told.set)
    walk.go_on.set()
    assert told.wait(WAIT)
    whole = index.search("main")
    assert whole.paths == ["main.py", "docs/main_notes.md"]
    assert whole.complete and whole.indexed == 2
    assert not index.when_listed(told.set)  # nothing is being listed any more


def test_a_big_tree_is_cut_at_the_limit_and_says_so(work_tree: Path) -> None:
    index = _finished(PathIndex(work_tree, max_entries=3))
    result = index.search("")
    assert result.indexed == 3 and result.capped and result.complete
    assert result.paths == [".gitignore", "docs/", "src/"]  # the top of the tree


def test_a_walk_that_fails_keeps_what_it_listed(tmp_path: Path) -> None:
    def failing(root: Path) -> Iterator[TreeEntry]:
        yield TreeEntry("kept.txt", False)
        raise ValueError("a pattern no matcher understands")

    result = _finished(PathIndex(tmp_path, walk=failing)).search("kept")
    assert result.paths == ["kept.txt"] and result.capped


def test_invalidate_lists_anew_while_the_old_list_answers(work_tree: Path) -> None:
    index = _finished(PathIndex(work_tree))
    (work_tree / "src" / "new_module.py").write_text("")
    assert index.search("newmod").paths == []  # not listed yet, and the list is recent
    index.invalidate()
    assert index.search("newmod").paths == []  # the old list answers while the new one is made
    assert index.wait(WAIT)
    assert index.search("newmod").paths == ["src/new_module.py"]


def test_an_old_list_is_made_anew_at_the_next_search(work_tree: Path) -> None:
    index = _finished(PathIndex(work_tree, refresh_after=0.0))
    (work_tree / "fresh.txt").write_text("")
    index.search("fresh")  # stale: starts listing again
    assert index.wait(WAIT)
    assert index.search("fresh").paths == ["fresh.txt"]


def test_the_current_folder_has_one_index_and_commands_can_ask_it(work_tree: Path, monkeypatch) -> None:
    monkeypatch.chdir(work_tree / "src")
    index = working_tree_index()
    assert working_tree_index() is index
    assert index.root == Path(os.getcwd())
    index.start()
    assert index.wait(WAIT)
    assert fuzzy_path_completions("mai") == ["main.py"]
    monkeypatch.chdir(work_tree)
    assert working_tree_index() is not index
    assert working_tree_index().root == work_tree


def test_a_command_that_changed_files_has_the_folder_listed_anew(work_tree: Path, monkeypatch) -> None:
    monkeypatch.chdir(work_tree)
    index = working_tree_index()
    index.start()
    assert index.wait(WAIT)
    assert fuzzy_path_completions("output") == []
    (work_tree / "output.txt").write_text("made by a command")
    working_tree_changed()
    fuzzy_path_completions("output")  # starts listing anew; the old list answers meanwhile
    assert index.wait(WAIT)
    assert fuzzy_path_completions("output") == ["output.txt"]
