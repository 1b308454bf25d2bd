"""Markdown files the user writes to shape claudechat (roles, commands): front matter and body.

A file may open with front matter between `+++` lines (TOML, as Hugo has it) or between `---`
lines (TOML too, or the flat `key: value` lines that other tools' command files use). The rest
is the body. Anything wrong is a `MarkdownFileError` naming the file and line, so that one bad
file is reported in one warning and the others still load.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claudechat.errors import ConfigError

__all__ = [
    "MAX_MARKDOWN_FILE_BYTES",
    "MarkdownFile",
    "MarkdownFileError",
    "markdown_files",
    "parse_markdown_file",
    "read_markdown_file",
    "valid_name",
]

MAX_MARKDOWN_FILE_BYTES = 256 * 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_FENCES = ("+++", "---")
_FLAT_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)\s*:\s*(.*)")


class MarkdownFileError(ConfigError):
    """A role or command file that cannot be used; says which file and, where known, which line."""

    def __init__(self, path: Path, reason: str, *, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class MarkdownFile:
    path: Path
    body: str
    meta: dict[str, Any] = field(default_factory=dict)
    #: The line the body starts on (1-based), to point at lines of it in messages.
    body_line: int = 1


def valid_name(name: str) -> bool:
    """A role or command name: letters, digits, `_ . -`, at most 64, no path separators or controls."""
    return _NAME.fullmatch(name) is not None and ".." not in name


def markdown_files(directory: Path) -> Iterator[tuple[str, Path]]:
    """(name, path) of each `NAME.md` directly in `directory`, sorted by name; none if it is missing."""
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return
    for path in entries:
        if path.suffix == ".md" and not path.name.startswith("."):
            yield path.stem, path


def read_markdown_file(path: Path) -> MarkdownFile:
    """Read and parse `path`; MarkdownFileError if it is too big, not UTF-8 text, or its front matter is bad."""
    if not valid_name(path.stem):
        raise MarkdownFileError(path, f"{path.stem!r} is not a usable name", line=None) from None
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_MARKDOWN_FILE_BYTES + 1)
    except OSError as err:
        raise MarkdownFileError(path, f"cannot read it ({err.strerror or err})") from None
    if len(data) > MAX_MARKDOWN_FILE_BYTES:
        raise MarkdownFileError(path, f"it is over {MAX_MARKDOWN_FILE_BYTES // 1024} KB; keep it smaller")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise MarkdownFileError(path, "it is not UTF-8 text", line=line) from None
    if "\0" in text:
        raise MarkdownFileError(path, "it is not text (it holds NUL bytes)", line=text[: text.index("\0")].count("\n") + 1)
    return parse_markdown_file(path, text)


def parse_markdown_file(path: Path, text: str) -> MarkdownFile:
    """Split `text` (the contents of `path`) into front matter and body."""
    lines = text.splitlines(keepends=True)
    fence = lines[0].strip() if lines else ""
    if fence not in _FENCES:
        return MarkdownFile(path, text)
    end = next((index for index in range(1, len(lines)) if lines[index].strip() == fence), None)
    if end is None:
        raise MarkdownFileError(path, f"the front matter opened by {fence} is never closed", line=1)
    source = "".join(lines[1:end])
    meta = _front_matter(path, source, flat_allowed=fence == "---")
    body = "".join(lines[end + 1 :])
    return MarkdownFile(path, body, meta, body_line=end + 2)


def _front_matter(path: Path, source: str, *, flat_allowed: bool) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as err:
        if flat_allowed:
            flat = _flat_front_matter(source)
            if flat is not None:
                return flat
        match = re.search(r"line (\d+)", str(err))
        line = int(match.group(1)) + 1 if match else None  # +1: the opening fence
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err)) or "it is not valid TOML"
        raise MarkdownFileError(path, f"bad front matter: {reason}", line=line) from None


def _flat_front_matter(source: str) -> dict[str, Any] | None:
    """`key: value` lines with plain string values, or None if the text is something else."""
    meta: dict[str, Any] = {}
    for line in source.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FLAT_LINE.fullmatch(line.strip())
        if match is None:
            return None
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        meta[match.group(1).replace("-", "_")] = value
    return meta
