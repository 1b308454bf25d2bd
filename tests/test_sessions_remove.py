"""`claudechat sessions rm` and `claudechat sessions prune`, against real logs in a temporary data
directory: what is removed (by id, by the start of one, by age set with os.utime), what is
refused (no terminal without --yes, an unknown or ambiguous id, a bad age), the question on a
pseudo-terminal, a session open elsewhere kept, and the search index no longer finding them."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from claudechat.chat import Message, SessionError, SessionSettings, SessionStore
from claudechat.chat.keeper import SessionKeeper
from claudechat.chat.removal import older_than, parse_age
from tests.cli_helpers import CLI, assert_one_line
from tests.terminal import Terminal

LONG_AGO = 1_600_000_000  # September 2020: older than any age given here, whatever the clock says


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    # The data directory is the one a Terminal started in tmp_path uses too.
    return CLI(root=tmp_path, token="sk-test-remove", base_url=None)


def run(cli: CLI, *args: str):
    return cli.run(*args, env={"XDG_DATA_HOME": str(data_dir(cli))})


def data_dir(cli: CLI) -> Path:
    return cli.root / "data"


def sessions_dir(cli: CLI) -> Path:
    return data_dir(cli) / "claudechat" / "sessions"


def saved(cli: CLI, word: str, *, used: float | None = None, name: str | None = None) -> str:
    """A session of one turn about `word`, saved with the real session API; its id.

    `used` sets its last use (the log's modification time); `name` renames its log, for ids that
    share a start no random id can have."""
    keeper = SessionKeeper(SessionStore(sessions_dir(cli)), SessionSettings(model="claude-sonnet-4-6"))
    keeper.session.add_turn(Message("user", f"tell me about {word}"), Message("assistant", f"{word} is fine"))
    keeper.save()
    keeper.close()
    key = keeper.session.id
    path = sessions_dir(cli) / f"{key}.jsonl"
    if name is not None:
        path = path.rename(path.with_name(f"{name}.jsonl"))
        key = name
    if used is not None:
        os.utime(path, (used, used))
    return key


def log(cli: CLI, key: str) -> Path:
    return sessions_dir(cli) / f"{key}.jsonl"


def found(cli: CLI, word: str) -> list[str]:
    """The ids `claudechat search` finds for `word`."""
    result = run(cli, "search", word, "--output", "json")
    assert result.returncode == 0, result
    return [hit["session"] for hit in json.loads(result.stdout)]


def unique_start(key: str, others: list[str]) -> str:
    """The shortest start of `key` that no other id starts with."""
    for length in range(1, len(key) + 1):
        if not any(other.startswith(key[:length]) for other in others):
            return key[:length]
    raise AssertionError(f"{key} is the start of another id")


# --- in-process: ages -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [("90d", 90 * 86_400), ("12h", 12 * 3600), ("2w", 14 * 86_400), ("0h", 0)])
def test_ages_in_hours_days_and_weeks(text: str, seconds: int) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize("text", ["90", "d", "1.5d", "90m", "-3d", "+3d", "90 days", "90D", "٣d", ""])
def test_anything_else_is_not_an_age(text: str) -> None:
    with pytest.raises(ValueError):
        parse_age(text)


def test_older_than_keeps_what_was_used_within_the_age(tmp_path: Path) -> None:
    files = [(1_000_000.0, tmp_path / "new.jsonl"), (1_000_000.0 - 3600, tmp_path / "edge.jsonl"),
             (1_000_000.0 - 3601, tmp_path / "old.jsonl")]
    assert older_than(files, 3600, now=1_000_000.0) == [files[2]]


def test_a_chat_that_locks_a_log_as_it_is_removed_is_told_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The instant between a chat opening a log and locking it: `rm` deleted it there."""
    import fcntl

    from claudechat.chat import store

    keeper = SessionKeeper(SessionStore(tmp_path), SessionSettings(model="claude-sonnet-4-6"))
    keeper.session.add_turn(Message("user", "hello"), Message("assistant", "hi"))
    keeper.save()
    keeper.close()
    path = tmp_path / f"{keeper.session.id}.jsonl"
    real_flock = fcntl.flock

    def removed_first(fd: int, operation: int) -> None:
        path.unlink(missing_ok=True)
        real_flock(fd, operation)

    monkeypatch.setattr(store.fcntl, "flock", removed_first)
    with pytest.raises(SessionError, match=f"session {keeper.session.id} was removed"):
        SessionStore(tmp_path).open(path)


def test_a_log_a_chat_compacts_as_it_is_removed_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The instant between `rm` opening a log and locking it: a chat opening it renamed its
    compacted form over the name, and holds that one's lock."""
    import fcntl

    from claudechat.chat import removal

    keeper = SessionKeeper(SessionStore(tmp_path), SessionSettings(model="claude-sonnet-4-6"))
    keeper.session.add_turn(Message("user", "hello"), Message("assistant", "hi"))
    keeper.save()
    keeper.close()
    path = tmp_path / f"{keeper.session.id}.jsonl"
    compacted = tmp_path / "compacted"
    compacted.write_bytes(path.read_bytes())
    real_flock = fcntl.flock

    def compacted_first(fd: int, operation: int) -> None:
        if compacted.exists():
            os.rename(compacted, path)
        real_flock(fd, operation)

    monkeypatch.setattr(removal.fcntl, "flock", compacted_first)
    result = removal.remove_sessions([path])
    assert result.removed == [] and "open in another claudechat" in result.kept[keeper.session.id]
    assert path.exists()


# --- the program ------------------------------------------------------------------------------


@pytest.mark.e2e
def test_rm_one_by_id_and_one_by_the_start_of_its_id(cli: CLI) -> None:
    first, second, third = (saved(cli, word) for word in ("nginx", "nginx", "postgres"))
    assert sorted(found(cli, "nginx")) == sorted([first, second])  # the index knows them now
    result = run(cli, "sessions", "rm", first, "--yes")
    assert (result.returncode, result.stdout, result.stderr) == (0, "removed 1 session\n", ""), result
    assert not log(cli, first).exists()
    start = unique_start(second, [first, third])
    result = run(cli, "sessions", "rm", "-y", start)
    assert (result.returncode, result.stdout) == (0, "removed 1 session\n"), result
    assert not log(cli, second).exists() and log(cli, third).exists()
    assert found(cli, "nginx") == []
    assert found(cli, "postgres") == [third]


@pytest.mark.e2e
def test_an_ambiguous_or_unknown_id_removes_nothing_at_all(cli: CLI) -> None:
    one, two = saved(cli, "alpha", name="zzshared1"), saved(cli, "beta", name="zzshared2")
    other = saved(cli, "gamma")
    ambiguous = run(cli, "sessions", "rm", "--yes", other, "zzshared")
    assert ambiguous.returncode == 2, ambiguous
    line = assert_one_line(ambiguous.stderr, ambiguous)
    assert "zzshared is the start of 2 session ids" in line and "nothing removed" in line
    unknown = run(cli, "sessions", "rm", "--yes", other, "zznone")
    assert unknown.returncode == 2 and "no session zznone" in assert_one_line(unknown.stderr, unknown)
    assert (ambiguous.stdout, unknown.stdout) == ("", "")
    assert all(log(cli, key).exists() for key in (one, two, other))


@pytest.mark.e2e
def test_an_action_after_an_option_is_refused_not_taken_for_a_listing(cli: CLI) -> None:
    key = saved(cli, "kernel")
    result = run(cli, "sessions", "--all", "rm", key, "--yes")
    assert (result.returncode, result.stdout) == (2, ""), result
    assert "rm comes right after `sessions`" in assert_one_line(result.stderr, result)
    assert log(cli, key).exists()


@pytest.mark.e2e
def test_prune_removes_what_was_last_used_before_the_age(cli: CLI) -> None:
    old = saved(cli, "kernel", used=LONG_AGO)
    older = saved(cli, "kernel", used=LONG_AGO - 86_400)
    recent = saved(cli, "kernel")  # used now
    assert len(found(cli, "kernel")) == 3
    result = run(cli, "sessions", "prune", "--older-than", "90d", "--yes", "--output", "json")
    assert result.returncode == 0, result
    removed = json.loads(result.stdout)
    assert sorted(removed["removed"]) == sorted([old, older]) and removed["kept"] == []
    assert [path.stem for path in sessions_dir(cli).glob("*.jsonl")] == [recent]
    assert found(cli, "kernel") == [recent]
    again = run(cli, "sessions", "prune", "--older-than", "90d", "--yes")
    assert (again.returncode, again.stdout) == (0, "")
    assert "no session was last used more than 90d ago" in assert_one_line(again.stderr, again)
    as_json = run(cli, "sessions", "prune", "--older-than", "90d", "--yes", "--output", "json")
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, {"removed": [], "kept": []})


