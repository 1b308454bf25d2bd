"""Role and command files: front matter, body, and what makes one unusable."""

from __future__ import annotations

import pytest

from claudechat.config.markdown_files import (
    MAX_MARKDOWN_FILE_BYTES,
    MarkdownFileError,
    markdown_files,
    read_markdown_file,
    valid_name,
)


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_a_file_without_front_matter_is_all_body(tmp_path):
    text = "You are terse.\n---\nnot front matter: it does not open the file\n"
    loaded = read_markdown_file(write(tmp_path, "terse.md", text))
    assert (loaded.meta, loaded.body, loaded.body_line) == ({}, text, 1)


@pytest.mark.parametrize("fence", ["+++", "---"])
def test_toml_front_matter_between_fences(tmp_path, fence):
    text = f'{fence}\nmodel = "claude-opus-4-6"\ntemperature = 0.2\n{fence}\nBody line\n'
    loaded = read_markdown_file(write(tmp_path, "r.md", text))
    assert loaded.meta == {"model": "claude-opus-4-6", "temperature": 0.2}
    assert (loaded.body, loaded.body_line) == ("Body line\n", 5)


def test_flat_key_value_lines_between_dashes(tmp_path):
    text = "---\ndescription: Review the diff\nargument-hint: \"[file]\"\n# a comment\n---\nReview $ARGUMENTS\n"
    loaded = read_markdown_file(write(tmp_path, "review.md", text))
    assert loaded.meta == {"description": "Review the diff", "argument_hint": "[file]"}
    assert loaded.body == "Review $ARGUMENTS\n"


def test_flat_lines_are_not_accepted_between_pluses(tmp_path):
    path = write(tmp_path, "r.md", "+++\ndescription: x\n+++\nbody\n")
    with pytest.raises(MarkdownFileError, match=r"r\.md:2: bad front matter: ") as caught:
        read_markdown_file(path)
    assert caught.value.line == 2 and caught.value.path == path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("+++\nmodel = 'x'\nbody\n", r"r\.md:1: the front matter opened by \+\+\+ is never closed"),
        (b"ok\n\xff\n", r"r\.md:2: it is not UTF-8 text"),
        ("a\nb\0\n", r"r\.md:2: it is not text"),
        ("x" * (MAX_MARKDOWN_FILE_BYTES + 1), r"r\.md: it is over 256 KB"),
        ("---\nmodel = \n---\n", r"r\.md:2: bad front matter"),
    ],
)
def test_what_makes_a_file_unusable_names_file_and_line(tmp_path, content, message):
    with pytest.raises(MarkdownFileError, match=message):
        read_markdown_file(write(tmp_path, "r.md", content))


def test_a_file_of_exactly_the_limit_is_read(tmp_path):
    assert len(read_markdown_file(write(tmp_path, "r.md", "x" * MAX_MARKDOWN_FILE_BYTES)).body) == MAX_MARKDOWN_FILE_BYTES


def test_an_unreadable_file_says_why(tmp_path):
    with pytest.raises(MarkdownFileError, match=r"gone\.md: cannot read it \(No such file or directory\)"):
        read_markdown_file(tmp_path / "gone.md")


@pytest.mark.parametrize("name", ["shell", "code-review", "a.b_c", "X1"])
def test_usable_names(name):
    assert valid_name(name)


@pytest.mark.parametrize("name", ["", "../x", "a/b", "a\\b", ".hidden", "-flag", "a\nb", "a\x1bb", "a b", "x" * 65, "a..b"])
def test_names_with_separators_controls_or_dots_are_refused(tmp_path, name):
    assert not valid_name(name)


def test_markdown_files_lists_md_files_by_name(tmp_path):
    for name in ("b.md", "a.md", "notes.txt", ".hidden.md"):
        write(tmp_path, name, "x")
    assert [name for name, _ in markdown_files(tmp_path)] == ["a", "b"]
    assert list(markdown_files(tmp_path / "missing")) == []
