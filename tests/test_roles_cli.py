"""Roles one-shot: `-r NAME`, `--var`, `claudechat roles`, and the shell role piped and on a terminal.

What a role does is checked where it shows: in the request the double received (system prompt,
model, temperature, ...) and in what the program prints.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from tests.cli_helpers import CLI, assert_one_line, require_script
from tests.double import Reply, ServiceDouble
from tests.terminal import Terminal

pytestmark = pytest.mark.e2e  # every test here starts the program

CHOICES = "[r]un [e]dit [c]opy [q]uit"


@pytest.fixture(scope="module", autouse=True)
def console_script() -> Path:
    return require_script()


@pytest.fixture
def cli(tmp_path: Path, double: ServiceDouble) -> CLI:
    return CLI(root=tmp_path, token=double.token, base_url=double.url)


def write_role(cli: CLI, name: str, text: str) -> Path:
    directory = cli.config_dir / "roles"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def sent(double: ServiceDouble) -> dict:
    assert len(double.requests) == 1, double.requests
    return double.requests[0].json


def system_prompt(double: ServiceDouble) -> str | None:
    messages = sent(double)["messages"]
    return messages[0]["content"] if messages[0]["role"] == "system" else None


# --- the request a role makes -------------------------------------------------------------------


def test_a_built_in_role_is_the_system_prompt(cli, double):
    result = cli.run("-r", "shell", "list files", env={"SHELL": "/usr/bin/fish"})
    assert result.returncode == 0, result
    prompt = system_prompt(double)
    assert "one command line for fish on " in prompt and "no code fence" in prompt
    assert sent(double)["messages"][-1] == {"role": "user", "content": "list files"}


def test_a_role_file_sets_the_prompt_and_settings_over_config_and_environment(cli, double):
    cli.write_config('system = "from the config"\ntemperature = 1.0\nmodel = "claude-haiku-4-5"\n')
    write_role(cli, "review", '+++\nmodel = "claude-opus-4-6"\ntemperature = 0.2\nmax_tokens = 300\n'
               'response_format = "json"\ndescription = "review"\n+++\nReview the change.\n')
    result = cli.run("-r", "review", "look", env={"CLAUDECHAT_MODEL": "claude-sonnet-4-5"})
    assert result.returncode == 0, result
    assert result.stderr == ""
    body = sent(double)
    assert body["messages"][0] == {"role": "system", "content": "Review the change."}
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("claude-opus-4-6", 0.2, 300)
    assert body["response_format"] == {"type": "json_object"}


def test_flags_beat_the_role(cli, double):
    write_role(cli, "review", '+++\nmodel = "claude-opus-4-6"\ntemperature = 0.2\nmax_tokens = 300\n'
               'response_format = "json"\n+++\nReview the change.\n')
    result = cli.run("-r", "review", "-m", "claude-haiku-4-5", "-t", "1.5", "--max-tokens", "50",
                     "--response-format", "text", "-s", "my own prompt", "look")
    assert result.returncode == 0, result
    body = sent(double)
    assert body["messages"][0] == {"role": "system", "content": "my own prompt"}
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("claude-haiku-4-5", 1.5, 50)
    assert body["response_format"] == {"type": "text"}


def test_vars_fill_the_role_and_a_missing_one_sends_nothing(cli, double):
    write_role(cli, "lang", "Answer in {{lang}} for {{who}}.\n")
    result = cli.run("-r", "lang", "--var", "lang=Go", "--var", "who=a beginner", "hi")
    assert result.returncode == 0, result
    assert system_prompt(double) == "Answer in Go for a beginner."

    missing = cli.run("-r", "lang", "--var", "lang=Go", "hi")
    assert missing.returncode == 2
    assert assert_one_line(missing.stderr) == "claudechat: error: role 'lang' needs the variable who (give --var who=VALUE)"
    assert missing.stdout == ""
    assert len(double.requests) == 1  # nothing more was sent


@pytest.mark.parametrize(
    "args, message",
    [
        (["--var", "lang=Go", "hi"], "--var fills the {{NAME}} placeholders of a role (give the role with -r NAME)"),
        (["-r", "lang", "--var", "oops", "hi"], "--var takes NAME=VALUE, got 'oops' (e.g. --var lang=python)"),
        (["-r", "../lang", "hi"], "'../lang' is not a role name (role names are letters, digits, _ . - (at most 64); "
                                  "see claudechat roles)"),
        (["-r", "nope", "hi"], "no role 'nope' (roles: code, explain, lang, shell; a file {dir}/nope.md adds one)"),
    ],
)
def test_role_usage_errors_are_one_line_and_send_nothing(cli, double, args, message):
    write_role(cli, "lang", "Answer in {{lang}}.\n")
    result = cli.run(*args)
    assert result.returncode == 2
    expected = message.replace("{dir}", str(cli.config_dir / "roles"))
    assert assert_one_line(result.stderr) == f"claudechat: error: {expected}"
    assert double.requests == []


def test_a_template_is_the_user_message_with_the_prompt_and_piped_text_in_it(cli, double):
    cli.write_config('system = "from the config"\n')
    write_role(cli, "tr", "---\ndescription: translate\n---\nTranslate into {{to}}:\n\n{{input}}\n")
    result = cli.run("-r", "tr", "--var", "to=French", "and this", input="good morning\n")
    assert result.returncode == 0, result
    assert sent(double)["messages"] == [
        {"role": "user", "content": "Translate into French:\n\ngood morning\n\nand this"}
    ]


def test_an_unused_var_is_a_warning(cli, double):
    result = cli.run("-r", "code", "--var", "lang=go", "hi")
    assert result.returncode == 0, result
    assert assert_one_line(result.stderr) == "claudechat: warning: role 'code' has no {{lang}}; --var lang is not used"


def test_a_role_file_with_problems_warns_once_per_problem_and_still_works(cli, double):
    path = write_role(cli, "odd", '+++\ntemperature = 9\nflavour = "x"\n+++\nStill used.\n')
    result = cli.run("-r", "odd", "hi")
    assert result.returncode == 0, result
    assert result.stderr.splitlines() == [
        f"claudechat: warning: {path}:2: temperature must be a number from 0 to 2, got 9; ignored",
        f"claudechat: warning: {path}:3: unknown key 'flavour' ignored (role keys: model, temperature, max_tokens, "
        "reasoning, response_format, description)",
    ]
    assert system_prompt(double) == "Still used."
    assert "temperature" not in sent(double)


def test_a_role_file_too_big_is_refused_in_one_line(cli, double):
    write_role(cli, "big", "x" * (256 * 1024 + 1))
    result = cli.run("-r", "big", "hi")
    assert result.returncode == 2
    line = assert_one_line(result.stderr)
    assert line.startswith("claudechat: error: role 'big' cannot be used: ") and "big.md: it is over 256 KB" in line
    assert double.requests == []


# --- the shell and code roles piped ----------------------------------------------------------------


@pytest.mark.parametrize(
    "role, answer, printed",
    [
        ("shell", "```bash\nfind . -name '*.log' -mtime +7\n```", "find . -name '*.log' -mtime +7\n"),
        ("shell", "du -sh *", "du -sh *\n"),
        ("code", "```python\ndef add(a, b):\n    return a + b\n```\n", "def add(a, b):\n    return a + b\n"),
    ],
)
def test_piped_the_shell_and_code_roles_print_only_the_command_or_code(cli, double, role, answer, printed):
    double.enqueue(Reply(content=answer))
    result = cli.run("-r", role, "do it")
    assert result.returncode == 0, result
    assert result.stdout == printed
    assert CHOICES not in result.stdout + result.stderr


def test_output_json_of_the_shell_role_keeps_the_answer_whole(cli, double):
    double.enqueue(Reply(content="```sh\nls\n```"))
    result = cli.run("-r", "shell", "--output", "json", "list")
    assert result.returncode == 0, result
    assert result.json()["content"] == "```sh\nls\n```"


# --- claudechat roles ---------------------------------------------------------------------------------


def test_roles_lists_name_description_and_source(cli):
    path = write_role(cli, "review", '+++\ndescription = "review a diff"\n+++\nReview.\n')
    write_role(cli, "shell", "---\ndescription: my shell\n---\nPowerShell.\n")
    result = cli.run("roles")
    assert result.returncode == 0 and result.stderr == "", result
    rows = [line.split(None, 1)[0] for line in result.stdout.splitlines()]
    assert rows == ["code", "explain", "review", "shell"]
    lines = dict(zip(rows, result.stdout.splitlines()))
    assert lines["code"].endswith("built-in") and "code only, no prose" in lines["code"]
    home = str(cli.home)
    shown = "~" + str(path)[len(home):] if str(path).startswith(home + os.sep) else str(path)
    assert "review a diff" in lines["review"] and lines["review"].endswith(f"{shown} (user)")
    assert "my shell" in lines["shell"] and lines["shell"].endswith("shell.md (user)")


@pytest.mark.parametrize("cols", [60, 80])
def test_roles_on_a_terminal_fit_its_width(cli, double, cols):
    write_role(cli, "review", '+++\ndescription = "review a diff, bugs first, then style, then the tests it needs"\n+++\nR.\n')
    # COLUMNS would win over the terminal it runs in (.ci/run sets it): the pty alone says the width.
    term = Terminal(cli.home, base_url=double.url, args=["roles"], cols=cols, env=cli.environ(COLUMNS=None, LINES=None))
    assert term.wait_exit() == 0
    rows = [line for line in term.screen_lines() if line.strip()]
    assert [row.split(None, 1)[0] for row in rows] == ["code", "explain", "review", "shell"]
    assert all(len(row) < cols for row in rows), rows  # one row each: none wraps
    review = next(row for row in rows if row.startswith("review"))
    assert review.split()[1:3] == ["review", "a"] and "…" in review and review.endswith("/review.md (user)")


def test_roles_as_json(cli):
    path = write_role(cli, "tr", '+++\nmodel = "claude-opus-4-6"\n+++\nTranslate to {{to}}: {{input}}\n')
    result = cli.run("roles", "--output", "json")
    assert result.returncode == 0, result
    roles = {role["name"]: role for role in json.loads(result.stdout)}
    assert list(roles) == ["code", "explain", "shell", "tr"]
    assert roles["tr"] == {"name": "tr", "description": "", "source": str(path), "scope": "user",
                           "model": "claude-opus-4-6", "variables": ["to"], "template": True}
    assert roles["shell"]["source"] == roles["shell"]["scope"] == "built-in"


def test_broken_role_files_give_one_warning_each_and_the_others_are_listed(cli):
    write_role(cli, "good", "Good.\n")
    toml = write_role(cli, "toml", "+++\nmodel = = 1\n+++\n")
    big = write_role(cli, "big", "x" * (256 * 1024 + 1))
    named = write_role(cli, "bad name", "x\n")
    result = cli.run("roles")
    assert result.returncode == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["code", "explain", "good", "shell"]
    warnings = result.stderr.splitlines()
    assert len(warnings) == 3
    assert f"claudechat: warning: {big}: it is over 256 KB; keep it smaller" in warnings
    assert f"claudechat: warning: {named}: 'bad name' is not a usable name" in warnings
    assert any(line.startswith(f"claudechat: warning: {toml}:2: bad front matter") for line in warnings)
    # Asking for a good role says nothing of the broken ones.
    other = cli.run("roles", "--output", "json")
    assert len(json.loads(other.stdout)) == 4


# --- the shell role on a terminal ------------------------------------------------------------------


def one_shot(tmp_path: Path, double: ServiceDouble, *args: str, env: dict[str, str] | None = None) -> Terminal:
    return Terminal(tmp_path, base_url=double.url, args=args, env={"SHELL": "/bin/sh", **(env or {})})


def test_on_a_terminal_r_runs_the_command_and_exits_with_its_status(tmp_path, double):
    double.enqueue(Reply(content="echo ran-$((6 * 7)); exit 3"))
    term = one_shot(tmp_path, double, "-r", "shell", "say 42")
    term.wait_for(CHOICES)
    term.send("r")
    assert term.wait_exit() == 3
    lines = term.all_lines()
    assert "ran-42" in lines
    assert any(line.startswith(CHOICES) and line.endswith("run") for line in lines)


def test_on_a_terminal_e_edits_the_command_then_asks_again(tmp_path, double):
    double.enqueue(Reply(content="echo one"))
    term = one_shot(tmp_path, double, "-r", "shell", "say one")
    term.wait_for(CHOICES)
    term.send("e")
    term.wait_for("edit › echo one")
    term.send(" two")
    term.enter()
    term.wait_for(lambda t: sum(CHOICES in line for line in t.all_lines()) == 2)
    term.send("r")
    assert term.wait_exit() == 0
    assert "one two" in term.all_lines()


def fake_clipboard(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A `pbcopy` first on PATH that keeps what it is given, and no display or tmux to prefer another."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    copied = tmp_path / "copied.txt"
    program = bin_dir / "pbcopy"
    program.write_text(f"#!/bin/sh\ncat > '{copied}'\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "DISPLAY": "", "WAYLAND_DISPLAY": "", "TMUX": ""}
    return env, copied


def test_on_a_terminal_c_copies_the_command(tmp_path, double):
    env, copied = fake_clipboard(tmp_path)
    double.enqueue(Reply(content="```sh\ntouch not-run\n```"))
    term = one_shot(tmp_path, double, "-r", "shell", "make a file", env=env)
    term.wait_for(CHOICES)
    term.send("c")
    assert term.wait_exit() == 0
    assert copied.read_text() == "touch not-run"
    assert b"\x1b]52;c;" + base64.b64encode(b"touch not-run") + b"\x07" in term.raw
    assert not (tmp_path / "not-run").exists()
    assert any("copied the command (terminal (OSC 52), pbcopy)" in line for line in term.all_lines())


@pytest.mark.parametrize("key", ["q", "\x1b", "\x03"])
def test_on_a_terminal_q_esc_and_ctrl_c_do_nothing(tmp_path, double, key):
    double.enqueue(Reply(content="touch ran"))
    term = one_shot(tmp_path, double, "-r", "shell", "make a file")
    term.wait_for(CHOICES)
    term.send("x")  # not a choice: nothing happens
    term.send(key)
    assert term.wait_exit() == 0
    assert not (tmp_path / "ran").exists()
    assert any(line.startswith(CHOICES) and line.endswith("quit") for line in term.all_lines())
