"""`send_key`: Enter sends (the default) or Alt-Enter sends and Enter starts a new line.

Each setting is driven in a pseudo-terminal: typed lines and pastes arrive at the double as
one message with their newlines, nothing is sent by the key that makes a new line, and the
toolbar and /help say which key sends.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from claudechat import config
from claudechat.errors import ConfigError
from claudechat.repl.toolbar import ToolbarState, toolbar_fragments
from tests.terminal import Keys, Terminal
from tests.test_repl import toolbar, user_and_assistant, wait_for_answer

# send_key -> (the key that sends, the key that makes a new line)
KEYS = {"enter": (Keys.ENTER, Keys.ALT_ENTER), "alt-enter": (Keys.ALT_ENTER, Keys.ENTER)}


@pytest.fixture
def chat(terminal, tmp_path: Path):
    """The chat started with `send_key` in the config file, as a user sets it."""

    def start(send_key: str) -> Terminal:
        directory = tmp_path / "config" / "claudechat"  # the terminal's XDG_CONFIG_HOME is tmp_path/config
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.toml").write_text(f'send_key = "{send_key}"\n', encoding="utf-8")
        os.chmod(directory / "config.toml", 0o600)
        return terminal()

    return start


@pytest.mark.e2e
@pytest.mark.parametrize("send_key", list(KEYS))
def test_typed_lines_go_as_one_message_with_their_newlines(chat, double, send_key: str) -> None:
    send, new_line = KEYS[send_key]
    term = chat(send_key)
    term.send("first" + new_line + "second")
    term.wait_for_prompt("first\nsecond")  # the new-line key made a new line, and sent nothing
    term.send(Keys.CTRL_J + "third")
    term.wait_for_prompt("first\nsecond\nthird")
    assert double.requests == []
    term.send(send)
    wait_for_answer(term)
    assert len(double.requests) == 1
    assert user_and_assistant(double.requests[0]) == [("user", "first\nsecond\nthird")]


@pytest.mark.e2e
def test_with_alt_enter_enter_alone_never_sends(chat, double) -> None:
    term = chat("alt-enter")
    term.send("/help" + Keys.ENTER + Keys.ENTER)
    term.wait_for_prompt("/help\n\n")
    assert double.requests == []
    term.send(Keys.CTRL_C)  # clears the line
    term.wait_for_prompt("")
    term.send("hello" + Keys.ALT_ENTER)
    wait_for_answer(term)
    assert [user_and_assistant(request) for request in double.requests] == [[("user", "hello")]]


@pytest.mark.e2e
@pytest.mark.parametrize("send_key", list(KEYS))
def test_a_paste_is_never_sent_by_its_newlines(chat, double, send_key: str) -> None:
    send, new_line = KEYS[send_key]
    pasted = "line one\nline two\n\nline four"
    term = chat(send_key)
    term.paste(pasted)
    term.wait_for_prompt(pasted)
    assert double.requests == []
    term.send(new_line + "typed")
    term.wait_for_prompt(pasted + "\ntyped")
    assert double.requests == []
    term.send(send)
    wait_for_answer(term)
    assert [user_and_assistant(request) for request in double.requests] == [[("user", pasted + "\ntyped")]]


@pytest.mark.e2e
@pytest.mark.parametrize("send_key", list(KEYS))
def test_the_toolbar_and_help_say_which_key_sends(chat, double, send_key: str) -> None:
    send, _ = KEYS[send_key]
    term = chat(send_key)
    term.wait_for(lambda t: "/help · Ctrl-D exits" in toolbar(t))
    assert ("Alt-Enter sends" in toolbar(term)) == (send_key == "alt-enter")
    term.send("/help" + send)
    expected = ("Alt-Enter or Esc Enter sends · Enter or Ctrl-J: new line" if send_key == "alt-enter"
                else "Enter sends · Alt-Enter, Esc Enter or Ctrl-J: new line")
    term.wait_for(lambda t: expected in " ".join(t.all_lines()))
    term.wait_for_prompt("")
    assert double.requests == []


# --- in process ----------------------------------------------------------------------------


def test_send_key_takes_enter_or_alt_enter_only() -> None:
    assert config.parse_option("send_key", " Alt-Enter ") == "alt-enter"
    assert config.parse_option("send_key", "enter") == "enter"
    with pytest.raises(ConfigError, match="send_key must be one of enter, alt-enter"):
        config.parse_option("send_key", "ctrl-enter")
    assert config.Settings().send_key == "enter"


def row(state: ToolbarState, columns: int) -> str:
    return "".join(text for _, text in toolbar_fragments(state, columns))


def test_the_toolbar_says_alt_enter_sends_after_the_help_hint_is_gone() -> None:
    state = ToolbarState(model="claude-sonnet-4-6", send_key="alt-enter", tokens_used=12_345)
    wide = row(state, 200)
    assert wide.endswith("   Alt-Enter sends   /help · Ctrl-D exits ")
    width = len(wide) - len("   /help · Ctrl-D exits ")
    assert row(state, width).endswith("   Alt-Enter sends")
    assert "Alt-Enter" not in row(ToolbarState(model="claude-sonnet-4-6"), 200)
