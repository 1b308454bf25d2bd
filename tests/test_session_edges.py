"""Edges of a session's changes: a title chosen once is kept, and each change queues its record."""

from __future__ import annotations

import pytest

from claudechat.chat.conversation import Message
from claudechat.chat.session import Session, SessionSettings, default_title

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
