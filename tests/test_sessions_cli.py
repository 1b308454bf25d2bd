"""`claudechat sessions`, -c and --resume outside the chat, and the shared input history."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from claudechat.chat import Message, SessionSettings, SessionStore
from claudechat.chat.keeper import SessionKeeper
from tests.cli_helpers import CLI, assert_one_line
from tests.double import ErrorReply, Reply, ServiceDouble

pytestmark = pytest.mark.e2e  # all but the last two tests start the program or another Python


@pytest.fixture
def double():
    with ServiceDouble(token="sk-test-sessions") as service:
        yield service


@pytest.fixture
def cli(tmp_path: Path, double: ServiceDouble) -> CLI:
    return CLI(root=tmp_path, token="sk-test-sessions", base_url=double.url)


def saved_session(cli: CLI, title: str, turns: int, *, directory: Path | None = None, rename: str | None = None) -> str:
    sessions = directory or cli.data_home / "claudechat" / "sessions"
    keeper = SessionKeeper(SessionStore(sessions), SessionSettings(model="claude-sonnet-4-5-20250929"))
    for number in range(turns):
        keeper.session.add_turn(Message("user", f"{title} {number}"), Message("assistant", "ok"))
    if rename:
        keeper.session.rename(rename)
    keeper.save()
    keeper.close()
    return keeper.session.id


LONG_TITLE = "How do I stream server-sent events through an nginx reverse proxy without any buffering at all"


def test_sessions_lists_saved_sessions_as_text_and_json(cli: CLI) -> None:
    first = saved_session(cli, "pipes", 2)
    second = saved_session(cli, "threads", 1)
    text = cli.run("sessions")
    assert text.returncode == 0, text
    header, *rows = text.stdout.splitlines()
    assert header.split() == ["ID", "LAST", "USED", "TURNS", "MODEL", "TITLE"]
    assert [row.split()[0] for row in rows] == [second, first]
    assert rows[1].split()[3:] == ["2", "claude-sonnet-4-5-20250929", "pipes", "0"]
    listed = json.loads(cli.run("sessions", "--output", "json").stdout)
    assert {item["id"]: (item["title"], item["turns"], item["model"]) for item in listed} == {
        first: ("pipes 0", 2, "claude-sonnet-4-5-20250929"),
        second: ("threads 0", 1, "claude-sonnet-4-5-20250929"),
    }


def test_sessions_piped_are_never_shortened_or_wrapped(cli: CLI) -> None:
    long = saved_session(cli, "long", 1, rename=LONG_TITLE)
    saved_session(cli, "short", 3)
    result = cli.run("sessions", env={"COLUMNS": "40"})  # a terminal's width, and this is no terminal
    assert result.returncode == 0, result
    header, *rows = result.stdout.splitlines()
    assert len(rows) == 2
    [row] = [row for row in rows if row.startswith(long)]
    assert row.endswith(f"claude-sonnet-4-5-20250929  {LONG_TITLE}")


def test_sessions_on_a_terminal_fit_its_width_without_folding_a_row(tmp_path: Path, cli: CLI) -> None:
    from tests.terminal import Terminal

    directory = tmp_path / "data" / "claudechat" / "sessions"  # where the terminal's user keeps them
    long = saved_session(cli, "long", 1, directory=directory, rename=LONG_TITLE)
    short = saved_session(cli, "short", 12, directory=directory)
    term = Terminal(tmp_path, base_url=None, args=["sessions"], cols=72, rows=20)
    try:
        assert term.wait_exit() == 0
        lines = [line for line in term.all_lines() if line]
    finally:
        term.kill()
    assert len(lines) == 3, term.dump()  # the header and a row a session, none folded
    header, *rows = lines
    assert header.split() == ["ID", "LAST", "USED", "TURNS", "MODEL", "TITLE"]
    [row] = [line for line in rows if line.startswith(long)]
    assert row.endswith("…") and len(row) <= 72, term.dump()
    title = row[header.index("TITLE") : -1]
    assert LONG_TITLE.startswith(title) and LONG_TITLE[len(title)] == " ", title  # cut between two words
    assert any(line.startswith(short) and line.endswith("short 0") for line in rows)


def test_sessions_with_none_saved_says_so_and_succeeds(cli: CLI) -> None:
    result = cli.run("sessions")
    assert (result.returncode, result.stdout) == (0, "")
    assert "no saved sessions" in result.stderr
    assert json.loads(cli.run("sessions", "--output", "json").stdout) == []


def test_a_damaged_session_is_listed_with_its_error_and_left_as_it_is(cli: CLI) -> None:
    good = saved_session(cli, "good", 1)
    broken = cli.data_home / "claudechat" / "sessions" / "deadbeef.jsonl"
    broken.write_bytes(b'{"format": "claudechat-session", "version": 99}\n')
    listed = {item["id"]: item for item in json.loads(cli.run("sessions", "--output", "json").stdout)}
    assert listed[good]["error"] is None
    assert "newer claudechat" in listed["deadbeef"]["error"]
    assert broken.read_bytes() == b'{"format": "claudechat-session", "version": 99}\n'


def test_a_question_with_c_continues_the_last_session_and_joins_it(cli: CLI, double: ServiceDouble) -> None:
    from claudechat.chat import read_session_file

    saved_session(cli, "older", 1)
    latest = saved_session(cli, "pipes", 2)
    double.enqueue(Reply(content="and threads"))
    result = cli.run("-c", "what about threads?")
    assert (result.returncode, result.stdout) == (0, "and threads\n"), result
    sent = double.requests[0].json["messages"]
    assert [message["content"] for message in sent] == ["pipes 0", "ok", "pipes 1", "ok", "what about threads?"]
    session = read_session_file(cli.data_home / "claudechat" / "sessions" / f"{latest}.jsonl")
    assert [message.text for message in session.messages][-2:] == ["what about threads?", "and threads"]


def test_resume_with_a_prompt_and_json_output(cli: CLI, double: ServiceDouble) -> None:
    first = saved_session(cli, "first", 1)
    saved_session(cli, "second", 1)
    double.enqueue(Reply(content="resumed"))
    result = cli.run("--resume", first[:5], "--output", "json", "-m", "claude-opus-4-6", "go on")
    assert result.json()["content"] == "resumed"
    body = double.requests[0].json
    assert body["model"] == "claude-opus-4-6"
    assert [message["content"] for message in body["messages"]] == ["first 0", "ok", "go on"]


def test_a_failed_continuation_leaves_the_session_as_it_was(cli: CLI, double: ServiceDouble) -> None:
    latest = saved_session(cli, "kept", 1)
    path = cli.data_home / "claudechat" / "sessions" / f"{latest}.jsonl"
    before = path.read_bytes()
    double.enqueue(ErrorReply(500, "api_error", "boom"))
    result = cli.run("-c", "--retries", "0", "this fails")
    assert result.returncode == 1, result
    assert "boom" in assert_one_line(result.stderr, result)
    assert path.read_bytes() == before


@pytest.mark.parametrize("args", [("-c", "anything"), ("-c",), ("--continue", "--output", "json", "anything")])
def test_continuing_with_no_saved_session_is_a_usage_error(cli: CLI, double: ServiceDouble, args) -> None:
    result = cli.run(*args)
    assert result.returncode == 2, result  # nothing was sent
    assert "no saved session" in assert_one_line(result.stderr, result)
    assert double.requests == []


def test_history_entries_from_two_processes_never_interleave(tmp_path: Path) -> None:
    """Entries far larger than a write buffer, stored by two processes at once, stay whole."""
    path = tmp_path / "history"
    writer = (
        "import sys\n"
        "from claudechat.repl.history import SharedFileHistory\n"
        "history = SharedFileHistory(sys.argv[1])\n"
        "for n in range(300):\n"
        "    history.store_string(f'{sys.argv[2]}{n}' + f'\\n{sys.argv[2] * 99}' * 300)\n"
    )
    processes = [subprocess.Popen([sys.executable, "-c", writer, str(path), tag]) for tag in ("a", "b")]
    assert [process.wait(timeout=60) for process in processes] == [0, 0]
    from prompt_toolkit.history import FileHistory

    entries = list(FileHistory(str(path)).load_history_strings())
    assert len(entries) == 600
    for entry in entries:
        tag = entry[0]
        first, rest = entry.split("\n", 1)
        assert first[1:].isdigit() and rest == "\n".join([tag * 99] * 300), entry[:80]


def test_history_does_not_write_through_a_symbolic_link(tmp_path: Path) -> None:
    from claudechat.repl.history import SharedFileHistory

    target = tmp_path / "elsewhere"
    target.write_text("untouched\n")
    (tmp_path / "history").symlink_to(target)
    errors: list[OSError] = []
    SharedFileHistory(str(tmp_path / "history"), on_error=errors.append).store_string("secret plans")
    assert target.read_text() == "untouched\n"
    assert len(errors) == 1


def test_a_failed_history_write_is_reported_not_raised(tmp_path: Path) -> None:
    from claudechat.repl.history import SharedFileHistory

    errors: list[OSError] = []
    history = SharedFileHistory(str(tmp_path / "missing-dir" / "history"), on_error=errors.append)
    history.store_string("kept in memory")
    assert [type(error) for error in errors] == [FileNotFoundError]
