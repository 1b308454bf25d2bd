"""The session layer: messages, sessions and their records, session logs on disk, the keeper, transcripts.

Every file lives under tmp_path. Nothing sleeps: modification times are set with os.utime, and
a full disk is simulated by replacing os.pwrite (tests may run as root, where permission bits
do not stop a write).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claudechat.chat import store as store_module
from claudechat.chat.conversation import Candidate, Message, attachment_labels, image_names, text_of
from claudechat.chat.keeper import SessionKeeper
from claudechat.chat.session import (
    FORMAT,
    VERSION,
    Session,
    SessionError,
    SessionSettings,
    UsageEntry,
    message_to_dict,
)
from claudechat.chat.records import (
    message_from_dict,
    session_from_document,
    session_from_records,
)
from claudechat.chat.store import (
    SUFFIX,
    SessionBusyError,
    SessionFile,
    SessionStore,
    read_session_file,
)
from claudechat.chat.transcript import default_file_name, to_json, to_markdown

T0 = 1_704_164_640.0  # 2024-01-02 03:04:00 UTC
DATA_URL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing reaches the real data directory, and relative paths resolve in an empty directory."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


def make_settings(**overrides: Any) -> SessionSettings:
    values: dict[str, Any] = dict(model="claude-sonnet-4-6", system="Be brief.", temperature=0.7, max_tokens=512)
    values.update(overrides)
    return SessionSettings(**values)


def image_part(name: str | None, url: str = DATA_URL) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
    if name is not None:
        part["name"] = name
    return part


def user(content: Any = "hello", created: float = T0) -> Message:
    return Message("user", content, created=created)


def answer(text: str = "hi", created: float = T0, **extra: Any) -> Message:
    return Message("assistant", text, created=created, **extra)


def rich_session() -> Session:
    """Several turns using every field a message, a session and its settings have."""
    session = Session(settings=make_settings(), created=T0)
    session.add_turn(
        user("Hello there", T0 + 1),
        answer(
            "Hi! How can I help?",
            T0 + 2,
            reasoning="The user greets me.\nGreet back.",
            model="claude-sonnet-4-6",
            usage={"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18},
        ),
    )
    session.record_usage(UsageEntry("claude-sonnet-4-6", 12, 6, 0, time=T0 + 2))
    session.add_turn(
        user([{"type": "text", "text": "What is in these?"}, image_part("cat.png"), image_part(None)], T0 + 60),
        answer("A cat, and something unnam", T0 + 61.25, model="claude-opus-4-6", interrupted=True),
    )
    session.record_usage(UsageEntry("claude-opus-4-6", 2100, 7, 2000, time=T0 + 61.25))
    session.change_settings(n=3, temperature=None)
    candidates = [
        Candidate("First answer", "thought one", "stop"),
        Candidate("Second answer", "", None),
        Candidate("Third answer", "thought three", "length"),
    ]
    session.add_turn(
        user("Give me three · «ünïcödé» 🐈", T0 + 120),
        answer("Second answer", T0 + 121, model="claude-opus-4-6", candidates=candidates, picked=1),
    )
    session.record_usage(UsageEntry("claude-opus-4-6", 30, 90, 10, time=T0 + 121))
    session.rename("Cats, greetings & candidates")
    session.change_settings(model="claude-opus-4-6", system=None, json=True, max_tokens=None)
    return session


def state(session: Session) -> tuple[Any, ...]:
    return (session.id, session.created, session.title, session.settings, session.messages, session.usage)


def assert_same(actual: Session, expected: Session) -> None:
    assert actual.id == expected.id
    assert actual.created == expected.created
    assert actual.title == expected.title
    assert asdict(actual.settings) == asdict(expected.settings)
    assert actual.messages == expected.messages
    assert actual.usage == expected.usage
    assert actual.system_changes == expected.system_changes


def write_new(directory: Path, session: Session) -> Path:
    session_file = SessionFile.create(directory, session)
    try:
        session_file.save(session)
    finally:
        session_file.close()
    return session_file.path


def json_lines(path: Path) -> list[Any]:
    """Every line of a log, each of which must be whole, valid JSON ending in a newline."""
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def lock_is_free(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


# --- conversation --------------------------------------------------------------------------


def test_text_of_and_image_names() -> None:
    content = [
        {"type": "text", "text": "one"},
        image_part("a.png"),
        {"type": "text", "text": "two"},
        image_part(None),
        image_part(""),
    ]
    assert text_of(content) == "one\ntwo"
    assert text_of("plain") == "plain"
    assert image_names(content) == ["a.png", "image", "image"]
    assert image_names("plain") == []
    assert Message("user", content).text == "one\ntwo"


def test_to_api_strips_the_private_name_and_leaves_the_message_alone() -> None:
    content = [{"type": "text", "text": "look"}, image_part("cat.png")]
    message = Message("user", content, reasoning="r", model="m", usage={"prompt_tokens": 1}, interrupted=True)
    api = message.to_api()
    assert api == {
        "role": "user",
        "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": DATA_URL}}],
    }
    assert message.content[1]["name"] == "cat.png"  # ours is kept for transcripts
    assert Message("assistant", "plain", reasoning="secret").to_api() == {"role": "assistant", "content": "plain"}


def test_request_messages_system_history_new_and_drop_last() -> None:
    session = Session(settings=make_settings(system="SYS"))
    session.add_turn(user("q1"), answer("a1"))
    session.add_turn(user([{"type": "text", "text": "q2"}, image_part("x.png")]), answer("a2", reasoning="hidden"))
    full = session.request_messages("q3")
    assert full[0] == {"role": "system", "content": "SYS"}
    assert [m["role"] for m in full] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert full[-1] == {"role": "user", "content": "q3"}
    assert "name" not in full[3]["content"][1]
    assert all(set(m) == {"role", "content"} for m in full)
    retried = session.request_messages(drop_last=1)
    assert [m["content"] for m in retried[1:]][-1][0]["text"] == "q2"
    assert len(retried) == 4
    edited = session.request_messages("q2 edited", drop_last=2)
    assert [m["content"] for m in edited] == ["SYS", "q1", "a1", "q2 edited"]
    session.change_settings(system=None)
    assert session.request_messages()[0] == {"role": "user", "content": "q1"}


# --- records -------------------------------------------------------------------------------


def test_message_dict_is_minimal_and_round_trips() -> None:
    plain = user("hi", T0)
    assert message_to_dict(plain) == {"role": "user", "content": "hi", "created": T0}
    full = answer(
        "two",
        T0 + 0.5,
        reasoning="why",
        model="m",
        usage={"prompt_tokens": 3},
        interrupted=True,
        candidates=[Candidate("one"), Candidate("two", "r", "stop")],
        picked=1,
    )
    data = message_to_dict(full)
    assert data["picked"] == 1 and data["interrupted"] is True and data["model"] == "m"
    for message in (plain, full, user([image_part("a.png"), {"type": "text", "text": "t"}])):
        assert message_from_dict(json.loads(json.dumps(message_to_dict(message)))) == message


def test_header_names_format_and_version(sessions: Path) -> None:
    session = rich_session()
    path = write_new(sessions, session)
    header = json_lines(path)[0]
    assert header["format"] == FORMAT == "claudechat-session"
    assert header["version"] == 1  # format 2 only once a compaction needs it (VERSION is the newest)
    assert VERSION == 3
    assert header["id"] == session.id
    assert path.name == f"{session.id}{SUFFIX}"


# --- round trips ---------------------------------------------------------------------------


def test_log_round_trip_keeps_every_field(sessions: Path) -> None:
    session = rich_session()
    path = write_new(sessions, session)
    assert session.pending == []
    back = read_session_file(path)
    assert_same(back, session)
    # Spelled out, so that a field dropped by both sides of an equality still shows.
    images = back.messages[2]
    assert images.content[1] == image_part("cat.png") and images.content[2] == image_part(None)
    assert back.messages[1].reasoning == "The user greets me.\nGreet back."
    assert back.messages[1].usage == {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}
    assert back.messages[3].interrupted is True and back.messages[3].created == T0 + 61.25
    assert back.messages[5].candidates[2] == Candidate("Third answer", "thought three", "length")
    assert back.messages[5].candidates[1].finish_reason is None
    assert back.messages[5].picked == 1
    assert back.usage[1] == UsageEntry("claude-opus-4-6", 2100, 7, 2000, time=T0 + 61.25)
    assert back.settings == SessionSettings(
        model="claude-opus-4-6", system=None, temperature=None, max_tokens=None, n=3, json=True
    )
    assert back.title == "Cats, greetings & candidates"
    assert back.turns == 3 and len(back.answers()) == 3
    assert back.pending == []
    _, opened = SessionFile.open(path)
    assert_same(opened, session)


def test_log_round_trip_over_several_saves_and_reopens(sessions: Path) -> None:
    session = Session(settings=make_settings(), created=T0)
    session_file = SessionFile.create(sessions, session)
    session.add_turn(user("one"), answer("1"))
    session_file.save(session)
    size = session_file.path.stat().st_size
    session.record_usage(UsageEntry("m", 1, 2, 3, time=T0))
    session_file.save(session)
    session_file.save(session)  # nothing pending: nothing written
    session_file.close()
    assert len(json_lines(session_file.path)) == 4  # header, turn, title, usage
    first_bytes = session_file.path.read_bytes()
    assert len(first_bytes) > size

    session_file, reopened = SessionFile.open(session_file.path)
    assert_same(reopened, session)
    reopened.add_turn(user("two"), answer("2"))
    reopened.undo()
    reopened.add_turn(user("three"), answer("3"))
    session_file.save(reopened)
    session_file.close()
    assert session_file.path.read_bytes().startswith(first_bytes)  # appended, never rewritten
    back = read_session_file(session_file.path)
    assert_same(back, reopened)
    assert [m.text for m in back.messages] == ["one", "1", "three", "3"]


def test_document_round_trip(tmp_path: Path) -> None:
    session = rich_session()
    text = to_json(session)
    document = json.loads(text)
    assert document["format"] == FORMAT and document["version"] == 1  # no compaction: readable by format 1
    assert len(document["messages"]) == 6 and len(document["usage"]) == 3
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    assert_same(read_session_file(path), session)
    assert_same(session_from_document(document, where="x"), session)
    assert "🐈" in text  # not escaped: readable


def test_document_without_usage_is_accepted(tmp_path: Path) -> None:
    document = rich_session().to_document()
    del document["usage"]
    assert session_from_document(document, where="doc").usage == []


# --- each change replays identically ---------------------------------------------------------


def _scenario_undo(s: Session) -> None:
    s.add_turn(user("a"), answer("A"))
    s.add_turn(user("b"), answer("B"))
    s.undo()


def _scenario_undo_everything(s: Session) -> None:
    s.add_turn(user("a"), answer("A"))
    s.undo()
    s.undo()  # nothing left to undo


def _scenario_replace_answer(s: Session) -> None:
    s.add_turn(user("a"), answer("A"))
    s.add_turn(user("b"), answer("B1"))
    s.replace_answer(answer("B2", candidates=[Candidate("B1"), Candidate("B2")], picked=1))


def _scenario_replace_turn(s: Session) -> None:
    s.add_turn(user("a"), answer("A"))
    s.replace_turn(user("a edited"), answer("A2", interrupted=True))


def _scenario_rename(s: Session) -> None:
    s.add_turn(user("first words"), answer("A"))
    s.rename("Chosen")
    s.rename("")


def _scenario_settings(s: Session) -> None:
    s.change_settings(model="claude-opus-4-6", temperature=1)
    s.change_settings(system=None, max_tokens=None, n=4, json=True)
    s.change_settings(temperature=0.25)


def _scenario_usage(s: Session) -> None:
    s.record_usage(UsageEntry("m", 1, 2, 3, time=T0))
    s.add_turn(user("a"), answer("A"))
    s.undo()
    s.record_usage(UsageEntry("n", 10, 20, 0, time=T0 + 1))  # undone answers still cost


@pytest.mark.parametrize(
    "scenario",
    [
        _scenario_undo,
        _scenario_undo_everything,
        _scenario_replace_answer,
        _scenario_replace_turn,
        _scenario_rename,
        _scenario_settings,
        _scenario_usage,
    ],
)
def test_each_change_replays(sessions: Path, scenario: Any) -> None:
    session = Session(settings=make_settings(), created=T0)
    scenario(session)
    assert_same(read_session_file(write_new(sessions, session)), session)


def test_changes_after_a_save_replay_too(sessions: Path) -> None:
    session = Session(settings=make_settings(), created=T0)
    session_file = SessionFile.create(sessions, session)
    for scenario in (_scenario_replace_answer, _scenario_settings, _scenario_undo, _scenario_rename):
        scenario(session)
        session_file.save(session)
        assert_same(read_session_file(session_file.path), session)
    session_file.close()


def test_undo_queues_the_record_it_replays_with() -> None:
    session = Session(settings=make_settings())
    session.add_turn(user("a"), answer("A"))
    session.pending.clear()
    session.undo()
    assert session.messages == []
    assert session.pending == [{"op": "messages", "keep": 0}]


def test_add_turn_titles_the_session_from_the_first_question_only() -> None:
    session = Session(settings=make_settings())
    session.add_turn(user("  What   is\n the\x1b[31m answer " + "x" * 100), answer())
    assert session.title is not None
    assert session.title.startswith("What is the")
    assert "\n" not in session.title and "\x1b" not in session.title
    assert len(session.title) <= 60
    first = session.title
    session.add_turn(user("Second question"), answer())
    assert session.title == first
    pictures = Session(settings=make_settings())
    pictures.add_turn(user([image_part("a.png")]), answer())
    assert pictures.title == "image"
    blank = Session(settings=make_settings())
    blank.add_turn(user("   "), answer())
    assert blank.title == "untitled"


def test_copy_has_a_new_id_and_the_same_content(sessions: Path) -> None:
    session = rich_session()
    session.pending.clear()
    twin = session.copy()
    assert twin.id != session.id
    assert (twin.created, twin.title, twin.settings, twin.messages, twin.usage) == (
        session.created,
        session.title,
        session.settings,
        session.messages,
        session.usage,
    )
    assert twin.settings is not session.settings
    assert session.pending == []
    twin.change_settings(model="other")
    assert session.settings.model == "claude-opus-4-6"
    assert_same(read_session_file(write_new(sessions, twin)), twin)


def test_copy_of_an_empty_untitled_session(sessions: Path) -> None:
    twin = Session(settings=make_settings()).copy()
    assert twin.title is None
    assert_same(read_session_file(write_new(sessions, twin)), twin)


@pytest.mark.parametrize("system", ["", "Be brief."])
def test_copy_keeps_the_system_prompt_as_it_is_even_an_empty_one(system: str) -> None:
    session = Session(settings=make_settings(system=system), created=T0)
    session.add_turn(user("a"), answer("A"))
    assert session.copy().settings.system == system


# --- where the system prompt changed ------------------------------------------------------------


def test_system_prompt_changes_are_kept_with_where_they_happened(sessions: Path, tmp_path: Path) -> None:
    session = Session(settings=make_settings(system="Be brief."), created=T0)
    assert session.system_changes == [(0, "Be brief.")]
    session.add_turn(user("a"), answer("A"))
    session.change_settings(system="Be verbose.")
    session.add_turn(user("b"), answer("B"))
    session.change_settings(system=None)
    session.change_settings(temperature=1)  # not about the system prompt
    session.add_turn(user("c"), answer("C"))
    session.change_settings(system="")  # no prompt, as cleared already
    session.change_settings(system="one")
    session.change_settings(system="two")  # the last word at one point is the one kept
    expected = [(0, "Be brief."), (2, "Be verbose."), (4, None), (6, "two")]
    assert session.system_changes == expected
    assert read_session_file(write_new(sessions, session)).system_changes == expected
    document = tmp_path / "export.json"
    document.write_text(to_json(session), encoding="utf-8")
    assert read_session_file(document).system_changes == expected
    twin = session.copy()
    assert twin.system_changes == expected
    assert_same(read_session_file(write_new(sessions, twin)), twin)


def test_a_session_without_a_system_prompt_has_no_changes() -> None:
    session = Session(settings=make_settings(system=None))
    session.add_turn(user("a"), answer("A"))
    session.change_settings(system=None)
    assert session.system_changes == []


def test_the_log_header_holds_the_settings_the_session_started_with(sessions: Path) -> None:
    """Saved for the first time after a later change, the session still knows where it happened."""
    session = Session(settings=make_settings(system="first"), created=T0)
    session.add_turn(user("a"), answer("A"))
    session.change_settings(system="second", model="claude-opus-4-6")
    path = write_new(sessions, session)
    assert json_lines(path)[0]["settings"]["system"] == "first"
    reopened = read_session_file(path)
    assert reopened.system_changes == [(0, "first"), (2, "second")]
    assert_same(reopened, session)


def _three_turns_then_a_new_prompt() -> Session:
    session = Session(settings=make_settings(system="old"), created=T0)
    for name in "abc":
        session.add_turn(user(name), answer(name.upper()))
    session.change_settings(system="new")
    assert session.system_changes == [(0, "old"), (6, "new")]
    return session


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda s: s.undo(), [(0, "old"), (4, "new")]),  # still set after what is left
        (lambda s: (s.undo(), s.undo(), s.undo()), [(0, "new")]),
        (lambda s: s.replace_turn(user("c again"), answer("C2")), [(0, "old"), (4, "new")]),  # /retry: asked with it
        (lambda s: s.replace_answer(answer("C3")), [(0, "old"), (6, "new")]),  # /pick: an answer it did not shape
        (lambda s: (s.undo(), s.add_turn(user("d"), answer("D"))), [(0, "old"), (4, "new")]),
    ],
)
def test_undo_and_retry_keep_a_system_prompt_change_at_or_before_where_it_was(
    sessions: Path, change: Any, expected: list[tuple[int, str | None]]
) -> None:
    session = _three_turns_then_a_new_prompt()
    change(session)
    assert session.system_changes == expected
    assert all(position <= len(session.messages) for position, _ in session.system_changes)
    assert_same(read_session_file(write_new(sessions, session)), session)


def test_undo_back_to_the_start_merges_changes_into_the_first_prompt(sessions: Path) -> None:
    session = Session(settings=make_settings(system="old"), created=T0)
    session.add_turn(user("a"), answer("A"))
    session.change_settings(system=None)
    session.undo()
    assert session.system_changes == []
    session.change_settings(system="old")
    session.add_turn(user("b"), answer("B"))
    assert session.system_changes == [(0, "old")]
    assert_same(read_session_file(write_new(sessions, session)), session)


def test_a_document_without_system_changes_has_its_prompt_at_the_start(tmp_path: Path) -> None:
    session = _three_turns_then_a_new_prompt()
    document = session.to_document()
    assert document["system_changes"] == [[0, "old"], [6, "new"]]
    del document["system_changes"]  # as written before it was kept
    assert session_from_document(document, where="doc").system_changes == [(0, "new")]


@pytest.mark.parametrize(
    "changes",
    [[[7, "x"]], [[-1, "x"]], [[2, "x"], [0, "y"]], [["0", "x"]], [[0, 5]], [[0]], "no", [[True, "x"]]],
)
def test_a_document_with_unusable_system_changes_is_refused(changes: Any) -> None:
    document = _three_turns_then_a_new_prompt().to_document()
    document["system_changes"] = changes
    with pytest.raises(SessionError, match="system_changes"):
        session_from_document(document, where="doc")



# --- the role -------------------------------------------------------------------------------


def test_a_session_has_no_role_until_one_is_taken_on(sessions: Path) -> None:
    session = Session(settings=SessionSettings(model="m"), created=T0)
    assert session.settings.role is None
    assert session.header()["settings"]["role"] is None
    session.add_turn(user("a"), answer("A"))
    assert read_session_file(write_new(sessions, session)).settings.role is None


def test_a_role_is_a_setting_recorded_and_replayed_like_the_others(sessions: Path) -> None:
    session = Session(settings=make_settings(), created=T0)
    session.add_turn(user("a"), answer("A"))
    session.change_settings(role="shell", system="one command")
    assert session.pending[-1] == {"op": "settings", "settings": {"role": "shell", "system": "one command"}}
    session.add_turn(user("b"), answer("B"))
    session.change_settings(role=None)  # dropped: recorded as null, read back as no role
    session.change_settings(role="code")
    path = write_new(sessions, session)
    assert {"op": "settings", "settings": {"role": None}} in json_lines(path)
    reopened = read_session_file(path)
    assert reopened.settings.role == "code"
    assert_same(reopened, session)


def test_a_role_the_session_started_with_is_in_its_header_and_its_copy(sessions: Path) -> None:
    session = Session(settings=make_settings(role="explain"), created=T0)
    session.add_turn(user("a"), answer("A"))
    path = write_new(sessions, session)
    assert json_lines(path)[0]["settings"]["role"] == "explain"
    assert read_session_file(path).settings.role == "explain"
    assert session.copy().settings.role == "explain"
    assert session.to_document()["settings"]["role"] == "explain"


def test_a_log_written_before_roles_has_none(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_bytes(log(TURN))  # its header's settings have no "role"
    assert "role" not in HEADER["settings"]
    assert read_session_file(path).settings.role is None


def test_a_role_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(log(TURN, {"op": "settings", "settings": {"role": 3}}))
    with pytest.raises(SessionError, match="'role' has the wrong type"):
        read_session_file(path)


def test_a_document_whose_changes_end_elsewhere_ends_with_its_settings() -> None:
    document = _three_turns_then_a_new_prompt().to_document()
    document["system_changes"] = [[0, "old"], [2, "middle"]]  # and settings say "new"
    assert session_from_document(document, where="doc").system_changes == [(0, "old"), (2, "middle"), (6, "new")]


# --- property: random change sequences --------------------------------------------------------

_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
_times = st.floats(min_value=0, max_value=4e9, allow_nan=False, allow_infinity=False)
_content = st.one_of(
    _text,
    st.lists(
        st.one_of(
            st.builds(lambda t: {"type": "text", "text": t}, _text),
            st.builds(image_part, st.none() | _text, st.sampled_from([DATA_URL, "https://x.test/a.png"])),
        ),
        max_size=3,
    ),
)
_users = st.builds(lambda c, t: Message("user", c, created=t), _content, _times)


@st.composite
def _answers(draw: st.DrawFn) -> Message:
    candidates = draw(
        st.lists(st.builds(Candidate, _text, _text, st.none() | st.sampled_from(["stop", "length"])), max_size=3)
    )
    return Message(
        "assistant",
        draw(_text),
        reasoning=draw(_text),
        model=draw(st.none() | _text),
        usage=draw(st.none() | st.dictionaries(st.sampled_from(["prompt_tokens", "completion_tokens"]), st.integers(0, 10**6))),
        created=draw(_times),
        interrupted=draw(st.booleans()),
        candidates=candidates,
        picked=draw(st.integers(0, len(candidates) - 1)) if candidates else 0,
    )


_changes = st.fixed_dictionaries(
    {},
    optional={
        "model": st.from_regex(r"[a-z0-9.\-]{1,20}", fullmatch=True),
        "system": st.none() | _text,
        "temperature": st.none() | st.floats(0, 2) | st.integers(0, 2),
        "max_tokens": st.none() | st.integers(1, 100_000),
        "n": st.integers(1, 8),
        "json": st.booleans(),
    },
)
_usage = st.builds(UsageEntry, _text, st.integers(0, 10**9), st.integers(0, 10**9), st.integers(0, 10**9), _times,
                   st.integers(0, 10**9))
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), _users, _answers()),
        st.tuples(st.just("answer"), _answers()),
        st.tuples(st.just("turn"), _users, _answers()),
        st.just(("undo",)),
        st.tuples(st.just("rename"), _text),
        st.tuples(st.just("settings"), _changes),
        st.tuples(st.just("usage"), _usage),
        st.just(("save",)),
        st.just(("reopen",)),
    ),
    max_size=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=_operations)
def test_random_changes_replay_identically(tmp_path_factory: pytest.TempPathFactory, operations: list[Any]) -> None:
    directory = tmp_path_factory.mktemp("prop")
    session = Session(settings=make_settings(), created=T0)
    session_file: SessionFile | None = None

    def save() -> None:
        nonlocal session_file
        if session_file is None:
            session_file = SessionFile.create(directory, session)
        session_file.save(session)
        assert session.pending == []

    try:
        for operation in operations:
            kind = operation[0]
            if kind == "add":
                session.add_turn(operation[1], operation[2])
            elif kind == "answer" and len(session.messages) >= 2:
                session.replace_answer(operation[1])
            elif kind == "turn" and len(session.messages) >= 2:
                session.replace_turn(operation[1], operation[2])
            elif kind == "undo":
                session.undo()
            elif kind == "rename":
                session.rename(operation[1])
            elif kind == "settings":
                session.change_settings(**operation[1])
            elif kind == "usage":
                session.record_usage(operation[1])
            elif kind == "save":
                save()
            elif kind == "reopen":
                save()
                assert session_file is not None
                session_file.close()
                session_file, reopened = SessionFile.open(session_file.path)
                assert_same(reopened, session)
                session = reopened  # go on with the replayed session
        save()
        assert session_file is not None
        assert_same(read_session_file(session_file.path), session)
        json_lines(session_file.path)
        assert_same(session_from_document(json.loads(to_json(session)), where="doc"), session)
        twin = session.copy()
        assert (twin.settings, twin.messages, twin.system_changes) == (
            session.settings, session.messages, session.system_changes
        )
        assert_same(read_session_file(write_new(directory / "copies", twin)), twin)
    finally:
        if session_file is not None:
            session_file.close()


@settings(max_examples=100, deadline=None)
@given(message=st.one_of(_users, _answers()))
def test_random_messages_round_trip_through_json(message: Message) -> None:
    line = store_module._dumps(message_to_dict(message))
    assert line.count(b"\n") == 1 and line.endswith(b"\n")
    assert message_from_dict(json.loads(line)) == message


# --- torn and unterminated last lines --------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [
        b'{"op":"messages","keep":6,"add":[{"role":"us',
        b'{"op":"title","title":"caf\xc3',  # torn inside a UTF-8 character
        b"{",
        b"   ",
        b'{"op":"messages","keep":0,"add":[{"role":"user","content":"' + b"x" * 5000,  # longer than what follows
    ],
    ids=["mid-record", "mid-character", "one-brace", "blanks", "long"],
)
def test_torn_last_line_is_dropped_and_cut_off_before_the_next_append(sessions: Path, tail: bytes) -> None:
    session = rich_session()
    path = write_new(sessions, session)
    whole = path.read_bytes()
    with open(path, "ab") as handle:
        handle.write(tail)  # a crash in the middle of a write
    torn = path.read_bytes()

    assert_same(read_session_file(path), session)
    assert path.read_bytes() == torn  # reading repairs nothing

    session_file, reopened = SessionFile.open(path)
    assert_same(reopened, session)
    reopened.add_turn(user("after the crash"), answer("fine"))
    session_file.save(reopened)
    session_file.close()

    data = path.read_bytes()
    assert data.startswith(whole)
    appended = data[len(whole) :]
    assert json.loads(appended.split(b"\n")[0])["add"][0]["content"] == "after the crash"
    lines = json_lines(path)
    assert len(lines) == whole.count(b"\n") + 1
    assert_same(read_session_file(path), reopened)
    assert read_session_file(path).messages[-1].text == "fine"


def test_torn_header_is_an_empty_session_file(sessions: Path) -> None:
    sessions.mkdir()
    path = sessions / f"abcd{SUFFIX}"
    path.write_bytes(b'{"format":"claudechat-session","vers')
    with pytest.raises(SessionError, match="empty"):
        read_session_file(path)


def test_complete_last_line_without_newline_is_kept(sessions: Path) -> None:
    session = Session(settings=make_settings(), created=T0)
    session.add_turn(user("q"), answer("a"))
    path = write_new(sessions, session)
    with open(path, "ab") as handle:
        handle.write(b'{"op":"title","title":"Renamed by a crash"}')  # only the newline was lost
    before = path.read_bytes()

    assert read_session_file(path).title == "Renamed by a crash"
    session_file, reopened = SessionFile.open(path)
    assert reopened.title == "Renamed by a crash"
    reopened.add_turn(user("q2"), answer("a2"))
    session_file.save(reopened)
    session_file.close()

    assert path.read_bytes().startswith(before + b"\n")
    lines = json_lines(path)
    assert lines[3] == {"op": "title", "title": "Renamed by a crash"}
    assert len(lines) == 5
    back = read_session_file(path)
    assert_same(back, reopened)
    assert back.title == "Renamed by a crash" and back.turns == 2


def test_header_only_without_newline_is_a_session(sessions: Path) -> None:
    session = Session(settings=make_settings(), created=T0)
    sessions.mkdir()
    path = sessions / f"{session.id}{SUFFIX}"
    path.write_bytes(json.dumps(session.header()).encode())
    assert_same(read_session_file(path), session)
    session_file, reopened = SessionFile.open(path)
    reopened.rename("t")
    session_file.save(reopened)
    session_file.close()
    assert len(json_lines(path)) == 2
    assert read_session_file(path).title == "t"


# --- corrupt, foreign and newer files ----------------------------------------------------------

HEADER: dict[str, Any] = {
    "format": FORMAT,
    "version": VERSION,
    "id": "abcd1234",
    "created": T0,
    "title": None,
    "settings": {"model": "m", "system": None, "temperature": None, "max_tokens": None, "n": 1, "json": False},
}
TURN = {
    "op": "messages",
    "keep": 0,
    "add": [{"role": "user", "content": "q", "created": T0}, {"role": "assistant", "content": "a", "created": T0}],
}


def log(*records: Any, header: Any = HEADER) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in (header, *records))


def header_with(**changes: Any) -> dict[str, Any]:
    header = dict(HEADER)
    for key, value in changes.items():
        if value is ...:
            del header[key]
        else:
            header[key] = value
    return header


def message_record(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "user", "content": "q", "created": T0}
    for key, value in changes.items():
        if value is ...:
            del message[key]
        else:
            message[key] = value
    return {"op": "messages", "keep": 2, "add": [message]}


CORRUPT = {
    "invalid JSON in a middle line": (
        log(TURN) + b"{not json}\n" + json.dumps({"op": "title", "title": "x"}).encode() + b"\n",
        ["line 3", "not valid JSON"],
    ),
    "blank middle line": (log(TURN) + b"\n" + json.dumps({"op": "title", "title": "x"}).encode() + b"\n", ["line 3"]),
    "content a number": (log(TURN, message_record(content=5)), ["line 3", "'content'"]),
    "content part of unknown type": (log(TURN, message_record(content=[{"type": "audio"}])), ["line 3"]),
    "image part without url": (
        log(TURN, message_record(content=[{"type": "image_url", "image_url": {}}])),
        ["line 3", "'url'"],
    ),
    "image name a number": (
        log(TURN, message_record(content=[{**image_part("x"), "name": 5}])),
        ["line 3", "'name'"],
    ),
    "role system": (log(message_record(role="system") | {"keep": 0}), ["line 2", "role"]),
    "created a string": (log(TURN, message_record(created="yesterday")), ["line 3", "'created'"]),
    "missing created": (log(TURN, message_record(created=...)), ["line 3", "missing 'created'"]),
    "missing role": (log(TURN, message_record(role=...)), ["line 3", "missing 'role'"]),
    "interrupted a string": (log(TURN, message_record(interrupted="yes")), ["line 3", "'interrupted'"]),
    "picked out of range": (
        log(TURN, message_record(role="assistant", candidates=[{"content": "a"}], picked=1)),
        ["line 3", "'picked'"],
    ),
    "picked a bool": (
        log(TURN, message_record(role="assistant", candidates=[{"content": "a"}, {"content": "b"}], picked=True)),
        ["line 3", "'picked'"],
    ),
    "candidate not an object": (log(TURN, message_record(role="assistant", candidates=["a"])), ["line 3"]),
    "keep out of range": (log(TURN, {"op": "messages", "keep": 3}), ["line 3", "'keep'"]),
    "keep negative": (log({"op": "messages", "keep": -1}), ["line 2", "'keep'"]),
    "keep a bool": (log(TURN, {"op": "messages", "keep": True}), ["line 3", "'keep'"]),
    "keep missing": (log({"op": "messages"}), ["line 2", "missing 'keep'"]),
    "add not a list": (log({"op": "messages", "keep": 0, "add": {}}), ["line 2", "'add'"]),
    "token count a bool": (log(TURN, {"op": "usage", "model": "m", "prompt_tokens": True}), ["line 3"]),
    "usage without model": (log({"op": "usage", "prompt_tokens": 1}), ["line 2", "missing 'model'"]),
    "title a number": (log({"op": "title", "title": 3}), ["line 2", "'title'"]),
    "settings n a bool": (log({"op": "settings", "settings": {"n": True}}), ["line 2", "'n'"]),
    "settings model null": (log({"op": "settings", "settings": {"model": None}}), ["line 2", "'model'"]),
    "settings not an object": (log({"op": "settings", "settings": [1]}), ["line 2"]),
    "unknown op": (log(TURN, {"op": "format-disk"}), ["line 3", "unknown record"]),
    "record a list": (log(TURN, [1, 2]), ["line 3"]),
    "foreign JSON": (b'{"hello": 1}\n', ["not a claudechat session"]),
    "foreign JSON, several lines": (b'{"hello": 1}\n{"world": 2}\n', ["not a claudechat session"]),
    "a JSON array": (b"[1, 2, 3]\n", ["not a claudechat session"]),
    "plain text": (b"hello world\nsecond line\n", ["not a claudechat session"]),
    "empty file": (b"", ["empty"]),
    "only whitespace": (b"  \n", []),
    "newer version": (log(TURN, header=header_with(version=4)), ["newer claudechat", "format 4"]),
    "no version": (log(header=header_with(version=...)), ["version"]),
    "version a bool": (log(header=header_with(version=True)), ["version"]),
    "header without id": (log(header=header_with(id=...)), ["missing 'id'"]),
    "id with a path in it": (log(header=header_with(id="../../etc/passwd")), ["'id'"]),
    "header created a string": (log(header=header_with(created="today")), ["'created'"]),
    "header created too large": (log(header=header_with(created=10**400)), []),
    "header without model": (log(header=header_with(settings={"n": 2})), ["model"]),
    "header settings missing": (log(header=header_with(settings=...)), ["missing 'settings'"]),
}


@pytest.mark.parametrize("data, expected", list(CORRUPT.values()), ids=list(CORRUPT))
def test_corrupt_file_is_a_session_error_and_left_as_it_is(
    sessions: Path, data: bytes, expected: list[str]
) -> None:
    sessions.mkdir()
    path = sessions / f"abcd1234{SUFFIX}"
    path.write_bytes(data)

    with pytest.raises(SessionError) as caught:
        read_session_file(path)
    message = caught.value.message
    assert str(path) in message
    for fragment in expected:
        assert fragment in message
    assert path.read_bytes() == data

    with pytest.raises(SessionError) as caught_open:
        SessionFile.open(path)
    assert not isinstance(caught_open.value, SessionBusyError)
    assert path.read_bytes() == data
    assert lock_is_free(path)  # a failed open leaves no lock (nor descriptor) behind


def test_newer_version_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / f"abcd1234{SUFFIX}"
    path.write_bytes(log(TURN, header=header_with(version=4)))
    with pytest.raises(SessionError, match=r"written by a newer claudechat \(format 4; this one reads 3\)"):
        read_session_file(path)


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"version": 4}, "newer claudechat"),
        ({"format": "other"}, "not a claudechat session"),
        ({"messages": {}}, "'messages'"),
        ({"messages": [{"role": "system", "content": "x", "created": 1}]}, "role"),
        ({"usage": [1]}, "usage entry"),
        ({"usage": [{"model": "m", "cached_tokens": "7"}]}, "'cached_tokens'"),
    ],
)
def test_corrupt_document_is_a_session_error(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    document = {**rich_session().to_document(), **change}
    path = tmp_path / "export.json"
    data = json.dumps(document).encode()
    path.write_bytes(data)
    with pytest.raises(SessionError, match=expected):
        read_session_file(path)
    assert path.read_bytes() == data
    with pytest.raises(SessionError, match=expected):
        session_from_document(document, where="doc")


def test_session_from_records_names_the_line() -> None:
    with pytest.raises(SessionError) as caught:
        session_from_records(HEADER, [TURN, {"op": "messages", "keep": 9}], where="where", first_line=11)
    assert caught.value.message == "where, line 12: 'keep' is out of range"
    assert caught.value.hint == "the file is left as it is"
    with pytest.raises(SessionError) as caught:
        session_from_records({"format": "nope"}, [TURN], where="where")
    assert caught.value.message == "where: not a claudechat session"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="no session file"):
        read_session_file(tmp_path / "nope.jsonl")
    with pytest.raises(SessionError, match="no session file"):
        SessionFile.open(tmp_path / "nope.jsonl")


def test_directory_is_not_a_session(tmp_path: Path) -> None:
    path = tmp_path / f"dir{SUFFIX}"
    path.mkdir()
    with pytest.raises(SessionError, match="not a regular file"):
        read_session_file(path)
    with pytest.raises(SessionError, match="not a regular file"):
        SessionFile.open(path)


def test_fifo_is_refused_by_open(tmp_path: Path) -> None:
    path = tmp_path / f"fifo{SUFFIX}"
    os.mkfifo(path)
    with pytest.raises(SessionError, match="not a regular file"):
        SessionFile.open(path)


def test_fifo_is_refused_by_read_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / f"fifo{SUFFIX}"
    os.mkfifo(path)
    outcome: list[BaseException | Session] = []

    def read() -> None:
        try:
            outcome.append(read_session_file(path))
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(1.0)
    finished_in_time = not reader.is_alive()
    while reader.is_alive():  # unblock the reader so no thread is left behind
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: the reader is not in open() yet
            reader.join(0.01)
            continue
        os.close(fd)
        reader.join(5)
    assert finished_in_time, "read_session_file blocked on a FIFO"
    assert isinstance(outcome[0], SessionError)


def test_absurdly_large_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / f"big{SUFFIX}"
    path.write_bytes(log(TURN))
    os.truncate(path, store_module.MAX_SESSION_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(SessionError, match="too large"):
        read_session_file(path)


# --- locking ----------------------------------------------------------------------------------


def test_second_open_of_the_same_session_is_busy(sessions: Path) -> None:
    session = rich_session()
    path = write_new(sessions, session)
    first, _ = SessionFile.open(path)
    try:
        with pytest.raises(SessionBusyError, match="open in another claudechat"):
            SessionFile.open(path)
        assert not lock_is_free(path)
    finally:
        first.close()
    first.close()  # closing twice is harmless
    assert lock_is_free(path)
    second, reopened = SessionFile.open(path)
    second.close()
    assert_same(reopened, session)


def test_a_created_session_is_locked_until_closed(sessions: Path) -> None:
    session = Session(settings=make_settings())
    session_file = SessionFile.create(sessions, session)
    session.add_turn(user(), answer())
    session_file.save(session)
    with pytest.raises(SessionBusyError):
        SessionFile.open(session_file.path)
    session_file.close()
    SessionFile.open(session_file.path)[0].close()


def test_create_never_replaces_an_existing_file(sessions: Path) -> None:
    session = rich_session()
    path = write_new(sessions, session)
    before = path.read_bytes()
    again = Session(settings=make_settings(), id=session.id)
    with pytest.raises(SessionError, match="cannot create"):
        SessionFile.create(sessions, again)
    assert path.read_bytes() == before
    assert again.pending == []


def test_keeper_continues_a_busy_session_in_a_copy(sessions: Path) -> None:
    session = rich_session()
    path = write_new(sessions, session)
    original = path.read_bytes()
    holder, _ = SessionFile.open(path)  # "another claudechat"
    try:
        keeper = SessionKeeper(SessionStore(sessions), make_settings())
        note = keeper.open(session.id[:4])
        assert note is not None and "another claudechat" in note
        copy = keeper.session
        assert copy.id != session.id and copy.id in note
        assert (copy.title, copy.messages, copy.usage, copy.settings) == (
            session.title,
            session.messages,
            session.usage,
            session.settings,
        )
        assert keeper.path == sessions / f"{copy.id}{SUFFIX}"
        assert keeper.path.exists()  # saved at once
        copy.add_turn(user("more"), answer("in the copy"))
        keeper.save()
        keeper.close()
        assert path.read_bytes() == original
        back = read_session_file(sessions / f"{copy.id}{SUFFIX}")
        assert back.id == copy.id and back.messages[-1].text == "in the copy" and back.turns == 4
    finally:
        holder.close()


def test_keeper_reopening_its_own_session_keeps_it(sessions: Path) -> None:
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    keeper.session.add_turn(user("q"), answer("a"))
    keeper.save()
    own_id = keeper.session.id
    try:
        note = keeper.open(own_id)
        assert note is None
        assert keeper.session.id == own_id
    finally:
        keeper.close()


# --- symbolic links and non-regular files -------------------------------------------------------


def test_session_path_that_is_a_symlink_is_refused(sessions: Path, tmp_path: Path) -> None:
    target = write_new(tmp_path / "elsewhere", rich_session())
    sessions.mkdir()
    link = sessions / f"link{SUFFIX}"
    link.symlink_to(target)
    before = target.read_bytes()
    with pytest.raises(SessionError, match="symbolic link"):
        read_session_file(link)
    with pytest.raises(SessionError, match="symbolic link"):
        SessionFile.open(link)
    assert lock_is_free(target)
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    with pytest.raises(SessionError):
        keeper.open("link")
    with pytest.raises(SessionError):
        keeper.open(str(link))
    assert target.read_bytes() == before
    summary = SessionStore(sessions).summaries()
    assert [item.id for item in summary] == ["link"]
    assert summary[0].error is not None and "symbolic link" in summary[0].error


def test_sessions_directory_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "sessions"
    link.symlink_to(real, target_is_directory=True)
    session = rich_session()
    with pytest.raises(SessionError, match="symbolic link"):
        SessionFile.create(link, session)
    assert list(real.iterdir()) == []
    assert session.pending and session.pending[0].get("format") is None  # no header queued
    keeper = SessionKeeper(SessionStore(link), make_settings())
    keeper.session.add_turn(user(), answer())
    with pytest.raises(SessionError):
        keeper.save()
    assert list(real.iterdir()) == []
    assert keeper.path is None and keeper.session.pending


# --- failed saves -----------------------------------------------------------------------------


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Any:
    """os.pwrite writes half of what it is given, then fails as on a full disk; undo() restores it."""
    real_pwrite = os.pwrite
    calls: list[int] = []

    def half_then_enospc(fd: int, data: Any, offset: int) -> int:
        calls.append(len(data))
        real_pwrite(fd, bytes(data[: max(1, len(data) // 2)]), offset)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "pwrite", half_then_enospc)
    return calls


def test_failed_save_leaves_the_file_as_it_was_and_keeps_records_pending(
    sessions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = rich_session()
    session_file = SessionFile.create(sessions, session)
    session_file.save(session)
    before = session_file.path.read_bytes()

    session.add_turn(user("will this be saved?"), answer("eventually"))
    session.record_usage(UsageEntry("m", 1, 1, time=T0))
    pending = [dict(record) for record in session.pending]
    calls: list[int] = []
    real_pwrite = os.pwrite

    def half_then_enospc(fd: int, data: Any, offset: int) -> int:
        calls.append(len(data))
        real_pwrite(fd, bytes(data[: len(data) // 2]), offset)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "pwrite", half_then_enospc)
    with pytest.raises(SessionError, match="No space left") as caught:
        session_file.save(session)
    assert calls, "the fake pwrite was not used"
    assert str(session_file.path) in caught.value.message
    assert session_file.path.read_bytes() == before
    assert session.pending == pending
    assert_same(read_session_file(session_file.path), _without_last_turn(session))

    monkeypatch.undo()
    session_file.save(session)
    session_file.close()
    assert session.pending == []
    json_lines(session_file.path)
    assert session_file.path.read_bytes().startswith(before)
    assert_same(read_session_file(session_file.path), session)


def _without_last_turn(session: Session) -> Session:
    earlier = Session(settings=session.settings, id=session.id, created=session.created, title=session.title)
    earlier.messages = session.messages[:-2]
    earlier.usage = session.usage[:-1]
    earlier.system_changes = [change for change in session.system_changes if change[0] <= len(earlier.messages)]
    return earlier


def test_failed_first_save_leaves_an_empty_file_and_the_retry_writes_the_header(
    sessions: Path, monkeypatch: pytest.MonkeyPatch, full_disk: list[int]
) -> None:
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    keeper.session.add_turn(user(), answer())
    with pytest.raises(SessionError, match="No space left"):
        keeper.save()
    assert full_disk
    assert keeper.path is not None and keeper.path.read_bytes() == b""
    assert keeper.session.pending[0]["format"] == FORMAT
    monkeypatch.undo()
    keeper.save()
    keeper.close()
    lines = json_lines(sessions / f"{keeper.session.id}{SUFFIX}")
    assert [line.get("format") for line in lines].count(FORMAT) == 1
    assert_same(read_session_file(sessions / f"{keeper.session.id}{SUFFIX}"), keeper.session)


def test_failed_save_after_an_unterminated_last_line_changes_nothing(
    sessions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_new(sessions, rich_session())
    with open(path, "ab") as handle:
        handle.write(b'{"op":"title","title":"kept"}')
    before = path.read_bytes()
    session_file, session = SessionFile.open(path)
    session.rename("new")
    real_pwrite = os.pwrite

    def fail(fd: int, data: Any, offset: int) -> int:
        real_pwrite(fd, bytes(data[:1]), offset)  # just the newline that was missing
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "pwrite", fail)
    with pytest.raises(SessionError, match="No space left"):
        session_file.save(session)
    assert path.read_bytes() == before
    monkeypatch.undo()
    session_file.save(session)
    session_file.close()
    assert len(json_lines(path)) == before.count(b"\n") + 2
    assert read_session_file(path).title == "new"


def test_failed_fsync_also_undoes_the_append(sessions: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = rich_session()
    session_file = SessionFile.create(sessions, session)
    session_file.save(session)
    before = session_file.path.read_bytes()
    session.rename("unsynced")

    def eio(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(store_module.os, "fsync", eio)
    with pytest.raises(SessionError, match="Input/output error"):
        session_file.save(session)
    monkeypatch.undo()
    assert session_file.path.read_bytes() == before
    assert session.pending == [{"op": "title", "title": "unsynced"}]
    session_file.save(session)
    session_file.close()
    assert read_session_file(session_file.path).title == "unsynced"


# --- permissions ------------------------------------------------------------------------------


def test_new_session_file_is_private_and_its_new_directory_too(tmp_path: Path) -> None:
    directory = tmp_path / "data" / "claudechat" / "sessions"
    old_umask = os.umask(0)  # the modes must not depend on a friendly umask
    try:
        path = write_new(directory, rich_session())
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_new_sessions_directory_is_0700_even_under_a_narrow_umask(tmp_path: Path) -> None:
    directory = tmp_path / "sessions"
    old_umask = os.umask(0o277)
    try:
        session_file = SessionFile.create(directory, Session(settings=make_settings()))
        session_file.close()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_existing_sessions_directory_keeps_its_mode(tmp_path: Path) -> None:
    directory = tmp_path / "sessions"
    directory.mkdir()
    os.chmod(directory, 0o750)
    write_new(directory, rich_session())
    assert stat.S_IMODE(directory.stat().st_mode) == 0o750


def test_new_session_file_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    directory = tmp_path / "sessions"
    directory.mkdir(mode=0o700)
    old_umask = os.umask(0o277)
    try:
        path = write_new(directory, rich_session())
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# --- the store --------------------------------------------------------------------------------


def _saved(directory: Path, session_id: str, title: str, turns: int, mtime: float) -> Path:
    session = Session(settings=make_settings(model=f"model-{session_id}"), id=session_id, created=T0)
    for number in range(turns):
        session.add_turn(user(f"q{number}"), answer(f"a{number}"))
    session.rename(title)
    path = write_new(directory, session)
    os.utime(path, (mtime, mtime))
    return path


def test_summaries_most_recent_first_with_unreadable_files_listed(sessions: Path) -> None:
    _saved(sessions, "aaaa1111", "oldest", 1, 1_000_000)
    newest = _saved(sessions, "bbbb2222", "newest", 3, 3_000_000)
    _saved(sessions, "cccc3333", "middle", 2, 2_000_000)
    broken = sessions / f"dddd4444{SUFFIX}"
    broken.write_bytes(b"this is not a session\n")
    os.utime(broken, (2_500_000, 2_500_000))
    (sessions / "notes.txt").write_text("ignored")
    hidden = sessions / f".hidden{SUFFIX}"
    hidden.write_bytes(b"ignored")
    os.utime(hidden, (9_000_000, 9_000_000))

    store = SessionStore(sessions)
    summaries = store.summaries()
    assert [item.id for item in summaries] == ["bbbb2222", "dddd4444", "cccc3333", "aaaa1111"]
    top = summaries[0]
    assert (top.title, top.turns, top.model, top.created, top.updated, top.path, top.error) == (
        "newest",
        3,
        "model-bbbb2222",
        T0,
        3_000_000,
        newest,
        None,
    )
    bad = summaries[1]
    assert bad.error is not None and "not a claudechat session" in bad.error
    assert (bad.title, bad.turns, bad.path) == (None, 0, broken)
    assert bad.to_dict()["error"] == bad.error and top.to_dict()["path"] == str(newest)
    assert [item.id for item in store.summaries(limit=2)] == ["bbbb2222", "dddd4444"]
    assert store.summaries(limit=0) == []
    assert store.most_recent() == newest
    assert broken.read_bytes() == b"this is not a session\n"


def test_empty_or_missing_store(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "never-created")
    assert store.summaries() == []
    with pytest.raises(SessionError, match="no saved session"):
        store.most_recent()
    assert not (tmp_path / "never-created").exists()


def test_find_by_id_and_unique_prefix(sessions: Path) -> None:
    for number, session_id in enumerate(["abc", "abcdef12", "abd99999", "ffff0000"]):
        _saved(sessions, session_id, session_id, 1, 1_000_000 + number)
    store = SessionStore(sessions)
    assert store.find("abc") == sessions / f"abc{SUFFIX}"  # an exact id beats being a prefix
    assert store.find("abcd") == sessions / f"abcdef12{SUFFIX}"
    assert store.find("abcdef12") == sessions / f"abcdef12{SUFFIX}"
    assert store.find("f") == sessions / f"ffff0000{SUFFIX}"
    with pytest.raises(SessionError, match="start of 3 session ids"):
        store.find("ab")
    with pytest.raises(SessionError, match="no session 0123"):
        store.find("0123")
    for invalid in ("../x", "", "a/b", "a.b", "abc ", "x\x1b[2J"):
        with pytest.raises(SessionError, match="not a session id") as caught:
            store.find(invalid)
        assert "\x1b" not in caught.value.message


# --- transcripts ------------------------------------------------------------------------------


def test_markdown_transcript(utc: None) -> None:
    session = rich_session()
    session.add_turn(user("no answer text", T0 + 180), answer("   ", T0 + 181))
    markdown = to_markdown(session)
    assert markdown.startswith("# Cats, greetings & candidates\n")
    assert f"*claude-sonnet-4-6, claude-opus-4-6 · 2024-01-02 03:04 · 4 turns · session {session.id}*" in markdown
    assert "## You · 2024-01-02 03:04\n\nHello there" in markdown
    assert "### claude-sonnet-4-6 · 03:04" in markdown
    assert "## You · 2024-01-02 03:05\n\nWhat is in these?" in markdown
    assert "### claude-opus-4-6 · 03:05" in markdown
    assert markdown.count("## You · ") == 4
    assert markdown.count("### ") == 4
    assert "<details>\n<summary>Reasoning</summary>\n\nThe user greets me.\nGreet back.\n\n</details>" in markdown
    assert markdown.count("<details>") == 1
    assert "What is in these?\n\n*image: cat.png*\n\n*image: image*" in markdown
    assert "base64" not in markdown and "iVBOR" not in markdown
    assert "A cat, and something unnam\n\n*⏹ interrupted" in markdown
    assert markdown.count("interrupted") == 1
    assert "Second answer\n\n*candidate 2 of 3*" in markdown
    assert "First answer" not in markdown
    assert "*(no text)*" in markdown
    assert "🐈" in markdown
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")


def test_markdown_header_lists_every_model_the_answers_came_from(utc: None) -> None:
    session = Session(settings=make_settings(model="model-now"), created=T0)
    session.add_turn(user("one"), answer("a", model="model-b"))
    session.add_turn(user("two"), answer("b", model="model-a"))
    session.add_turn(user("three"), answer("c", model="model-b"))
    session.add_turn(user("four"), answer("d"))  # no model said: the session's
    header = to_markdown(session).splitlines()[2]
    assert header == f"*model-b, model-a, model-now · 2024-01-02 03:04 · 4 turns · session {session.id}*"
    empty = Session(settings=make_settings(model="model-now"), created=T0)
    assert to_markdown(empty).splitlines()[2].startswith("*model-now · ")


def test_markdown_defaults_and_system_prompt_fence(utc: None) -> None:
    session = Session(settings=make_settings(model="default-model", system="Use ```code``` and ````more````."))
    session.add_turn(user("q"), answer("a"))  # no model on the answer
    session.title = None
    markdown = to_markdown(session)
    assert markdown.startswith("# Untitled chat\n")
    assert "### default-model · " in markdown
    assert "**System prompt**\n\n`````\nUse ```code``` and ````more````.\n`````" in markdown
    plain = Session(settings=make_settings(system=None))
    assert "System prompt" not in to_markdown(plain)
    assert "0 turns" in to_markdown(plain)


HEADINGS_ANSWER = """# Big
Intro
## Medium
###### Tiny
#### Four ####
Setext one
==========
Setext *two*
spanning lines
--------------
> # Quoted
>
> Quoted setext
> ---
- ## In a list
- Listed setext
  ===
