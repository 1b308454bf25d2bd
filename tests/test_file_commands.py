"""`/file` and `@path` mentions in the chat, in-process: what is pending, listed, refused.

The chat's screen output goes to the captured stdout; test_file_attach.py drives the same in
a pseudo-terminal against the service double.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from claudechat.chat.attachments import AttachmentError
from claudechat.repl.app import Repl
from claudechat.repl.file_commands import attachments_for
from tests.images import tiny_png
from tests.test_chat_commands import app, printed_lines, run  # noqa: F401  (the fixture)


def make(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def pending(app: Repl) -> list[str]:
    return [attachment.label for attachment in app.attachments]


def answer_confirm(app: Repl, answer: bool) -> list[str]:
    """The user's answer to the chat's question (the real prompt is driven in the pty tests)."""
    asked: list[str] = []

    async def confirm(question: str) -> bool:
        asked.append(question)
        return answer

    app.confirm = confirm  # type: ignore[method-assign]
    return asked


def test_file_attaches_lists_with_size_and_tokens_and_clears_only_files(app, tmp_path, capsys):
    make(tmp_path, {"src/a.py": "x = 1\n" * 100, "notes.md": "# notes\n", "shot.png": tiny_png()})
    run(app, "/file src/a.py notes.md")
    assert pending(app) == ["file: src/a.py", "file: notes.md"]
    assert "attached src/a.py, notes.md (2 files, ~" in capsys.readouterr().out
    run(app, "/image shot.png")
    run(app, "/file")
    lines = printed_lines(capsys)
    start = lines.index("attached to the next message:")
    rows = lines[start + 1 :]
    assert rows[0].startswith("1. src/a.py · 600 bytes · ~") and rows[0].endswith(" tokens")
    assert rows[1].startswith("2. notes.md · 8 bytes · ~")
    assert rows[2].startswith("in all ~") and rows[2].endswith(" tokens of the 100,000 one message may carry (50% of a 200,000-token window)")
    assert rows[3] == "and 1 other attachment (/image lists images, /run command output)"
    run(app, "/file clear")
    assert pending(app) == ["image: shot.png"]
    assert "dropped 2 files" in capsys.readouterr().out


def test_file_groups_a_folder_in_its_list(app, tmp_path, capsys):
    make(tmp_path, {"src/a.py": "a\n", "src/b.py": "b\n"})
    run(app, "/file src/")
    capsys.readouterr()
    run(app, "/file")
    rows = printed_lines(capsys)
    assert any(row.startswith("1. src/ (folder, 2 files) · 4 bytes · ~") for row in rows)
    assert not any(row.startswith("2.") for row in rows)


def test_file_attached_again_is_read_again_not_twice(app, tmp_path):
    make(tmp_path, {"a.txt": "old\n"})
    run(app, "/file a.txt")
    (tmp_path / "a.txt").write_text("new\n")
    run(app, "/file a.txt")
    [attachment] = app.attachments
    assert "new" in attachment.text


def test_file_refuses_bad_input_and_attaches_nothing(app, tmp_path):
    make(tmp_path, {"ok.txt": "fine\n", "bin.dat": b"\0\1"})
    with pytest.raises(AttachmentError, match="cannot attach bin.dat: it is a binary file"):
        run(app, "/file ok.txt bin.dat")
    assert app.attachments == []


def test_file_holds_pending_files_to_the_share_of_the_window(app, tmp_path):
    app.settings = dataclasses.replace(app.settings, attach_max_share=0.01)  # 2,000 tokens
    make(tmp_path, {"a.txt": "word " * 1000, "b.txt": "word " * 1000})
    run(app, "/file a.txt")
    with pytest.raises(AttachmentError, match="over the 2,000 one message may carry"):
        run(app, "/file b.txt")
    assert pending(app) == ["file: a.txt"]


@pytest.mark.parametrize("answer", [False, True])
def test_file_asks_before_a_folder_of_more_than_200_files(app, tmp_path, capsys, answer):
    make(tmp_path, {f"many/{number:03}.txt": "x\n" for number in range(250)})
    asked = answer_confirm(app, answer)
    run(app, "/file many")
    assert asked == ["many/ holds 250 files; attach them all?"]
    assert len(app.attachments) == (251 if answer else 0)
    assert ("nothing attached" in capsys.readouterr().out) is not answer


def test_file_warns_of_text_that_is_not_utf8_and_notes_what_a_folder_left_out(app, tmp_path, capsys):
    make(tmp_path, {"docs/latin.txt": b"caf\xe9\n", "docs/logo.png": tiny_png()})
    run(app, "/file docs")
    out = capsys.readouterr().out
    assert "warning: docs/latin.txt is not UTF-8 text: 1 undecodable byte sent as \ufffd" in out
    assert "left out of docs/: 1 image" in out


def test_names_with_controls_reach_the_screen_as_symbols(app, tmp_path, capsys):
    make(tmp_path, {"evil\x1b]0;x\x07.txt": "hi\n"})
    run(app, "/file evil*")
    run(app, "/file")
    out = capsys.readouterr().out
    assert "\x07" not in out and "\x1b]0" not in out
    assert "evil␛]0;x␇.txt" in out


# --- mentions -------------------------------------------------------------------------------


def mentioned(app: Repl, text: str):
    return asyncio.run(attachments_for(app, text))


def test_mentions_attach_to_the_message_after_what_is_pending(app, tmp_path):
    make(tmp_path, {"a.py": "a\n", "b.py": "b\n"})
    run(app, "/file a.py")
    found = mentioned(app, "compare @a.py with @b.py, and mail me@b.py")
    assert [attachment.name for attachment in found] == ["a.py", "b.py"]  # a.py once: read anew
    assert pending(app) == ["file: a.py"]  # what send() clears when the message goes
    assert mentioned(app, "no mention, @nothing-here") == app.attachments


def test_a_mention_that_cannot_be_attached_stops_the_message(app, tmp_path, capsys):
    make(tmp_path, {"ok.py": "a\n", "blob.bin": b"\0"})
    assert mentioned(app, "see @ok.py and @blob.bin") is None
    assert "error: cannot attach blob.bin: it is a binary file; nothing was sent" in capsys.readouterr().out


def test_a_big_folder_mentioned_is_asked_about(app, tmp_path):
    make(tmp_path, {f"many/{number:03}.txt": "x\n" for number in range(201)})
    asked = answer_confirm(app, False)
    assert mentioned(app, "summarise @many") is None
    assert asked == ["many/ holds 201 files; attach them all?"]


def test_a_mentioned_photo_too_big_for_the_models_is_scaled_and_says_so(app, tmp_path, capsys):
    from tests.images import sideways_photo

    make(tmp_path, {"IMG_1.jpg": sideways_photo()})
    found = mentioned(app, "what is in @IMG_1.jpg")
    assert [(attachment.label, attachment.width, attachment.height) for attachment in found] == [
        ("image: IMG_1.jpg", 1176, 1568)
    ]
    assert "IMG_1.jpg scaled down for the model: 4000×3000" in capsys.readouterr().out


def test_the_current_folder_is_listed_with_its_files(app, tmp_path, capsys, monkeypatch):
    make(tmp_path, {"a.py": "a\n", "src/b.py": "b\n"})
    monkeypatch.chdir(tmp_path)
    run(app, "/file .")
    capsys.readouterr()
    run(app, "/file")
    assert any(line.startswith("1. ./ (folder, 2 files)") for line in printed_lines(capsys))


def test_a_folders_files_fold_under_it_below_the_message() -> None:
    from rich.console import Console

    from claudechat.render.exchange import attached_names

    console = Console(width=200, record=True, color_system=None)
    labels = ["folder: ./", "file: a.py", "file: src/b.py", "file: /etc/hosts", "folder: src/", "file: src/b.py"]
    console.print(attached_names(labels))
    assert console.export_text().splitlines() == [
        "[folder: ./ (2 files)]", "[file: /etc/hosts]", "[folder: src/ (1 file)]",
    ]


def test_file_completes_paths_of_the_tree_fuzzily_after_those_it_starts(app, tmp_path, monkeypatch):
    from claudechat.attach.index import working_tree_index
    from claudechat.repl.commands import COMMANDS

    make(tmp_path, {"src/main.py": "", "mainly.txt": "", "docs/other.md": ""})
    monkeypatch.chdir(tmp_path)
    index = working_tree_index()
    index.start()
    assert index.wait(30)
    complete = COMMANDS.find("file").complete
    offered = complete(app, "mai")
    assert offered[0] == "mainly.txt"  # the path it starts comes first
    assert "src/main.py" in offered and "docs/other.md" not in offered
    assert complete(app, "notes.md srcmain")[0] == "notes.md src/main.py"


def test_a_command_run_from_the_chat_has_the_tree_listed_anew(app, tmp_path, monkeypatch):
    from claudechat.attach.index import working_tree_index

    make(tmp_path, {"old.py": ""})
    monkeypatch.chdir(tmp_path)
    index = working_tree_index()
    index.start()
    assert index.wait(30)
    assert index.search("new").paths == []
    run(app, "/run touch new.py")
    index.search("new")  # a search after a change starts the listing anew
    assert index.wait(30)
    assert index.search("new").paths == ["new.py"]
