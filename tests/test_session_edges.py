"""Edges of a session's changes: a title chosen once is kept, and each change queues its record."""

from __future__ import annotations

import pytest

from claudechat.api.events import ChatResult, Usage
from claudechat.chat.conversation import Message
from claudechat.chat.records import session_from_records
from claudechat.chat.session import (
    Session,
    SessionSettings,
    UsageEntry,
    default_title,
    message_to_dict,
    new_session_id,
)

T0 = 1_700_000_000.0


def session(**fields) -> Session:
    return Session(settings=SessionSettings(model="claude-sonnet-4-6"), **fields)


def user(content="hello there") -> Message:
    return Message(role="user", content=content, created=T0)


def answer(text: str = "hi") -> Message:
    return Message(role="assistant", content=text, created=T0)


@pytest.mark.parametrize("title", ["", "Chosen"])
def test_a_title_given_is_kept_through_the_next_turns(title):
    chat = session()
    chat.rename(title)

    chat.add_turn(user("what is the weather"), answer())
    chat.add_turn(user("and tomorrow"), answer())

    assert chat.title == title
    assert [record for record in chat.pending if record["op"] == "title"] == [{"op": "title", "title": title}]


def test_an_empty_title_from_a_file_is_kept_too():
    chat = session(title="")

    chat.add_turn(user("what is the weather"), answer())

    assert chat.title == ""
    assert not any(record["op"] == "title" for record in chat.pending)


def test_the_first_turn_names_an_untitled_session_once():
    chat = session()

    chat.add_turn(user("  what   is\nthe weather "), answer())
    chat.add_turn(user("and tomorrow"), answer())

    assert chat.title == "what is the weather"
    assert [record for record in chat.pending if record["op"] == "title"] == [
        {"op": "title", "title": "what is the weather"}
    ]


@pytest.mark.parametrize(
    ("content", "title"),
    [
        ("", "untitled"),
        ("   \n ", "untitled"),
        ([{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}], "image"),
        ("x" * 100, "x" * 59 + "…"),
        ("\x1b]0;evil\x07 title", "␛]0;evil␇ title"),
    ],
)
def test_a_default_title_is_one_short_safe_line(content, title):
    assert default_title(user(content)) == title


# --------------------------------------------------------------------------------------
# Ids, settings and usage
# --------------------------------------------------------------------------------------


def test_a_session_id_is_eight_hex_digits():
    ids = {new_session_id() for _ in range(20)}

    assert all(len(found) == 8 and int(found, 16) >= 0 for found in ids)
    assert len(ids) > 1


def test_unknown_settings_are_refused_by_name():
    chat = session()

    with pytest.raises(TypeError) as caught:
        chat.change_settings(colour="red", answer=42)

    assert str(caught.value) == "unknown settings: answer, colour"
    assert chat.pending == []


@pytest.mark.parametrize("model", ["two words", "", "x" * 201, "bad\x1bid"])
def test_a_model_that_could_not_be_read_back_is_refused(model):
    chat = session()

    with pytest.raises(ValueError) as caught:
        chat.change_settings(model=model)

    assert str(caught.value) == f"not a model id: {model!r}"
    assert chat.settings.model == "claude-sonnet-4-6"
    assert chat.pending == []


def test_nothing_to_replace_is_said_plainly():
    chat = session()

    with pytest.raises(ValueError, match="^there is no answer to replace$"):
        chat.replace_answer(answer())
    with pytest.raises(ValueError, match="^there is no exchange to replace$"):
        chat.replace_turn(user(), answer())


def result(usage: Usage | None = None, model: str | None = None, interrupted: bool = False) -> ChatResult:
    return ChatResult(model=model, usage=usage, interrupted=interrupted)


def test_the_usage_of_an_answer_is_recorded_with_the_model_that_served_it():
    chat = session()
    usage = Usage(prompt_tokens=11, completion_tokens=22, total_tokens=33, cached_tokens=7)

    chat.record_result(result(usage, model="served\x1b-model"), "asked-model")

    entry = chat.usage[-1]
    assert (entry.model, entry.prompt_tokens, entry.completion_tokens, entry.cached_tokens) == (
        "served␛-model", 11, 22, 7
    )
    assert chat.pending[-1]["op"] == "usage"