- ### C# #

```python
# a comment, not a heading
```

    # indented code, not a heading
~~~
## fenced with tildes
~~~
#hashtag is not a heading
"""

HEADINGS_SHIFTED = """#### Big
Intro
##### Medium
###### Tiny
###### Four ####
#### Setext one
##### Setext *two* spanning lines
> #### Quoted
>
> ##### Quoted setext
- ##### In a list
- #### Listed setext
- ###### C# #

```python
# a comment, not a heading
```

    # indented code, not a heading
~~~
## fenced with tildes
~~~
#hashtag is not a heading"""


def _headings(markdown: str) -> list[tuple[int, str]]:
    from claudechat.render.markdown import markdown_parser

    tokens = markdown_parser().parse(markdown)
    return [(int(token.tag[1:]), tokens[i + 1].content) for i, token in enumerate(tokens) if token.type == "heading_open"]


def test_markdown_shifts_the_headings_of_answers_below_the_turn_headings() -> None:
    session = Session(settings=make_settings(system=None), title="Outline")
    session.add_turn(user("# My question\n\nin words"), answer(HEADINGS_ANSWER, model="m", reasoning="# Plan\nthink"))
    markdown = to_markdown(session)
    assert HEADINGS_SHIFTED in markdown
    assert "### My question\n\nin words" in markdown
    levels = _headings(markdown)
    assert levels[:3] == [(1, "Outline"), (2, f"You · {levels[1][1].split(' · ')[1]}"), (3, "My question")]
    assert levels[3][0] == 3 and levels[3][1].startswith("m · ")
    assert levels[4] == (4, "Plan")  # the reasoning's heading, inside <details>
    assert levels[5:] == [
        (4, "Big"), (5, "Medium"), (6, "Tiny"), (6, "Four"), (4, "Setext one"), (5, "Setext *two* spanning lines"),
        (4, "Quoted"), (5, "Quoted setext"), (5, "In a list"), (4, "Listed setext"), (6, "C#"),
    ]


