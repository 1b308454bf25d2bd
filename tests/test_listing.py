"""Listing sessions from the directory alone: order, what is left out, ties."""

from __future__ import annotations

import os

from claudechat.chat.listing import session_files, session_ids


def touch(directory, name: str, mtime: float):
    path = directory / name
    path.write_text("{}\n", encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def test_the_most_recently_used_first_and_only_session_logs(tmp_path):
    touch(tmp_path, "aaaa0001.jsonl", 1_000)
    touch(tmp_path, "bbbb0002.jsonl", 3_000)
    touch(tmp_path, "cccc0003.jsonl", 2_000)
    touch(tmp_path, ".dddd0004.jsonl", 4_000)  # a save in progress
    touch(tmp_path, "notes.txt", 5_000)
    assert session_ids(tmp_path) == ["bbbb0002", "cccc0003", "aaaa0001"]
    assert session_files(tmp_path) == [
        (3_000, tmp_path / "bbbb0002.jsonl"), (2_000, tmp_path / "cccc0003.jsonl"), (1_000, tmp_path / "aaaa0001.jsonl")
    ]


def test_sessions_used_at_the_same_moment_are_all_listed(tmp_path):
    # Equal times must not make the listing compare the entries themselves (they cannot be).
    for name in ("aaaa0001.jsonl", "bbbb0002.jsonl", "cccc0003.jsonl"):
        touch(tmp_path, name, 1_000)
    assert sorted(session_ids(tmp_path)) == ["aaaa0001", "bbbb0002", "cccc0003"]


def test_a_missing_directory_has_no_sessions(tmp_path):
    assert session_ids(tmp_path / "missing") == [] and session_files(tmp_path / "missing") == []
