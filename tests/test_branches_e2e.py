"""/rewind, /branches and /fork end to end: the installed program in a pseudo-terminal.

The tests assert on the screen, on the messages each request carried to the service double
and on the session files left behind; they wait on the screen or the double, never on time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claudechat.chat.store import read_session_file
from tests.images import tiny_png
from tests.terminal import Terminal, STATUS_LINE
from tests.test_commands import messages, notice_rows, turn

pytestmark = pytest.mark.e2e


def sessions_dir(home: Path) -> Path:
    return home / "data" / "claudechat" / "sessions"


def contents(double, number: int) -> list[object]:
    return [message["content"] for message in messages(double, number)]


def run(term: Terminal, line: str, expect: str, *, then: str = "") -> None:
    """Type `line`, wait for `expect` to appear once more and the prompt after `then`."""
    before = sum(expect in row for row in term.all_lines())
    term.type_line(line)
    term.wait_for(lambda t: sum(expect in row for row in t.all_lines()) > before)
    term.wait_for_prompt(then)


def test_rewind_starts_a_branch_that_keeps_the_old_one_and_branches_switch(tmp_path, terminal, double):
    term = terminal()
    for text in ("first", "second", "third"):
        turn(term, text)
    run(term, "/rewind", "/rewind N puts message N in the input")
    assert notice_rows(term, "1  first")[:3] == ["1  first", "2  second", "3  third"]

    run(term, "/rewind 2", "back at message 2", then="second")
    term.wait_for("new branch at turn 2")  # the toolbar says what sending does
    term.type_line(" and more")
    term.wait_for(lambda t: sum(bool(STATUS_LINE.match(line)) for line in t.all_lines()) == 4)
    term.wait_for_prompt()
    assert contents(double, 4) == ["first", "echo: first", "second and more"]

    turn(term, "in the branch")
    assert contents(double, 5)[-3:] == ["second and more", "echo: second and more", "in the branch"]

    run(term, "/branches", "/branches N switches")
    rows = notice_rows(term, "   1  from the start")
    assert rows[0].startswith("   1  from the start · 3 turns · first")
    assert rows[1].startswith("*  2    └ from branch 1 at turn 2 · 3 turns · second and more")

    run(term, "/save --all both.md", "saved the transcript (Markdown) to both.md: 2 branches")
    saved = (tmp_path / "both.md").read_text()
    in_use, other = saved.split("\n---\n\n## Branch 1 · the first · from turn 2")
    assert "in the branch" in in_use and "third" not in in_use
    assert "third" in other and "first" not in other  # what the two share is written once

    run(term, "/branches 1", "switched to branch 1")
    turn(term, "back on the first")
    assert contents(double, 6) == [
        "first", "echo: first", "second", "echo: second", "third", "echo: third", "back on the first"
    ]
    term.ctrl_d()
    assert term.wait_exit() == 0

    (log,) = sessions_dir(tmp_path).glob("*.jsonl")
    records = [json.loads(line) for line in log.read_bytes().splitlines()]
    assert records[0]["version"] == 1 and {"op": "format", "version": 3} in records
    session = read_session_file(log)
    assert session.branch == 0 and [line.turns for line in session.lines()] == [4, 3]

    term = terminal("-c")
    run(term, "/branches", "/branches N switches")
    assert notice_rows(term, "*  1  from the start")[0].startswith("*  1  from the start · 4 turns")


def test_rewind_puts_the_attachments_back_and_sends_them_again(tmp_path, terminal, double):
    (tmp_path / "dot.png").write_bytes(tiny_png())
    term = terminal()
    run(term, "/image dot.png", "(1 for the next message)")
    turn(term, "what is this")
    turn(term, "thanks")
    run(term, "/rewind 1", "back at message 1", then="what is this")
    term.wait_for("attached")
    term.type_line(" exactly")
    term.wait_for(lambda t: sum(bool(STATUS_LINE.match(line)) for line in t.all_lines()) == 3)
    sent = messages(double, 3)
    assert len(sent) == 1
    assert sent[0]["content"][0] == {"type": "text", "text": "what is this exactly"}
    assert sent[0]["content"][1]["type"] == "image_url"


def test_rewind_and_branches_say_what_is_wrong(terminal, double):
    term = terminal()
    run(term, "/rewind", "there is nothing to rewind to yet")
    turn(term, "only")
    run(term, "/rewind 5", "no message '5': give a number from 1")
    run(term, "/branches", "this conversation has one branch")
    run(term, "/branches 2", "this conversation has one branch only")


def test_fork_copies_the_branch_in_use_into_a_new_session(tmp_path, terminal, double):
    term = terminal()
    turn(term, "first")
    turn(term, "second")
    run(term, "/rewind 2", "back at message 2", then="second")
    term.send("\x15")  # Ctrl-U: the line emptied
    term.type_line("other second")
    term.wait_for(lambda t: sum(bool(STATUS_LINE.match(line)) for line in t.all_lines()) == 3)
    term.wait_for_prompt()
    run(term, "/fork", "forked into session")
    turn(term, "in the fork")
    assert contents(double, 4) == ["first", "echo: first", "other second", "echo: other second", "in the fork"]
    term.ctrl_d()
    assert term.wait_exit() == 0

    sessions = {path: read_session_file(path) for path in sessions_dir(tmp_path).glob("*.jsonl")}
    assert len(sessions) == 2
    fork = next(session for session in sessions.values() if not session.lines())
    original = next(session for session in sessions.values() if session.lines())
    assert fork.title == "first (fork)" and fork.turns == 3
    assert [line.turns for line in original.lines()] == [2, 2]
    assert len(fork.usage) == 1  # its own request: what came before stays counted once, where it was made
