"""The interactive chat end to end: the installed program in a pseudo-terminal, read through pyte.

Each test drives the chat with key presses against the local service double and asserts on
what a person would see on the screen and in the scrollback, and on what reached the server.
"""

from __future__ import annotations

import io
import os
import re
import signal
import termios
from collections import Counter

import pytest
from rich.console import Console

from claudechat import __version__
from claudechat.render.markdown import SafeMarkdown
from tests.bench.corpus import markdown_answer
from tests.double import DEFAULT_TRACE_ID, ErrorReply, Reply
from tests.terminal import Keys, Terminal, STATUS_LINE

pytestmark = pytest.mark.e2e  # every test here starts the program

MODEL = "claude-sonnet-4-6"
THINKING_MODEL = "x-thinking"
# The line after every answer: model, tokens when known, seconds, then optional parts.
STATUS = STATUS_LINE
SPINNER_CHARS = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_WORDS = ("amber", "basalt", "cobalt", "dune", "ember", "fjord", "garnet", "heron", "indigo", "juniper", "kelp", "lichen")
REASONING = [f"Reasoning step {i}: weigh the {word} option carefully." for i, word in enumerate(_WORDS, start=1)]
# Paragraphs: each step stays on a row of its own when the reasoning is drawn as Markdown.
REASONING_TEXT = "\n\n".join(REASONING) + "\n"




