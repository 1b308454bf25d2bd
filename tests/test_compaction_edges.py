"""Edges of compactions: the refusals of Session.compact/uncompact, and the version a log is raised to."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from claudechat.chat import store as store_module
from claudechat.chat.compaction import Compaction
from claudechat.chat.conversation import Message
from claudechat.chat.session import Session, SessionError, SessionSettings
from claudechat.chat.store import SessionFile
from claudechat.paths import message_path

T0 = 1_700_000_000.0


def two_turns() -> Session:
    chat = Session(settings=SessionSettings(model="claude-sonnet-4-6"))
    for n in (1, 2):
        chat.add_turn(Message("user", f"q{n}", created=T0), Message("assistant", f"a{n}", created=T0))
    return chat


@pytest.mark.parametrize("covers", [0, -1, 5])
def test_a_compaction_must_cover_messages_the_session_has(covers):
    chat = two_turns()

    with pytest.raises(ValueError, match="^a compaction covers messages the session has$"):
        chat.compact(Compaction(covers=covers, summary="s", created=T0))
    chat.compact(Compaction(covers=1, summary="s", created=T0))
    chat.compact(Compaction(covers=4, summary="t", created=T0))
    assert [c.covers for c in chat.compactions] == [1, 4]


def test_a_compaction_must_cover_more_than_the_one_before():
    chat = two_turns()
    chat.compact(Compaction(covers=2, summary="s", created=T0))

    with pytest.raises(ValueError, match="^a compaction covers more than the one before it$"):
        chat.compact(Compaction(covers=2, summary="again", created=T0))


def test_undoing_a_compaction_needs_one():
    with pytest.raises(ValueError, match="^there is no compaction to undo$"):
        two_turns().uncompact()


def test_the_format_version_is_2_only_with_a_compaction():
    chat = two_turns()
    assert chat.format_version() == 1

    chat.compact(Compaction(covers=2, summary="s", created=T0))
    assert chat.format_version() == 2


def saved_log(directory: Path) -> tuple[SessionFile, Session, Path]:
    chat = two_turns()
    session_file = SessionFile.create(directory, chat)
    session_file.save(chat)
    return session_file, chat, directory / f"{chat.id}.jsonl"


def test_a_compaction_raises_the_version_in_the_header_in_place(tmp_path):
    session_file, chat, path = saved_log(tmp_path)
    assert json.loads(path.read_bytes().split(b"\n")[0])["version"] == 1

    chat.compact(Compaction(covers=2, summary="s", created=T0))
    session_file.save(chat)
    session_file.close()

    assert json.loads(path.read_bytes().split(b"\n")[0])["version"] == 2


def test_a_header_written_otherwise_refuses_the_compaction(tmp_path):
    session_file, chat, path = saved_log(tmp_path)
    data = path.read_bytes()
    path.write_bytes(b' ' + data[:-1])  # same length: the header no longer starts the line as written
    chat.compact(Compaction(covers=2, summary="s", created=T0))

    with pytest.raises(SessionError) as caught:
        session_file.save(chat)
    session_file.close()

    assert caught.value.message == (
        f"cannot save a compaction to {message_path(path, 300)}: its header is not as this claudechat writes it"
    )
    assert caught.value.hint == "the chat goes on; the compaction stays unsaved"


def test_a_failed_raise_of_the_version_says_the_session_was_not_saved(tmp_path, monkeypatch):
    session_file, chat, path = saved_log(tmp_path)
    chat.compact(Compaction(covers=2, summary="s", created=T0))

    def full(fd, data, offset):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.os, "pwrite", full)
    with pytest.raises(SessionError) as caught:
        session_file.save(chat)
    session_file.close()

    assert caught.value.message == f"could not save the session to {message_path(path, 300)}: No space left on device"
    assert caught.value.hint == "the chat goes on; it is saved again after the next turn"
    assert os.path.getsize(path) > 0


def test_a_session_read_back_with_a_compaction_still_needs_format_2(tmp_path):
    session_file, chat, path = saved_log(tmp_path)
    chat.compact(Compaction(covers=2, summary="s", created=T0))
    session_file.save(chat)
    session_file.close()

    reopened, loaded = SessionFile.open(path)
    reopened.close()
    assert loaded.pending == [] and len(loaded.compactions) == 1
    assert loaded.format_version() == 2


def test_a_compaction_undone_before_it_was_saved_still_needs_format_2():
    chat = two_turns()
    chat.compact(Compaction(covers=2, summary="s", created=T0))
    chat.uncompact()
    assert chat.compactions == []
    assert chat.format_version() == 2  # the log is to hold both records, which only format 2 reads


def test_a_compaction_before_the_first_save_is_written_with_a_format_2_header(tmp_path):
    chat = two_turns()
    session_file = SessionFile.create(tmp_path, chat)
    chat.compact(Compaction(covers=2, summary="s", created=T0))
    session_file.save(chat)
    chat.add_turn(Message("user", "q3", created=T0), Message("assistant", "a3", created=T0))
    chat.compact(Compaction(covers=4, summary="t", created=T0))
    session_file.save(chat)
    session_file.close()

    path = tmp_path / f"{chat.id}.jsonl"
    assert json.loads(path.read_bytes().split(b"\n")[0])["version"] == 2
    reopened, loaded = SessionFile.open(path)
    reopened.close()
    assert [c.covers for c in loaded.compactions] == [2, 4]
    assert [m.content for m in loaded.messages] == ["q1", "a1", "q2", "a2", "q3", "a3"]
