"""Branches of a conversation and log compaction: the session model, its records, its files.

Every file lives under tmp_path; times are explicit. A crash during a compaction is made by
killing a child process at each of the compaction's system calls in turn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from claudechat.chat.compaction import Compaction
from claudechat.chat.conversation import Message
from claudechat.chat.records import replay_log, session_from_document
from claudechat.chat.session import VERSION, Session, SessionError, SessionSettings, UsageEntry
from claudechat.chat.store import COMPACTING_SUFFIX, SUFFIX, SessionBusyError, SessionFile, SessionStore, read_session_file
from tests.test_session import write_new

T0 = 1_704_164_640.0  # 2024-01-02 03:04:00 UTC


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def user(text: str, at: float = T0) -> Message:
    return Message("user", text, created=at)


def answer(text: str, at: float = T0) -> Message:
    return Message("assistant", text, created=at, model="m")


def texts(messages: list[Message]) -> list[str]:
    return [message.text for message in messages]


def three_turns(system: str | None = "S0") -> Session:
    session = Session(settings=SessionSettings(model="m", system=system), id="abcd1234", created=T0)
    for number in range(1, 4):
        session.add_turn(user(f"q{number}", T0 + number), answer(f"a{number}", T0 + number))
    return session


def state(session: Session) -> dict[str, Any]:
    """Everything a session holds that its file must give back."""
    lines = session.lines()
    return {
        "messages": session.messages,
        "lines": [asdict(line) for line in lines],
        "branch": session.branch,
        "system_changes": session.system_changes,
        "compactions": session.compactions,
        "usage": session.usage,
        "title": session.title,
        "settings": asdict(session.settings),
    }


def records_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


# --- the model -----------------------------------------------------------------------------


def test_a_branch_keeps_the_line_it_leaves_and_requests_carry_the_line_in_use() -> None:
    session = three_turns()
    session.branch_from(2)
    assert texts(session.messages) == ["q1", "a1"]
    session.add_turn(user("q2 again"), answer("b2"))
    assert [m["content"] for m in session.request_messages("next")] == ["S0", "q1", "a1", "q2 again", "b2", "next"]
    lines = session.lines()
    assert [texts(line.messages) for line in lines] == [
        ["q1", "a1", "q2", "a2", "q3", "a3"],
        ["q1", "a1", "q2 again", "b2"],
    ]
    assert (lines[1].parent, lines[1].fork, session.branch) == (0, 2, 1)
    session.switch_branch(0)
    assert texts(session.messages) == ["q1", "a1", "q2", "a2", "q3", "a3"]
    assert [m["content"] for m in session.request_messages()][-1] == "a3"
    assert session.turns == 3


def test_each_branch_keeps_its_own_system_prompt_and_compactions() -> None:
    session = three_turns()
    session.compact(Compaction(covers=4, summary="two turns", created=T0))
    session.branch_from(2)  # before the compaction: it cannot hold in the new branch
    assert session.compactions == []
    session.change_settings(system="S1")
    session.add_turn(user("other"), answer("b"))
    assert session.request_messages()[0]["content"] == "S1"
    session.switch_branch(0)
    assert session.settings.system == "S0"
    assert session.compaction() is not None and session.compaction().summary == "two turns"
    session.switch_branch(1)
    assert session.settings.system == "S1"
    assert session.system_changes == [(0, "S0"), (2, "S1")]


def test_branch_and_switch_refuse_what_is_not_there() -> None:
    session = three_turns()
    with pytest.raises(ValueError):
        session.branch_from(7)
    with pytest.raises(ValueError):
        session.switch_branch(1)  # there is one line only
    session.branch_from(0)
    with pytest.raises(ValueError):
        session.switch_branch(1)  # the one in use


def test_a_session_without_branches_stays_format_1_and_lists_no_lines() -> None:
    session = three_turns()
    assert session.format_version() == 1
    assert session.lines() == []
    session.branch_from(4)
    assert session.format_version() == 3 == VERSION


def test_the_model_s_small_answers() -> None:
    session = three_turns(system=None)
    assert session.turns_before(3) == 2 and session.turns_before(0) == 0
    session.branch_from(len(session.messages))  # from the very end: allowed
    assert session.lines()[0].fork == 0 and session.lines()[0].parent is None
    session.change_settings(system="X")
    session.switch_branch(0)
    assert session.settings.system is None  # the first line never had one
    with pytest.raises(ValueError, match="a branch leaves from a point of the conversation"):
        session.branch_from(len(session.messages) + 1)
    with pytest.raises(ValueError, match="no such other branch"):
        session.switch_branch(2)
    assert session.branch_view(1).branch == 1 and session.branch == 0


def test_where_another_branch_starts_to_be_written_and_what_it_is_called() -> None:
    session = three_turns()
    session.branch_from(4)  # shares two turns
    session.add_turn(user("q3 other"), answer("b3"))
    assert session.shared_start(0) == 4
    from claudechat.chat.transcript import branch_heading

    assert branch_heading(session, 0) == "Branch 1 · the first · from turn 3"
    session.switch_branch(0)
    assert branch_heading(session, 1) == "Branch 2 · leaves branch 1 at turn 3 · from turn 3"
    session.replace_answer(answer("a3 again"))  # the same question, another answer: written with it
    assert session.shared_start(1) == 4
    session.switch_branch(1)
    session.undo()
    session.undo()  # now a prefix of the first line
    assert session.shared_start(0) == 2
    session.undo()
    assert session.shared_start(0) == 0


# --- records and files ---------------------------------------------------------------------


def branched(directory: Path) -> tuple[Session, Path, bytes]:
    """A format 1 log of three turns, then a branch, a turn in it and a switch back appended."""
    session = three_turns()
    session_file = SessionFile.create(directory, session)
    session_file.save(session)
    before = session_file.path.read_bytes()
    session.branch_from(2)
    session.add_turn(user("q2 again", T0 + 10), answer("b2", T0 + 10))
    session.record_usage(UsageEntry(model="m", prompt_tokens=5, completion_tokens=2, time=T0 + 10))
    session.switch_branch(0)
    session.add_turn(user("q4", T0 + 11), answer("a4", T0 + 11))
    session_file.save(session)
    session_file.close()
    return session, session_file.path, before


def test_a_format_1_log_is_upgraded_by_appending_only(tmp_path: Path) -> None:
    session, path, before = branched(tmp_path)
    data = path.read_bytes()
    assert data.startswith(before)  # nothing written before was rewritten, the header neither
    records = records_of(path)
    assert records[0]["version"] == 1
    added = records[len(before.splitlines()):]
    assert added[0] == {"op": "format", "version": 3}  # before any record format 1 does not know
    assert [record["op"] for record in added[1:]].index("branch") >= 0
    assert state(read_session_file(path)) == state(session)


def test_a_new_log_of_a_branched_session_says_format_3_in_its_header(tmp_path: Path) -> None:
    session = three_turns()
    session.branch_from(2)
    path = write_new(tmp_path, session)
    records = records_of(path)
    assert records[0]["version"] == 3
    assert all(record.get("op") != "format" for record in records)
    assert state(read_session_file(path)) == state(session)


def test_a_newer_format_announced_by_a_record_is_refused_with_its_line(tmp_path: Path) -> None:
    _, path, _ = branched(tmp_path)
    with path.open("a") as log:
        log.write(json.dumps({"op": "format", "version": VERSION + 1}) + "\n")
    line = len(path.read_bytes().splitlines())
    with pytest.raises(SessionError, match=rf"line {line}: written by a newer claudechat \(format {VERSION + 1}"):
        read_session_file(path)


@pytest.mark.parametrize(
    "record, expected",
    [
        ({"op": "branch", "keep": 99, "created": T0}, "'keep' is out of range"),
        ({"op": "branch", "keep": 2}, "missing 'created'"),
        ({"op": "branch", "keep": 2, "created": T0, "fork": 1}, "'fork' is before 'keep'"),
        ({"op": "switch", "to": 0}, "'to' is not another branch"),  # there is no other yet
        ({"op": "switch", "to": "1"}, "'to' has the wrong type"),
        ({"op": "format", "version": "3"}, "'version' has the wrong type"),
    ],
)
def test_a_bad_branch_record_is_a_session_error_naming_its_line(tmp_path: Path, record: dict, expected: str) -> None:
    path = write_new(tmp_path, three_turns())
    data = path.read_bytes()
    path.write_bytes(data + json.dumps(record).encode() + b"\n")
    with pytest.raises(SessionError, match=f"line {len(data.splitlines()) + 1}: {expected}"):
        read_session_file(path)
    assert path.read_bytes() == data + json.dumps(record).encode() + b"\n"


def test_the_document_form_keeps_a_branch_s_compactions() -> None:
    session = tangled()
    session.switch_branch(2)
    session.compact(Compaction(covers=4, summary="in branch 3", created=T0))
    session.switch_branch(0)
    document = json.loads(json.dumps(session.to_document()))
    assert document["branches"][2]["compactions"][-1]["summary"] == "in branch 3"
    assert state(session_from_document(document, where="x")) == state(session)


def test_the_document_form_keeps_the_whole_tree(tmp_path: Path) -> None:
    session, _, _ = branched(tmp_path)
    document = json.loads(json.dumps(session.to_document()))
    assert document["version"] == 3 and document["branch"] == 0
    assert [len(line["messages"]) for line in document["branches"]] == [8, 4]
    assert texts(session_from_document(document, where="x").messages) == texts(session.messages)
    assert state(session_from_document(document, where="x")) == state(session)


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"branch": 5}, "'branch' is not one of 'branches'"),
        ({"branches": [{"parent": 0, "fork": 0, "created": T0, "messages": []}]}, "leaves from no earlier"),
        ({"branches": ["x"]}, "a branch is not an object"),
    ],
)
def test_a_bad_tree_in_a_document_is_refused(tmp_path: Path, change: dict, expected: str) -> None:
    session, _, _ = branched(tmp_path)
    document = {**json.loads(json.dumps(session.to_document())), **change}
    if "branches" in change:
        document["branch"] = 0
    with pytest.raises(SessionError, match=expected):
        session_from_document(document, where="x")


def test_a_transcript_holds_the_branch_in_use_or_with_all_every_branch(tmp_path: Path) -> None:
    from claudechat.chat.transcript import to_markdown

    session, _, _ = branched(tmp_path)
    one = to_markdown(session)
    assert "q2 again" not in one and "q4" in one and "## Branch" not in one
    every = to_markdown(session, all_branches=True)
    assert every.startswith(one.rstrip("\n"))
    appendix = every[len(one.rstrip("\n")):]
    assert "## Branch 2 · leaves branch 1 at turn 2 · from turn 2" in appendix
    assert "q2 again" in appendix and "b2" in appendix
    assert "q1" not in appendix  # what the branches share is written once
    assert to_markdown(three_turns(), all_branches=True) == to_markdown(three_turns())


def test_a_page_holds_every_branch_with_all_and_anchors_stay_unique(tmp_path: Path) -> None:
    import re

    from claudechat.render.html_export import to_html
    from claudechat.render.theme import DEFAULT_THEME, load_theme

    session, _, _ = branched(tmp_path)
    theme = load_theme(DEFAULT_THEME, no_color=False)[0]
    one = to_html(session, theme)
    assert "q2 again" not in one and 'class="branch"' not in one
    every = to_html(session, theme, all_branches=True)
    assert every.count('<section class="branch"') == 1
    assert "Branch 2 · leaves branch 1 at turn 2 · from turn 2" in every
    branch = every[every.index('<section class="branch"'):]
    assert "q2 again" in branch and ">q1<" not in branch
    anchors = re.findall(r'id="([^"]+)"', every)
    assert len(anchors) == len(set(anchors))


def test_a_document_or_a_busy_log_opened_as_a_copy_keeps_every_branch(tmp_path: Path) -> None:
    from claudechat.chat.keeper import SessionKeeper
    from claudechat.chat.transcript import to_json

    session, path, _ = branched(tmp_path / "sessions")
    document = tmp_path / "saved.json"
    document.write_text(to_json(session))
    keeper = SessionKeeper(SessionStore(tmp_path / "sessions"), SessionSettings(model="m"), indexed=False)
    try:
        assert keeper.open(str(document)).startswith("loaded saved.json as a new session")
        assert keeper.session.id != session.id
        assert state(keeper.session) == state(session)
        held = SessionStore(tmp_path / "sessions").open(path)[0]  # another claudechat has it
        try:
            assert "continuing in a copy" in keeper.open(session.id)
            assert state(keeper.session) == state(session)
        finally:
            held.close()
    finally:
        keeper.close()
    copies = [read_session_file(log) for log in (tmp_path / "sessions").glob("*.jsonl") if log != path]
    assert len(copies) == 2 and all(state(copy) == state(session) for copy in copies)


# --- the fewest records ------------------------------------------------------------------


def tangled() -> Session:
    """Branches of branches, undone and retried turns, system prompts and compactions between."""
    session = three_turns()
    session.compact(Compaction(covers=2, summary="first", created=T0))
    session.undo()
    session.replace_turn(user("q2'"), answer("a2'"))
    session.branch_from(2)
    session.change_settings(system="S1")
    session.add_turn(user("x3"), answer("y3"))
    session.add_turn(user("x4"), answer("y4"))
    session.branch_from(4)  # a branch of the branch
    session.add_turn(user("z3"), answer("w3"))
    session.switch_branch(1)
    session.undo()
    session.undo()  # below where branch 3 left: its start is no longer its parent's
    session.add_turn(user("x3 again"), answer("y3 again"))
    session.switch_branch(0)
    session.record_usage(UsageEntry(model="m", prompt_tokens=1, time=T0))
    session.rename("tangled")
    return session


def test_the_rebuilt_records_replay_to_the_same_session() -> None:
    session = tangled()
    rebuilt = session.rebuilt()
    assert rebuilt.id == session.id
    header = rebuilt.log_header()
    replayed = replay_log(json.loads(json.dumps(header)), json.loads(json.dumps(rebuilt.pending)), where="x")[0]
    assert state(replayed) == state(session)
    assert header["version"] == 3


def test_the_rebuilt_records_write_what_branches_share_once() -> None:
    session = three_turns()
    session.branch_from(2)
    session.add_turn(user("other"), answer("b"))
    added = [len(record.get("add", [])) for record in session.rebuilt().pending if record["op"] == "messages"]
    assert sum(added) == 6 + 2


def test_the_rebuilt_records_of_branches_left_from_older_ones_and_changed_parents() -> None:
    session = three_turns()
    session.compact(Compaction(covers=2, summary="one turn", created=T0))
    session.branch_from(4)  # keeps the compaction
    session.add_turn(user("x"), answer("y"))
    session.switch_branch(0)
    session.uncompact()  # the parent no longer has it; the branch still does
    session.branch_from(2)  # a second branch of the first line, made while another was made after it
    session.add_turn(user("z"), answer("w"))
    session.switch_branch(0)
    for _ in range(3):
        session.undo()
    session.add_turn(user("new start"), answer("n"))  # the first line no longer starts as its branches
    for index in (1, 2, 0):
        session.switch_branch(index) if session.branch != index else None
        rebuilt = session.rebuilt()
        replayed = replay_log(json.loads(json.dumps(rebuilt.log_header())), json.loads(json.dumps(rebuilt.pending)),
                              where="x")[0]
        assert state(replayed) == state(session)


def test_the_rebuilt_records_of_a_session_without_branches_keep_format_1() -> None:
    session = three_turns()
    session.undo()
    rebuilt = session.rebuilt()
    assert rebuilt.log_header()["version"] == 1
    replayed = replay_log(rebuilt.log_header(), rebuilt.pending, where="x")[0]
    assert state(replayed) == state(session)


# --- compaction ----------------------------------------------------------------------------


def retried(directory: Path, retries: int) -> tuple[Session, Path]:
    """A log of two turns whose last answer was asked for again `retries` times."""
    session = Session(settings=SessionSettings(model="m"), id="abcd1234", created=T0)
    session_file = SessionFile.create(directory, session)
    session.add_turn(user("q1 " + "x" * 500), answer("a1"))
    session.add_turn(user("q2 " + "y" * 500), answer("a2"))
    session_file.save(session)
    for number in range(retries):
        session.replace_turn(user("q2 " + "y" * 500), answer(f"retry {number}"))
        session_file.save(session)
    session_file.close()
    return session, session_file.path


def test_a_log_mostly_dead_is_compacted_when_opened(tmp_path: Path) -> None:
    session, path = retried(tmp_path, 6)
    size = path.stat().st_size
    store = SessionStore(tmp_path)
    session_file, opened = store.open(path)
    try:
        assert state(opened) == state(session)
        assert path.stat().st_size < size / 2
        assert [record.get("op") for record in records_of(path)[1:]].count("messages") == 1
        with pytest.raises(SessionBusyError):  # the new file is locked as the old one was
            store.open(path)
        opened.add_turn(user("q3"), answer("a3"))
        session_file.save(opened)
    finally:
        session_file.close()
    assert texts(read_session_file(path).messages)[-2:] == ["q3", "a3"]
    assert sorted(os.listdir(tmp_path)) == [path.name]


def test_a_compacted_form_that_would_read_back_otherwise_is_not_written(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    session, path = retried(tmp_path, 6)
    data = path.read_bytes()
    real_rebuilt = Session.rebuilt

    def losing_a_turn(self: Session) -> Session:
        twin = real_rebuilt(self)
        twin.pending = [record for record in twin.pending if record.get("op") != "messages"][:1]
        return twin

    monkeypatch.setattr(Session, "rebuilt", losing_a_turn)
    session_file, opened = SessionStore(tmp_path).open(path)
    session_file.close()
    assert state(opened) == state(session)
    assert path.read_bytes() == data


def test_a_log_with_little_dead_is_left_as_it_is(tmp_path: Path) -> None:
    _, path = retried(tmp_path, 1)
    data = path.read_bytes()
    session_file, _ = SessionStore(tmp_path).open(path)
    session_file.close()
    assert path.read_bytes() == data


def test_messages_kept_by_another_branch_are_not_dead(tmp_path: Path) -> None:
    session = three_turns()
    session_file = SessionFile.create(tmp_path, session)
    session_file.save(session)
    session.branch_from(0)  # everything is still in branch 1
    session.add_turn(user("other"), answer("b"))
    session_file.save(session)
    session_file.close()
    data = session_file.path.read_bytes()
    lines = data.splitlines()
    _, dead = replay_log(json.loads(lines[0]), [json.loads(line) for line in lines[1:]], where="x",
                         sizes=[len(line) + 1 for line in lines[1:]])
    assert dead == 0
    SessionStore(tmp_path).open(session_file.path)[0].close()
    assert session_file.path.read_bytes() == data


def test_a_spare_file_left_by_a_crash_is_replaced_and_never_listed(tmp_path: Path) -> None:
    session, path = retried(tmp_path, 6)
    spare = tmp_path / f".{path.stem}{COMPACTING_SUFFIX}"
    spare.write_bytes(b"half a compaction")
    store = SessionStore(tmp_path)
    assert [summary.id for summary in store.summaries()] == [path.stem]
    session_file, opened = store.open(path)
    session_file.close()
    assert not spare.exists()
    assert state(read_session_file(path)) == state(session)


def test_a_log_compacted_between_opening_and_locking_it_is_opened_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process renamed a compacted log over the name after this one opened the old file."""
    import fcntl

    from claudechat.chat import store

    session, path = retried(tmp_path, 1)
    compacted = session.rebuilt()
    replacement = tmp_path / "replacement"
    replacement.write_bytes(b"".join(
        json.dumps(record).encode() + b"\n" for record in [compacted.log_header(), *compacted.pending]))
    real_flock = fcntl.flock

    def replaced_first(fd: int, operation: int) -> None:
        if replacement.exists():
            os.rename(replacement, path)
        real_flock(fd, operation)

    monkeypatch.setattr(store.fcntl, "flock", replaced_first)
    session_file, opened = SessionStore(tmp_path).open(path)
    try:
        assert state(opened) == state(session)
        assert os.fstat(session_file._fd).st_ino == path.stat().st_ino  # the file the name holds now
    finally:
        session_file.close()