_MARKDOWN_LINES = st.sampled_from([
    "# a", "## b c", "###### six", "####### seven", "# closed ##", "#", "#no", "text", "more text", "para #", "",
    "===", "---", "  ---", "* * *", "```", "~~~", "    # code", "\t# tab", "> # q", "> text", ">", "> ===",
    "- # li", "- item", "  ===", "1. # one", "  # nested", "<div>", "# C#",
])


def _outline(markdown: str) -> list[tuple[str, str, str]]:
    from claudechat.render.markdown import markdown_parser

    tokens = markdown_parser().parse(markdown)
    shown = []
    for token in tokens:
        content = " ".join(token.content.split()) if token.type == "inline" else token.content
        shown.append((token.type, token.tag, content))
    return shown


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(_MARKDOWN_LINES, max_size=14), by=st.integers(1, 5))
def test_shifting_headings_changes_only_their_levels(lines: list[str], by: int) -> None:
    from claudechat.chat.transcript import shift_headings

    text = "\n".join(lines)
    before, after = _outline(text), _outline(shift_headings(text, by))
    assert len(before) == len(after)
    for old, new in zip(before, after):
        if old[0] in ("heading_open", "heading_close"):
            assert new[:1] == old[:1] and int(new[1][1:]) == min(6, int(old[1][1:]) + by)
        else:
            assert new == old


