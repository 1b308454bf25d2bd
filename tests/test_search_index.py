"""The search index, in-process: kept up by the keeper, caught up and rebuilt from the logs, queried.

The logs are written with the real SessionKeeper; the index is the real SQLite file beside them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claudechat.chat import Message, SessionSettings, SessionStore
from claudechat.chat.index import SCHEMA, SearchIndex
from claudechat.chat.index_read import indexed_turns
from claudechat.chat.keeper import SessionKeeper
from claudechat.chat.search_query import SearchQueryError, parse_query, parse_date

MODEL = "claude-sonnet-4-6"
DAY = 86_400.0


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sessions"


def keeper_for(sessions: Path, *, model: str = MODEL, indexed: bool = True) -> SessionKeeper:
    return SessionKeeper(SessionStore(sessions), SessionSettings(model=model), indexed=indexed)


def chat(sessions: Path, *turns: tuple[str, str], model: str = MODEL, when: float | None = None,
         indexed: bool = True) -> str:
    """A saved session of these (question, answer) turns, each saved as the chat saves it."""
    keeper = keeper_for(sessions, model=model, indexed=indexed)
    for question, answer in turns:
        created = time.time() if when is None else when
        keeper.session.add_turn(Message("user", question, created=created),
                                Message("assistant", answer, model=model, created=created))
        keeper.save()
        assert keeper.take_warnings() == []
    keeper.close()
    return keeper.session.id


def found(index: SearchIndex, text: str, limit: int = 20) -> list[tuple[str, int]]:
    return [(hit.session, hit.turn) for hit in index.search(parse_query(text), limit)]


def index_of(sessions: Path) -> SearchIndex:
    return SearchIndex(sessions=sessions)


# --- kept up after each append -------------------------------------------------------------------


def test_each_saved_turn_is_found_without_reading_any_log(sessions, monkeypatch):
    first = chat(sessions, ("how do I fix the nginx redirect loop", "add return 301 to the server block"),
                 ("and for apache", "use mod_rewrite"))
    index = index_of(sessions)
    import claudechat.chat.store as store

    monkeypatch.setattr(store, "read_session_file", lambda path: pytest.fail(f"read {path}"))
    report = index.sync()
    assert (report.sessions, report.rebuilt) == (0, None)  # the chat kept it up: nothing to read
    assert found(index, "nginx") == [(first, 1)]
    assert found(index, "rewrite*") == [(first, 2)]
    assert found(index, "apache mod_rewrite") == [(first, 2)]
    assert found(index, "server mod_rewrite") == []  # every word in one turn...
    assert found(index, "nginx mod_rewrite") == [(first, 2)]  # ...its title included


def test_a_retried_answer_replaces_the_old_one_and_an_undone_turn_goes(sessions):
    keeper = keeper_for(sessions)
    keeper.session.add_turn(Message("user", "first question"), Message("assistant", "zebra"))
    keeper.save()
    keeper.session.add_turn(Message("user", "second question"), Message("assistant", "giraffe"))
    keeper.save()
    keeper.session.replace_turn(Message("user", "second question again"), Message("assistant", "okapi"))
    keeper.save()
    index = index_of(sessions)
    assert found(index, "giraffe") == []
    assert found(index, "okapi") == [(keeper.session.id, 2)]
    keeper.session.undo()
    keeper.save()
    assert found(index, "okapi") == [] and found(index, "zebra") == [(keeper.session.id, 1)]
    keeper.session.replace_answer(Message("assistant", "a quokka instead"))
    keeper.save()
    assert found(index, "zebra") == [] and found(index, "quokka") == [(keeper.session.id, 1)]
    keeper.close()


def test_a_rename_is_found_in_every_turn_of_the_session(sessions):
    keeper = keeper_for(sessions)
    for number in range(3):
        keeper.session.add_turn(Message("user", f"question {number}"), Message("assistant", "answer"))
        keeper.save()
    keeper.session.rename("Proxy buffering saga")
    keeper.save()
    index = index_of(sessions)
    [hit] = index.search(parse_query("saga question"))
    assert hit.title == "Proxy buffering saga"
    assert found(index, '"question 2" saga') == [(keeper.session.id, 3)]
    keeper.close()


def test_reasoning_and_attached_text_are_not_indexed_but_the_names_are(sessions):
    keeper = keeper_for(sessions)
    content = [
        {"type": "text", "text": "review this"},
        {"type": "text", "text": "def secretfunction(): pass",
         "attachment": {"kind": "file", "name": "src/walrus.py", "size": 26, "sha256": ""}},
    ]
    keeper.session.add_turn(Message("user", content),
                            Message("assistant", "looks fine", reasoning="pondering narwhals"))
    keeper.save()
    keeper.close()
    index = index_of(sessions)
    assert found(index, "walrus") == [(keeper.session.id, 1)]
    assert found(index, "secretfunction") == [] and found(index, "narwhals") == []
    [turn] = indexed_turns(keeper.session)
    assert (turn.user, turn.answer, turn.model) == ("review this\nfile: src/walrus.py", "looks fine", MODEL)


def test_an_index_that_cannot_be_written_costs_the_turn_nothing_and_is_said_once(sessions):
    index_file = sessions.parent / "index.sqlite"
    index_file.mkdir(parents=True)  # no database can be made there
    keeper = keeper_for(sessions)
    keeper.session.add_turn(Message("user", "first"), Message("assistant", "kangaroo"))
    keeper.save()
    [warning] = keeper.take_warnings()
    assert "search index was not updated" in warning and "\n" not in warning
    keeper.session.add_turn(Message("user", "second"), Message("assistant", "wallaby"))
    keeper.save()
    assert keeper.take_warnings() == []  # said once
    assert [json.loads(line).get("op") for line in keeper.path.read_text().splitlines()].count("messages") == 2
    index_file.rmdir()
    keeper.session.add_turn(Message("user", "third"), Message("assistant", "wombat"))
    keeper.save()  # the index works again: the whole session goes in, not only this turn
    keeper.close()
    index = SearchIndex(sessions=sessions)
    assert found(index, "kangaroo") == [(keeper.session.id, 1)]
    assert found(index, "wombat") == [(keeper.session.id, 3)]


# --- caught up and rebuilt -------------------------------------------------------------------------


def test_logs_written_without_the_index_are_read_before_a_search(sessions):
    old = chat(sessions, ("written by an older claudechat", "platypus"), indexed=False)
    index = index_of(sessions)
    hits, report = index.search_synced(parse_query("platypus"))
    assert (report.sessions, report.turns, report.rebuilt) == (1, 1, "there was none")
    assert [(hit.session, hit.turn) for hit in hits] == [(old, 1)]  # searched again once caught up
    newer = chat(sessions, ("another", "platypus too"), indexed=False)
    hits, report = index.search_synced(parse_query("platypus"))
    assert report.sessions == 1 and {hit.session for hit in hits} == {old, newer}
    hits, report = index.search_synced(parse_query("platypus"))
    assert report.sessions == 0 and len(hits) == 2
    for name in ("index.sqlite", "index.sqlite-wal", "index.sqlite-shm"):  # they hold what was said
        assert (sessions.parent / name).stat().st_mode & 0o777 == 0o600, name


def test_a_log_edited_by_hand_is_read_again_and_a_removed_one_leaves(sessions):
    kept = chat(sessions, ("first", "echidna"))
    gone = chat(sessions, ("second", "numbat"))
    index = index_of(sessions)
    path = sessions / f"{kept}.jsonl"
    path.write_text(path.read_text().replace("echidna", "dingo and quoll"))
    (sessions / f"{gone}.jsonl").unlink()
    report = index.sync()
    assert (report.sessions, report.removed) == (1, 1)
    assert found(index, "echidna") == [] and found(index, "quoll") == [(kept, 1)]
    assert found(index, "numbat") == []


def test_a_resumed_session_is_indexed_whole_at_its_next_save(sessions):
    old = chat(sessions, ("before", "cassowary"), indexed=False)  # the index never heard of it
    keeper = keeper_for(sessions)
    keeper.open(old)
    keeper.session.add_turn(Message("user", "after"), Message("assistant", "emu"))
    keeper.save()
    keeper.close()
    index = index_of(sessions)
    assert found(index, "cassowary") == [(old, 1)] and found(index, "emu") == [(old, 2)]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other schema"])
def test_a_damaged_or_foreign_index_is_built_again_from_the_logs(sessions, damage):
    first = chat(sessions, ("one", "bilby"))
    second = chat(sessions, ("two", "possum"))
    path = sessions.parent / "index.sqlite"
    SearchIndex(sessions=sessions).close()
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        with sqlite3.connect(path) as db:
            db.execute(f"PRAGMA user_version = {SCHEMA + 1}")
    index = index_of(sessions)
    hits, report = index.search_synced(parse_query("possum"))  # damage found when read: dropped, built again
    assert report.sessions == 2 and report.rebuilt and [hit.session for hit in hits] == [second]
    assert found(index, "bilby") == [(first, 1)] and found(index, "possum") == [(second, 1)]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_damaged_log_is_skipped_with_its_name_and_read_again_when_it_changes(sessions):
    good = chat(sessions, ("fine", "koala"))
    bad = sessions / "deadbeef.jsonl"
    bad.write_text('{"format": "claudechat-session", "version": 1}\nnot json\n')
    index = index_of(sessions)
    report = index.sync(rebuild=True)
    assert report.sessions == 1 and len(report.skipped) == 1 and str(bad) in report.skipped[0]
    assert index.sync().skipped == []  # not said again while it stays as it is
    bad.write_text("still not a session\n")
    assert len(index.sync().skipped) == 1
    assert found(index, "koala") == [(good, 1)]


def test_reindex_reads_every_log_and_progress_counts_them(sessions):
    ids = [chat(sessions, (f"question {n}", "lyrebird")) for n in range(3)]
    calls = []
    report = index_of(sessions).sync(lambda done, total: calls.append((done, total)), rebuild=True)
    assert (report.sessions, report.turns) == (3, 3)
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)
    assert sorted(session for session, _ in found(index_of(sessions), "lyrebird")) == sorted(ids)


def test_a_rebuild_replaces_the_index_whole_while_it_stays_searchable(sessions):
    ids = [chat(sessions, (f"question {n}", "lyrebird")) for n in range(3)]
    index = index_of(sessions)
    reader = index_of(sessions)
    seen_meanwhile = []

    def progress(done: int, total: int) -> None:
        seen_meanwhile.append(len(found(reader, "lyrebird")))  # another process searching

    hand_edited = sessions / f"{ids[0]}.jsonl"
    hand_edited.write_text(hand_edited.read_text().replace("lyrebird", "kookaburra"))
    report = index.sync(progress, rebuild=True)
    assert (report.sessions, report.turns) == (3, 3)
    assert set(seen_meanwhile) == {3}  # the old index, whole, until the new one is in place
    assert sorted(session for session, _ in found(reader, "lyrebird")) == sorted(ids[1:])
    assert found(reader, "kookaburra") == [(ids[0], 1)]
    assert sorted(path.name for path in sessions.parent.iterdir()) == [
        "index.sqlite", "index.sqlite-shm", "index.sqlite-wal", "sessions"]  # the new file is gone
    db = index._open()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.execute("INSERT INTO turn_text(turn_text) VALUES('integrity-check')")  # raises if the FTS index is off
    assert index.sync().sessions == 0


def test_a_rebuild_removes_what_a_killed_rebuild_left_and_spares_one_under_way(sessions):
    import fcntl

    chat(sessions, ("question", "lyrebird"))
    index = index_of(sessions)
    index.sync()
    abandoned = sessions.parent / ".index-rebuild-abandoned.sqlite"
    abandoned.write_bytes(b"x" * 1000)
    under_way = sessions.parent / ".index-rebuild-under-way.sqlite"
    under_way.write_bytes(b"y")
    with under_way.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process building
        index.sync(rebuild=True)
    assert not abandoned.exists()
    assert under_way.exists()
    assert found(index, "lyrebird") != []


def test_a_turn_saved_during_a_rebuild_is_found_after_it(sessions):
    first = chat(sessions, ("question", "lyrebird"))
    keeper = keeper_for(sessions)
    keeper.session.add_turn(Message("user", "second"), Message("assistant", "lyrebird again"))
    keeper.save()
    saved_meanwhile = []

    def progress(done: int, total: int) -> None:
        if done == total and not saved_meanwhile:  # every log read: the chat saves a turn now
            keeper.session.add_turn(Message("user", "third"), Message("assistant", "cassowary"))
            keeper.save()
            saved_meanwhile.append(keeper.take_warnings())

    index = index_of(sessions)
    index.sync(progress, rebuild=True)
    keeper.close()
    assert saved_meanwhile == [[]]  # the chat's update went through
    hits, report = index.search_synced(parse_query("cassowary"))
    assert report.sessions == 1 and [(hit.session, hit.turn) for hit in hits] == [(keeper.session.id, 2)]
    assert sorted(session for session, _ in found(index, "lyrebird")) == sorted([first, keeper.session.id])


# --- queries -----------------------------------------------------------------------------------------


def test_words_are_quoted_so_that_fts5_syntax_inside_them_is_text(sessions):
    chat(sessions, ("the server-block needs a:b and c*d", "NEAR(x y) OR NOT (z)"))
    index = index_of(sessions)
    for text in ("server-block", "a:b", "OR", "NOT", "NEAR(x", "(z)", "^server", "c*d", "-block"):
        assert len(found(index, text)) == 1, text
    assert parse_query('nginx "redirect loop" conf* -x').match == '"nginx" "redirect loop" "conf" * "-x"'
    with pytest.raises(SearchQueryError):
        parse_query('nginx "redirect')
    with pytest.raises(SearchQueryError):
        parse_query('ngi"nx')
    with pytest.raises(SearchQueryError):
        parse_query("model:opus since:7d")  # filters alone: nothing to look for


def test_model_and_time_filters(sessions):
    now = time.time()
    old = chat(sessions, ("tuning postgres", "vacuum"), model="claude-opus-4-6", when=now - 30 * DAY)
    new = chat(sessions, ("tuning postgres", "vacuum"), model="claude-sonnet-4-6", when=now - DAY)
    index = index_of(sessions)
    assert found(index, "postgres model:OPUS") == [(old, 1)]
    assert found(index, "postgres model:sonnet") == [(new, 1)]
    assert found(index, "postgres since:7d") == [(new, 1)]
    assert found(index, "postgres until:7d") == [(old, 1)]
    day = time.strftime("%Y-%m-%d", time.localtime(now - 30 * DAY))
    assert found(index, f"postgres since:{day} until:{day}") == [(old, 1)]
    assert found(index, "postgres") == [(new, 1), (old, 1)]  # equal matches: the newest first


def test_dates(sessions):
    now = 1_800_000_000.0
    assert parse_date("7d", end=False, now=now) == now - 7 * DAY
    assert parse_date("2w", end=False, now=now) == now - 14 * DAY
    start = parse_date("2026-03-01", end=False)
    assert parse_date("2026-03-01", end=True) - start in (DAY, DAY - 3600, DAY + 3600)  # a DST day too
    with pytest.raises(SearchQueryError):
        parse_date("last tuesday", end=False)


def test_the_best_match_ranks_first_one_hit_a_session_with_its_snippet(sessions):
    once = chat(sessions, ("logs", "the redirect happens " + "and more words " * 40))
    often = chat(sessions, ("redirect redirect", "redirect again"), ("unrelated", "nothing"))
    index = index_of(sessions)
    hits = index.search(parse_query("redirect"))
    assert [hit.session for hit in hits] == [often, once]
    assert hits[0].turn == 1
    assert ("redirect", True) in hits[1].snippet_parts()
    assert hits[1].to_dict()["snippet"][slice(*hits[1].to_dict()["highlights"][0])] == "redirect"
    assert len(index.search(parse_query("redirect"), limit=1)) == 1


def test_control_characters_in_text_cannot_forge_a_highlight(sessions):
    chat(sessions, ("a \x02forged\x03 mark and \x1b[31m", "answer"))
    [hit] = index_of(sessions).search(parse_query("mark"))
    assert [text for text, marked in hit.snippet_parts() if marked] == ["mark"]
    assert "\x1b" not in hit.snippet and "\x02forged" not in hit.snippet


# --- two processes ---------------------------------------------------------------------------------

_WRITER = """
import sys
from pathlib import Path
from claudechat.chat import Message, SessionSettings, SessionStore
from claudechat.chat.keeper import SessionKeeper
sessions, word, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
keeper = SessionKeeper(SessionStore(sessions), SessionSettings(model="claude-sonnet-4-6"))
print("ready", flush=True)
sys.stdin.readline()
for n in range(count):
    keeper.session.add_turn(Message("user", f"{word} question {n}"), Message("assistant", f"{word} answer"))
    keeper.save()
    warnings = keeper.take_warnings()
    if warnings:
        print(warnings, file=sys.stderr)
        raise SystemExit(1)
