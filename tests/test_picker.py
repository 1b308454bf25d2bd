"""The session picker's rows and filter in-process: which sessions are listed and in what order,
what typing keeps (titles at once, what was said when the index answers), and a row drawn to a
width; the index's listing and last turns from real sessions saved in a temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

from claudechat.chat import Message, SessionSettings, SessionStore
from claudechat.chat.index import SearchIndex
from claudechat.chat.index_read import scan_logs
from claudechat.chat.picking import PickerFilter, PickerRow, content_query, indexed_rows, picker_rows, title_words
from claudechat.chat.keeper import SessionKeeper
from claudechat.chat.search_hit import SearchHit
from claudechat.render.picker import row_text
from claudechat.textwidth import cell_width

BASE = 1_700_000_000.0  # a fixed time: rows are ordered by the times the test gives them


def _rows(*titles: str) -> list[PickerRow]:
    """Rows titled `titles`, the first the most recently used; ids that no hex id could be."""
    return [PickerRow(f"row-{number}", BASE - number * 60, title, 1) for number, title in enumerate(titles)]


def _hit(session: str, turn: int = 1) -> SearchHit:
    return SearchHit(session, None, turn, BASE, "claude-sonnet-4-6", "a \x02word\x03 said")


def _ids(picker: PickerFilter) -> list[str]:
    return [row.id for row in picker.shown]


def test_rows_are_the_logs_found_newest_first_with_what_the_index_knows():
    found = [(b"older.jsonl", 10, int(BASE * 1e9)), (b"newest.jsonl", 10, int((BASE + 5) * 1e9)),
             (b"unread.jsonl", 10, int((BASE + 1) * 1e9)), (b"current.jsonl", 10, int((BASE + 9) * 1e9))]
    listed = {"older": ("Old one", 3, None, 1), "newest": (None, 1, None, 1), "gone": ("not on disk", 2, None, 1),
              "current": ("in use", 1, None, 1)}
    rows = picker_rows(found, listed, leave_out="current")
    assert [row.id for row in rows] == ["newest", "unread", "older"]
    assert rows[0].used == BASE + 5 and rows[0].title is None and rows[0].indexed
    assert rows[1].turns is None and not rows[1].indexed  # the index has not read it yet
    assert (rows[2].title, rows[2].turns) == ("Old one", 3)


def test_what_the_index_is_asked_while_typing():
    assert content_query("") is None and content_query("   ") is None
    assert content_query("ngin").match == '"ngin" *'  # a word being typed: its start
    assert content_query("ngi").match == '"ngi"'  # too short to be a prefix: too many words start so
    assert content_query("nginx ").match == '"nginx"'  # a space: the word is whole
    assert content_query("nginx redir").match == '"nginx" "redir" *'
    assert content_query('"redirect loop').match == '"redirect loop" *'  # the open quote closed
    assert content_query('"redirect loo').match == '"redirect loo"'
    assert content_query('"redirect loop" ').match == '"redirect loop"'
    opus = content_query("nginx model:opus")
    assert opus.match == '"nginx"' and opus.model == "opus"
    assert content_query("model:opus") is None  # no word to look for
    assert content_query('ngi"nx') is None  # a quote inside a word: the title part still filters
    assert title_words('Nginx "Redirect loop" model:opus conf*') == ["nginx", "redirect", "loop", "conf"]


def test_typing_keeps_rows_by_title_at_once_and_by_what_was_said_when_it_is_answered():
    picker = PickerFilter(_rows("Kubernetes ingress", "Baking bread", "The ingress controller", "Taxes"))
    assert _ids(picker) == ["row-0", "row-1", "row-2", "row-3"] and picker.current.row.id == "row-0"

    generation, query = picker.type("INGRESS")
    assert _ids(picker) == ["row-0", "row-2"] and query.match == '"INGRESS" *'
    assert picker.found(generation, [_hit("row-3", turn=4)])  # said in a session whose title lacks it
    assert _ids(picker) == ["row-0", "row-2", "row-3"]  # still newest first, not by rank
    assert [picker.item(at).hit for at in range(2)] == [None, None] and picker.item(2).hit.turn == 4
    assert list(picker.by_content) == ["row-3"]

    stale, _ = picker.type("INGRESS c")
    assert not picker.found(generation, [_hit("row-1")])  # the answer to words no longer typed
    assert "row-1" not in _ids(picker)
    assert "row-3" in _ids(picker)  # a narrower text keeps the last hits until its own come
    assert picker.found(stale, [])
    assert _ids(picker) == ["row-2"]  # "c" starts "controller": only the title part keeps a row

    picker.type("bread")  # other words: the hits of the last ones go at once
    assert _ids(picker) == ["row-1"] and not picker.by_content
    picker.type("")
    assert len(picker.shown) == 4


def test_the_selection_stays_on_its_session_and_within_the_rows():
    picker = PickerFilter(_rows("alpha one", "beta", "alpha two", "gamma"))
    picker.move(2)
    assert picker.current.row.id == "row-2"
    picker.type("alpha")  # still shown: still selected, though now the second row
    assert picker.current.row.id == "row-2" and picker.selected == 1
    picker.move(10)
    assert picker.selected == 1
    picker.move(-10)
    assert picker.current.row.id == "row-0"
    picker.type("nothing like it")
    assert picker.shown == [] and picker.current is None
    picker.move(1)  # nothing to move through: no error
    picker.type("")
    picker.move(3)
    picker.set_rows(_rows("new first", "alpha one", "beta", "alpha two", "gamma")[1:])
    assert picker.current.row.id == "row-3"  # the rows changed under it: same session, still selected


def test_model_and_dates_keep_only_what_was_said():
    picker = PickerFilter(_rows("nginx notes", "other"))
    generation, query = picker.type("nginx model:opus")
    assert query.model == "opus"
    assert picker.shown == []  # a title has no model: only the index can say
    picker.found(generation, [_hit("row-1")])
    assert _ids(picker) == ["row-1"]


def test_a_row_fits_its_width_whatever_its_title():
    model = "claude-sonnet-4-20250514-thinking\x1b[2J"
    hostile = PickerRow("row", BASE, "\x1b]0;pwned\x07 日本語のタイトル " * 8, 12)
    for width in (40, 61, 100):
        text = row_text(hostile, model, width, "▸ ")
        assert cell_width(text) <= width and text.endswith("…")
        assert "\x1b" not in text and "\x07" not in text and "␛]0;pwned" in text
    assert "claude-sonnet-4-2…" in row_text(hostile, model, 100, "  ")  # the model cut to its column
    assert row_text(PickerRow("row", BASE, None, None), None, 80, "  ").rstrip().endswith("?  " + " " * 18 + "  …")
    broken = row_text(PickerRow("row", BASE, None, 0, "line 2 of x.jsonl is not JSON"), None, 100, "  ")
    assert broken.endswith(" " * 7 + " " * 20 + "unreadable: line 2 of x.jsonl is not JSON")  # no turns, no model


def _save(sessions: Path, *turns: tuple[str, str], title: str | None = None, model: str = "claude-opus-4-6") -> str:
    keeper = SessionKeeper(SessionStore(sessions), SessionSettings(model=model))
    for question, answer in turns:
        keeper.session.add_turn(Message("user", question, model=model), Message("assistant", answer, model=model))
        keeper.save()
    if title:
        keeper.session.rename(title)
        keeper.save()
    keeper.close()
    return keeper.session.id


def test_the_index_lists_its_sessions_and_gives_their_last_turn(tmp_path):
    sessions = tmp_path / "sessions"
    first = _save(sessions, ("one", "first answer"), ("two", "second \x1b[31manswer"), title="Titled")
    second = _save(sessions, ("only", "just this"), model="claude-haiku-4-5")
    for key, hours in ((first, 1), (second, 2)):  # times of the test's, not of the clock's grain
        os.utime(sessions / f"{key}.jsonl", (BASE + hours * 3600, BASE + hours * 3600))
    index = SearchIndex(sessions=sessions)
    try:
        index.sync()
        listed = index.listing()
        assert listed[first][:3] == ("Titled", 2, None) and listed[second][:3] == ("only", 1, None)  # titled after its first message
        assert listed[second][3] == (sessions / f"{second}.jsonl").stat().st_mtime_ns
        last = index.last_turn(first)
        assert (last.turn, last.model, last.user, last.answer) == (2, "claude-opus-4-6", "two", "second ␛[31manswer")
        assert index.last_turn("not-a-session") is None
        assert index.last_models([first, second, "not-a-session"]) == {first: "claude-opus-4-6", second: "claude-haiku-4-5"}
        os.utime(sessions / f"{second}.jsonl", (BASE, BASE))  # older since the index read it
        assert [row.id for row in indexed_rows(listed)] == [second, first]  # as the index read them
        assert [row.id for row in indexed_rows(listed, leave_out=second)] == [first]
        digest, found = scan_logs(sessions)
        rows = picker_rows(found, listed)
        assert [row.id for row in rows] == [first, second]  # the one made older since goes last
    finally:
        index.close()