def rendered(markdown: str, width: int = 100) -> list[str]:
    """The rows rich draws for the whole answer at `width`, right-stripped, without trailing blanks."""
    console = Console(width=width, color_system=None, file=io.StringIO())
    console.print(SafeMarkdown(markdown))
    lines = [line.rstrip() for line in console.file.getvalue().split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def status_lines(term: Terminal) -> list[str]:
    return [line for line in term.all_lines() if STATUS.match(line)]


def wait_for_answer(term: Terminal, answers: int = 1, timeout: float = 10) -> None:
    """Until `answers` status lines are in the terminal and the prompt is back, empty."""
    term.wait_for(lambda t: len(status_lines(t)) >= answers, timeout)
    term.wait_for_prompt(timeout=timeout)


def toolbar(term: Terminal) -> str:
    return term.screen_lines()[-1]


def input_line(term: Terminal) -> str:
    """The input once the prompt is drawn whole: its toolbar at the bottom, the cursor in the input."""

    def drawn(t: Terminal) -> tuple[str] | None:
        text = t.prompt_input()
        return (text,) if text is not None and toolbar(t).startswith(" model ") else None

    return term.wait_for(drawn)[0]


def usage(prompt: int, completion: int) -> dict:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def user_and_assistant(request) -> list[tuple[str, str]]:
    return [(message["role"], message["content"]) for message in request.json["messages"]]


def wait_for_output_and_prompt(term: Terminal, marker: bytes, since: int) -> str:
    """Until `marker` is written after byte `since` and the prompt is back; all output, decoded.

    Synchronised on the bytes, not the screen: a control sequence that got through may leave
    the emulated screen unusable. The prompt is back when prompt_toolkit turns bracketed
    paste on again. Decoding is strict: a stray C1 byte fails it.
    """
    term.wait_for_raw(b"\x1b[?2004h", since=term.wait_for_raw(marker, since=since))
    return term.raw.decode("utf-8")


def leaks(output: str, *forbidden: str) -> dict[str, str]:
    """Each forbidden sequence found in `output`, with the text around its first occurrence."""
    found = {}
    for sequence in forbidden:
        at = output.find(sequence)
        if at != -1:
            found[sequence] = output[max(0, at - 30) : at + 30]
    return found


def spinner_lines(term: Terminal) -> list[str]:
    return [line for line in term.all_lines() if "Waiting for" in line or (line[:1] and line[0] in SPINNER_CHARS)]


# --- answers on the screen --------------------------------------------------------------


def long_code_answer() -> str:
    body = "\n".join(f"    total += step_{i}(value)  # line {i}" for i in range(1, 121))
    return f"Here is the code:\n\n```python\ndef run(value):\n    total = 0\n{body}\n    return total\n```\n\nThat is all.\n"


ANSWERS = {
    "markdown-4": (lambda: markdown_answer(9000), 4),
    "markdown-61": (lambda: markdown_answer(9000), 61),
    "long-code-block": (long_code_answer, 7),
}


@pytest.mark.parametrize("kind", ANSWERS)
def test_a_long_answer_is_shown_whole_once_and_in_order(terminal, double, kind):
    make, delta_size = ANSWERS[kind]
    answer = make()
    expected = rendered(answer)
    assert len(expected) > 3 * 30  # more than three screens
    double.enqueue(Reply(content=answer, delta_size=delta_size))
    term = terminal()
    term.type_line("tell me everything")
    wait_for_answer(term)

    lines = term.all_lines()
    assert lines.count(expected[0]) == 1, term.dump()
    start = lines.index(expected[0])
    shown = lines[start : start + len(expected)]
    assert shown == expected
    # Nothing of the answer is drawn twice anywhere (a block committed twice, a live frame
    # left behind): every row appears as often as in the answer rendered whole.
    counts = Counter(lines)
    repeated = {line: n for line, n in Counter(expected).items() if line.strip() and counts[line] != n}
    assert repeated == {}
    after = [line for line in lines[start + len(expected) :] if line]
    assert STATUS.match(after[0]), after[:2]
    assert spinner_lines(term) == []


def test_code_blocks_show_their_language_and_the_number_copy_takes(tmp_path, terminal, double):
    clipboard = tmp_path / "clipboard.txt"
    xclip = tmp_path / "bin" / "xclip"
    xclip.parent.mkdir()
    xclip.write_text(f'#!/bin/sh\ncat > "{clipboard}"\n')
    xclip.chmod(0o755)
    answer = "Two snippets:\n\n```python\nprint('one')\n```\n\nand\n\n```sh\necho two\n```\n"
    double.enqueue(Reply(content=answer, delta_size=3))
    env = {"PATH": f"{xclip.parent}:{os.environ['PATH']}", "DISPLAY": ":0", "WAYLAND_DISPLAY": "", "TMUX": ""}
    term = terminal(env=env)
    term.type_line("code please")
    wait_for_answer(term)
    lines = term.all_lines()
    start = lines.index("Two snippets:")
    assert lines[start : start + 11] == [
        "Two snippets:",
        "",
        "╭─ python " + "─" * 85 + " #1 ─",  # the terminal is 100 columns wide
        "print('one')",
        "╰" + "─" * 99,
        "",
        "and",
        "",
        "╭─ sh " + "─" * 89 + " #2 ─",
        "echo two",
        "╰" + "─" * 99,
    ]
    term.type_line("/copy 2")
    term.wait_for("copied code block 2 of 2")
    term.wait_for_prompt()
    assert clipboard.read_text() == "echo two\n"


def test_the_spinner_waits_for_the_first_token_and_leaves_no_trace(terminal, double):
    double.enqueue(Reply(content="A short answer.", stall_after=0))
    term = terminal()
    term.type_line("hello")
    term.wait_for(f"Waiting for {MODEL}")
    assert double.wait_for_stall()
    term.ctrl_c()
    term.wait_for("interrupted before the answer began")
    term.wait_for_prompt("hello")  # nothing came back: the message is back in the input line
    assert spinner_lines(term) == []
    assert status_lines(term) == []


# --- reasoning ----------------------------------------------------------------------------


def test_reasoning_collapses_to_one_line_and_think_expands_it(terminal, double):
    double.enqueue(Reply(content="The answer is 42.", reasoning=REASONING_TEXT))
    term = terminal("-m", THINKING_MODEL)
    term.type_line("what is the answer?")
    wait_for_answer(term)
    lines = term.all_lines()
    summaries = [line for line in lines if line.startswith("▸ Thought for")]
    words = len(REASONING_TEXT.split())
    assert len(summaries) == 1 and f"· {words} words  (/think to expand)" in summaries[0]
    assert lines.index(summaries[0]) < lines.index("The answer is 42.")
    assert [line for line in lines if "Reasoning step" in line] == []

    term.type_line("/think")
    term.wait_for(REASONING[-1])
    term.wait_for_prompt()
    lines = term.all_lines()
    for step in REASONING:
        assert sum(step in line for line in lines) == 1, step
    panel = next(line for line in lines if REASONING[0] in line)
    assert panel.startswith("│") and panel.endswith("│")
    assert any(line.startswith("╭─ Reasoning") for line in lines)


def test_the_live_reasoning_panel_shows_the_latest_lines_and_is_erased(terminal, double):
    # The stream stops after the reasoning, before any answer text: the panel stays live.
    double.enqueue(Reply(content="never shown", reasoning=REASONING_TEXT, stall_after=0))
    term = terminal("-m", THINKING_MODEL)
    term.type_line("think hard")
    term.wait_for(REASONING[-1])
    assert double.wait_for_stall()
    screen = term.screen_lines()
    assert any(line.startswith("╭─ Thinking ·") for line in screen)
    assert not any(REASONING[0] in line for line in screen)  # only the latest lines are live
    term.esc()
    term.wait_for("interrupted before the answer began")
    term.wait_for_prompt("think hard")
    lines = term.all_lines()
    assert [line for line in lines if "Reasoning step" in line] == []
    assert not any("Thinking ·" in line for line in lines)
    assert sum(line.startswith("▸ Thought for") for line in lines) == 1


def test_reasoning_hidden_then_expanded(terminal, double):
    double.enqueue(
        Reply(content="First answer.", reasoning=REASONING_TEXT),
        Reply(content="Second answer.", reasoning=REASONING_TEXT),
    )
    term = terminal("-m", THINKING_MODEL)
    term.type_line("/reasoning hidden")
    term.wait_for("reasoning is now hidden")
    term.wait_for_prompt()
    term.type_line("one")
    wait_for_answer(term)
    lines = term.all_lines()
    assert "First answer." in lines
    assert not any("Thought for" in line or "Reasoning step" in line for line in lines)

    term.type_line("/reasoning expanded")
    term.wait_for("reasoning is now expanded")
    term.wait_for_prompt()
    term.type_line("two")
    wait_for_answer(term, answers=2)
    lines = term.all_lines()
    for step in REASONING:
        assert sum(step in line for line in lines) == 1, step
    assert lines.index(next(line for line in lines if REASONING[-1] in line)) < lines.index("Second answer.")
    assert not any("Thought for" in line for line in lines)


# --- stopping an answer ----------------------------------------------------------------


@pytest.mark.parametrize("key", [Keys.CTRL_C, Keys.ESC], ids=["ctrl-c", "esc"])
def test_a_key_stops_the_answer_and_keeps_the_partial_text(terminal, double, key):
    content = " ".join(f"word{i}" for i in range(600))
    double.enqueue(Reply(content=content, stall_after=40), Reply(content="second answer"))
    term = terminal()
    term.type_line("first")
    seen = content[: 40 * 4].rsplit(" ", 1)[0]  # the last whole word before the stall
    term.wait_for(seen.rsplit(" ", 1)[1])
    assert double.wait_for_stall()
    term.send(key)
    term.wait_for("⏹ interrupted · the partial answer is kept")
    term.wait_for_prompt()
    assert double.wait_for_disconnect()  # the connection is closed, not left to finish
    lines = term.all_lines()
    interrupted_at = lines.index("⏹ interrupted · the partial answer is kept")
    assert STATUS.match(lines[interrupted_at + 1])

    term.type_line("second")
    term.wait_for("second answer")
    term.wait_for_prompt()
    assert len(double.requests) == 2
    messages = user_and_assistant(double.requests[1])
    assert [role for role, _ in messages] == ["user", "assistant", "user"]
    assert messages[0] == ("user", "first") and messages[2] == ("user", "second")
    partial = messages[1][1]
    assert content.startswith(partial) and partial.startswith(seen) and len(partial) < len(content)


def test_an_answer_stopped_inside_a_long_code_block_is_left_whole(terminal, double):
    answer = long_code_answer()
    stall, delta_size = 400, 7
    partial = answer[: stall * delta_size]
    assert partial.count("\n") > 2 * 30 and "```\n" not in partial.split("```python", 1)[1]
    double.enqueue(Reply(content=answer, delta_size=delta_size, stall_after=stall))
    term = terminal()
    term.type_line("code please")
    last_line = partial.rsplit("\n", 2)[-2].strip()
    term.wait_for(last_line)
    assert double.wait_for_stall()
    # The open block is live: only its end is on the screen, nothing of it in the scrollback yet.
    assert not any("# line 1" == line.strip()[-8:] for line in term.history_lines())
    term.ctrl_c()
    term.wait_for("⏹ interrupted · the partial answer is kept")
    term.wait_for_prompt()
    expected = rendered(partial)
    lines = term.all_lines()
    start = lines.index(expected[0])
    assert lines[start : start + len(expected)] == expected
    counts = Counter(lines)
    assert {line: n for line, n in Counter(expected).items() if line.strip() and counts[line] != n} == {}


@pytest.mark.parametrize("stall_after", [40, 0], ids=["after-some-text", "before-the-answer-began"])
def test_text_typed_while_an_answer_streams_starts_the_next_message(terminal, double, stall_after):
    content = " ".join(f"word{i}" for i in range(600))
    double.enqueue(Reply(content=content, stall_after=stall_after), Reply(content="next answer"))
    term = terminal()
    term.type_line("first")
    term.wait_for("word10" if stall_after else "Waiting for")
    assert double.wait_for_stall()
    term.send("next question")
    term.esc()
    term.wait_for("⏹ interrupted")
    typed = input_line(term)
    assert "next question" in typed  # no keystroke is lost
    if not stall_after:  # nothing came back: the unsent message is back too, then what was typed
        assert typed.index("first") < typed.index("next question")
    rows = [line for line in term.all_lines() if "next question" in line]
    assert len(rows) == 1 and rows[0].startswith("› ")  # only in the input line, not in the output


def test_multi_turn_sends_the_whole_conversation(terminal, double):
    double.enqueue(
        Reply(content="Paris is the capital.", usage=usage(1200, 34)),
        Reply(content="About two million.", usage=usage(1300, 5)),
    )
    term = terminal()
    term.wait_for(lambda t: "/help · Ctrl-D exits" in toolbar(t) and " spent " not in toolbar(t))
    term.type_line("capital of France?")
    wait_for_answer(term)
    assert status_lines(term)[0].startswith(f"{MODEL} · 1,200 → 34 tokens · ")
    term.wait_for(lambda t: " spent 1,234 tokens " in toolbar(t))
    term.type_line("population?")
    wait_for_answer(term, answers=2)
    term.wait_for(lambda t: " spent 2,539 tokens " in toolbar(t))
    assert len(double.requests) == 2
    assert user_and_assistant(double.requests[0]) == [("user", "capital of France?")]
    assert user_and_assistant(double.requests[1]) == [
        ("user", "capital of France?"),
        ("assistant", "Paris is the capital."),
        ("user", "population?"),
    ]
    lines = term.all_lines()
    assert lines.index("Paris is the capital.") < lines.index("› population?") < lines.index("About two million.")


# --- typing ----------------------------------------------------------------------------


def test_a_pasted_block_is_one_message(terminal, double):
    pasted = "line one\nline two\nline three"
    term = terminal()
    term.paste(pasted)
    term.wait_for_prompt(pasted)
    assert double.requests == []  # the newlines in the paste did not send it
    term.enter()
    wait_for_answer(term)
    assert len(double.requests) == 1
    assert user_and_assistant(double.requests[0])[-1] == ("user", pasted)


@pytest.mark.parametrize("newline", [Keys.ALT_ENTER, Keys.CTRL_J], ids=["alt-enter", "ctrl-j"])
def test_new_line_keys_make_a_multi_line_message(terminal, double, newline):
    term = terminal()
    term.send("first" + newline + "second" + newline + "third")
    term.wait_for_prompt("first\nsecond\nthird")
    assert double.requests == []
    term.enter()
    wait_for_answer(term)
    assert len(double.requests) == 1
    assert user_and_assistant(double.requests[0]) == [("user", "first\nsecond\nthird")]


@pytest.mark.parametrize("leave", ["/exit", "/quit", Keys.CTRL_D], ids=["exit", "quit", "ctrl-d"])
def test_leaving_the_chat_exits_0(terminal, double, leave):
    term = terminal()
    term.send(leave if leave == Keys.CTRL_D else leave + Keys.ENTER)
    assert term.wait_exit() == 0
    assert double.requests == []


def test_ctrl_c_at_the_prompt_clears_the_line_and_ctrl_d_exits(terminal, double):
    term = terminal()
    banner = term.all_lines()[0]
    assert banner.startswith("claudechat ") and f" · {MODEL} · 127.0.0.1:{double.port} · " in banner
    term.send("never sent")
    term.wait_for_prompt("never sent")
    term.ctrl_c()
    term.wait_for_prompt("")
    assert term.prompt_row() == "›"
    term.enter()  # an empty line sends nothing either
    assert term.close() == 0
    assert double.requests == []


def test_input_history_persists_between_sessions(tmp_path, terminal, double):
    term = terminal()
    term.type_line("remember me")
    wait_for_answer(term)
    assert term.close() == 0
    assert "remember me" in (tmp_path / "data" / "claudechat" / "history").read_text()

    again = terminal()
    assert again.prompt_input() == ""
    again.up()
    again.wait_for_prompt("remember me")


# --- failures and hostile answers -------------------------------------------------------


def test_a_failed_turn_puts_the_text_back_and_leaves_no_trace(terminal, double):
    double.enqueue(
        Reply(content="first answer"), ErrorReply(500, "api_error", "boom"), Reply(content="second answer")
    )
    term = terminal()
    term.type_line("hello")
    wait_for_answer(term)
    term.type_line("please work")
    term.wait_for("error:")
    term.wait_for_prompt("please work")
    text = " ".join(term.all_lines())
    error = text[text.index("error:") :]
    assert "boom" in error and DEFAULT_TRACE_ID in error
    assert len(status_lines(term)) == 1

    term.enter()
    term.wait_for("second answer")
    term.wait_for_prompt()
    assert len(double.requests) == 3
    assert user_and_assistant(double.requests[2]) == [
        ("user", "hello"),
        ("assistant", "first answer"),
        ("user", "please work"),
    ]


def test_control_sequences_in_an_answer_never_reach_the_terminal(terminal, double):
    hostile = (
        "clip \x1b]52;c;SGVsbG8=\x07 title \x1b]0;pwned\x07 clear \x1b[2J home \x1b[H c1 \x9b31m "
        "nul \x00 bs ab\x08\x08XY cr hidden\roverwrite rlo \u202eevil [bold]x[/bold] <script>alert(1)</script> end"
    )
    double.enqueue(Reply(content=hostile, delta_size=3))
    term = terminal()
    sent = len(term.raw)
    term.type_line("hi")
    output = wait_for_output_and_prompt(term, b"alert(1)", since=sent)
    assert leaks(output, "\x1b]", "\x1b[2J", "\x1b[H", "\x07", "\x00", "\u202e", "\x9b") == {}
    visible = " ".join(term.screen_lines())
    for shown in ("clip ␛]52;c;SGVsbG8=␇", "title ␛]0;pwned␇", "␛[2J", "␛[H", "␀", "ab␈␈XY", "hidden", "overwrite",
                  "[bold]x[/bold]", "<script>alert(1)</script>", "end"):
        assert shown in visible, shown
    assert term.all_lines()[0].startswith("claudechat ")  # nothing cleared the screen


def test_the_status_line_shows_the_servers_model_and_finish_reason_safely(terminal, double):
    model = "evil\x1b]0;pwned\x07\x1b[2J-model"
    double.enqueue(Reply(content="fine", model=model, finish_reason="length\x1b[H\u202e"))
    term = terminal()
    sent = len(term.raw)
    term.type_line("hi")
    output = wait_for_output_and_prompt(term, b"fine", since=sent)
    assert leaks(output, "\x1b]", "\x1b[2J", "\x1b[H", "\x07", "\u202e") == {}
    status = next(line for line in term.all_lines() if line.startswith("evil"))
    assert status.startswith("evil␛]0;pwned␇␛[2J-model · ") and status.endswith(" · finish: length␛[H\ufffd")


def test_think_shows_the_reasoning_safely(terminal, double):
    reasoning = "plan \x1b]52;c;SGVsbG8=\x07 then \x1b[2J\x1b[H and \u202eflip"
    double.enqueue(Reply(content="done", reasoning=reasoning))
    term = terminal("-m", THINKING_MODEL)
    term.type_line("hi")
    wait_for_answer(term)
    sent = len(term.raw)
    term.type_line("/think")
    output = wait_for_output_and_prompt(term, b" Reasoning ", since=sent)
    assert leaks(output, "\x1b]", "\x1b[2J", "\x1b[H", "\x07", "\u202e") == {}
    assert any("plan ␛]52;c;SGVsbG8=␇ then ␛[2J␛[H and \ufffdflip" in line for line in term.all_lines())


# --- commands --------------------------------------------------------------------------


def test_help_lists_the_commands_and_an_unknown_one_gets_a_suggestion(terminal, double):
    term = terminal()
    term.type_line("/help")
    # Not "Ctrl-D exits": the toolbar shows it before /help has printed anything.
    term.wait_for(lambda t: any(line.startswith("/help [COMMAND]") for line in t.all_lines()))
    term.wait_for_prompt()
    lines = term.all_lines()
    for command in ("/think [N]", "/reasoning [MODE]", "/theme [NAME]", "/exit", "/help [COMMAND]"):
        assert any(line.startswith(command) for line in lines), command

    term.type_line("/thnik")
    term.wait_for("error:")
    term.wait_for_prompt()
    assert "error: unknown command /thnik (did you mean /think?)" in term.all_lines()
    assert double.requests == []


def test_tab_completes_command_names(terminal):
    term = terminal()
    term.send("/th")
    term.wait_for_prompt("/th")
    term.tab()
    term.wait_for_prompt("/theme")  # the first completion is taken into the line

    def menu(t: Terminal) -> list[str]:
        return [line.split()[0] for line in t.screen_lines() if re.match(r"^\s+/th\w+\s+\S", line)]

    assert term.wait_for(lambda t: menu(t) == ["/theme", "/think"])
    term.enter()  # takes the completion and closes the menu; sends nothing
    term.wait_for(lambda t: menu(t) == [] and t.prompt_input() == "/theme")
    assert not any(line.startswith("themes:") for line in term.all_lines())
    term.enter()
    term.wait_for("themes:")
    term.wait_for_prompt()


def test_theme_lists_and_switches(terminal, double):
    term = terminal()
    term.type_line("/theme")
    term.wait_for("themes:")
    term.wait_for_prompt()
    listing = next(line for line in term.all_lines() if line.startswith("themes:")).split()[1:]
    assert listing == ["[dark]", "gruvbox", "high-contrast", "light", "monochrome", "solarized-dark"]
    term.type_line("/theme light")
    term.wait_for("theme is now light")
    term.wait_for_prompt()
    term.type_line("/theme")
    term.wait_for(lambda t: sum(line.startswith("themes:") for line in t.all_lines()) == 2)
    term.wait_for_prompt()
    assert [line for line in term.all_lines() if line.startswith("themes:")][-1].split()[4] == "[light]"


# --- the window changes size -----------------------------------------------------------


def test_resizing_while_an_answer_streams_draws_each_block_once(terminal, double):
    answer = markdown_answer(40000, seed=11)
    headings = [line for line in answer.splitlines() if line.startswith("## Part ")]
    assert len(headings) > 10
    double.enqueue(Reply(content=answer, delta_size=2))
    term = terminal()
    term.type_line("a long one")
    term.wait_for("Part 1:")
    term.resize(30, 120)
    term.wait_for("Part 3:")
    term.resize(40, 120)
    wait_for_answer(term, timeout=30)

    lines = term.all_lines()
    assert len(status_lines(term)) == 1
    assert spinner_lines(term) == []
    for heading in headings:
        title = heading.removeprefix("## ")
        assert sum(title in line for line in lines) == 1, title
    # The part drawn after the resize uses the new width.
    after = lines[next(i for i, line in enumerate(lines) if "Part 3:" in line) :]
    assert max(len(line) for line in after) > 100


@pytest.mark.parametrize("moment", ["at-the-prompt", "mid-answer"])
def test_sigterm_leaves_the_terminal_as_it_was(terminal, double, moment):
    term = terminal()
    term.wait_for_prompt()
    if moment == "mid-answer":
        double.enqueue(Reply(content=" ".join(f"word{i}" for i in range(600)), stall_after=40))
        term.type_line("first")
        term.wait_for("word10")
        assert double.wait_for_stall()
    term.child.kill(signal.SIGTERM)
    while term.read_available(0.1):  # until the program has exited
        pass
    # The pty keeps the settings its last user left; the shell gets echo and line editing back.
    local_flags = termios.tcgetattr(term.child.child_fd)[3]
    assert local_flags & termios.ECHO and local_flags & termios.ICANON
    assert term.wait_exit() == 128 + signal.SIGTERM
    if moment == "mid-answer":
        assert "⏹ interrupted · the partial answer is kept" in term.all_lines()
        assert double.wait_for_disconnect()


@pytest.mark.parametrize("cols", [40, 60])
def test_the_banner_keeps_to_one_row_of_a_narrow_terminal(tmp_path, double, cols):
    model = "claude-opus-4-20250514-thinking"
    term = Terminal(tmp_path, base_url=double.url, args=["-m", model], cols=cols)
    try:
        term.wait_for_prompt()
        rows = term.all_lines()
        assert rows[0].startswith(f"claudechat {__version__} · claude-opus") and len(rows[0]) < cols
        assert rows[1].startswith("›")  # nothing of the banner spilled into a second row
        assert "/help for commands" not in rows[0]  # the hint gives way first
    finally:
        term.kill()
