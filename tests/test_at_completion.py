"""`@` Tab completion in the chat: the installed program in a pseudo-terminal, in a git work tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.terminal import Terminal

pytestmark = pytest.mark.e2e  # every test here starts the program


def menu_rows(term: Terminal) -> list[str]:
    """The rows drawn below the input line, down to the toolbar: the completion menu."""
    below = term.screen_lines()[term.screen.cursor.y + 1 : -1]
    return [row.strip() for row in below if row.strip()]


def _work_tree(root: Path) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    # The chat's own files live in this HOME too: ignored like the build output and the logs.
    (root / ".gitignore").write_text("*.log\nbuild/\n/config/\n/data/\n/state/\n/cache/\n")
    for name in ("src/main.py", "docs/maintenance.md", "main.log", "build/main_build.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("print('hi')\n")


def test_tab_after_at_offers_the_work_tree_best_first_and_inserts_the_path(tmp_path, terminal):
    _work_tree(tmp_path)
    term = terminal()
    term.send("explain @mai")
    term.wait_for_prompt("explain @mai")
    # The menu opens while typing, from the index listed in the background: waited for on screen.
    rows = term.wait_for(lambda t: (rows := menu_rows(t)) and "main.py" in rows[0] and rows)
    assert rows[0].split() == ["main.py", "src/"]  # the file name, then its folder
    assert any("maintenance.md" in row for row in rows[1:])
    assert not any("main.log" in row or "main_build" in row for row in rows)  # ignored by git
    term.tab()  # takes the first
    term.wait_for_prompt("explain @src/main.py")
    term.enter()  # keeps it, closes the menu
    term.wait_for(lambda t: not menu_rows(t) and t.prompt_input() == "explain @src/main.py")


def test_a_path_with_spaces_is_inserted_quoted(tmp_path, terminal):
    _work_tree(tmp_path)
    (tmp_path / "docs" / "release notes.md").write_text("")
    term = terminal()
    term.send("read @relnot")
    term.wait_for(lambda t: (rows := menu_rows(t)) and "release notes.md" in rows[0])
    term.tab()
    term.wait_for_prompt('read @"docs/release notes.md"')