def test_markdown_shows_the_system_prompt_where_it_was_set(utc: None) -> None:
    session = Session(settings=make_settings(system="Be brief."), created=T0)
    session.add_turn(user("one"), answer("A1"))
    session.change_settings(system="Use ```code```.")
    session.add_turn(user("two"), answer("A2"))
    session.change_settings(system=None)
    session.add_turn(user("three"), answer("A3"))
    session.change_settings(system="Last.")
    markdown = to_markdown(session)
    order = [
        "**System prompt**\n\n```\nBe brief.\n```",
        "## You · 2024-01-02 03:04\n\none",
        "A1\n\n**System prompt changed**\n\n````\nUse ```code```.\n````\n\n## You",
        "two",
        "A2\n\n**System prompt cleared**\n\n## You",
        "three",
        "A3\n\n**System prompt set**\n\n```\nLast.\n```\n",
    ]
    positions = [markdown.index(part) for part in order]
    assert positions == sorted(positions)
    assert markdown.count("System prompt") == 4
    assert markdown.endswith("```\nLast.\n```\n")


def test_markdown_shows_a_prompt_set_after_the_first_turn_after_it(utc: None) -> None:
    session = Session(settings=make_settings(system=None), created=T0)
    session.add_turn(user("one"), answer("A1"))
    session.change_settings(system="Now brief.")
    session.add_turn(user("two"), answer("A2"))
    markdown = to_markdown(session)
    assert markdown.index("A1") < markdown.index("**System prompt set**") < markdown.index("two")
    header = markdown[: markdown.index("## You")]
    assert "System prompt" not in header