def test_without_a_served_model_the_asked_one_is_recorded():
    chat = session()

    chat.record_result(result(Usage(prompt_tokens=1)), "asked-model")

    assert chat.usage[-1].model == "asked-model"


def test_an_answer_without_usage_records_nothing_unless_it_was_stopped():
    chat = session()

    chat.record_result(result(), "m")
    assert chat.usage == [] and chat.pending == []

    chat.record_result(result(interrupted=True), "m")
    entry = chat.usage[-1]
    assert (entry.model, entry.prompt_tokens, entry.completion_tokens, entry.cached_tokens) == ("m", 0, 0, 0)


# --------------------------------------------------------------------------------------
# Where a change of the system prompt stays when messages are replaced
# --------------------------------------------------------------------------------------


def two_turns_then_a_prompt() -> Session:
    chat = session()
    chat.add_turn(user("q1"), answer("a1"))
    chat.add_turn(user("q2"), answer("a2"))
    chat.change_settings(system="S")
    return chat


def test_a_change_after_messages_replaced_moves_back_past_an_answer_by_one():
    chat = two_turns_then_a_prompt()
    replaced = [message_to_dict(message) for message in (answer("b"), user("q"), answer("c"))]

    replayed = session_from_records(
        chat.log_header(), [*chat.pending, {"op": "messages", "keep": 1, "add": replaced}], where="test"
    )

    assert [message.role for message in replayed.messages] == ["user", "assistant", "user", "assistant"]
    assert replayed.system_changes == [(2, "S")]


def test_a_change_at_the_end_stays_when_the_last_answer_is_replaced():
    chat = two_turns_then_a_prompt()

    chat.replace_answer(answer("a2 again"))

    assert chat.system_changes == [(4, "S")]


# --------------------------------------------------------------------------------------
# A copy
# --------------------------------------------------------------------------------------


def ops(chat: Session) -> list[str]:
    return [record["op"] for record in chat.pending]


def replay(chat: Session) -> Session:
    return session_from_records(chat.log_header(), chat.pending, where="copy")


def test_a_copy_of_an_empty_session_writes_one_empty_messages_record():
    twin = session().copy()

    assert ops(twin) == ["messages"]
    assert twin.messages == [] and twin.system_changes == []


def test_a_copy_queues_each_piece_between_prompt_changes_once():
    chat = session()
    chat.change_settings(system="first")
    chat.add_turn(user("q1"), answer("a1"))
    chat.change_settings(system="second")
    chat.add_turn(user("q2"), answer("a2"))
    chat.record_usage(UsageEntry(model="m", prompt_tokens=3, time=T0))

    twin = chat.copy()

    assert ops(twin) == ["messages", "settings", "messages", "usage"]
    assert twin.log_header()["settings"]["system"] == "first"
    assert twin.system_changes == chat.system_changes == [(0, "first"), (2, "second")]
    copied = replay(twin)
    assert copied.system_changes == chat.system_changes
    assert [m.text for m in copied.messages] == ["q1", "a1", "q2", "a2"]
    assert copied.usage[0].prompt_tokens == 3


def test_a_copy_of_a_session_whose_prompt_came_later_starts_without_one():
    chat = session()
    chat.add_turn(user("q1"), answer("a1"))
    chat.change_settings(system="later")

    twin = chat.copy()

    assert twin.log_header()["settings"]["system"] is None
    assert ops(twin) == ["messages", "settings"]
    assert replay(twin).system_changes == [(2, "later")]


def test_a_copy_keeps_a_change_that_came_after_a_single_message():
    header = session().log_header()
    records = [
        {"op": "messages", "keep": 0, "add": [message_to_dict(user("q"))]},
        {"op": "settings", "settings": {"system": "S"}},
        {"op": "messages", "keep": 1, "add": [message_to_dict(answer("a"))]},
    ]
    chat = session_from_records(header, records, where="test")

    twin = chat.copy()

    assert chat.system_changes == [(1, "S")]
    assert twin.system_changes == [(1, "S")]
    assert ops(twin) == ["messages", "settings", "messages"]
    assert replay(twin).system_changes == [(1, "S")]
