"""`!COMMAND` and `/run COMMAND` end to end: the chat in a pseudo-terminal against the double.

What a person sees (the output as it comes, one line on how it ended) and what reaches the
server (the output and the status, in the next message).
"""

from __future__ import annotations

import secrets
import signal
import termios
import time
from pathlib import Path

import pytest

from tests.double import Reply
from tests.terminal import Keys, Terminal

pytestmark = pytest.mark.e2e  # every test here starts the program

ATTACHED = "attached to your next message (/run clear drops it)"


@pytest.fixture
def chat(terminal):
    """The chat with a POSIX shell whatever the user running the tests has."""

    def start(**options) -> Terminal:
        return terminal(env={"SHELL": "/bin/sh"}, **options)

    return start


def run_line(term: Terminal, line: str, ending: str = ATTACHED) -> None:
    """Type a command line; wait until the line saying how it ended is there, and the prompt."""
    before = sum(ending in row for row in term.all_lines())
    term.type_line(line)
    term.wait_for(lambda t: sum(ending in row for row in t.all_lines()) > before)
    term.wait_for_prompt()


def send(term: Terminal, double, text: str) -> list:
    """Send a message; the content of the user message the server got."""
    count = len(double.requests)
    answer = f"answer number {count + 1}"
    double.enqueue(Reply(content=answer))
    term.type_line(text)
    term.wait_for(answer)
    term.wait_for_prompt()
    assert len(double.requests) == count + 1
    return double.requests[-1].json["messages"][-1]["content"]


def command_part(content: list) -> str:
    [typed, attached] = content
    assert typed["type"] == "text" and attached["type"] == "text"
    return attached["text"]


def toolbar(term: Terminal) -> str:
    return term.screen_lines()[-1]


def test_bang_runs_the_command_and_its_output_goes_with_the_next_message(chat, double):
    term = chat()
    run_line(term, "!echo hi; echo there >&2")
    lines = term.all_lines()
    at = lines.index("› !echo hi; echo there >&2")
    assert lines[at + 1 : at + 3] == ["hi", "there"]
    assert lines[at + 3].startswith("exit status 0 · ")
    term.wait_for(lambda t: "!echo hi; echo there >&2" in toolbar(t))

    content = send(term, double, "what does this say?")
    assert content[0] == {"type": "text", "text": "what does this say?"}
    text = command_part(content)
    assert "```sh\necho hi; echo there >&2\n```" in text
    assert "```\nhi\nthere\n```" in text and "exit status 0" in text
    # Sent once: the message after it goes without it.
    assert send(term, double, "and now?") == "and now?"


def test_slash_run_does_the_same(chat, double):
    term = chat()
    run_line(term, "/run printf 'one\\ntwo\\n'")
    assert "```\none\ntwo\n```" in command_part(send(term, double, "explain"))


def test_a_failing_command_shows_its_exit_status_and_sends_it(chat, double):
    term = chat()
    run_line(term, "!echo broken >&2; exit 3")
    assert any(line.startswith("exit status 3 · ") for line in term.all_lines())
    text = command_part(send(term, double, "why?"))
    assert "broken" in text and "exit status 3" in text


def unique_sleep() -> str:
    """A command that sleeps long and is told from any other process by its argument."""
    return f"sleep {100_000 + secrets.randbelow(900_000)}"


def gone(marker: str):
    """A condition for `wait_for`: no process runs `marker` (always true where there is no /proc)."""
    return lambda term: not Path("/proc").is_dir() or not processes_running(marker)


