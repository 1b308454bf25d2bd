"""Each slash-command's argument checks and its effect on the session, in-process.

The chat's screen output goes to the captured stdout; the pseudo-terminal tests in
test_commands.py check the same commands end to end against the service double.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path

import pytest

from claudechat.chat import (
    Candidate,
    Message,
    SessionKeeper,
    SessionSettings,
    SessionStore,
    read_session_file,
)
from claudechat.config import Settings
from claudechat.errors import UsageError
from claudechat.repl.app import Repl
from claudechat.repl.chat_commands import _complete_image
from claudechat.repl.report_commands import code_blocks
from claudechat.repl.commands import COMMANDS, CommandError
from tests.images import tiny_png


# Wider than any path the tests print (PATH_MAX on Linux is 4096).
UNFOLDED_WIDTH = 10_000
# Set where pytest runs, these would have rich write colour codes into the captured text
# (FORCE_COLOR and TTY_COMPATIBLE make any file a terminal) or the chat pick another theme.
CONSOLE_VARIABLES = ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")


@pytest.fixture
def app(tmp_path, monkeypatch) -> Repl:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in CONSOLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    keeper = SessionKeeper(SessionStore(tmp_path / "sessions"), SessionSettings(model="claude-sonnet-4-6"))
    app = Repl(Settings(base_url="http://127.0.0.1:9/v1"), keeper)
    # The tests read what the commands print as text, so no line may be folded: rich would fold
    # at COLUMNS, or at the width of a terminal on stdin, or at 80, and where a path under tmp_path
    # folds would then depend on who runs pytest and how long its temporary directory is.
    app.console.size = (UNFOLDED_WIDTH, 25)
    return app


def run(app: Repl, line: str) -> None:
    asyncio.run(COMMANDS.dispatch(app, line))


def printed_lines(capsys) -> list[str]:
    """The lines printed since the last look, without the live region's own control lines."""
    return [line for line in capsys.readouterr().out.splitlines() if "\x1b" not in line]


def add_turn(app: Repl, question: str = "question", answer: str = "answer", **answer_fields) -> None:
    app.session.add_turn(Message("user", question), Message("assistant", answer, model=app.model, **answer_fields))


# --- /model -------------------------------------------------------------------------------------


def test_model_switches_for_the_next_request_and_is_recorded(app, capsys):
    run(app, "/model claude-opus-4-6")
    assert app.model == "claude-opus-4-6"
    assert {"op": "settings", "settings": {"model": "claude-opus-4-6"}} in app.session.pending
    assert "warning" not in capsys.readouterr().out


def test_an_unknown_model_is_used_with_a_warning(app, capsys):
    run(app, "/model claude-next-7")
    assert app.model == "claude-next-7"
    assert "not in the catalogue" in capsys.readouterr().out


def test_model_lists_the_catalogue_marking_the_current_one(app, capsys):
    run(app, "/model")
    out = capsys.readouterr().out
    assert "▸ claude-sonnet-4-6" in out
    assert "claude-opus-4-20250514-thinking" in out and "thinking" in out
    assert out.count("▸") == 1


@pytest.mark.parametrize("argument", ["two words", "x" * 300])
def test_model_refuses_what_cannot_be_an_id(app, argument):
    with pytest.raises(CommandError):
        run(app, f"/model {argument}")
    assert app.model == "claude-sonnet-4-6"


# --- /image -------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["my cat.png", '"my cat.png"', "~/my\\ cat.png", "~/'my cat.png'"])
def test_image_attaches_a_file_with_spaces_in_its_name(app, tmp_path, typed):
    (tmp_path / "my cat.png").write_bytes(tiny_png())
    run(app, f"/image {typed}")
    [image] = app.attachments
    assert image.url.startswith("data:image/png;base64,")
    assert base64.b64decode(image.url.split(",", 1)[1]) == tiny_png()


def test_image_is_all_or_nothing_and_refuses_text(app, tmp_path):
    (tmp_path / "ok.png").write_bytes(tiny_png())
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UsageError, match="not a PNG, JPEG, GIF or WebP"):
        run(app, "/image ok.png notes.txt")
    assert app.attachments == []


