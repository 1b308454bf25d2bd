"""`@` mentions at the prompt: which word is a mention, how a path is written, what Tab offers."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from claudechat.attach import TreeEntry
from claudechat.attach.index import PathIndex
from claudechat.repl.completion import SlashCompleter
from claudechat.repl.mention_completion import Mention, MentionCompleter, literal_paths, mention_before_cursor, mention_text
from tests.test_path_index import WAIT, PausingWalk


@pytest.mark.parametrize(
    ("line", "mention"),
    [
        ("@src/ma", Mention(0, "src/ma")),
        ("explain @ma", Mention(8, "ma")),
        ("two\tat @", Mention(7, "")),
        ('see @"my fi', Mention(4, "my fi")),
        ('see @"a@b', Mention(4, "a@b")),  # an @ inside quotes belongs to the path
        ("see @my\\ fi", Mention(4, "my fi")),
        ("see @my\\", Mention(4, "my")),  # a backslash about to escape something
        ("@a.py and @b", Mention(10, "b")),
    ],
)
def test_the_mention_before_the_cursor(line: str, mention: Mention) -> None:
    assert mention_before_cursor(line) == mention


@pytest.mark.parametrize("line", ["mail me@host", "me@", "@done and more", "@a b", '@"closed" x', "no at at all", '@a"b'])
def test_words_that_are_no_mention_being_typed(line: str) -> None:
    assert mention_before_cursor(line) is None


@pytest.mark.parametrize(
    ("path", "written"),
    [
        ("src/main.py", "@src/main.py"),
        ("my notes/a b.txt", '@"my notes/a b.txt"'),
        ("my notes/", '@"my notes/'),  # left open: typing on goes on inside the folder
        ('say "hi".txt', '@say\\ \\"hi\\".txt'),
    ],
)
def test_a_path_is_written_as_a_mention_quoted_when_it_has_spaces(path: str, written: str) -> None:
    assert mention_text(path) == written
    # Read back as typed (a closing quote ends the mention: read up to it).
    assert mention_before_cursor("look at " + written.removesuffix('"')) == Mention(8, path)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("src/main.py", "docs/my notes.md", "main.log", ".git/HEAD"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / ".gitignore").write_text("*.log\n")
    return tmp_path


def _completions(completer: MentionCompleter, text: str) -> list[tuple[str, int, str, str]]:
    return [(c.text, c.start_position, c.display_text, c.display_meta_text)
            for c in completer.completions(Document(text))]


def _listed(root: Path) -> PathIndex:
    index = PathIndex(root)
    index.start()
    assert index.wait(WAIT)
    return index


def test_tab_offers_matches_of_the_tree_with_the_folder_as_meta(tree: Path) -> None:
    index = _listed(tree)
    completer = MentionCompleter(lambda: index)
    assert _completions(completer, "explain @mai") == [("@src/main.py", -4, "main.py", "src/")]
    offered = _completions(completer, "explain @")
    assert ("@src/", -1, "src/", "") in offered  # a folder: marked with "/"
    assert not any("main.log" in text for text, *_ in offered)  # gitignored


def test_a_path_with_spaces_is_offered_quoted(tree: Path) -> None:
    index = _listed(tree)
    completer = MentionCompleter(lambda: index)
    assert _completions(completer, 'read @"my no') == [('@"docs/my notes.md"', -7, "my notes.md", "docs/")]
    assert _completions(completer, "read @my\\ no") == [('@"docs/my notes.md"', -7, "my notes.md", "docs/")]


def test_while_listing_what_is_listed_is_offered_with_a_row_saying_so(tmp_path: Path) -> None:
    walk = PausingWalk(["main_notes.md"], ["main.py"])
    index = PathIndex(tmp_path, walk=walk)
    index.start()
    assert walk.paused.wait(WAIT)
    completer = MentionCompleter(lambda: index)
    first, status = _completions(completer, "@main")
    assert first == ("@main_notes.md", -5, "main_notes.md", "")
    assert status == ("@main", -5, "…", "listing the folder: 1 path so far")  # selecting it changes nothing
    walk.go_on.set()
    assert index.wait(WAIT)
    assert [text for text, *_ in _completions(completer, "@main")] == ["@main.py", "@main_notes.md"]


def test_a_tree_cut_short_at_the_limit_says_so_in_a_last_row(tree: Path) -> None:
    index = PathIndex(tree, max_entries=2)
    index.start()
    assert index.wait(WAIT)
    offered = _completions(MentionCompleter(lambda: index), "@")
    assert len(offered) == 3
    assert offered[-1] == ("@", -1, "…", "only the first 2 paths listed (a limit): type more of the path")


def test_the_menu_is_asked_for_again_when_more_is_listed(tmp_path: Path) -> None:
    import asyncio

    walk = PausingWalk(["a.txt"], ["main.py"])
    index = PathIndex(tmp_path, walk=walk)

    async def typed_then_listed() -> list[str]:
        refreshed = asyncio.Event()
        completer = MentionCompleter(lambda: index, refresh=refreshed.set)
        index.start()
        assert await asyncio.to_thread(walk.paused.wait, WAIT)
        # No path yet: only the row saying so (a menu of it alone is not shown).
        assert _completions(completer, "@main") == [("@main", -5, "…", "listing the folder: 1 path so far")]
        walk.go_on.set()
        await asyncio.wait_for(refreshed.wait(), WAIT)
        return [text for text, *_ in _completions(completer, "@main")]

    assert asyncio.run(typed_then_listed()) == ["@main.py"]


def test_a_path_of_its_own_completes_from_its_folder(tree: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tree))
    (tree / "Documents").mkdir()
    (tree / "Documents" / "report.pdf").write_text("")
    assert literal_paths("~/Doc") == ["~/Documents/"]
    assert literal_paths("~/Documents/r") == ["~/Documents/report.pdf"]
    assert literal_paths(str(tree) + "/sr") == [str(tree) + "/src/"]
    assert literal_paths("~/.g") == ["~/.git/", "~/.gitignore"]  # hidden ones when asked for
    assert literal_paths("~/nowhere/x") == []
    completer = MentionCompleter(lambda: pytest.fail("a literal path needs no index"))
    assert _completions(completer, "see @~/Documents/r") == [("@~/Documents/report.pdf", -14, "report.pdf", "~/Documents/")]


def test_the_prompt_completer_completes_mentions_anywhere_but_commands_first(tree: Path, monkeypatch) -> None:
    monkeypatch.chdir(tree)
    from claudechat.attach.index import working_tree_index

    index = working_tree_index()
    index.start()
    assert index.wait(WAIT)
    completer = SlashCompleter(app=None)  # type: ignore[arg-type]  (mentions need no app)

    def texts(text: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(text), CompleteEvent())]

    assert texts("first line\nthen @mai") == ["@src/main.py"]
    assert texts("mail me@mai") == []
    assert "/help" in texts("/he")


def test_names_no_mention_could_hold_are_not_offered(tmp_path: Path) -> None:
    names = [TreeEntry("bad\x1b[31mname.txt", False), TreeEntry("new\nline name.txt", False), TreeEntry("good name.txt", False)]
    index = PathIndex(tmp_path, walk=lambda root: iter(names))
    index.start()
    assert index.wait(WAIT)
    assert [text for text, *_ in _completions(MentionCompleter(lambda: index), "@name")] == ['@"good name.txt"']


def test_folders_offered_and_typed_on_from(tree: Path) -> None:
    index = _listed(tree)
    completer = MentionCompleter(lambda: index)
    texts = [text for text, *_ in _completions(completer, "@do")]
    assert texts[0] == "@docs/"
    assert [text for text, *_ in _completions(completer, "@docs/my")] == ['@"docs/my notes.md"']