@pytest.mark.e2e
@pytest.mark.parametrize("age", ["90", "3 months", "1.5d", "90m"])
def test_prune_takes_only_hours_days_or_weeks(cli: CLI, age: str) -> None:
    old = saved(cli, "kernel", used=LONG_AGO)
    result = run(cli, "sessions", "prune", "--older-than", age, "--yes")
    assert (result.returncode, result.stdout) == (2, ""), result
    assert "--older-than takes an age like 90d, 12h or 2w" in assert_one_line(result.stderr, result)
    assert log(cli, old).exists()


@pytest.mark.e2e
@pytest.mark.parametrize("action", [("rm",), ("prune", "--older-than", "1w")])
def test_without_a_terminal_and_without_yes_nothing_is_removed(cli: CLI, action: tuple[str, ...]) -> None:
    key = saved(cli, "kernel", used=LONG_AGO)
    args = (*action, key) if action == ("rm",) else action
    result = run(cli, "sessions", *args)  # standard input is /dev/null
    assert (result.returncode, result.stdout) == (2, ""), result
    line = assert_one_line(result.stderr, result)
    assert "not removing 1 session without asking" in line and "--yes" in line
    assert log(cli, key).exists()
    piped = cli.run("sessions", *args, input="y\n", env={"XDG_DATA_HOME": str(data_dir(cli))})
    assert piped.returncode == 2 and log(cli, key).exists()  # a pipe is not someone answering