@pytest.mark.parametrize("spec", ["ftp://host/a.png", "data:image/png;base64,AAAA", "file:///etc/passwd"])
def test_image_takes_only_files_and_http_urls(app, spec):
    with pytest.raises(UsageError):
        run(app, f"/image {spec}")
    assert app.attachments == []


def test_image_lists_and_clears(app, tmp_path, capsys):
    run(app, "/image https://example.com/a.png")
    run(app, "/image")
    assert "1. https://example.com/a.png (URL)" in capsys.readouterr().out
    run(app, "/image clear")
    assert app.attachments == []
    assert "dropped 1 image" in capsys.readouterr().out


def test_image_warns_when_the_model_takes_no_images(app, capsys):
    run(app, "/model claude-3-5-haiku-20241022")
    capsys.readouterr()
    run(app, "/image https://example.com/a.png")
    assert "does not accept images" in capsys.readouterr().out


def test_image_with_an_unclosed_quote_says_so(app):
    with pytest.raises(CommandError, match="quote"):
        run(app, '/image "unclosed.png')


def test_image_completion_offers_files_and_keeps_earlier_words(app, tmp_path):
    (tmp_path / "shot one.png").write_bytes(b"")
    (tmp_path / "shots").mkdir()
    (tmp_path / "shots" / "in a dir.png").write_bytes(b"")
    assert _complete_image(app, "sh") == ["shot\\ one.png", "shots/"]
    assert _complete_image(app, "a.png sho") == ["a.png shot\\ one.png", "a.png shots/"]
    assert _complete_image(app, "'shot o") == ["'shot one.png'"]
    assert _complete_image(app, '"shots/in') == ['"shots/in a dir.png"']
    assert _complete_image(app, "shot\\ o") == ["shot\\ one.png"]
    assert "clear" in _complete_image(app, "cl")


# --- request settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        ("/temperature 0.5", "temperature", 0.5),
        ("/temperature 0", "temperature", 0.0),
        ("/temperature default", "temperature", None),
        ("/max-tokens 100", "max_tokens", 100),
        ("/max-tokens off", "max_tokens", None),
        ("/n 3", "n", 3),
        ("/json on", "json", True),
        ("/json OFF", "json", False),
        ("/system be brief", "system", "be brief"),
        ("/system clear", "system", None),
    ],
)
def test_settings_commands_change_the_next_requests(app, line, key, value):
    run(app, line)
    assert getattr(app.session.settings, key) == value
    assert app.session.pending[-1] == {"op": "settings", "settings": {key: value}}


@pytest.mark.parametrize(
    "line",
    ["/temperature 3", "/temperature -1", "/temperature nan", "/temperature warm", "/max-tokens 0",
     "/max-tokens 1.5", "/n 0", "/n 129", "/n default", "/json maybe"],
)
def test_settings_commands_refuse_bad_values_and_change_nothing(app, line):
    before = dict(vars(app.session.settings))
    with pytest.raises(CommandError):
        run(app, line)
    assert vars(app.session.settings) == before
    assert app.session.pending == []


def test_settings_commands_without_a_value_show_it(app, capsys):
    run(app, "/temperature")
    run(app, "/json")
    run(app, "/system")
    out = capsys.readouterr().out
    assert "temperature is the server default" in out and "json is off" in out and "no system prompt" in out


# --- the last exchange ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["undo", "edit", "retry", "copy", "pick 1"])
def test_commands_on_the_last_exchange_need_one(app, name):
    with pytest.raises(CommandError):
        run(app, f"/{name}")


def test_undo_drops_the_last_exchange_and_saves(app):
    add_turn(app, "one", "first")
    add_turn(app, "two", "second")
    run(app, "/undo")
    assert [message.text for message in app.session.messages] == ["one", "first"]
    saved = read_session_file(app.keeper.path)
    assert [message.text for message in saved.messages] == ["one", "first"]


def test_edit_puts_the_message_and_its_images_back(app):
    content = [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}, "name": "a.png"},
    ]
    app.session.add_turn(Message("user", content), Message("assistant", "a cat"))
    run(app, "/edit")
    assert app.editing
    assert app._unsent == "what is this"
    assert [(image.name, image.url) for image in app.attachments] == [("a.png", "https://example.com/a.png")]