def test_reasoning_cannot_close_its_details_block_early() -> None:
    session = Session(settings=make_settings())
    session.add_turn(user("q"), answer("visible answer", reasoning="step </details> escaped? </details >"))
    markdown = to_markdown(session)
    assert markdown.count("</details") == 1
    block = markdown[markdown.index("<details>") : markdown.index("</details>")]
    assert "step" in block and "escaped?" in block
    assert markdown.index("</details>") < markdown.index("visible answer")


def test_reasoning_cannot_close_its_details_block_in_upper_case() -> None:
    session = Session(settings=make_settings())
    session.add_turn(user("q"), answer("visible answer", reasoning="a </DETAILS> b </Details> c"))
    assert to_markdown(session).lower().count("</details") == 1


@pytest.mark.parametrize(
    "title, expected",
    [
        ("Hello, World: test!", "hello-world-test.md"),
        ("  Ünïcode café_bar  ", "ünïcode-café-bar.md"),
        ("../../etc/passwd", "etc-passwd.md"),
        ("word " * 30, ("word-" * 12)[:59] + ".md"),
    ],
)
def test_default_file_name(title: str, expected: str) -> None:
    session = Session(settings=make_settings(), title=title)
    name = default_file_name(session)
    assert name == expected
    assert "/" not in name and not name.startswith("-")


