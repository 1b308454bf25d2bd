"""Images as people have them, end to end: Ctrl-V with a fake clipboard program on PATH, a
dropped file's path pasted by the terminal, and a phone's photo scaled down on the way.

The program runs in a pseudo-terminal against the service double; the clipboard program is a
shell script the test writes (named xclip, answering TARGETS and image/png from files), so no
display is needed. Tests wait on the screen and the double, never on time.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shlex
from pathlib import Path

import pytest
from PIL import Image

from tests.cli_helpers import CLI
from tests.double import ServiceDouble
from tests.images import image_bytes, sideways_photo
from tests.terminal import Keys, Terminal, columns_for_paths_under, STATUS_LINE

pytestmark = pytest.mark.e2e  # every test here starts the program

STATUS = STATUS_LINE
PNG = image_bytes((64, 48), "PNG", (250, 10, 10))
CTRL_V = "\x16"
CTRL_Z = "\x1a"


def status_lines(term: Terminal) -> list[str]:
    return [line for line in term.all_lines() if STATUS.match(line)]


def turn(term: Terminal, text: str) -> None:
    """Send `text` (typed after whatever is in the input) and wait for the answer and the prompt."""
    before = len(status_lines(term))
    term.type_line(text)
    term.wait_for(lambda t: len(status_lines(t)) > before)
    term.wait_for_prompt()


def run(term: Terminal, line: str, expect: str) -> None:
    before = sum(expect in row for row in term.all_lines())
    term.type_line(line)
    term.wait_for(lambda t: sum(expect in row for row in t.all_lines()) > before)
    term.wait_for_prompt()


def rows_with(term: Terminal, text: str) -> list[str]:
    return [line for line in term.all_lines() if text in line]


def images_sent(double: ServiceDouble, number: int) -> list[Image.Image]:
    """The images of the last message of the `number`-th request, decoded."""
    assert double.wait_for_requests(number)
    content = double.requests[number - 1].json["messages"][-1]["content"]
    assert isinstance(content, list), content
    found = []
    for part in content[1:]:
        assert set(part) == {"type", "image_url"}  # names and sizes are ours, never sent
        media_type, _, data = part["image_url"]["url"].removeprefix("data:").partition(";base64,")
        image = Image.open(io.BytesIO(base64.b64decode(data)))
        assert Image.MIME[image.format] == media_type
        found.append(image)
    return found


def text_sent(double: ServiceDouble, number: int) -> str:
    assert double.wait_for_requests(number)
    content = double.requests[number - 1].json["messages"][-1]["content"]
    return content if isinstance(content, str) else content[0]["text"]


# --- a fake clipboard -------------------------------------------------------------------------


def fake_xclip(home: Path) -> tuple[Path, Path]:
    """An `xclip` in `home/bin` that answers from the files in `home/clipboard`; (bin, clipboard)."""
    bin_dir, folder = home / "bin", home / "clipboard"
    bin_dir.mkdir()
    folder.mkdir()
    q = lambda name: shlex.quote(str(folder / name))  # noqa: E731
    program = bin_dir / "xclip"
    program.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {q("calls")}\n'
        'case "$*" in\n'
        f"  *TARGETS*) exec /bin/cat {q('targets')} ;;\n"
        f"  *image/png*) exec /bin/cat {q('image.png')} ;;\n"
        f"  *) exec /bin/cat {q('text')} ;;\n"
        "esac\n"
    )
    program.chmod(0o755)
    return bin_dir, folder


def clipboard_env(bin_dir: Path) -> dict[str, str]:
    # Only the fake on PATH: a real xclip or wl-paste where the tests run must not answer.
    return {"PATH": str(bin_dir), "DISPLAY": ":0", "WAYLAND_DISPLAY": "", "WSL_DISTRO_NAME": "", "WSL_INTEROP": ""}


def test_ctrl_v_attaches_the_image_on_the_clipboard_and_the_request_carries_it(tmp_path, terminal, double):
    bin_dir, clipboard = fake_xclip(tmp_path)
    (clipboard / "targets").write_text("TARGETS\nUTF8_STRING\nimage/png\n")
    (clipboard / "image.png").write_bytes(PNG)
    term = terminal(env=clipboard_env(bin_dir))
    term.send("what is this? ")
    term.send(CTRL_V)
    term.wait_for("attached clipboard-1.png (64×48, ")
    [notice] = rows_with(term, "attached clipboard-1.png")
    assert notice.endswith("from the clipboard · Ctrl-Z takes it back")
    term.wait_for(lambda t: "attached clipboard-1.png" in t.screen_lines()[-1])  # the toolbar shows it
    term.wait_for_prompt("what is this? ")  # the typed text is untouched
    turn(term, "")
    [sent] = images_sent(double, 1)
    assert (sent.format, sent.size, sent.convert("RGB").getpixel((0, 0))) == ("PNG", (64, 48), (250, 10, 10))
    assert text_sent(double, 1) == "what is this? "
    assert "[image: clipboard-1.png]" in term.all_lines()

    # The next one is clipboard-2; Ctrl-Z takes it back before it is sent.
    term.send(CTRL_V)
    term.wait_for("attached clipboard-2.png")
    term.send(CTRL_Z)
    term.wait_for("clipboard-2.png is no longer attached")
    turn(term, "and now?")
    assert double.requests[1].json["messages"][-1] == {"role": "user", "content": "and now?"}


def test_enter_right_after_ctrl_v_sends_the_image_with_the_message(tmp_path, terminal, double):
    bin_dir, clipboard = fake_xclip(tmp_path)
    (clipboard / "targets").write_text("TARGETS\nimage/png\n")
    (clipboard / "image.png").write_bytes(PNG)
    # The image comes only once the test says so: Enter is read while the clipboard is being read.
    go = clipboard / "go"
    hold = f"while [ ! -e {shlex.quote(str(go))} ]; do /bin/sleep 0.02; done; "
    program = bin_dir / "xclip"
    program.write_text(program.read_text().replace("*image/png*) exec", f"*image/png*) {hold}exec"))
    term = terminal(env=clipboard_env(bin_dir))
    term.send("quick " + CTRL_V + Keys.ENTER)
    calls = clipboard / "calls"
    term.wait_for(lambda t: calls.exists() and "image/png" in calls.read_text())
    go.touch()
    term.wait_for(lambda t: status_lines(t))
    term.wait_for_prompt()
    assert [image.size for image in images_sent(double, 1)] == [(64, 48)]
    assert text_sent(double, 1) == "quick "
    assert len(double.requests) == 1


def test_text_pasted_and_sent_in_one_go_is_sent_whole(terminal, double):
    term = terminal()
    term.send(Keys.paste("pasted words") + Keys.ENTER)
    term.wait_for(lambda t: status_lines(t))
    assert text_sent(double, 1) == "pasted words"


def test_ctrl_v_with_only_text_on_the_clipboard_pastes_the_text_without_sending(tmp_path, terminal, double):
    bin_dir, clipboard = fake_xclip(tmp_path)
    (clipboard / "targets").write_text("TARGETS\nUTF8_STRING\nTEXT\n")
    (clipboard / "text").write_text("first line\nsecond line")
    term = terminal(env=clipboard_env(bin_dir))
    term.send("see: ")
    term.send(CTRL_V)
    term.wait_for_prompt("see: first line\nsecond line")
    assert double.requests == []  # a paste, not a send
    assert not rows_with(term, "attached")
    assert "image/png" not in (clipboard / "calls").read_text()  # text is never read as an image
    turn(term, "")
    assert text_sent(double, 1) == "see: first line\nsecond line"


def test_ctrl_v_with_no_clipboard_program_says_what_to_install_in_one_line(tmp_path, terminal, double):
    (tmp_path / "bin").mkdir()
    term = terminal(env=clipboard_env(tmp_path / "bin"))
    term.send("keep me")
    term.send(CTRL_V)
    term.wait_for("error: cannot read the clipboard: install xclip")
    [line] = rows_with(term, "cannot read the clipboard")
    assert line.startswith("error: ")
    term.wait_for_prompt("keep me")
    assert double.requests == []


def test_paste_command_attaches_the_clipboard_image(tmp_path, terminal, double):
    bin_dir, clipboard = fake_xclip(tmp_path)
    (clipboard / "targets").write_text("TARGETS\nimage/png\n")
    (clipboard / "image.png").write_bytes(PNG)
    term = terminal(env=clipboard_env(bin_dir))
    run(term, "/paste", "attached clipboard-1.png")
    assert rows_with(term, "attached clipboard-1.png")[0].endswith("· /image clear drops it")
    turn(term, "describe")
    assert [image.size for image in images_sent(double, 1)] == [(64, 48)]


# --- a dropped file -------------------------------------------------------------------------------


def test_a_pasted_quoted_image_path_is_attached_and_ctrl_z_makes_it_text(tmp_path, terminal, double):
    shot = tmp_path / "shots" / "my shot.png"
    shot.parent.mkdir()
    shot.write_bytes(PNG)
    term = terminal(cols=columns_for_paths_under(tmp_path))
    term.send("look: ")
    term.paste(f"'{shot}'")  # as GNOME Terminal pastes a dropped file
    shown = "~/shots/my shot.png"  # the program's home is tmp_path
    term.wait_for(f"attached {shown} (64×48, ")
    [notice] = rows_with(term, f"attached {shown}")
    assert notice.endswith("from the pasted path · Ctrl-Z makes it text")
    term.wait_for_prompt("look: ")  # the path is not in the input
    turn(term, "")
    assert [image.size for image in images_sent(double, 1)] == [(64, 48)]
    assert text_sent(double, 1) == "look: "

    # Taken back, the paste is the text it was.
    term.paste(f"'{shot}'")
    term.wait_for(lambda t: len(rows_with(t, f"attached {shown}")) == 2)
    term.send(CTRL_Z)
    term.wait_for(f"{shown} is no longer attached; its path is in the input")
    term.wait_for_prompt(f"'{shot}'")
    turn(term, "")
    assert double.requests[1].json["messages"][-1] == {"role": "user", "content": f"'{shot}'"}


def test_a_pasted_path_of_a_text_file_or_of_two_images_is_pasted_as_text(tmp_path, terminal, double):
    (tmp_path / "notes.txt").write_text("words\n")
    (tmp_path / "a.png").write_bytes(PNG)
    term = terminal(cols=columns_for_paths_under(tmp_path))
    pasted = f"{tmp_path}/notes.txt"
    term.paste(pasted)
    term.wait_for_prompt(pasted)
    term.send(Keys.CTRL_C)  # clear the line
    term.wait_for_prompt("")
    two = f"{tmp_path}/a.png {tmp_path}/a.png"
    term.paste(two)
    term.wait_for_prompt(two)
    assert not rows_with(term, "attached")


# --- a phone's photo --------------------------------------------------------------------------


@pytest.fixture
def photo(tmp_path) -> Path:
    path = tmp_path / "IMG_2041.jpg"
    path.write_bytes(sideways_photo())
    return path


def check_scaled(image: Image.Image) -> None:
    assert image.format == "JPEG" and image.size == (1176, 1568)  # upright, long edge 1568
    red, _, blue = image.convert("RGB").getpixel((image.width - 20, 20))  # the top-left red, turned right
    assert red > 150 and blue < 100


def test_a_12_megapixel_photo_is_scaled_down_with_a_note_and_the_file_left_alone(photo, terminal, double):
    before = hashlib.sha256(photo.read_bytes()).hexdigest()
    term = terminal(cols=columns_for_paths_under(photo.parent))  # the note is read whole, not folded
    run(term, f"/image {photo.name}", "scaled down for the model")
    [note] = rows_with(term, "scaled down for the model")
    assert re.fullmatch(
        r"IMG_2041\.jpg scaled down for the model: 4000×3000, [\d.]+ MB → 1176×1568, \d+ KB JPEG, turned upright "
        r"\(the file is unchanged\)",
        note,
    ), note
    turn(term, "what is in it?")
    [sent] = images_sent(double, 1)
    check_scaled(sent)
    payload = double.requests[0].json["messages"][-1]["content"][1]["image_url"]["url"]
    assert len(payload.partition(",")[2]) <= 5 * 1024 * 1024
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == before


def test_the_one_shot_i_scales_the_same_way_and_says_so_on_stderr(photo, tmp_path):
    with ServiceDouble() as double:
        result = CLI(root=tmp_path, token="test-token", base_url=double.url).run("-i", photo.name, "what is in it?")
        assert result.returncode == 0, result
        assert result.stdout == "echo: what is in it?\n"
        assert re.search(r"^claudechat: IMG_2041\.jpg scaled down for the model: 4000×3000, .* → 1176×1568", result.stderr, re.M)
        [sent] = images_sent(double, 1)
    check_scaled(sent)


def test_a_dropped_photo_is_scaled_too(photo, terminal, double):
    term = terminal(cols=columns_for_paths_under(photo.parent))
    term.paste(str(photo))
    term.wait_for("attached ~/IMG_2041.jpg (1176×1568, ")
    term.wait_for(f"{photo} scaled down for the model: 4000×3000")
    turn(term, "and this?")
    check_scaled(images_sent(double, 1)[0])


def test_a_heic_photo_is_sent_as_a_jpeg(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    Image.new("RGB", (2000, 1000), (30, 160, 30)).save(tmp_path / "IMG_0007.HEIC", "HEIF")
    with ServiceDouble() as double:
        result = CLI(root=tmp_path, token="test-token", base_url=double.url).run("-i", "IMG_0007.HEIC", "and this?")
        assert result.returncode == 0, result
        assert "IMG_0007.HEIC scaled down for the model: HEIC 2000×1000" in result.stderr
        [sent] = images_sent(double, 1)
    assert (sent.format, sent.size) == ("JPEG", (1568, 784))
    red, green, blue = sent.convert("RGB").getpixel((10, 10))
    assert green > 120 and red < 80