def test_pick_keeps_another_candidate(app):
    candidates = [Candidate("red"), Candidate("green", reasoning="thought"), Candidate("blue")]
    add_turn(app, "a colour", "red", candidates=candidates)
    with pytest.raises(CommandError, match="from 1 to 3"):
        run(app, "/pick 4")
    run(app, "/pick 2")
    last = app.session.messages[-1]
    assert (last.text, last.reasoning, last.picked) == ("green", "thought", 1)
    assert len(app.session.messages) == 2
    assert read_session_file(app.keeper.path).messages[-1].text == "green"


def test_pick_without_candidates_says_how_to_get_them(app):
    add_turn(app)
    with pytest.raises(CommandError, match="/n"):
        run(app, "/pick 1")


# --- /copy -----------------------------------------------------------------------------------------


@pytest.fixture
def terminal_writes(app, monkeypatch) -> list[str]:
    writes: list[str] = []
    monkeypatch.setattr(app, "write_terminal", writes.append)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "TMUX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(Path(os.devnull).parent / "no-such-bin"))
    return writes


def osc52_text(sequence: str) -> str:
    assert sequence.startswith("\x1b]52;c;") and sequence.endswith("\x07")
    return base64.b64decode(sequence[len("\x1b]52;c;") : -1]).decode()


def test_copy_sends_the_answer_through_osc_52(app, terminal_writes, capsys):
    add_turn(app, answer="Use `ls`.\n\n```sh\nls -la\n```\n\n```python\nprint('hi')\n```\n")
    run(app, "/copy")
    run(app, "/copy 2")
    assert osc52_text(terminal_writes[0]).startswith("Use `ls`.")
    assert osc52_text(terminal_writes[1]) == "print('hi')\n"
    assert "copied code block 2 of 2" in capsys.readouterr().out
    with pytest.raises(CommandError, match="from 1 to 2"):
        run(app, "/copy 3")