@pytest.mark.parametrize("title", [None, "", "!!! ???", "___"])
def test_default_file_name_without_words(title: str | None) -> None:
    session = Session(settings=make_settings(), id="1a2b3c4d", title=title)
    assert default_file_name(session) == "chat-1a2b3c4d.md"


# --- the keeper -------------------------------------------------------------------------------


def test_keeper_creates_the_file_only_at_the_first_save(sessions: Path) -> None:
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    assert keeper.path is None
    keeper.save()  # nothing to save
    assert not sessions.exists()
    keeper.session.add_turn(user("first"), answer("one"))
    assert not sessions.exists()
    keeper.save()
    assert keeper.path == sessions / f"{keeper.session.id}{SUFFIX}"
    assert keeper.path.is_file()
    assert_same(read_session_file(keeper.path), keeper.session)
    keeper.close()
    assert keeper.path is None


def test_keeper_new_keeps_settings_and_saves_the_old_session(sessions: Path) -> None:
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    keeper.session.change_settings(model="claude-opus-4-6", n=2)
    keeper.session.add_turn(user("first"), answer("one"))  # not saved yet
    old = keeper.session
    fresh = keeper.new()
    assert fresh is keeper.session and fresh.id != old.id
    assert fresh.messages == [] and fresh.usage == [] and fresh.title is None and fresh.pending == []
    assert fresh.settings == old.settings and fresh.settings is not old.settings
    assert keeper.path is None
    old_path = sessions / f"{old.id}{SUFFIX}"
    assert_same(read_session_file(old_path), old)
    assert lock_is_free(old_path)  # the old file was closed
    keeper.new()  # an empty session leaves nothing behind
    assert sorted(p.name for p in sessions.iterdir()) == [old_path.name]


