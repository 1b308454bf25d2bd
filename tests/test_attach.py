"""Files, folders, globs, PDFs and `@path` mentions into attachments, in-process.

The pseudo-terminal tests in test_file_attach.py check the same end to end: what the chat
shows and what the service double receives.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from claudechat.attach import Budget, TooManyFiles, fence_for, file_block, find_mentions, language_for, plan
from claudechat.attach.expand import shown_name
from claudechat.chat.attachments import AttachmentError, ImageAttachment, TextAttachment
from claudechat.chat.estimate import TokenEstimator
from tests.images import tiny_png
from tests.pdfs import encrypted_pdf, pdf_with_pages

pytestmark = pytest.mark.temp_dir


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))


def make(files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def attach(*specs: str, budget: Budget | None = None):
    return plan(list(specs)).read(budget=budget)


def names(*specs: str) -> list[str]:
    return [attachment.name for attachment in attach(*specs).attachments]


def refusal(*specs: str, budget: Budget | None = None) -> str:
    with pytest.raises(AttachmentError) as caught:
        attach(*specs, budget=budget)
    line = str(caught.value)
    assert "\n" not in line
    return line


# --- the block --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fence"),
    [("plain", "```"), ("a `tick` and ``two``", "```"), ("```python\nx\n```", "````"), ("x ````` y", "``````")],
)
def test_the_fence_is_longer_than_any_backtick_run(text, fence):
    assert fence_for(text) == fence
    block = file_block("f.md", text, "markdown")
    assert block == f"f.md\n{fence}markdown\n{text}\n{fence}"


@pytest.mark.parametrize(
    ("name", "language"),
    [("src/app.py", "python"), ("Makefile", "make"), ("dir/CMakeLists.txt", "cmake"), ("notes.txt", ""),
     ("README", ""), ("a.rs", "rust"), ("x.tar.gz.unknownsuffix", "")],
)
def test_the_language_comes_from_the_name(name, language):
    assert language_for(name) == language


def test_a_text_file_is_sent_in_a_block_headed_by_its_path():
    make({"src/app.py": "print('hi')\n"})
    [attachment] = attach("src/app.py").attachments
    assert attachment == TextAttachment(
        name="src/app.py",
        text="src/app.py\n```python\nprint('hi')\n```",
        kind="file",
        size=12,
        sha256=hashlib.sha256(b"print('hi')\n").hexdigest(),
    )


def test_controls_and_escapes_in_a_file_are_sent_as_they_are():
    make({"log.txt": "\x1b]0;title\x07 red \x1b[31mX\x1b[0m\n"})
    [attachment] = attach("log.txt").attachments
    assert "\x1b]0;title\x07 red \x1b[31mX\x1b[0m" in attachment.text


def test_names_stay_as_typed_and_absolute_paths_inside_the_folder_become_relative(tmp_path):
    make({"src/a.py": "a\n", "notes.md": "n\n"})
    assert names("./src/a.py", "~/notes.md") == ["src/a.py", "~/notes.md"]
    assert shown_name(str(tmp_path / "src" / "a.py")) == "src/a.py"
    assert shown_name("/etc/hostname") == "/etc/hostname"


def test_text_that_is_not_utf8_is_decoded_with_a_warning():
    make({"latin.txt": b"caf\xe9 cr\xe8me\n", "bom.txt": b"\xef\xbb\xbfok\n", "wide.txt": "hé\n".encode("utf-16")})
    gathered = attach("latin.txt", "bom.txt", "wide.txt")
    latin, bom, wide = gathered.attachments
    assert "caf\ufffd cr\ufffdme" in latin.text
    assert bom.text == "bom.txt\n```\nok\n```" and wide.text == "wide.txt\n```\nhé\n```"
    assert gathered.warnings == ["latin.txt is not UTF-8 text: 2 undecodable bytes sent as \ufffd"]


def test_an_image_goes_as_an_image():
    make({"shot.png": tiny_png()})
    [image] = attach("shot.png").attachments
    assert isinstance(image, ImageAttachment) and image.name == "shot.png"
    assert image.url.startswith("data:image/png;base64,")


# --- bad input: one line each, nothing attached --------------------------------------------


def test_binary_files_are_refused():
    make({"a.txt": "fine\n", "prog": b"\x7fELF\x02\x01\x00\x00" + bytes(100), "noise.dat": bytes(range(1, 256)) * 4})
    assert refusal("a.txt", "prog") == "cannot attach prog: it is a binary file"
    assert refusal("noise.dat") == "cannot attach noise.dat: it is a binary file"


def test_a_fifo_is_refused_without_being_opened_for_a_blocking_read():
    os.mkfifo("pipe")
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(refusal("pipe")), daemon=True)
    worker.start()
    worker.join(timeout=30)  # a bound for a hung read, not a wait for anything
    assert outcome == ["cannot attach pipe: it is a named pipe (FIFO), not a file"]


def test_devices_loops_broken_links_and_unreadable_files_are_refused():
    os.symlink("loop", "loop")
    os.symlink("missing.txt", "dangling")
    assert refusal("/dev/null") == "cannot attach /dev/null: it is a device, not a file"
    assert refusal("loop") == "cannot attach loop: a loop of symbolic links (point the link at a file)"
    assert refusal("dangling") == "cannot attach dangling: a broken symbolic link"
    assert refusal("nothing-here.txt") == "cannot attach nothing-here.txt: no such file or folder"
    # Unreadable even for root: the process's memory at address 0 is never mapped.
    assert refusal("/proc/self/mem") == "cannot attach /proc/self/mem: it cannot be read: input/output error"


def test_a_file_over_one_megabyte_is_refused():
    make({"big.log": "x" * (1024 * 1024 + 1), "fits.log": "x" * (1024 * 1024)})
    assert refusal("big.log").startswith("cannot attach big.log: 1.0 MB is over the 1 MB limit")
    assert len(attach("fits.log").attachments) == 1


def test_all_or_nothing_the_first_bad_file_stops_the_rest():
    make({"a.txt": "a\n", "b.bin": b"\0\1\2"})
    assert "b.bin" in refusal("a.txt", "b.bin", "a.txt")


def test_the_total_is_held_to_its_share_of_the_context_window():
    make({"a.txt": "word " * 2000, "b.txt": "word " * 2000})
    budget = Budget("claude-sonnet-4-6", 10_000, 0.5)  # 5,000 tokens; each file is ~2,900
    assert attach("a.txt", budget=budget).tokens == TokenEstimator().text_tokens(attach("a.txt").attachments[0].text)
    line = refusal("a.txt", "b.txt", budget=budget)
    assert "is over the 5,000 one message may carry (50% of claude-sonnet-4-6's 10,000-token window)" in line
    assert "attach_max_share" in line
    assert Budget.for_model("some-local-model", share=0.5, configured_window=None).limit is None
    assert Budget.for_model("some-local-model", share=0.25, configured_window=8000).limit == 2000
    assert Budget.for_model("claude-sonnet-4-6", share=0.5, configured_window=8000).limit == 100_000


# --- PDFs --------------------------------------------------------------------------------


def test_a_pdf_goes_as_its_text_with_page_markers():
    make({"paper.pdf": pdf_with_pages("First page text", "Second page text")})
    [attachment] = attach("paper.pdf").attachments
    assert attachment.kind == "pdf" and attachment.size == len(pdf_with_pages("First page text", "Second page text"))
    assert attachment.text == (
        "paper.pdf (PDF, 2 pages)\n```\n--- page 1 of 2 ---\nFirst page text\n\n"
        "--- page 2 of 2 ---\nSecond page text\n```"
    )


def test_encrypted_broken_and_textless_pdfs_are_refused_in_one_line():
    make({
        "locked.pdf": encrypted_pdf("secret text"),
        "cut.pdf": pdf_with_pages("text")[:80],
        "fake.pdf": "just text, no PDF\n",
        "blank.pdf": pdf_with_pages(""),
    })
    assert refusal("locked.pdf").startswith("cannot attach locked.pdf: the PDF is encrypted")
    assert refusal("cut.pdf").startswith("cannot attach cut.pdf: not a readable PDF")
    assert refusal("fake.pdf").startswith("cannot attach fake.pdf: not a readable PDF")
    assert refusal("blank.pdf").startswith("cannot attach blank.pdf: the PDF has no text to extract")


def test_a_pdf_that_needs_no_password_to_read_is_read():
    make({"open.pdf": encrypted_pdf("readable anyway", password="")})
    [attachment] = attach("open.pdf").attachments
    assert "readable anyway" in attachment.text


# --- folders and globs ------------------------------------------------------------------------


def test_a_folder_brings_its_text_files_listed_first_with_gitignore_respected():
    make({
        ".git/HEAD": "ref: refs/heads/main\n",
        ".gitignore": "build/\n*.log\n",
        "src/app.py": "app\n",
        "src/lib/util.py": "util\n",
        "src/debug.log": "ignored\n",
        "src/logo.png": tiny_png(),
        "src/data.bin": b"\0\0\0",
        "build/out.py": "ignored\n",
    })
    gathered = attach("src")
    listing, *files = gathered.attachments
    assert [file.name for file in files] == ["src/app.py", "src/lib/util.py"]
    assert listing.kind == "folder" and listing.name == "src/"
    assert listing.text == (
        "src/ (folder: 2 files, each in a block of its own; left out: 1 binary file, 1 image)\n```\nsrc/app.py\nsrc/lib/util.py\n```"
    )
    assert listing.size == 9
    assert gathered.notes == ["left out of src/: 1 binary file, 1 image"]
    assert "ignored" not in "".join(attachment.text for attachment in gathered.attachments)


def test_the_current_folder_and_a_folder_of_nothing_but_binaries():
    make({"a.txt": "a\n", "only/x.bin": b"\0"})
    assert names(".") == ["./", "a.txt"]
    assert refusal("only").startswith("cannot attach only/: no text files in it")


def test_more_than_two_hundred_files_are_not_read_without_asking():
    make({f"many/f{number:03}.txt": "x\n" for number in range(201)})
    found = plan(["many/", "many/f000.txt"])
    assert found.crowded == [("many/", 201)]
    with pytest.raises(TooManyFiles, match=r"many/ holds 201 files, more than the 200"):
        found.refuse_crowded()
    assert len(found.read().attachments) == 202  # the listing and each file once
    assert plan([f"many/f{number:03}.txt" for number in range(200)]).crowded == []


def test_globs_match_like_the_shell_and_respect_gitignore():
    make({
        ".git/HEAD": "",
        ".gitignore": "venv/\n",
        "top.py": "t\n",
        "src/a.py": "a\n",
        "src/b.md": "b\n",
        "src/.hidden.py": "h\n",
        "src/deep/c.py": "c\n",
        "venv/lib/site.py": "ignored\n",
    })
    assert names("src/*.py") == ["src/a.py"]
    assert names("**/*.py") == ["top.py", "src/a.py", "src/deep/c.py"]
    assert names("src/**") == ["src/a.py", "src/b.md", "src/deep/c.py"]
    assert names("src/*") == ["src/a.py", "src/b.md", "src/deep/c.py"]  # a folder matched comes whole
    assert names("src/.h*") == ["src/.hidden.py"]
    assert refusal("*.rb") == "cannot attach *.rb: no files match (.gitignore'd files are left out)"


def test_a_file_named_twice_is_attached_once():
    make({"src/a.py": "a\n"})
    assert names("src/a.py", "src", "./src/a.py") == ["src/a.py", "src/"]


# --- mentions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("explain @app.py", ["app.py"]),
        ("@app.py and @src/ please", ["app.py", "src/"]),
        ("look at @app.py, then @src.", ["app.py", "src"]),
        ("(see @app.py)", ["app.py"]),
        ('both @"my notes.txt" and @my\\ notes.txt', ["my notes.txt", "my notes.txt"]),
        ("@'my notes.txt'", ["my notes.txt"]),
        ("home @~/app.py", ["~/app.py"]),
        ("mail ann@app.py or @ann", []),
        ("@property\ndef x(self): ...", []),
        ("inline `@app.py` is code", []),
        ("```\n@app.py\n```\nbut @app.py here", ["app.py"]),
        ("unclosed @\"my notes.txt", []),
        ("@ alone, @@app.py", []),
    ],
)
def test_mentions_attach_paths_that_exist_and_nothing_else(text, paths):
    make({"app.py": "x\n", "my notes.txt": "n\n", "src/a.py": "a\n"})
    assert [mention.path for mention in find_mentions(text)] == paths


def test_a_mention_knows_where_it_is_in_the_message():
    make({"app.py": "x\n"})
    [mention] = find_mentions("why @app.py?")
    assert (mention.start, mention.end) == (4, 11)


# --- sessions and transcripts -------------------------------------------------------------------


def _session_with(attachments, text: str = "why?"):
    from claudechat.chat import Message, SessionKeeper, SessionSettings, SessionStore

    keeper = SessionKeeper(SessionStore(Path("sessions")), SessionSettings(model="claude-sonnet-4-6"))
    content = [{"type": "text", "text": text}] + [attachment.stored_part() for attachment in attachments]
    keeper.session.add_turn(Message("user", content), Message("assistant", "because"))
    keeper.save()
    path = keeper.path
    keeper.close()
    return path


def test_a_saved_session_keeps_attached_files_and_sends_them_again():
    from claudechat.chat import read_session_file
    from claudechat.chat.conversation import attachment_labels

    make({"src/a.py": "x = 1\n", "src/b.py": "y = 2\n"})
    attachments = attach("src").attachments
    back = read_session_file(_session_with(attachments))
    user = back.messages[0]
    assert user.text == "why?"
    assert attachment_labels(user.content) == ["folder: src/", "file: src/a.py", "file: src/b.py"]
    sent = back.request_messages()[0]["content"]
    assert sent == [{"type": "text", "text": "why?"}] + [{"type": "text", "text": item.text} for item in attachments]


def test_a_transcript_names_each_file_with_size_and_hash_and_folds_its_text():
    from markdown_it import MarkdownIt

    from claudechat.chat import read_session_file
    from claudechat.chat.transcript import to_markdown

    hostile = "before\n</details>\n\n# Not a heading of the transcript\n````\nafter\n"
    make({"notes.md": hostile})
    [attachment] = attach("notes.md").attachments
    markdown = to_markdown(read_session_file(_session_with([attachment], "read @notes.md")))
    digest = hashlib.sha256(hostile.encode()).hexdigest()[:12]
    assert f"read @notes.md\n\n<details>\n<summary>file: notes.md · {len(hostile)} bytes · sha256 {digest}</summary>" in markdown
    tokens = MarkdownIt("commonmark").parse(markdown)
    html = "".join(token.content for token in tokens if token.type == "html_block")
    assert html.count("<details>") == html.count("</details>") == 1  # the file's own is code, not HTML
    [fence] = [token for token in tokens if token.type == "fence"]
    assert fence.content == attachment.text + "\n"
    headings = [tokens[index + 1].content for index, token in enumerate(tokens) if token.type == "heading_open"]
    assert not any("Not a heading" in heading for heading in headings)