def test_copy_uses_a_clipboard_program_when_there_is_one(app, tmp_path, monkeypatch, terminal_writes):
    copied = tmp_path / "clipboard"
    program = tmp_path / "bin" / "xclip"
    program.parent.mkdir()
    program.write_text(f"#!/bin/sh\nexec /bin/cat > '{copied}'\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(program.parent))
    monkeypatch.setenv("DISPLAY", ":0")
    add_turn(app, answer="copy me")
    run(app, "/copy")
    assert copied.read_text() == "copy me"


def test_code_blocks_are_found_as_the_renderer_sees_them():
    text = "~~~\na\n~~~\n\n    indented\n\n```\nnot closed"
    assert code_blocks(text) == ["a\n", "indented\n", "not closed"]


def test_code_blocks_are_counted_in_the_text_the_screen_shows():
    import io

    from rich.console import Console

    from claudechat.render.markdown import SafeMarkdown
    from claudechat.sanitize import sanitize

    # The parser ends a line at a lone carriage return; the screen drops it (sanitize), so
    # "Run:```sh..." is one paragraph there and the only numbered block is the second fence.
    text = "Run:\r```sh\recho hidden\r```\r\n```py\nshown()\n```\n"
    assert code_blocks(text) == ["shown()\n"]
    console = Console(file=io.StringIO(), width=40, color_system=None)
    console.print(SafeMarkdown(sanitize(text)))
    tops = [line for line in console.file.getvalue().split("\n") if line.startswith("╭")]
    assert tops == ["╭─ py " + "─" * 29 + " #1 ─"]


# --- what the session costs and where it is ---------------------------------------------------------


def test_an_interrupted_request_counts_in_usage_without_its_unknown_tokens(app, capsys):
    from claudechat.api import ChatResult

    app.session.record_result(ChatResult(interrupted=True), "claude-sonnet-4-6")  # stopped before usage came
    app.session.record_result(ChatResult(), "claude-sonnet-4-6")  # nothing said, nothing stopped: not counted
    run(app, "/usage")
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert rows["claude-sonnet-4-6"] == ["1", "0", "0", "0", "0", "cost", "unknown"]  # never $0


def test_think_says_when_the_model_does_not_reason(app):
    add_turn(app)  # an answer of claude-sonnet-4-6, which does not reason
    with pytest.raises(CommandError, match="claude-sonnet-4-6 does not reason.*-thinking"):
        run(app, "/think")
    app.session.add_turn(Message("user", "q"), Message("assistant", "a", model="local-model"))
    with pytest.raises(CommandError, match=r"that answer came without reasoning \(local-model sent none\)"):
        run(app, "/think")


def test_usage_sums_per_model(app, capsys):
    from claudechat.chat import UsageEntry

    app.session.record_usage(UsageEntry("claude-sonnet-4-6", 10, 5, 2))
    app.session.record_usage(UsageEntry("claude-sonnet-4-6", 20, 5, 0, cache_creation_tokens=4))
    app.session.record_usage(UsageEntry("claude-opus-4-6", 1, 1, 0))
    run(app, "/usage")
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert rows["model"] == ["requests", "prompt", "completion", "cached", "cache-write", "cost"]
    # Sonnet: 8 + 16 uncached at $3, 10 out at $15, 2 read at $0.30, 4 written at $3.75 a million.
    assert rows["claude-sonnet-4-6"] == ["2", "30", "10", "2", "4", "$0.0002"]
    assert rows["claude-opus-4-6"] == ["1", "1", "1", "0", "0", "<$0.0001"]  # $0.00003: not nothing
    assert rows["total"] == ["3", "31", "11", "2", "4", "$0.0003"]


def test_usage_says_when_part_of_a_sum_has_no_known_price(app, capsys):
    from claudechat.chat import UsageEntry

    app.session.record_usage(UsageEntry("claude-opus-4-6", 100_000, 20_000, 0))  # $0.50 + $0.50
    app.session.record_usage(UsageEntry("local-model", 10, 5, 0))
    run(app, "/usage")
    rows = {line.split()[0]: line.split(None, 6)[6] for line in printed_lines(capsys)[1:]}
    assert rows == {"claude-opus-4-6": "$1.00", "local-model": "cost unknown", "total": "$1.00 + unknown"}


def test_info_says_where_things_are(app, capsys):
    run(app, "/info")
    out = capsys.readouterr().out
    assert "not saved yet" in out and "config.toml" in out and "127.0.0.1:9" in out
    add_turn(app)
    app.save_session()
    run(app, "/info")
    assert f"{app.session.id}.jsonl" in capsys.readouterr().out


@pytest.mark.parametrize("width", [60, 80, 120])
def test_info_shortens_long_paths_and_never_folds_a_name(app, capsys, tmp_path, monkeypatch, width):
    deep = tmp_path.joinpath(*[f"a-directory-named-{i}" for i in range(6)])
    monkeypatch.setenv("XDG_CONFIG_HOME", str(deep))
    app.console.width = width
    add_turn(app)
    app.save_session()
    run(app, "/info")
    rows = capsys.readouterr().out.split("\x1b[?2026l")[0].split("\n")[1:]
    config_row = next(row for row in rows if row.startswith("config file"))
    assert config_row.rstrip().endswith("/claudechat/config.toml") and "…" in config_row
    session_row = next(row for row in rows if row.startswith("session file"))
    assert session_row.rstrip().endswith(f"{app.session.id}.jsonl")
    assert all(len(row) <= width for row in rows)
    assert "  " + "a-directory-named-0" not in config_row  # cut in the middle, not folded


# --- sessions ----------------------------------------------------------------------------------------


def test_clear_starts_a_new_session_and_keeps_the_old_one(app, capsys):
    add_turn(app, "first question")
    app.save_session()
    old = app.session.id
    run(app, "/clear")
    assert app.session.id != old and app.session.messages == []
    assert app.session.settings.model == "claude-sonnet-4-6"
    assert f"/resume {old}" in capsys.readouterr().out
    run(app, f"/resume {old[:4]}")
    assert app.session.id == old and app.session.messages[0].text == "first question"


def test_rename_and_sessions_listing(app, capsys):
    add_turn(app, "first question")
    run(app, "/rename  Pipes   and threads ")
    capsys.readouterr()
    run(app, "/sessions")
    header, row, *rest = printed_lines(capsys)
    assert header.split() == ["ID", "LAST", "USED", "TURNS", "MODEL", "TITLE"]
    assert row.startswith(f"▸ {app.session.id}") and row.endswith("  1  claude-sonnet-4-6  Pipes and threads")
    assert read_session_file(app.keeper.path).title == "Pipes and threads"


def test_sessions_listing_fits_the_console_and_never_folds_a_row(app, capsys):
    title = "How do I stream server-sent events through an nginx reverse proxy without buffering"
    add_turn(app, "long one")
    run(app, f"/rename {title}")
    app.console.width = 64  # the terminal's width, whatever runs the tests
    capsys.readouterr()
    run(app, "/sessions")
    lines = printed_lines(capsys)
    assert len(lines) == 3  # the header, the session, how to resume
    row = lines[1]
    assert row.startswith(f"▸ {app.session.id}") and row.endswith("…") and len(row) <= 64
    shown = row[lines[0].index("TITLE") : -1]
    assert title.startswith(shown) and title[len(shown)] == " ", shown


def test_save_writes_markdown_and_json_and_asks_before_replacing(app, tmp_path, monkeypatch):
    add_turn(app, "why?", "because", reasoning="hmm")
    run(app, "/save")
    markdown = (tmp_path / "why.md").read_text()
    assert markdown.startswith("# why?") and "<details>" in markdown and "because" in markdown
    run(app, "/save out.json")
    assert json.loads((tmp_path / "out.json").read_text())["messages"][1]["content"] == "because"

    answers = iter([False, True])

    async def confirm(question: str) -> bool:
        return next(answers)

    monkeypatch.setattr(app, "confirm", confirm)
    (tmp_path / "why.md").write_text("mine")
    run(app, "/save why.md")
    assert (tmp_path / "why.md").read_text() == "mine"
    run(app, "/save why.md")
    assert (tmp_path / "why.md").read_text() == markdown


def test_save_shows_a_system_prompt_set_mid_conversation_between_its_turns(app, tmp_path):
    add_turn(app, "first question", "first answer")
    run(app, "/system be terse")
    add_turn(app, "second question", "second answer")
    run(app, "/undo")
    add_turn(app, "third question", "third answer")
    run(app, "/save talk.md")
    text = (tmp_path / "talk.md").read_text()
    assert "System prompt" not in text[: text.index("## You")]
    assert text.index("first answer") < text.index("**System prompt set**\n\n```\nbe terse\n```") < text.index(
        "third question"
    )
    app.save_session()
    assert read_session_file(app.keeper.path).system_changes == app.session.system_changes == [(2, "be terse")]


def test_save_without_an_extension_writes_markdown_to_name_md(app, tmp_path, capsys):
    add_turn(app, "why?", "because")
    run(app, "/save notes")
    assert (tmp_path / "notes.md").read_text().startswith("# why?")
    assert not (tmp_path / "notes").exists()
    assert "to notes.md" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["notes.txt", "notes.MD.bak", "folder.md", "folder", "elsewhere/"])
