"""What the chat tells you as you use it, end to end in a pseudo-terminal.

An answer still coming says so until its end; what you type meanwhile is shown; what goes with
a message is shown when it is sent; unusual endings get a line of their own; the toolbar fits
an 80-column terminal; the editor hands its text back for review.
"""

from __future__ import annotations

import os
import re
import stat
import threading

import pytest

from tests.terminal import STATUS_LINE
from tests.double import RawReply, Reply
from tests.images import tiny_png

pytestmark = pytest.mark.e2e  # every test here starts the program

STATUS = STATUS_LINE
INDICATOR = re.compile(r"\d+\.\d s · ~[\d,]+ tokens · .*Esc stops")


def status_count(term) -> int:
    return sum(1 for line in term.all_lines() if STATUS.match(line))


def test_an_answer_still_coming_says_so_and_shows_what_is_typed(terminal, double):
    double.enqueue(Reply(content=" ".join(f"word{i}" for i in range(400)), stall_after=30))
    term = terminal()
    term.type_line("tell me")
    term.wait_for("word15")
    assert double.wait_for_stall()
    row = term.wait_for(INDICATOR)  # the last row: time, tokens so far, how to stop it
    assert row.string == term.screen_lines()[term.screen.cursor.y - 1].strip()
    term.send("and then")
    term.wait_for(re.compile(r"Esc stops +next: and then$"))
    term.send("\x7f\x7fen?")  # Backspace takes typed-ahead text back
    term.wait_for(re.compile(r"next: and then\?$"))
    term.esc()
    term.wait_for("⏹ interrupted")
    term.wait_for_prompt("and then?")
    assert not [line for line in term.all_lines() if "Esc stops" in line]  # gone with the answer


def test_a_stalled_answer_looks_stalled(terminal, double):
    double.enqueue(Reply(content="a few words, then nothing", stall_after=3))
    term = terminal()
    term.type_line("go")
    assert double.wait_for_stall()
    term.wait_for(re.compile(r"nothing new for [3-9] s"), timeout=15)
    term.ctrl_c()
    term.wait_for("⏹ interrupted")


def test_a_message_sent_with_images_shows_them(terminal, double, tmp_path):
    (tmp_path / "chart.png").write_bytes(tiny_png())
    release = threading.Event()
    double.enqueue(Reply(content="A chart.", pause_before_first=release))
    term = terminal()
    term.type_line("/image chart.png")
    term.wait_for("attached chart.png")
    term.type_line("what is this?")
    term.wait_for("[image: chart.png]")
    lines = term.all_lines()
    sent = max(index for index, line in enumerate(lines) if line.startswith("› what is this?"))
    assert lines[sent + 1] == "[image: chart.png]"  # under the message, before any answer
    release.set()
    term.wait_for(lambda t: status_count(t) == 1)


def test_an_answer_cut_at_max_tokens_and_a_refusal_say_so(terminal, double):
    double.enqueue(Reply(content="Once upon a", finish_reason="length"))
    term = terminal()
    term.type_line("a story")
    term.wait_for("⚠ the answer was cut off at the max_tokens limit (/max-tokens N raises it)")
    refusal = (
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
        b'"delta":{"role":"assistant","content":null,"refusal":"I cannot help with that."},"finish_reason":null}]}\n\n'
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
        b'"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
    )
    double.enqueue(RawReply(200, refusal, content_type="text/event-stream"))
    term.wait_for_prompt()
    term.type_line("something else")
    term.wait_for("⊘ the model refused: the text above is its refusal")
    assert "I cannot help with that." in term.all_lines()


def test_the_toolbar_fits_80_columns_with_a_long_attachment_path(terminal, double, tmp_path):
    deep = tmp_path / "a-directory-with-a-long-name" / "and-another-one-below-it" / "screenshots"
    deep.mkdir(parents=True)
    (deep / "login-error.png").write_bytes(tiny_png())
    term = terminal(cols=80)
    term.type_line(f"/image {deep / 'login-error.png'}")
    term.wait_for("(1 for the next message)")
    term.type_line("/system answer in one sentence, please, and be precise about it")
    term.wait_for("system prompt set")
    toolbar = term.wait_for(lambda t: "login-error.png" in t.screen_lines()[-1] and t.screen_lines()[-1])
    assert toolbar.startswith(" model claude-sonnet-4-6") and " system answer in one" in toolbar
    assert "a-directory-with" not in toolbar and len(toolbar) <= 80
    assert term.screen_lines()[-2] == "" or term.screen_lines()[-2].startswith("›")  # one row, not folded


def test_clear_says_the_system_prompt_stays(terminal, double):
    term = terminal()
    term.type_line("/system be brief")
    term.wait_for("system prompt set")
    term.type_line("/clear")
    term.wait_for("the system prompt stays: 'be brief' (/system clear removes it)")


def test_the_editor_gives_the_text_back_for_review_not_to_send(terminal, double, tmp_path):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "edited in the editor" > "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    term = terminal(env={"EDITOR": str(editor), "VISUAL": str(editor)})
    term.send("draft")
    term.send("\x18\x05")  # Ctrl-X Ctrl-E
    term.wait_for_prompt("edited in the editor")
    assert double.requests == []  # back in the input line, not sent
    term.enter()
    term.wait_for(lambda t: status_count(t) == 1)
    assert double.requests[0].json["messages"][-1]["content"] == "edited in the editor"
    assert os.path.exists(editor)


def test_a_one_shot_answer_on_a_terminal_says_ctrl_c_stops_it(tmp_path, double):
    from tests.terminal import Terminal

    double.enqueue(Reply(content=" ".join(f"word{i}" for i in range(400)), stall_after=30))
    with Terminal(tmp_path, base_url=double.url, args=["tell me"]) as term:
        term.wait_for(re.compile(r"~[\d,]+ tokens · .*Ctrl-C stops"))  # no Esc: only the chat reads keys
        assert double.wait_for_stall()
        term.ctrl_c()
        assert term.wait_exit() == 130
        assert "⏹ interrupted" in term.all_lines()