_CRASHING_OPEN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from claudechat.chat.store import SessionStore

    path, crash_at = Path(sys.argv[1]), int(sys.argv[2])
    calls = 0

    def crashing(function):
        def call(*args, **kwargs):
            global calls
            calls += 1
            if calls == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return function(*args, **kwargs)
        return call

    for name in ("open", "write", "fsync", "rename", "unlink", "fchmod", "close", "utime"):
        setattr(os, name, crashing(getattr(os, name)))
    SessionStore(path.parent).open(path)
    print("opened", calls)
    """
)


@pytest.mark.e2e  # starts Python processes
def test_a_crash_at_any_step_of_a_compaction_leaves_one_whole_log(tmp_path: Path) -> None:
    session, path = retried(tmp_path, 6)
    old = path.read_bytes()
    expected = state(session)
    new = None
    for crash_at in range(1, 60):
        path.write_bytes(old)
        for leftover in tmp_path.glob(".*"):
            leftover.unlink()
        done = subprocess.run(
            [sys.executable, "-c", _CRASHING_OPEN, str(path), str(crash_at)],
            capture_output=True, text=True, timeout=60,
        )
        data = path.read_bytes()
        assert data in (old, new) or new is None, f"crash at call {crash_at} left a third file"
        assert state(read_session_file(path)) == expected, f"crash at call {crash_at}"
        if data != old:
            new = data
        if done.returncode == 0:
            assert done.stdout.startswith("opened")
            break
        assert done.returncode == -9, done.stderr
    else:
        pytest.fail("the open never finished")
    assert crash_at > 5  # it crashed at every step before finishing
    assert new is not None and len(new) < len(old) / 2
    session_file, reopened = SessionStore(tmp_path).open(path)  # a spare from any crash is no trouble
    session_file.close()
    assert state(reopened) == expected
    assert [name for name in os.listdir(tmp_path) if name.endswith(SUFFIX)] == [path.name]