def test_save_refuses_unknown_formats_and_directories(app, tmp_path, name):
    (tmp_path / "folder.md").mkdir()
    (tmp_path / "folder").mkdir()
    add_turn(app)
    with pytest.raises(CommandError):
        run(app, f"/save {name}")
    assert sorted(path.name for path in tmp_path.iterdir() if path.suffix == ".md") == ["folder.md"]


def test_load_opens_a_saved_json_as_a_new_session(app, tmp_path, capsys):
    add_turn(app, "kept question")
    run(app, "/save kept.json")
    old = app.session.id
    run(app, "/load kept.json")
    assert app.session.id != old and app.session.messages[0].text == "kept question"
    assert "as a new session" in capsys.readouterr().out
    assert app.keeper.path is not None and app.keeper.path.exists()  # saved at once


@pytest.mark.parametrize("command", sorted(command.name for command in COMMANDS))
def test_help_explains_every_command(app, capsys, command):
    run(app, f"/help {command}")
    out = capsys.readouterr().out
    assert COMMANDS.find(command).usage in out


def test_numbers_complete_from_the_last_answer(app):
    from claudechat.repl.chat_commands import _candidate_numbers
    from claudechat.repl.report_commands import _code_block_numbers

    add_turn(app, answer="```\na\n```\n\n```\nb\n```\n", candidates=[Candidate("x"), Candidate("y")])
    assert _code_block_numbers(app, "") == ["1", "2"]
    assert _candidate_numbers(app, "") == ["1", "2"]
