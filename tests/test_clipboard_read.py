"""Pasted paths and the clipboard, in-process: what a paste means, and what each program says.

The clipboard programs are fakes written by the tests (shell scripts named wl-paste or xclip,
answering from files), so every branch runs here without a display; test_paste.py drives the
same through Ctrl-V and bracketed pastes in a pseudo-terminal.
"""

from __future__ import annotations

import asyncio
import os
import shlex
from pathlib import Path

import pytest

from claudechat.chat import Message, SessionKeeper, SessionSettings, SessionStore
from claudechat.config import Settings
from claudechat.repl import clipboard_read
from claudechat.repl.app import Repl
from claudechat.repl.clipboard_read import ClipboardError, read_clipboard
from claudechat.repl.commands import COMMANDS, CommandError
from claudechat.repl.dropped import path_candidates, pasted_image_path
from claudechat.chat.attachments import image_from_bytes
from claudechat.repl.paste import Paster, clipboard_name
from tests.images import image_bytes

PNG = image_bytes((3, 2), "PNG")


# --- what a paste means ---------------------------------------------------------------------


@pytest.fixture
def shot(tmp_path) -> Path:
    path = tmp_path / "my shot (1).png"
    path.write_bytes(PNG)
    return path


def written_as(kind: str, path: Path) -> str:
    text = str(path)
    return {
        "bare": text,
        "single-quoted": shlex.quote(text),
        "double-quoted": f'"{text}"',
        "backslashed": "".join("\\" + c if c in " ()" else c for c in text),
        "file-url": "file://" + text.replace(" ", "%20").replace("(", "%28").replace(")", "%29"),
        "file-url-localhost": "file://localhost" + text.replace(" ", "%20"),
        "with-newline": text + "\n",
        "with-spaces-around": "  " + shlex.quote(text) + " ",
    }[kind]


@pytest.mark.parametrize(
    "kind",
    ["bare", "single-quoted", "double-quoted", "backslashed", "file-url", "file-url-localhost", "with-newline",
     "with-spaces-around"],
)
def test_a_dropped_image_path_is_recognised_however_the_terminal_writes_it(shot, kind):
    assert pasted_image_path(written_as(kind, shot)) == str(shot)


def test_a_path_from_home_is_recognised(shot, monkeypatch):
    monkeypatch.setenv("HOME", str(shot.parent))
    assert pasted_image_path("~/'my shot (1).png'") == str(shot)


def test_the_type_comes_from_the_bytes_not_the_name(tmp_path):
    (tmp_path / "picture").write_bytes(image_bytes((2, 2), "JPEG"))
    (tmp_path / "notes.png").write_text("words, not pixels\n")
    assert pasted_image_path(str(tmp_path / "picture")) == str(tmp_path / "picture")
    assert pasted_image_path(str(tmp_path / "notes.png")) is None


