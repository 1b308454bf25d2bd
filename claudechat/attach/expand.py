"""What a typed path, folder or glob names: the files to read, each with the name it is shown by.

Names stay as the user typed them (`~/notes.md` stays so); an absolute path inside the current
folder is shown relative to it. A folder's files are named below the folder as typed
(`src/` gives `src/app.py`); so are a glob's (`src/**/*.py`).

Folders and globs list the working tree as git would offer it (`walk_tree`: what `.gitignore`
excludes and `.git` itself are left out). A glob follows the shell's rules: `*`, `?` and
`[...]` match within one part of a path and not a leading dot, `**` matches any number of
folders (not hidden ones).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

from claudechat.attach.reading import cannot

__all__ = ["Expansion", "expand", "shown_name", "has_magic"]

_MAGIC = frozenset("*?[")


@dataclass
class Expansion:
    spec: str  # as typed
    name: str  # as shown: the file, the folder (ending in "/") or the glob
    files: list[tuple[str, str]] = field(default_factory=list)  # (name shown, path), in order
    folder: bool = False  # a folder: its list of files is sent before them
    glob: bool = False


def _text(name: str) -> str:
    """A name fit to send and save: bytes of a file name that are not UTF-8 become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def has_magic(text: str) -> bool:
    return not _MAGIC.isdisjoint(text)


def shown_name(typed: str, cwd: str | None = None) -> str:
    """`typed` as a message shows it: `./` dropped, an absolute path under `cwd` made relative."""
    name = typed
    if os.path.isabs(name):
        here = cwd or os.getcwd()
        try:
            inside = os.path.commonpath([here, name]) == here
        except ValueError:
            inside = False
        if inside and name.rstrip("/") != here:
            relative = os.path.relpath(name, here)
            name = relative + ("/" if typed.endswith("/") else "")
    while name.startswith("./") and len(name) > 2:
        name = name[2:]
    return _text(name)


def _below(base: str, relative: str) -> str:
    """A name under the folder shown as `base`."""
    relative = _text(relative)
    if base in ("", ".", "./"):
        return relative
    return base.rstrip("/") + "/" + relative if base.rstrip("/") else "/" + relative


def expand(spec: str) -> Expansion:
    """The files `spec` names; an `AttachmentError` when it names nothing."""
    path = Path(os.path.expanduser(spec))
    name = shown_name(spec)
    if os.path.lexists(path):
        if path.is_dir():  # follows a link to a folder: the user named it
            return _folder(spec, name, path)
        return Expansion(spec, name, [(name, os.fspath(path))])
    if has_magic(spec):
        return _glob(spec)
    raise cannot(name, "no such file or folder")


def _folder(spec: str, name: str, path: Path) -> Expansion:
    from claudechat.attach.tree import walk_tree

    shown = name if name.endswith("/") else name + "/"
    top = os.fspath(path)
    files = [(_below(name, entry.path), os.path.join(top, entry.path)) for entry in walk_tree(path) if not entry.is_dir]
    return Expansion(spec, shown, files, folder=True)


def _glob(spec: str) -> Expansion:
    from claudechat.attach.tree import walk_tree

    parts = spec.split("/")
    first = next(index for index, part in enumerate(parts) if has_magic(part))
    base_typed = "/".join(parts[:first]) or ("/" if spec.startswith("/") else "")
    pattern = [part for part in parts[first:] if part]
    base = Path(os.path.expanduser(base_typed or "."))
    base_name = shown_name(base_typed) if base_typed else ""
    expansion = Expansion(spec, shown_name(spec), glob=True)
    if not base.is_dir():
        return expansion
    matched_folders: set[str] = set()
    for entry in walk_tree(base):
        pieces = entry.path.split("/")
        inside = bool(matched_folders) and any("/".join(pieces[:depth]) in matched_folders for depth in range(1, len(pieces)))
        if entry.is_dir:
            if not inside and _matches(pieces, pattern):
                matched_folders.add(entry.path)  # all of it comes, as a folder would
            continue
        if inside or _matches(pieces, pattern):
            expansion.files.append((_below(base_name, entry.path), os.path.join(base, entry.path)))
    return expansion


def _matches(parts: list[str], pattern: list[str]) -> bool:
    if not pattern:
        return not parts
    head = pattern[0]
    if head == "**":
        if _matches(parts, pattern[1:]):
            return True
        return bool(parts) and not parts[0].startswith(".") and _matches(parts[1:], pattern)
    if not parts:
        return False
    name = parts[0]
    if name.startswith(".") and not head.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, head) and _matches(parts[1:], pattern[1:])