keeper.close()
print(keeper.session.id)
"""


@pytest.mark.e2e
def test_two_processes_writing_at_once_lose_nothing(sessions):
    count = 60
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(sessions), word, str(count)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for word in ("alpha", "bravo")
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"
    for writer in writers:  # both start writing together
        writer.stdin.write("go\n")
        writer.stdin.flush()
    ids = []
    for writer in writers:
        out, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
        ids.append(out.strip())
    index = index_of(sessions)
    assert index.sync().sessions == 0  # every update landed: nothing to catch up
    for session, word in zip(ids, ("alpha", "bravo")):
        assert [hit for hit, _ in found(index, f"{word} answer")] == [session]  # one hit a session
        with sqlite3.connect(sessions.parent / "index.sqlite") as db:
            turns = db.execute("SELECT count(*) FROM turns WHERE session = ?", (session,)).fetchone()[0]
            assert turns == count
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            db.execute("INSERT INTO turn_text(turn_text) VALUES('integrity-check')")  # raises if the FTS index is off


def test_the_digest_of_the_logs_tells_a_search_whether_anything_changed(sessions):
    from claudechat.chat.index_read import scan_logs

    first = chat(sessions, ("one", "tapir"))
    chat(sessions, ("two", "okapi"))
    index = index_of(sessions)

    def stored() -> int:
        return index._open().execute("SELECT value FROM meta WHERE key = 'digest'").fetchone()[0]

    assert stored() == scan_logs(sessions)[0] != 0  # kept by the chats' own updates
    log = sessions / f"{first}.jsonl"
    os.utime(log, ns=(log.stat().st_atime_ns, log.stat().st_mtime_ns + 1))  # opened by another claudechat
    assert stored() != scan_logs(sessions)[0]
    assert index.sync().sessions == 1 and stored() == scan_logs(sessions)[0]
    log.unlink()
    assert index.sync().removed == 1 and stored() == scan_logs(sessions)[0]
    assert index.sync(rebuild=True).sessions == 1 and stored() == scan_logs(sessions)[0]


def test_the_digest_alone_is_the_sum_the_listing_gives_counting_only_logs(sessions):
    from claudechat.chat.index_read import DIGEST_MASK, log_digest, log_hash, scan_logs

    assert log_digest(sessions) == 0  # no directory yet: no logs
    chat(sessions, ("one", "tapir"))
    chat(sessions, ("two", "okapi"))
    (sessions / ".hidden.jsonl").write_text("a save in progress\n")
    (sessions / "notes.txt").write_text("not a log\n")
    digest, listed = scan_logs(sessions)
    assert sorted(name for name, _, _ in listed) == sorted(os.fsencode(p.name) for p in sessions.glob("[!.]*.jsonl"))
    assert log_digest(sessions) == digest == sum(log_hash(*entry) for entry in listed) & DIGEST_MASK != 0
    assert digest == index_of(sessions)._open().execute("SELECT value FROM meta WHERE key = 'digest'").fetchone()[0]


def test_many_logs_changed_behind_the_index_are_replaced_in_one_catch_up(sessions):
    ids = [chat(sessions, (f"question {n}", f"wombat{n} answer")) for n in range(60)]  # a bulk catch-up
    index = index_of(sessions)
    for n, key in enumerate(ids):
        path = sessions / f"{key}.jsonl"
        path.write_text(path.read_text().replace(f"wombat{n}", f"bilby{n}"))
    report = index.sync()
    assert (report.sessions, report.turns) == (60, 60)
    assert found(index, "wombat7") == [] and found(index, "bilby7") == [(ids[7], 1)]
    assert len(found(index, "answer", limit=100)) == 60  # each turn once: the old ones are gone
    db = index._open()
    db.execute("INSERT INTO turn_text(turn_text) VALUES('integrity-check')")  # raises if the FTS index is off
    assert db.execute("SELECT count(*) FROM turns").fetchone()[0] == 60


def test_forgetting_a_removed_log_drops_its_turns_and_keeps_the_digest(sessions):
    from claudechat.chat.index_read import scan_logs

    gone = chat(sessions, ("one", "tapir"))
    kept = chat(sessions, ("two", "tapir"))
    index = index_of(sessions)
    (sessions / f"{gone}.jsonl").unlink()
    assert index.forget([gone, "zzunknown"]) == 1
    assert found(index, "tapir") == [(kept, 1)]
    assert index._open().execute("SELECT value FROM meta WHERE key = 'digest'").fetchone()[0] == scan_logs(sessions)[0]
    assert index.sync().removed == 0  # nothing left to catch up


# --- /search and /resume N in the chat, in-process ----------------------------------------------------


@pytest.fixture
def app(tmp_path, monkeypatch, sessions):
    from claudechat.config import Settings
    from claudechat.repl.app import Repl

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    repl = Repl(Settings(base_url="http://127.0.0.1:9/v1"), keeper_for(sessions))
    repl.console.size = (10_000, 25)
    return repl


def command(app, line: str) -> None:
    import asyncio

    from claudechat.repl.commands import COMMANDS

    asyncio.run(COMMANDS.dispatch(app, line))


def test_resume_n_takes_the_last_search_and_an_id_otherwise(app, sessions, capsys):
    from claudechat.errors import ClaudechatError

    older = chat(sessions, ("about zeppelins", "airships"), ("more", "hydrogen"), ("and", "helium"))
    command(app, "/search zeppelins")
    out = capsys.readouterr().out
    assert older in out and "/resume N opens hit N" in out and [hit.session for hit in app.search_hits] == [older]
    command(app, "/resume 1")
    out = capsys.readouterr().out
    assert app.session.id == older and "the turn that matched, turn 1 of 3:" in out and "about zeppelins" in out
    command(app, "/search helium")  # in the session open now: only its turn is shown
    command(app, "/resume 1")
    assert "the turn that matched, turn 3 of 3:" in capsys.readouterr().out and app.session.id == older
    # A number not in the list is an id, as before: one that starts no session's (random, hex) id.
    from claudechat.chat.listing import session_ids

    unused = next(digit for digit in "23456789" if not any(i.startswith(digit) for i in session_ids(sessions)))
    with pytest.raises(ClaudechatError, match=f"no session {unused}"):
        command(app, f"/resume {unused}")
    command(app, "/search nothing-like-it")
    assert app.search_hits == [] and "no session matches" in capsys.readouterr().out
    with pytest.raises(ClaudechatError, match="needs words"):
        command(app, "/search")