@pytest.mark.parametrize("text", [
    "shot.png",  # relative: a word, not a dropped file
    "look at {shot} please",
    "{shot}\n{shot}",  # two files
    "{shot} {shot}",
    "{missing}",
    "'{shot}",  # unclosed quote, and no such file either
    "",
    "   ",
    "file://{shot}x",
    "http://example.com/a.png",
])
def test_anything_else_is_text(shot, tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shot.png").write_bytes(PNG)
    pasted = text.format(shot=shlex.quote(str(shot)), missing=tmp_path / "gone.png")
    assert pasted_image_path(pasted) is None


def test_a_fifo_is_never_opened(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert pasted_image_path(str(fifo)) is None  # would block forever if it were read


def test_a_long_paste_is_not_taken_for_a_path():
    assert path_candidates("/" + "a" * 5000) == []
    assert path_candidates("/tmp/x.png\n/tmp/y.png") == []


# --- the clipboard programs --------------------------------------------------------------------


def fake_program(bin_dir: Path, name: str, script: str) -> Path:
    """A shell script named `name` in `bin_dir`; it logs its arguments to `bin_dir/calls`."""
    bin_dir.mkdir(exist_ok=True)
    program = bin_dir / name
    log = shlex.quote(str(bin_dir / "calls"))
    program.write_text(f'#!/bin/sh\necho "$*" >> {log}\n{script}\n')
    program.chmod(0o755)
    return program


def xclip_script(folder: Path) -> str:
    """Answers like xclip from the files in `folder`: targets, image.png, text."""
    q = lambda name: shlex.quote(str(folder / name))  # noqa: E731
    return (
        'case "$*" in\n'
        f"  *TARGETS*) [ -f {q('targets')} ] || {{ echo 'Error: target TARGETS not available' >&2; exit 1; }}; exec /bin/cat {q('targets')} ;;\n"
        f"  *image/png*) exec /bin/cat {q('image.png')} ;;\n"
        f"  *) exec /bin/cat {q('text')} ;;\n"
        "esac"
    )


def wl_paste_script(folder: Path) -> str:
    q = lambda name: shlex.quote(str(folder / name))  # noqa: E731
    return (
        'case "$*" in\n'
        f"  --list-types) [ -f {q('targets')} ] || {{ echo 'Nothing is copied' >&2; exit 1; }}; exec /bin/cat {q('targets')} ;;\n"
        f"  *image/png*) exec /bin/cat {q('image.png')} ;;\n"
        f"  *'--no-newline --type text'*) exec /bin/cat {q('text')} ;;\n"
        "  *) exit 3 ;;\n"
        "esac"
    )


@pytest.fixture
def clipboard(tmp_path) -> Path:
    folder = tmp_path / "clipboard"
    folder.mkdir()
    return folder


def env_with(bin_dir: Path, **variables: str) -> dict[str, str]:
    return {"PATH": str(bin_dir), **variables}


@pytest.mark.parametrize("program", ["xclip", "wl-paste"])
def test_an_image_on_the_clipboard_is_read_as_png(tmp_path, clipboard, program):
    (clipboard / "targets").write_text("TARGETS\ntext/html\nimage/png\nimage/bmp\n")
    (clipboard / "image.png").write_bytes(PNG)
    script = xclip_script(clipboard) if program == "xclip" else wl_paste_script(clipboard)
    fake_program(tmp_path / "bin", program, script)
    variable = {"DISPLAY": ":0"} if program == "xclip" else {"WAYLAND_DISPLAY": "wayland-0"}
    content = read_clipboard(env_with(tmp_path / "bin", **variable), "linux")
    assert content.image == PNG and content.text is None and content.source == program
    calls = (tmp_path / "bin" / "calls").read_text().splitlines()
    assert calls[-1] in ("-selection clipboard -t image/png -o", "--type image/png")


@pytest.mark.parametrize("program", ["xclip", "wl-paste"])
def test_text_on_the_clipboard_is_read_as_text(tmp_path, clipboard, program):
    (clipboard / "targets").write_text("TARGETS\nUTF8_STRING\ntext/plain;charset=utf-8\n")
    (clipboard / "text").write_text("héllo\nworld")
    fake_program(tmp_path / "bin", program, xclip_script(clipboard) if program == "xclip" else wl_paste_script(clipboard))
    variable = {"DISPLAY": ":0"} if program == "xclip" else {"WAYLAND_DISPLAY": "wayland-0"}
    content = read_clipboard(env_with(tmp_path / "bin", **variable), "linux")
    assert (content.image, content.text) == (None, "héllo\nworld")


@pytest.mark.parametrize("program", ["xclip", "wl-paste"])
def test_an_empty_clipboard_is_empty(tmp_path, clipboard, program):
    fake_program(tmp_path / "bin", program, xclip_script(clipboard) if program == "xclip" else wl_paste_script(clipboard))
    variable = {"DISPLAY": ":0"} if program == "xclip" else {"WAYLAND_DISPLAY": "wayland-0"}
    assert read_clipboard(env_with(tmp_path / "bin", **variable), "linux").empty


def test_an_image_of_a_type_the_api_refuses_says_so(tmp_path, clipboard):
    (clipboard / "targets").write_text("TARGETS\nimage/bmp\n")
    fake_program(tmp_path / "bin", "xclip", xclip_script(clipboard))
    with pytest.raises(ClipboardError, match="image/bmp"):
        read_clipboard(env_with(tmp_path / "bin", DISPLAY=":0"), "linux")


def test_xclip_without_a_display_says_so_in_one_line(tmp_path):
    fake_program(tmp_path / "bin", "xclip", "echo \"Error: Can't open display: :0\" >&2; exit 1")
    with pytest.raises(ClipboardError) as caught:
        read_clipboard(env_with(tmp_path / "bin", DISPLAY=":0"), "linux")
    assert str(caught.value) == "xclip could not read the clipboard: Error: Can't open display: :0"


def test_wayland_falls_back_to_xclip_when_wl_paste_fails(tmp_path, clipboard):
    (clipboard / "targets").write_text("TARGETS\nimage/png\n")
    (clipboard / "image.png").write_bytes(PNG)
    fake_program(tmp_path / "bin", "wl-paste", "echo 'Failed to connect to a Wayland server' >&2; exit 1")
    fake_program(tmp_path / "bin", "xclip", xclip_script(clipboard))
    content = read_clipboard(env_with(tmp_path / "bin", WAYLAND_DISPLAY="wayland-0", DISPLAY=":0"), "linux")
    assert content.image == PNG and content.source == "xclip"


def test_a_program_that_hangs_is_given_up_on(tmp_path, monkeypatch):
    monkeypatch.setattr(clipboard_read, "_LIST_TIMEOUT", 0.3)
    fake_program(tmp_path / "bin", "xclip", "exec /bin/sleep 30")
    with pytest.raises(ClipboardError, match=r"xclip did not answer within 0\.3 s"):
        read_clipboard(env_with(tmp_path / "bin", DISPLAY=":0"), "linux")


@pytest.mark.parametrize(("variables", "platform", "says"), [
    ({"DISPLAY": ":0"}, "linux", "install xclip"),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", "install wl-clipboard"),
    ({}, "linux", "no graphical session here"),
    ({"WSL_DISTRO_NAME": "Ubuntu"}, "linux", "powershell.exe is not on PATH"),
    ({}, "darwin", "brew install pngpaste"),
])
def test_with_no_clipboard_program_one_line_says_what_to_install(tmp_path, variables, platform, says):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ClipboardError) as caught:
        read_clipboard(env_with(tmp_path / "empty", **variables), platform)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_powershell_answers_in_base64(tmp_path):
    import base64

    answer = "image:" + base64.b64encode(PNG).decode()
    fake_program(tmp_path / "bin", "powershell.exe", f"printf '%s\\r\\n' {shlex.quote(answer)}")
    content = read_clipboard(env_with(tmp_path / "bin", WSL_DISTRO_NAME="Ubuntu"), "linux")
    assert content.image == PNG
    assert "-EncodedCommand" in (tmp_path / "bin" / "calls").read_text()


# --- /paste and the names of pasted images ---------------------------------------------------


@pytest.fixture
def app(tmp_path, monkeypatch) -> Repl:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME", "WSL_INTEROP"):
        monkeypatch.delenv(name, raising=False)
    keeper = SessionKeeper(SessionStore(tmp_path / "sessions"), SessionSettings(model="claude-sonnet-4-6"))
    app = Repl(Settings(base_url="http://127.0.0.1:9/v1"), keeper)
    app.console.size = (10_000, 25)  # nothing folded, whatever the path's length
    return app


@pytest.fixture
def fake_xclip(tmp_path, clipboard, monkeypatch) -> Path:
    fake_program(tmp_path / "bin", "xclip", xclip_script(clipboard))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("DISPLAY", ":0")
    return clipboard


def run(app: Repl, line: str) -> None:
    asyncio.run(COMMANDS.dispatch(app, line))


def test_paste_attaches_the_clipboard_image_as_clipboard_1(app, fake_xclip, capsys):
    (fake_xclip / "targets").write_text("TARGETS\nimage/png\n")
    (fake_xclip / "image.png").write_bytes(PNG)
    run(app, "/paste")
    [image] = app.attachments
    assert (image.name, image.media_type, image.width, image.height) == ("clipboard-1.png", "image/png", 3, 2)
    assert "attached clipboard-1.png (3×2, " in capsys.readouterr().out
    run(app, "/paste")
    assert [image.name for image in app.attachments] == ["clipboard-1.png", "clipboard-2.png"]


def test_paste_puts_the_clipboards_text_in_the_input(app, fake_xclip, capsys):
    (fake_xclip / "targets").write_text("TARGETS\nUTF8_STRING\n")
    (fake_xclip / "text").write_text("line one\r\nline two")
    run(app, "/paste")
    assert app.attachments == [] and app._unsent == "line one\nline two"
    assert "the clipboard's text is in the input" in capsys.readouterr().out


def test_paste_of_a_copied_image_file_attaches_the_file(app, fake_xclip, tmp_path):
    (tmp_path / "shot.png").write_bytes(PNG)
    (fake_xclip / "targets").write_text("TARGETS\ntext/uri-list\nUTF8_STRING\n")
    (fake_xclip / "text").write_text(f"file://{tmp_path}/shot.png")
    run(app, "/paste")
    assert [image.name for image in app.attachments] == [str(tmp_path / "shot.png")]


def test_paste_with_no_program_is_one_line_and_attaches_nothing(app, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    monkeypatch.setenv("DISPLAY", ":0")
    with pytest.raises(CommandError, match="install xclip"):
        run(app, "/paste")
    assert app.attachments == []
    with pytest.raises(CommandError):
        run(app, "/paste now")


def test_clipboard_names_count_on_from_the_conversation(app):
    app.session.add_turn(
        Message("user", [{"type": "text", "text": "x"}, {"type": "image_url", "image_url": {"url": "u"}, "name": "clipboard-4.png"}]),
        Message("assistant", "y"),
    )
    assert clipboard_name(app, "image/jpeg") == "clipboard-5.jpg"
    app.attachments.append(image_from_bytes(PNG, "clipboard-5.png"))
    assert clipboard_name(app, "image/png") == "clipboard-6.png"


def test_a_big_clipboard_image_is_scaled_and_its_note_names_no_file(app, fake_xclip, capsys):
    (fake_xclip / "targets").write_text("TARGETS\nimage/png\n")
    (fake_xclip / "image.png").write_bytes(image_bytes((4000, 100), "PNG"))
    run(app, "/paste")
    [image] = app.attachments
    assert image.name == "clipboard-1.png" and (image.width, image.height) == (1568, 39)
    assert image.note is not None
    assert image.note.startswith("clipboard-1.png scaled down for the model: 4000×100")
    assert "file" not in image.note  # there is no file
    assert image.note in capsys.readouterr().out


def test_take_back_detaches_the_last_pasted_image_only_while_it_is_pending(app):
    paster = Paster(app)
    first = image_from_bytes(PNG, "clipboard-1.png")
    paster.attach(first)
    second = image_from_bytes(PNG, "/tmp/x.png")
    paster.attach(second, "/tmp/x.png")
    assert paster.take_back() == (second, "/tmp/x.png")
    assert app.attachments == [first] and paster.can_take_back()
    app.attachments = []  # sent
    assert not paster.can_take_back() and paster.take_back() is None
