"""Roles in the chat, in a pseudo-terminal against the double: `-r`, `/role`, the shell role's
`[r]un [e]dit [c]opy [q]uit`, and a session keeping its role across `-c`."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from claudechat.roles import builtin_roles
from tests.double import Reply, ServiceDouble
from tests.terminal import Terminal

pytestmark = pytest.mark.e2e  # every test here starts the program

CHOICES = "[r]un [e]dit [c]opy [q]uit"
ATTACHED = "attached to your next message (/run clear drops it)"


@pytest.fixture
def chat(terminal):
    """The chat with a POSIX shell whatever the user running the tests has."""

    def start(*args: str, env: dict[str, str] | None = None) -> Terminal:
        return terminal(*args, env={"SHELL": "/bin/sh", **(env or {})})

    return start


def toolbar(term: Terminal) -> str:
    return term.screen_lines()[-1]


def ask_for_command(term: Terminal, double: ServiceDouble, command: str) -> None:
    """Send a question; the answer is `command`; wait for the choice under it."""
    before = sum(CHOICES in line for line in term.all_lines())
    double.enqueue(Reply(content=command))
    term.type_line("a question")
    term.wait_for(lambda t: sum(CHOICES in line for line in t.all_lines()) > before)


def send(term: Terminal, double: ServiceDouble, text: str, *, offered: bool = False) -> dict:
    """Send a message answered plainly (`offered`: under the shell role, the choice is left with
    q); the request the double got."""
    count = len(double.requests)
    answer = f"plain answer {count + 1}"
    double.enqueue(Reply(content=answer))
    term.type_line(text)
    term.wait_for(answer)
    if offered:
        term.wait_for(lambda t: CHOICES in t.screen_lines()[t.screen.cursor.y])
        term.send("q")
    term.wait_for_prompt()
    assert len(double.requests) == count + 1
    return double.requests[-1].json


def system_of(request: dict) -> str | None:
    first = request["messages"][0]
    return first["content"] if first["role"] == "system" else None


def test_the_shell_role_answer_runs_with_r_and_its_output_goes_with_the_next_message(chat, double):
    term = chat("-r", "shell")
    assert any("role shell" in line for line in term.all_lines()[:2])  # the banner
    term.wait_for(lambda t: "role shell" in toolbar(t))
    ask_for_command(term, double, "echo hello-$((1 + 1))")
    assert "one command line for sh on " in system_of(double.requests[0].json)
    term.send("r")
    term.wait_for(ATTACHED)
    term.wait_for_prompt()
    lines = term.all_lines()
    assert "hello-2" in lines
    assert any(line.startswith(CHOICES) and line.endswith("run") for line in lines)

    request = send(term, double, "what did it say?", offered=True)
    [typed, output] = request["messages"][-1]["content"]
    assert typed == {"type": "text", "text": "what did it say?"}
    assert "echo hello-$((1 + 1))" in output["text"] and "hello-2" in output["text"]


def test_the_shell_role_answer_goes_to_the_input_line_with_e(chat, double):
    term = chat("-r", "shell")
    ask_for_command(term, double, "```sh\necho edited\n```")
    term.send("e")
    term.wait_for_prompt("!echo edited")
    term.send(" twice")
    term.enter()
    term.wait_for(ATTACHED)
    assert "edited twice" in term.all_lines()
    assert len(double.requests) == 1  # ran in the shell, not sent


def test_the_shell_role_answer_is_copied_with_c(chat, double, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    copied = tmp_path / "copied.txt"
    program = bin_dir / "pbcopy"
    program.write_text(f"#!/bin/sh\ncat > '{copied}'\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "DISPLAY": "", "WAYLAND_DISPLAY": "", "TMUX": ""}
    term = chat("-r", "shell", env=env)
    ask_for_command(term, double, "touch copied-only")
    term.send("c")
    term.wait_for("copied the command (terminal (OSC 52), pbcopy)")
    term.wait_for_prompt()
    assert copied.read_text() == "touch copied-only"
    assert b"\x1b]52;c;" + base64.b64encode(b"touch copied-only") + b"\x07" in term.raw
    assert not (tmp_path / "copied-only").exists()


@pytest.mark.parametrize("key", ["q", "\x1b", "\x03"])
def test_the_shell_role_answer_is_left_alone_with_q_esc_or_ctrl_c(chat, double, tmp_path, key):
    term = chat("-r", "shell")
    ask_for_command(term, double, "touch never-run")
    term.send("z")  # not a choice: ignored
    term.send(key)
    term.wait_for_prompt()
    assert any(line.startswith(CHOICES) and line.endswith("quit") for line in term.all_lines())
    assert not (tmp_path / "never-run").exists()
    assert "attached" not in toolbar(term)
    assert send(term, double, "next", offered=True)["messages"][-1]["content"] == "next"


def test_role_switches_and_none_drops_it(chat, double, tmp_path):
    roles = tmp_path / "config" / "claudechat" / "roles"
    roles.mkdir(parents=True)
    (roles / "pirate.md").write_text('+++\ntemperature = 1.5\n+++\nTalk like a pirate about {{topic}}.\n')
    term = chat()
    assert system_of(send(term, double, "one")) is None

    term.type_line("/role explain")
    term.wait_for("role is now explain")
    term.wait_for(lambda t: "role explain" in toolbar(t))
    request = send(term, double, "two")
    assert system_of(request) == builtin_roles()["explain"].prompt

    term.type_line("/role pirate topic=ships")
    term.wait_for("role is now pirate (temperature 1.5)")
    request = send(term, double, "three")
    assert system_of(request) == "Talk like a pirate about ships."
    assert request["temperature"] == 1.5

    term.type_line("/role none")
    term.wait_for("role pirate dropped")
    term.wait_for(lambda t: "role" not in toolbar(t))
    request = send(term, double, "four")
    assert system_of(request) is None and "temperature" not in request


def test_tab_completes_a_role_name(chat, double):
    term = chat()
    term.send("/role exp")
    term.wait_for_prompt("/role exp")
    term.tab()
    term.wait_for_prompt("/role explain")
    term.enter()  # takes the completion
    term.wait_for(lambda t: t.prompt_input() == "/role explain" and "explain" not in " ".join(t.screen_lines()[t.screen.cursor.y + 1 : -1]))
    term.enter()
    term.wait_for("role is now explain")


def test_a_session_keeps_its_role_across_continue(tmp_path, double, chat):
    term = chat("-r", "code")
    request = send(term, double, "first")
    code_prompt = builtin_roles()["code"].prompt
    assert system_of(request) == code_prompt
    assert term.close() == 0

    again = chat("-c")
    assert any("role code" in line for line in again.all_lines()[:3])
    again.wait_for(lambda t: "role code" in toolbar(t))
    request = send(again, double, "second")
    assert system_of(request) == code_prompt
    assert [m["content"] for m in request["messages"][1:]] == ["first", "plain answer 1", "second"]
    assert again.close() == 0

    double.enqueue(Reply(content="plain answer 3"))
    oneshot = Terminal(tmp_path, base_url=double.url, args=["-c", "third"], env={"SHELL": "/bin/sh"})
    assert oneshot.wait_exit() == 0
    assert system_of(double.requests[-1].json) == code_prompt


def test_a_template_role_is_refused_for_the_chat(tmp_path, double):
    roles = tmp_path / "config" / "claudechat" / "roles"
    roles.mkdir(parents=True)
    (roles / "tr.md").write_text("Translate: {{input}}\n")
    term = Terminal(tmp_path, base_url=double.url, args=["-r", "tr"])
    assert term.wait_exit() == 2
    assert "claudechat: error: role 'tr' is a template for one question ({{input}} in it) " \
           "(ask with claudechat -r tr \"...\")" in term.text().replace("\n", "")
    assert double.requests == []


def test_continuing_with_another_role_takes_it_on(tmp_path, double, chat):
    term = chat("-r", "code")
    send(term, double, "first")
    assert term.close() == 0
    double.enqueue(Reply(content="plain answer 2"))
    oneshot = Terminal(tmp_path, base_url=double.url, args=["-c", "-r", "explain", "second"])
    assert oneshot.wait_exit() == 0
    assert system_of(double.requests[-1].json) == builtin_roles()["explain"].prompt

    again = chat("-c")
    assert any("role explain" in line for line in again.all_lines()[:3])
    assert system_of(send(again, double, "third")) == builtin_roles()["explain"].prompt