@pytest.mark.e2e
def test_a_session_open_in_another_claudechat_is_kept_and_the_rest_removed(cli: CLI) -> None:
    busy = saved(cli, "kernel", used=LONG_AGO)
    idle = saved(cli, "kernel", used=LONG_AGO)
    opened, _ = SessionStore(sessions_dir(cli)).open(log(cli, busy))  # the lock a running chat holds
    os.utime(log(cli, busy), (LONG_AGO, LONG_AGO))  # opening touched it: a chat left open for weeks
    try:
        result = run(cli, "sessions", "prune", "--older-than", "2w", "--yes")
        assert log(cli, busy).exists() and not log(cli, idle).exists()
    finally:
        opened.close()
    assert (result.returncode, result.stdout) == (1, "removed 1 of 2 sessions\n"), result
    assert assert_one_line(result.stderr, result) == (
        f"claudechat: warning: kept session {busy}: it is open in another claudechat (close that chat first)"
    )
    assert found(cli, "kernel") == [busy]
    as_json = run(cli, "sessions", "rm", busy, "-y", "--output", "json")
    assert (as_json.returncode, json.loads(as_json.stdout)) == (0, {"removed": [busy], "kept": []})


@pytest.mark.e2e
def test_with_the_index_locked_the_log_goes_and_search_catches_up(cli: CLI) -> None:
    gone, kept = saved(cli, "kernel"), saved(cli, "kernel")
    assert sorted(found(cli, "kernel")) == sorted([gone, kept])
    index = sqlite3.connect(data_dir(cli) / "claudechat" / "index.sqlite", isolation_level=None)
    try:
        index.execute("BEGIN IMMEDIATE")  # another process writing, longer than rm waits
        result = run(cli, "sessions", "rm", gone, "--yes")
        recorded = index.execute("SELECT count(*) FROM logs WHERE id = ?", (gone,)).fetchone()[0]
        index.execute("ROLLBACK")
    finally:
        index.close()
    assert (result.returncode, result.stdout, result.stderr) == (0, "removed 1 session\n", ""), result
    assert recorded == 1 and not log(cli, gone).exists()  # the index still had it ...
    assert found(cli, "kernel") == [kept]  # ... and a search does not find it


@pytest.mark.e2e
def test_without_an_index_none_is_made(cli: CLI) -> None:
    key = saved(cli, "kernel")
    index = data_dir(cli) / "claudechat" / "index.sqlite"
    for path in index.parent.glob("index.sqlite*"):  # saving the chat made it: as if it never had
        path.unlink()
    result = run(cli, "sessions", "rm", key, "--yes")
    assert (result.returncode, result.stdout) == (0, "removed 1 session\n"), result
    assert not index.exists() and not log(cli, key).exists()


def _ask(cli: CLI, *args: str) -> Terminal:
    term = Terminal(cli.root, base_url=None, args=["sessions", *args], cols=100, rows=20)
    term.wait_for("[y/N]")
    return term


@pytest.mark.e2e
def test_on_a_terminal_it_lists_and_asks_and_only_yes_removes(cli: CLI) -> None:
    first = saved(cli, "kernel", used=LONG_AGO)
    second = saved(cli, "compilers", used=LONG_AGO - 60)
    term = _ask(cli, "prune", "--older-than", "12h")
    try:
        rows = term.all_lines()
        assert any(row.startswith(first) and row.endswith("tell me about kernel") for row in rows), term.dump()
        assert any(row.startswith(second) and row.endswith("tell me about compilers") for row in rows), term.dump()
        assert "Remove these 2 sessions and their search entries? [y/N]" in term.text()
        term.send("n\r")
        assert term.wait_exit() == 0
        assert "nothing removed" in term.text()
    finally:
        term.kill()
    assert log(cli, first).exists() and log(cli, second).exists()

    term = _ask(cli, "rm", first)
    try:
        assert "Remove this session and its search entries? [y/N]" in term.text()
        term.send("y\r")
        assert term.wait_exit() == 0
        assert "removed 1 session" in term.text()
    finally:
        term.kill()
    assert not log(cli, first).exists() and log(cli, second).exists()
