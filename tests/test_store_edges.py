"""Edges of session files: where they live, what each failure says, and writes that come short."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from claudechat.chat import store as store_module
from claudechat.chat.conversation import Message
from claudechat.chat.session import Session, SessionError, SessionSettings
from claudechat.chat.store import NoSavedSessionError, SessionFile, SessionStore, SessionSummary, sessions_dir
from claudechat.paths import message_path

T0 = 1_700_000_000.0


def new_session(**fields) -> Session:
    return Session(settings=SessionSettings(model="claude-sonnet-4-6"), **fields)


def with_turn(chat: Session) -> Session:
    chat.add_turn(Message("user", "q", created=T0), Message("assistant", "a", created=T0))
    return chat


def long_dir(tmp_path: Path) -> Path:
    """A directory whose path is longer than the 300 cells a message shows, whatever tmp_path is."""
    return tmp_path / ("d" * 200) / ("e" * 200)


def test_sessions_live_in_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setattr("claudechat.config.data_dir", lambda: tmp_path / "data")

    assert sessions_dir() == tmp_path / "data" / "sessions"
    assert SessionStore().directory == tmp_path / "data" / "sessions"
    assert SessionStore(tmp_path / "elsewhere").directory == tmp_path / "elsewhere"


# --------------------------------------------------------------------------------------
# Creating and saving
# --------------------------------------------------------------------------------------


def test_a_file_where_the_directory_should_be_is_named_with_what_to_do(tmp_path):
    directory = long_dir(tmp_path)
    directory.parent.mkdir(parents=True)
    directory.write_text("")

    with pytest.raises(SessionError) as caught:
        SessionFile.create(directory, new_session())

    assert caught.value.message == f"cannot save sessions: {message_path(directory, 300)} is not a directory"
    assert caught.value.hint == "move it away; the chat goes on and saves after the next turn"


def test_a_session_file_that_cannot_be_made_is_named_with_why(tmp_path):
    directory = long_dir(tmp_path)
    directory.mkdir(parents=True)
    chat = new_session()
    (directory / f"{chat.id}.jsonl").write_text("taken")

    with pytest.raises(SessionError) as caught:
        SessionFile.create(directory, chat)

    assert caught.value.message == f"cannot create a session file in {message_path(directory, 300)}: File exists"


def test_the_first_save_makes_the_new_file_durable_in_its_directory_once(tmp_path, monkeypatch):
    synced: list[Path] = []
    monkeypatch.setattr(store_module, "fsync_dir", synced.append)
    chat = new_session()
    session_file = SessionFile.create(tmp_path, chat)

    session_file.save(with_turn(chat))
    assert synced == [tmp_path]  # the new file's entry in its directory, with its first records
    session_file.save(with_turn(chat))
    session_file.close()

    assert synced == [tmp_path]


def test_writes_that_come_short_are_carried_on_until_all_is_written(tmp_path, monkeypatch):
    real_pwrite = os.pwrite
    monkeypatch.setattr(store_module.os, "pwrite", lambda fd, data, offset: real_pwrite(fd, bytes(data[:5]), offset))
    chat = new_session()
    session_file = SessionFile.create(tmp_path, chat)

    session_file.save(with_turn(chat))
    session_file.save(with_turn(chat))
    session_file.close()

    lines = (tmp_path / f"{chat.id}.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    assert records[0]["format"] == "claudechat-session"
    assert [record.get("op") for record in records[1:]] == ["messages", "title", "messages"]


def test_a_failed_save_names_the_file_keeps_it_as_it_was_and_the_records_pending(tmp_path, monkeypatch):
    directory = long_dir(tmp_path)
    directory.mkdir(parents=True)
    chat = new_session()
    session_file = SessionFile.create(directory, chat)
    session_file.save(with_turn(chat))
    path = directory / f"{chat.id}.jsonl"
    before = path.read_bytes()

    def full(fd, data, offset):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "pwrite", full)
    with pytest.raises(SessionError) as caught:
        session_file.save(with_turn(chat))
    session_file.close()

    assert caught.value.message == (
        f"could not save the session to {message_path(path, 300)}: No space left on device"
    )
    assert caught.value.hint == "the chat goes on; it is saved again after the next turn"
    assert path.read_bytes() == before
    assert chat.pending


def test_closing_twice_closes_the_file_once(tmp_path, monkeypatch):
    closed: list[int] = []
    real_close = os.close
    session_file = SessionFile.create(tmp_path, new_session())
    monkeypatch.setattr(store_module.os, "close", lambda fd: (closed.append(fd), real_close(fd)))
    fd = session_file._fd

    session_file.close()
    session_file.close()

    assert closed == [fd]


def test_a_damaged_log_is_named_in_full_when_opened(tmp_path):
    directory = long_dir(tmp_path)
    directory.mkdir(parents=True)
    chat = new_session()
    session_file = SessionFile.create(directory, chat)
    session_file.save(with_turn(chat))
    session_file.close()
    path = directory / f"{chat.id}.jsonl"
    path.write_bytes(path.read_bytes() + b"not json\n")

    with pytest.raises(SessionError) as caught:
        SessionFile.open(path)

    assert caught.value.message.startswith(f"{message_path(path, 300)}, line 4: not valid JSON")


# --------------------------------------------------------------------------------------
# Finding and listing
# --------------------------------------------------------------------------------------


def saved(directory: Path, session_id: str, mtime: float) -> Path:
    chat = new_session(id=session_id)
    session_file = SessionFile.create(directory, chat)
    session_file.save(with_turn(chat))
    session_file.close()
    path = directory / f"{session_id}.jsonl"
    os.utime(path, (mtime, mtime))
    return path


def test_find_says_what_is_wrong_and_where_to_look(tmp_path):
    store = SessionStore(tmp_path)
    saved(tmp_path, "abc123", T0)
    saved(tmp_path, "abd456", T0 + 1)

    def refusal(key: str) -> SessionError:
        with pytest.raises(SessionError) as caught:
            store.find(key)
        return caught.value

    bad = refusal("x/" + "y" * 100)
    assert (bad.message, bad.hint) == (f"{'x/' + 'y' * 77 + '…'!r} is not a session id", "see `claudechat sessions`")
    missing = refusal("zzz")
    assert (missing.message, missing.hint) == ("no session zzz", "see `claudechat sessions`")
    several = refusal("ab")
    assert (several.message, several.hint) == ("ab is the start of 2 session ids", "give more of the id")
    assert store.find("abc") == tmp_path / "abc123.jsonl"
    assert store.find("abd456") == tmp_path / "abd456.jsonl"
    assert (store.has("abc"), store.has("ab"), store.has("nope"), store.has("")) == (True, False, False, False)
    (tmp_path / "a-b_c.jsonl").touch()
    assert store.find("a-b_c") == tmp_path / "a-b_c.jsonl"  # dashes and underscores are an id's too


def test_with_no_session_saved_there_is_nothing_to_continue(tmp_path):
    with pytest.raises(NoSavedSessionError) as caught:
        SessionStore(tmp_path / "none").most_recent()

    assert (caught.value.message, caught.value.hint) == (
        "there is no saved session yet", "start one with `claudechat`"
    )


def test_a_sessions_directory_that_cannot_be_listed_says_why(tmp_path):
    (tmp_path / "sessions").write_text("")

    with pytest.raises(SessionError) as caught:
        SessionStore(tmp_path / "sessions").summaries()

    assert caught.value.message == f"cannot list {tmp_path / 'sessions'}: Not a directory"


def test_the_listing_puts_the_last_used_first_and_unreadable_files_with_their_error(tmp_path):
    saved(tmp_path, "older", T0)
    saved(tmp_path, "newer", T0 + 10)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("not a session\n")
    os.utime(broken, (T0 + 5, T0 + 5))
    (tmp_path / "dangling.jsonl").symlink_to(tmp_path / "nowhere")
    os.utime(tmp_path / "dangling.jsonl", (T0 + 1, T0 + 1), follow_symlinks=False)

    summaries = SessionStore(tmp_path).summaries()

    assert [(s.id, s.updated) for s in summaries] == [
        ("newer", T0 + 10), ("broken", T0 + 5), ("dangling", T0 + 1), ("older", T0)
    ]
    assert [s.error is not None for s in summaries] == [False, True, True, False]
    assert "symbolic link" in summaries[2].error
    assert SessionStore(tmp_path).most_recent() == tmp_path / "newer.jsonl"


def test_a_file_gone_while_listing_leaves_the_rest_listed(tmp_path, monkeypatch):
    for number, name in enumerate(["aaa", "bbb", "ccc"]):
        saved(tmp_path, name, T0 + number)
    real_scandir = os.scandir

    def scandir_then_lose_one(path):
        entries = sorted(real_scandir(path), key=lambda entry: entry.name)
        (tmp_path / "aaa.jsonl").unlink()
        return iter(entries)

    monkeypatch.setattr(store_module.os, "scandir", scandir_then_lose_one)

    assert [s.id for s in SessionStore(tmp_path).summaries()] == ["ccc", "bbb"]


def test_a_summary_as_json_has_every_field(tmp_path):
    summary = SessionSummary("id1", tmp_path / "id1.jsonl", T0, "A title", T0 - 5, 3, "m", None)

    assert summary.to_dict() == {
        "id": "id1", "title": "A title", "created": T0 - 5, "updated": T0, "turns": 3, "model": "m",
        "path": str(tmp_path / "id1.jsonl"), "error": None,
    }


# --------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------


def log_lines(directory: Path) -> Path:
    chat = new_session(id="log1")
    session_file = SessionFile.create(directory, chat)
    session_file.save(with_turn(chat))
    session_file.close()
    return directory / "log1.jsonl"


def test_a_damaged_line_is_named_with_the_file_and_what_is_done(tmp_path):
    path = log_lines(tmp_path)
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join([lines[0], b"{broken", *lines[1:]]))

    with pytest.raises(SessionError) as caught:
        store_module.read_session_file(path)

    assert caught.value.message == f"{message_path(path, 300)}, line 2: not valid JSON; the session is damaged"
    assert caught.value.hint == "the file is left as it is"


def test_a_file_whose_first_line_is_not_json_is_no_session(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"not json\n{}\n")

    with pytest.raises(SessionError) as caught:
        store_module.read_session_file(path)

    assert (caught.value.message, caught.value.hint) == (
        f"{message_path(path, 300)} is not a claudechat session", "the file is left as it is"
    )


def test_a_missing_file_or_one_below_a_file_is_named_in_full(tmp_path):
    directory = long_dir(tmp_path)
    directory.mkdir(parents=True)
    missing = directory / "gone.jsonl"
    (directory / "file").write_text("")
    below = directory / "file" / "x.jsonl"

    with pytest.raises(SessionError) as gone:
        store_module.read_session_file(missing)
    with pytest.raises(SessionError) as not_dir:
        store_module.read_session_file(below)

    assert (gone.value.message, gone.value.hint) == (
        f"no session file {message_path(missing, 300)}", "see `claudechat sessions`"
    )
    assert not_dir.value.message == f"cannot read {message_path(below, 300)}: Not a directory"


def test_a_file_past_the_size_bound_is_refused_in_megabytes_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_SESSION_BYTES", 2**20)
    at_bound, past = tmp_path / "at.jsonl", tmp_path / "past.jsonl"
    with at_bound.open("wb") as out:
        out.truncate(2**20)
    with past.open("wb") as out:
        out.truncate(3 * 2**20 + 1)

    assert len(store_module._read_bytes(at_bound)) == 2**20
    with pytest.raises(SessionError) as caught:
        store_module._read_bytes(past)

    assert caught.value.message == f"{message_path(past, 300)} is 3 MB, too large to be a session"


def test_a_session_larger_than_one_read_is_read_whole(tmp_path):
    chat = new_session(id="big1")
    session_file = SessionFile.create(tmp_path, chat)
    text = "".join(f"{n:07d} " for n in range(200_000))  # 1.6 MB
    chat.add_turn(Message("user", text, created=T0), Message("assistant", "ok", created=T0))
    session_file.save(chat)
    session_file.close()

    assert store_module.read_session_file(tmp_path / "big1.jsonl").messages[0].text == text


def test_a_saved_document_is_read_even_after_blank_lines(tmp_path):
    chat = with_turn(new_session(title="Doc"))
    path = tmp_path / "saved.json"
    path.write_text("\n\n  " + json.dumps(chat.to_document()))

    assert store_module.read_session_file(path).title == "Doc"


def test_a_saved_document_that_is_damaged_is_named_in_full(tmp_path):
    directory = long_dir(tmp_path)
    directory.mkdir(parents=True)
    document = with_turn(new_session()).to_document()
    document["messages"][0]["role"] = 5
    path = directory / "saved.json"
    path.write_text(json.dumps(document))

    with pytest.raises(SessionError) as caught:
        store_module.read_session_file(path)

    assert caught.value.message.startswith(message_path(path, 300))


@pytest.mark.parametrize(
    ("error", "said"),
    [(errno.EACCES, "cannot open {} for writing: Permission denied"), (errno.EIO, "cannot open {}: Input/output error")],
)
def test_a_log_that_cannot_be_opened_for_writing_says_why(tmp_path, monkeypatch, error, said):
    path = log_lines(tmp_path)
    real_open = os.open

    def refuse_writing(file, flags, *args):
        if flags & os.O_RDWR:
            raise OSError(error, os.strerror(error))
        return real_open(file, flags, *args)

    monkeypatch.setattr(store_module.os, "open", refuse_writing)
    with pytest.raises(SessionError) as caught:
        SessionFile.open(path)

    assert caught.value.message == said.format(message_path(path, 300))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd to see which file a descriptor is")
def test_a_session_file_given_descriptor_0_is_closed_too(tmp_path):
    """`claudechat <&-` starts with no stdin: the first file it opens gets descriptor 0."""
    saved_stdin = os.dup(0)
    os.close(0)
    try:
        chat = with_turn(new_session())
        session_file = SessionFile.create(tmp_path, chat)
        path = tmp_path / f"{chat.id}.jsonl"
        assert os.readlink("/proc/self/fd/0") == str(path)
        session_file.close()
        assert not os.path.exists("/proc/self/fd/0")
    finally:
        os.dup2(saved_stdin, 0)
        os.close(saved_stdin)