def test_keeper_open_by_prefix_resumes_the_same_session(sessions: Path) -> None:
    session = rich_session()
    path = write_new(sessions, session)
    before = path.read_bytes()
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    assert keeper.open(session.id[:5]) is None
    assert keeper.session.id == session.id
    assert keeper.path == path
    assert_same(keeper.session, session)
    assert not lock_is_free(path)
    keeper.session.add_turn(user("resumed"), answer("yes"))
    keeper.save()
    keeper.session.rename("Resumed")
    keeper.save()
    keeper.close()
    assert sorted(p.name for p in sessions.iterdir()) == [path.name]
    assert path.read_bytes().startswith(before)
    back = read_session_file(path)
    assert back.id == session.id and back.turns == 4 and back.title == "Resumed"


def test_keeper_open_by_path_in_the_store_is_not_a_copy(sessions: Path) -> None:
    session = rich_session()
    path = write_new(sessions, session)
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    assert keeper.open(str(path)) is None
    assert keeper.session.id == session.id and keeper.path == path
    keeper.close()


@pytest.mark.parametrize("as_document", [False, True])
def test_keeper_open_of_a_file_outside_the_store_loads_a_copy(
    sessions: Path, tmp_path: Path, as_document: bool
) -> None:
    session = rich_session()
    if as_document:
        outside = tmp_path / "shared" / "export.json"
        outside.parent.mkdir()
        outside.write_text(to_json(session), encoding="utf-8")
    else:
        outside = write_new(tmp_path / "shared", session)
    before = outside.read_bytes()
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    note = keeper.open(str(outside))
    assert note is not None and f"loaded {outside.name} as a new session" in note
    copy = keeper.session
    assert copy.id != session.id and copy.id in note
    assert copy.messages == session.messages and copy.title == session.title
    assert keeper.path == sessions / f"{copy.id}{SUFFIX}"
    assert_same(read_session_file(keeper.path), copy)  # saved at once
    keeper.close()
    assert outside.read_bytes() == before
    assert lock_is_free(outside)