def processes_running(marker: str) -> list[str]:
    """Command lines of this user's processes that contain `marker` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command_line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in command_line:
                found.append(command_line)
    return found


@pytest.mark.parametrize("key", [Keys.CTRL_C, Keys.ESC], ids=["ctrl-c", "esc"])
def test_a_key_stops_the_command_not_the_chat_and_the_partial_output_is_attached(chat, double, key):
    term = chat()
    sleep = unique_sleep()
    term.type_line(f"!echo started; {sleep}")
    term.wait_for(lambda t: "started" in t.all_lines())  # its output, not the line typed
    term.wait_for(lambda t: any("running" in line and "Ctrl-C stops" in line for line in t.screen_lines()))
    term.send("typed meanwhile")
    term.wait_for("next: typed meanwhile")
    term.send(key)
    term.wait_for("⏹ stopped after")
    term.wait_for_prompt("typed meanwhile")  # nothing typed is lost
    term.wait_for(gone(sleep))
    term.send(Keys.CTRL_C)  # the chat is still there: Ctrl-C clears its line
    term.wait_for_prompt("")

    text = command_part(send(term, double, "it hung"))
    assert "```\nstarted\n```" in text and "stopped by the user" in text


def test_escape_sequences_in_the_output_never_reach_the_terminal_but_are_sent(chat, double):
    term = chat()
    since = len(term.raw)
    run_line(term, "!printf 'A\\033]0;pwned\\007B\\033[31mred\\033[0m\\n'")
    written = term.raw[since:]
    assert b"\x1b]0;pwned" not in written and b"\x1b[31mred" not in written
    assert "A␛]0;pwned␇B␛[31mred␛[0m" in term.all_lines()
    text = command_part(send(term, double, "what is this?"))
    assert "A\x1b]0;pwned\x07B\x1b[31mred\x1b[0m\n" in text


def test_output_over_1_mb_is_cut_with_a_note(chat, double):
    term = chat()
    # 1.5 MB that a terminal shows as one line (a progress bar redrawn after each carriage
    # return), so the emulated terminal is quick with it; the cut does not care.
    run_line(term, "!echo first; yes progress | tr '\\n' '\\r' | head -c 1500000; echo; echo last")
    lines = term.all_lines()
    assert "… over 1.0 MB of output: the rest is not shown" in lines
    at = lines.index("… its last 2 lines:")
    assert lines[at + 1 : at + 3] == ["progre", "last"]  # 1,500,000 bytes end in "progre"
    assert lines[at + 3].startswith("⚠ 1.4 MB of output: about its first and last 512 KB go with the")

    text = command_part(send(term, double, "summarise"))
    total = 6 + 1_500_000 + 1 + 5
    assert "```\nfirst\nprogress\rprogress\r" in text and text.count("\nlast\n```") == 1
    assert f"[… {total - 1024 * 1024:,} bytes left out …]" in text
    assert f"The output was {total:,} bytes; {total - 1024 * 1024:,} bytes in the middle were left out." in text
    assert len(text.encode()) < 1024 * 1024 + 1000


def test_a_bare_bang_or_a_missing_command_is_one_line_and_attaches_nothing(chat, double):
    term = chat()
    term.type_line("!")
    term.wait_for("error: ! needs a command to run, as in !ls -l (its output goes with your next message)")
    term.wait_for_prompt()
    term.type_line("!   ")
    term.wait_for(lambda t: sum(line.startswith("error: ! needs a command") for line in t.all_lines()) == 2)
    term.wait_for_prompt()
    run_line(term, "!no-such-command-4711", ending="nothing attached: the shell found no such command (exit status 127)")
    assert "attached" not in toolbar(term)
    assert send(term, double, "plain") == "plain"


def test_run_lists_what_is_attached_and_clear_drops_it(chat, double):
    term = chat()
    run_line(term, "!echo a")
    run_line(term, "/run echo bb")
    term.type_line("/run")
    term.wait_for("2. echo bb (3 bytes)")
    assert "1. echo a (2 bytes)" in term.all_lines()
    term.wait_for(lambda t: "2 attached" in toolbar(t))
    term.type_line("/run clear")
    term.wait_for("dropped the output of 2 commands")
    term.wait_for_prompt()
    assert send(term, double, "nothing else") == "nothing else"


def test_sigterm_while_a_command_runs_ends_both_and_restores_the_terminal(chat, double):
    term = chat()
    sleep = unique_sleep()
    term.type_line(f"!echo started; {sleep}")
    term.wait_for(lambda t: "started" in t.all_lines())  # its output, not the line typed
    term.child.kill(signal.SIGTERM)
    while term.read_available(0.1):  # until the program has exited
        pass
    local_flags = termios.tcgetattr(term.child.child_fd)[3]
    assert local_flags & termios.ECHO and local_flags & termios.ICANON
    assert term.wait_exit() == 128 + signal.SIGTERM
    deadline = time.monotonic() + 10  # the chat has gone: the condition is polled, not waited on its screen
    while not gone(sleep)(term):
        assert time.monotonic() < deadline, f"{sleep} outlived the chat"
        time.sleep(0.05)


def test_sigint_from_elsewhere_stops_the_command_not_the_chat(chat, double):
    term = chat()
    sleep = unique_sleep()
    term.type_line(f"!echo started; {sleep}")
    term.wait_for(lambda t: any("running" in line and "Ctrl-C stops" in line for line in t.screen_lines()))
    term.child.kill(signal.SIGINT)
    term.wait_for("⏹ stopped after")
    term.wait_for_prompt()
    term.wait_for(gone(sleep))
    assert "stopped by the user" in command_part(send(term, double, "still there?"))
