"""Files into a message end to end: `@path`, `/file`, `-f`, against the service double.

The chat runs in a pseudo-terminal (its cwd and HOME are tmp_path); one-shot runs are
subprocesses in the same home. Each test checks what reached the server (the fenced file in
the request body) and what the user saw: one line for each refusal, nothing half-attached.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.double import ServiceDouble
from tests.images import tiny_png
from tests.pdfs import encrypted_pdf, pdf_with_pages
from tests.terminal import CLAUDECHAT, Terminal, isolated_env
from tests.test_commands import count, run, status_lines, turn

pytestmark = pytest.mark.e2e  # every test here starts the program


def make(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def sent(double: ServiceDouble, number: int) -> list:
    """The content of the last message of the `number`-th request (1-based)."""
    assert double.wait_for_requests(number)
    return double.requests[number - 1].json["messages"][-1]["content"]


def block(name: str, text: str, language: str = "", fence: str = "```") -> dict:
    return {"type": "text", "text": f"{name}\n{fence}{language}\n{text}{fence}"}


def oneshot(home: Path, double: ServiceDouble, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CLAUDECHAT, *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=isolated_env(home, base_url=double.url, api_key="test-token"),
        cwd=home,
        timeout=30,
    )


def error_rows(term: Terminal) -> list[str]:
    return [line for line in term.all_lines() if line.startswith("error:")]


def refused(term: Terminal, line: str, expect: str) -> None:
    """`line` is refused in exactly one new error row, which says `expect`."""
    before = error_rows(term)
    run(term, line, "error:")
    new = error_rows(term)[len(before):]
    assert len(new) == 1 and expect in new[0], (new, term.dump())


# --- @path and /file ---------------------------------------------------------------------------


def test_a_mention_attaches_the_file_fenced_below_the_message(tmp_path, terminal, double):
    make(tmp_path, {"src/app.py": "def f():\n    return 1\n", "shot.png": tiny_png()})
    term = terminal()
    turn(term, "explain @src/app.py please, not @decorator or ann@example.com")
    assert sent(double, 1) == [
        {"type": "text", "text": "explain @src/app.py please, not @decorator or ann@example.com"},
        block("src/app.py", "def f():\n    return 1\n", "python"),
    ]
    assert "[file: src/app.py]" in term.all_lines()
    turn(term, "and @shot.png?")  # an image goes as /image sends it
    [text, image] = sent(double, 2)
    assert text == {"type": "text", "text": "and @shot.png?"}
    assert image["type"] == "image_url" and image["image_url"]["url"].startswith("data:image/png;base64,")
    assert "[image: shot.png]" in term.all_lines()


def test_file_attaches_to_the_next_message_lists_and_clears(tmp_path, terminal, double):
    make(tmp_path, {"notes.md": "# Notes\n\n```sh\nls\n```\n", "other.txt": "x\n"})
    term = terminal()
    run(term, "/file notes.md other.txt", "attached notes.md, other.txt (2 files")
    term.wait_for(lambda t: "2 attached" in t.screen_lines()[-1])
    run(term, "/file", "attached to the next message:")
    assert any(line.startswith("1. notes.md · 22 bytes · ~") for line in term.all_lines())
    run(term, "/file clear", "dropped 2 files")
    run(term, "/file notes.md", "attached notes.md (1 file")
    turn(term, "summarise")
    assert sent(double, 1) == [
        {"type": "text", "text": "summarise"},
        block("notes.md", "# Notes\n\n```sh\nls\n```\n", "markdown", fence="````"),
    ]
    run(term, "/file", "no files attached")  # they went with that message


def test_a_folder_sends_its_list_first_and_leaves_out_what_gitignore_excludes(tmp_path, terminal, double):
    make(tmp_path, {
        ".git/HEAD": "ref: refs/heads/main\n",
        ".gitignore": "*.log\nsecret/\n",
        "proj/main.py": "print('main')\n",
        "proj/lib/util.py": "X = 1\n",
        "proj/debug.log": "IGNORED-LOG\n",
        "proj/secret/key.txt": "IGNORED-SECRET\n",
        "proj/icon.png": tiny_png(),
    })
    term = terminal()
    turn(term, "review @proj")
    content = sent(double, 1)
    assert content == [
        {"type": "text", "text": "review @proj"},
        block("proj/ (folder: 2 files, each in a block of its own; left out: 1 image)", "proj/main.py\nproj/lib/util.py\n"),
        block("proj/main.py", "print('main')\n", "python"),
        block("proj/lib/util.py", "X = 1\n", "python"),
    ]
    assert "IGNORED" not in str(content)
    assert "[folder: proj/ (2 files)]" in term.all_lines()
    assert "left out of proj/: 1 image" in term.all_lines()


def test_a_pdf_goes_as_its_text_with_page_markers(tmp_path, terminal, double):
    (tmp_path / "paper.pdf").write_bytes(pdf_with_pages("Abstract of the paper", "Results and more"))
    term = terminal()
    turn(term, "what does @paper.pdf conclude?")
    assert sent(double, 1)[1] == block(
        "paper.pdf (PDF, 2 pages)",
        "--- page 1 of 2 ---\nAbstract of the paper\n\n--- page 2 of 2 ---\nResults and more\n",
    )
    assert "[pdf: paper.pdf]" in term.all_lines()


def test_a_big_folder_is_attached_only_when_the_user_says_yes(tmp_path, terminal, double):
    make(tmp_path, {f"many/{number:03}.txt": f"{number}\n" for number in range(250)})
    term = terminal()
    term.type_line("/file many")
    term.wait_for("many/ holds 250 files; attach them all? [y/N]")
    term.type_line("n")
    term.wait_for("nothing attached")
    term.wait_for_prompt()
    run(term, "/file", "no files attached")
    term.type_line("/file many")
    term.wait_for(lambda t: count(t, "attach them all? [y/N]") == 2)
    term.type_line("y")
    term.wait_for("attached many/, many/000.txt")
    term.wait_for_prompt()
    turn(term, "count them")
    assert len(sent(double, 1)) == 1 + 1 + 250


# --- bad input: one line, nothing attached, nothing sent ------------------------------------------


def test_every_bad_input_is_one_line_and_attaches_nothing(tmp_path, terminal, double):
    make(tmp_path, {
        "ok.txt": "fine\n",
        "prog.bin": b"\x7fELF\x02\x01\x01\x00" + bytes(64),
        "big.txt": "x" * (1024 * 1024 + 10),
        "locked.pdf": encrypted_pdf("secret"),
        "broken.pdf": pdf_with_pages("text")[:100],
    })
    os.mkfifo(tmp_path / "pipe")
    os.symlink("loop", tmp_path / "loop")
    term = terminal()
    refused(term, "/file ok.txt prog.bin", "cannot attach prog.bin: it is a binary file")
    refused(term, "/file pipe", "cannot attach pipe: it is a named pipe (FIFO), not a file")
    refused(term, "/file /dev/null", "cannot attach /dev/null: it is a device, not a file")
    refused(term, "/file loop", "cannot attach loop: a loop of symbolic links")
    refused(term, "/file /proc/self/mem", "cannot attach /proc/self/mem: it cannot be read: input/output error")
    refused(term, "/file big.txt", "cannot attach big.txt: 1.0 MB is over the 1 MB limit for a file's text")
    refused(term, "/file locked.pdf", "cannot attach locked.pdf: the PDF is encrypted")
    refused(term, "/file broken.pdf", "cannot attach broken.pdf: not a readable PDF")
    refused(term, "/file missing.txt", "cannot attach missing.txt: no such file or folder")
    run(term, "/file", "no files attached")

    # A mention that cannot be attached stops the message: it stays in the input line.
    term.type_line("compare @ok.txt with @pipe")
    term.wait_for(lambda t: len(error_rows(t)) == 10)
    assert "cannot attach pipe: it is a named pipe (FIFO), not a file; nothing was sent" in error_rows(term)[-1]
    term.wait_for_prompt("compare @ok.txt with @pipe")
    assert double.requests == []


def test_text_that_is_not_utf8_is_attached_with_a_warning(tmp_path, terminal, double):
    make(tmp_path, {"latin.txt": b"caf\xe9\n"})
    term = terminal()
    run(term, "/file latin.txt", "attached latin.txt")
    assert "warning: latin.txt is not UTF-8 text: 1 undecodable byte sent as \ufffd" in term.all_lines()
    turn(term, "fix it")
    assert sent(double, 1)[1] == block("latin.txt", "caf\ufffd\n")


def test_attachments_past_their_share_of_the_window_are_refused(tmp_path, terminal, double):
    config = tmp_path / "config" / "claudechat" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("attach_max_share = 0.01\n")  # 2,000 of claude-sonnet-4-6's 200,000 tokens
    config.chmod(0o600)
    make(tmp_path, {"a.txt": "word " * 1000, "b.txt": "word " * 1000})
    term = terminal(cols=250)  # the refusal is one long line: read it unfolded
    run(term, "/file a.txt", "attached a.txt")
    refused(term, "/file b.txt", "is over the 2,000 one message may carry (1% of claude-sonnet-4-6's 200,000-token window)")
    term.type_line("and @b.txt")
    term.wait_for(lambda t: len(error_rows(t)) == 2)
    term.wait_for_prompt("and @b.txt")
    assert double.requests == []


def test_escapes_in_a_file_are_sent_but_never_reach_the_terminal(tmp_path, terminal, double):
    hostile = "title \x1b]0;PWNED\x07 clear \x1b[2J bell \x07\n"
    make(tmp_path, {"evil\x1b]0;NAME\x07.txt": hostile})
    term = terminal()
    run(term, "/file evil*", "attached evil␛]0;NAME␇.txt")
    turn(term, "what is this?")
    assert sent(double, 1)[1] == block("evil\x1b]0;NAME\x07.txt", hostile)
    assert b"\x1b]0;PWNED" not in term.raw and b"\x1b]0;NAME" not in term.raw
    assert b"\x1b[2J bell" not in term.raw


# --- one-shot, sessions and transcripts ----------------------------------------------------------


def test_oneshot_files_go_with_stdin_and_the_prompt(tmp_path, double):
    make(tmp_path, {"a.py": "A = 1\n", "src/b.py": "B = 2\n", "src/c.md": "C\n"})
    done = oneshot(tmp_path, double, "-f", "a.py", "-f", "src/*.py", "review", stdin="diff --git x\n")
    assert done.returncode == 0, done.stderr
    assert sent(double, 1) == [
        {"type": "text", "text": "diff --git x\n\nreview"},
        block("a.py", "A = 1\n", "python"),
        block("src/b.py", "B = 2\n", "python"),
    ]
    assert done.stdout.startswith("echo: diff --git x")


@pytest.mark.parametrize(
    ("setup", "spec", "line"),
    [
        (lambda root: os.mkfifo(root / "pipe"), "pipe", "cannot attach pipe: it is a named pipe (FIFO), not a file"),
        (lambda root: (root / "x.bin").write_bytes(b"\0\1"), "x.bin", "cannot attach x.bin: it is a binary file"),
        (lambda root: make(root, {f"many/{n}.txt": "x" for n in range(201)}), "many",
         "many/ holds 201 files, more than the 200 attached without asking (name the files or a narrower glob)"),
    ],
    ids=["fifo", "binary", "many-files"],
)
def test_oneshot_refuses_bad_files_in_one_line_and_sends_nothing(tmp_path, double, setup, spec, line):
    setup(tmp_path)
    done = oneshot(tmp_path, double, "-f", spec, "what is it?")
    assert done.returncode == 2
    assert done.stderr == f"claudechat: error: {line}\n"
    assert done.stdout == "" and double.requests == []


def test_continuing_a_session_sends_its_files_again_and_shows_them(tmp_path, terminal, double):
    make(tmp_path, {"a.py": "A = 1\n"})
    term = terminal()
    turn(term, "first @a.py")
    assert term.close() == 0
    (tmp_path / "a.py").write_text("changed since\n")  # what was sent is what is sent again
    first = {"role": "user", "content": [{"type": "text", "text": "first @a.py"}, block("a.py", "A = 1\n", "python")]}
    assert double.requests[0].json["messages"][0] == first
    assert oneshot(tmp_path, double, "-c", "second").returncode == 0
    assert double.requests[1].json["messages"][0] == first
    term = terminal("-c")
    term.wait_for("[file: a.py]")
    turn(term, "third")
    assert double.requests[2].json["messages"][0] == first


def test_a_transcript_folds_each_file_into_details(tmp_path, terminal, double):
    text = "line\n</details>\nafter\n"
    make(tmp_path, {"notes.txt": text})
    term = terminal()
    turn(term, "read @notes.txt")
    run(term, "/save out.md", "saved the transcript")
    markdown = (tmp_path / "out.md").read_text()
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    assert (
        f"read @notes.txt\n\n<details>\n<summary>file: notes.txt · {len(text)} bytes · sha256 "
        f"{digest}</summary>\n\n````\nnotes.txt\n```\nline\n</details>\nafter\n```\n````\n\n</details>"
    ) in markdown
    assert len(status_lines(term)) == 1