def test_keeper_open_switches_only_after_saving_the_old_session(sessions: Path) -> None:
    other = rich_session()
    other_path = write_new(sessions, other)
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    keeper.session.add_turn(user("unsaved"), answer("turn"))
    old = keeper.session
    keeper.open(other.id)
    assert keeper.session.id == other.id
    assert_same(read_session_file(sessions / f"{old.id}{SUFFIX}"), old)
    keeper.close()
    assert lock_is_free(other_path)


def test_keeper_does_not_switch_when_the_old_session_cannot_be_saved(
    sessions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = rich_session()
    other_path = write_new(sessions, other)
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    keeper.session.add_turn(user("q"), answer("a"))
    keeper.save()
    keeper.session.rename("unsaved title")
    old = keeper.session
    old_bytes = keeper.path.read_bytes() if keeper.path else b""
    real_pwrite = os.pwrite

    def enospc(fd: int, data: Any, offset: int) -> int:
        real_pwrite(fd, bytes(data[:3]), offset)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "pwrite", enospc)
    with pytest.raises(SessionError, match="No space left"):
        keeper.open(other.id)
    monkeypatch.undo()
    assert keeper.session is old
    assert keeper.path == sessions / f"{old.id}{SUFFIX}"
    assert keeper.path.read_bytes() == old_bytes
    assert lock_is_free(other_path)  # the session not switched to was closed again
    keeper.save()
    keeper.close()
    assert read_session_file(sessions / f"{old.id}{SUFFIX}").title == "unsaved title"


def test_keeper_continue_last_opens_the_most_recent(sessions: Path) -> None:
    _saved(sessions, "aaaa1111", "old", 1, 1_000_000)
    _saved(sessions, "bbbb2222", "recent", 2, 2_000_000)
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    assert keeper.continue_last() is None
    assert keeper.session.id == "bbbb2222" and keeper.session.title == "recent"
    keeper.close()
    with pytest.raises(SessionError, match="no saved session"):
        SessionKeeper(SessionStore(sessions / "none"), make_settings()).continue_last()


def test_opening_a_session_makes_it_the_last_used_without_writing_to_it(sessions: Path) -> None:
    old = _saved(sessions, "aaaa1111", "old", 1, 1_000_000)
    _saved(sessions, "bbbb2222", "recent", 2, 2_000_000)
    before = old.read_bytes()
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    assert keeper.open("aaaa") is None
    keeper.close()
    store = SessionStore(sessions)
    assert store.most_recent() == old
    assert [item.id for item in store.summaries()] == ["aaaa1111", "bbbb2222"]
    assert old.read_bytes() == before
    again = SessionKeeper(store, make_settings())
    assert again.continue_last() is None and again.session.id == "aaaa1111"
    again.close()


def test_keeper_open_unknown_or_ambiguous(sessions: Path) -> None:
    _saved(sessions, "aaaa1111", "one", 1, 1_000_000)
    _saved(sessions, "aaaa2222", "two", 1, 1_000_001)
    keeper = SessionKeeper(SessionStore(sessions), make_settings())
    with pytest.raises(SessionError, match="start of 2"):
        keeper.open("aaaa")
    with pytest.raises(SessionError, match="no session"):
        keeper.open("bbbb")
    with pytest.raises(SessionError, match="no session file"):
        keeper.open(str(sessions / f"cccc{SUFFIX}"))
    assert keeper.path is None and keeper.session.messages == []


# --- bugs ---------------------------------------------------------------------------------------


def test_lone_surrogate_in_a_message_can_be_saved(sessions: Path) -> None:
    session = Session(settings=make_settings())
    session.add_turn(user("emoji half \ud83d"), answer("ok"))
    session_file = SessionFile.create(sessions, session)
    try:
        session_file.save(session)
    finally:
        session_file.close()
    assert read_session_file(session_file.path).turns == 1


def test_replace_answer_without_messages_never_writes_an_unreadable_record(sessions: Path) -> None:
    session = Session(settings=make_settings())
    try:
        session.replace_answer(answer("retry of nothing"))
    except (ValueError, IndexError, SessionError):
        return  # refusing the change is fine
    assert_same(read_session_file(write_new(sessions, session)), session)


@pytest.mark.parametrize("moment", ["mid-write", "before-sync"])
def test_an_interrupt_while_saving_loses_nothing_and_corrupts_nothing(sessions, monkeypatch, moment):
    """Ctrl-C (SIGINT from outside, as KeyboardInterrupt) can land in the middle of a save."""
    session = Session(settings=make_settings())
    session.add_turn(user("first"), answer("one"))
    session_file = SessionFile.create(sessions, session)
    session_file.save(session)
    before = session_file.path.read_bytes()
    session.add_turn(user("second"), answer("two " * 5000))

    real_pwrite, real_fsync = os.pwrite, os.fsync

    def torn_pwrite(fd: int, data: Any, offset: int) -> int:
        real_pwrite(fd, bytes(data[: len(data) // 2]), offset)
        raise KeyboardInterrupt

    def interrupted_fsync(fd: int) -> None:
        raise KeyboardInterrupt

    if moment == "mid-write":
        monkeypatch.setattr(store_module.os, "pwrite", torn_pwrite)
    else:
        monkeypatch.setattr(store_module.os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        session_file.save(session)
    monkeypatch.setattr(store_module.os, "pwrite", real_pwrite)
    monkeypatch.setattr(store_module.os, "fsync", real_fsync)

    # Whatever the moment, the file reads as the session before or after the turn, never broken.
    texts = [message.text for message in read_session_file(session_file.path).messages]
    assert texts in (["first", "one"], ["first", "one", "second", "two " * 5000])
    assert session_file.path.read_bytes().startswith(before)
    assert session.pending  # nothing was marked saved
    session_file.save(session)  # the next save completes it, without duplicating anything
    session_file.close()
    assert [message.text for message in read_session_file(session_file.path).messages] == [
        "first", "one", "second", "two " * 5000
    ]
    lines = session_file.path.read_bytes().splitlines()
    assert sum(b'"op":"messages"' in line for line in lines) == 2


def test_a_session_in_a_symlinked_directory_is_not_written_through_it(tmp_path):
    real = tmp_path / "real-sessions"
    session = Session(settings=make_settings())
    session.add_turn(user("first"), answer("one"))
    session_file = SessionFile.create(real, session)
    session_file.save(session)
    session_file.close()
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    before = session_file.path.read_bytes()
    with pytest.raises(SessionError, match="symbolic link"):
        SessionFile.open(tmp_path / "linked" / session_file.path.name)
    assert session_file.path.read_bytes() == before


def test_text_attachments_are_sent_but_not_shown_as_the_users_words() -> None:
    from claudechat.chat.attachments import TextAttachment, attachment_from_part

    attached = TextAttachment(name="src/a.py", text="src/a.py\n```python\nx = 1\n```", size=6, sha256="ab")
    content = [{"type": "text", "text": "why?"}, attached.stored_part()]
    message = Message("user", content)
    assert message.text == "why?"
    assert message.to_api()["content"] == [
        {"type": "text", "text": "why?"},
        {"type": "text", "text": "src/a.py\n```python\nx = 1\n```"},
    ]
    assert attachment_labels(content) == ["file: src/a.py"]
    assert attachment_from_part(content[1]) == attached
    assert attachment_from_part(content[0]) is None
