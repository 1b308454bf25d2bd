"""`/run` and `!` in-process: what gets attached, listed and dropped, and how output is drawn.

The commands run in /bin/sh (no Python process is started); the pseudo-terminal tests in
test_run_terminal.py check the same end to end, keys included.
"""

from __future__ import annotations

import asyncio
import io
import re

import pytest
from rich.console import Console

from claudechat.chat.attachments import TextAttachment
from claudechat.render.command import CommandView
from claudechat.render.screen import Screen
from claudechat.repl.commands import CommandError
from claudechat.repl.run_commands import shell_escape
from tests.images import tiny_png
from tests.test_chat_commands import app, printed_lines, run  # noqa: F401  (app is a fixture)


@pytest.fixture(autouse=True)
def posix_shell(monkeypatch):
    monkeypatch.setenv("SHELL", "/bin/sh")


def commands_attached(app) -> list[TextAttachment]:
    return [attachment for attachment in app.attachments if attachment.kind == "command"]


def test_run_attaches_the_output_and_says_how_it_ended(app, capsys):
    run(app, "/run echo hi")
    [attached] = commands_attached(app)
    assert attached.name == "echo hi" and "```\nhi\n```" in attached.text
    lines = printed_lines(capsys)
    assert "hi" in lines
    assert any(line.startswith("exit status 0 · ") and "attached to your next message" in line for line in lines)


def test_a_failing_command_is_attached_with_its_status(app, capsys):
    run(app, "/run echo no >&2; exit 4")
    [attached] = commands_attached(app)
    assert "exit status 4" in attached.text
    assert any(line.startswith("exit status 4 · ") for line in printed_lines(capsys))


def test_a_command_that_is_not_found_attaches_nothing(app, capsys):
    run(app, "/run no-such-command-4711")
    assert app.attachments == []
    assert "nothing attached: the shell found no such command (exit status 127)" in printed_lines(capsys)


@pytest.mark.parametrize("line", ["!", "!   ", "  ! "])
def test_a_bang_without_a_command_is_a_usage_error(app, line):
    with pytest.raises(CommandError, match="needs a command"):
        asyncio.run(shell_escape(app, line))
    assert app.attachments == []


def test_a_bang_line_runs_what_follows(app):
    asyncio.run(shell_escape(app, "!  echo  spaced "))
    [attached] = commands_attached(app)
    assert attached.name == "echo  spaced" and "```\nspaced\n```" in attached.text


def test_run_lists_and_clear_drops_only_command_output(app, tmp_path, capsys):
    (tmp_path / "cat.png").write_bytes(tiny_png())
    run(app, "/run")
    assert printed_lines(capsys) == ["no command output attached (!COMMAND or /run COMMAND runs one)"]
    run(app, "/image cat.png")
    run(app, "/run echo one")
    run(app, "/run printf abc")
    capsys.readouterr()
    run(app, "/run")
    assert printed_lines(capsys) == [
        "command output attached to the next message:",
        "1. echo one (4 bytes)",
        "2. printf abc (3 bytes)",
    ]
    run(app, "/run clear")
    assert [attachment.kind for attachment in app.attachments] == ["image"]
    assert printed_lines(capsys) == ["dropped the output of 2 commands"]


def test_run_completes_clear_and_paths(app, tmp_path):
    from claudechat.repl.commands import COMMANDS

    (tmp_path / "notes.txt").write_text("x")
    complete = COMMANDS.find("run").complete
    assert complete(app, "cl") == ["clear"]
    assert complete(app, "cat no") == ["cat notes.txt"]


# --- drawing the output ----------------------------------------------------------------------


_LIVE_REGION_CONTROLS = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def rows_of(out: io.StringIO) -> list[str]:
    """What was written, as rows, without the live region's own cursor moves and erases."""
    return _LIVE_REGION_CONTROLS.sub("", out.getvalue()).split("\n")


def screen_to(width: int = 40) -> tuple[Screen, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=width, height=20, color_system=None, force_terminal=False)
    return Screen(console), out


def test_output_is_drawn_line_by_line_with_controls_made_visible():
    screen, out = screen_to()
    view = CommandView(screen, limit=1000)
    view.output(b"plain\n\x1b]0;title\x07\x1b[31mred\n\xff\n")
    view.frame()
    view.finish()
    written = out.getvalue()
    assert "\x1b]0;" not in written and "\x1b[31m" not in written and "\x07" not in written
    assert "plain\n␛]0;title␇␛[31mred\n\ufffd\n" in written


def test_a_character_split_between_two_reads_is_decoded_whole():
    screen, out = screen_to()
    view = CommandView(screen, limit=1000)
    data = "naïve\n".encode()
    view.output(data[:3])
    view.output(data[3:])
    view.finish()
    assert "naïve\n" in out.getvalue()


def test_a_carriage_return_leaves_what_a_terminal_would_show():
    screen, out = screen_to()
    view = CommandView(screen, limit=1000)
    for piece in (b" 10%\r", b" 20%\r", b" 30%", b"\r100%\r\n", b"a\tb\n"):
        view.output(piece)
    view.finish()
    written = out.getvalue()
    assert "100%\n" in written and "10%" not in written and "30%" not in written
    assert "a       b\n" in written  # tabs expanded: the live row's width must be known


def test_the_unfinished_last_line_is_live_and_never_wider_than_the_screen():
    screen, out = screen_to(width=40)
    view = CommandView(screen, limit=100_000)
    view.output(b"x" * 5000)
    view.frame()
    rows = [row for row in rows_of(out) if "xxx" in row]
    assert rows and all(row.count("x") < 40 for row in rows)
    view.finish()
    assert "x" * 5000 + "\n" in out.getvalue()  # committed whole at the end


def test_output_past_the_limit_is_not_shown_and_its_end_is():
    screen, out = screen_to(width=80)
    view = CommandView(screen, limit=10_000)
    for number in range(1, 20_001):
        view.output(b"line %d\n" % number)
    view.finish(last_lines=["line 19999", "line 20000"])
    rows = rows_of(out)
    note = "… over 10 KB of output: the rest is not shown"
    assert sum(note in row for row in rows) == 1
    shown = [row for row in rows if row.startswith("line ")]
    assert shown[0] == "line 1" and 1000 < len(shown) < 1300
    at = next(index for index, row in enumerate(rows) if note in row)
    assert [row for row in rows[at + 1 :] if row.strip()][:3] == ["… its last 2 lines:", "line 19999", "line 20000"]


def test_the_toolbar_names_a_command_whole_not_its_last_path_part():
    from claudechat.repl.toolbar import ToolbarState, toolbar_fragments

    row = toolbar_fragments(ToolbarState(model="m", attachments=("!cat src/a.py", "docs/b.md")), 200)
    text = "".join(fragment for _, fragment in row)
    assert "!cat src/a.py, b.md" in text
