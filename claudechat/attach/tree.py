"""The files of a working tree as git would offer them: what `.gitignore` excludes is left out.

Used by folder attachments and by `@` completion. Inside a git work tree the `.gitignore` files
(of the folder, its subfolders and its parents up to the top of the work tree) and
`.git/info/exclude` apply, with git's precedence: the deepest file that has a say wins, and
nothing inside an ignored folder comes back. Outside a work tree nothing is ignored. `.git`
itself is always skipped, and symbolic links to folders are not followed (no loops).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

__all__ = ["TreeEntry", "find_work_tree", "walk_tree"]


@dataclass(frozen=True)
class TreeEntry:
    path: str  # relative to the root walked, with "/" between parts
    is_dir: bool


@dataclass(frozen=True)
class _Rules:
    base: str  # the folder the rules came from, relative to the root walked ("" for the root)
    spec: GitIgnoreSpec | _PrefixedSpec


def find_work_tree(start: Path) -> Path | None:
    """The top of the git work tree holding `start` (a `.git` folder or file marks it), if any."""
    current = start.resolve()
    for folder in (current, *current.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _read_rules(path: Path, base: str) -> _Rules | None:
    from pathspec import GitIgnoreSpec

    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    if not any(line.strip() and not line.startswith("#") for line in lines):
        return None
    return _Rules(base, GitIgnoreSpec.from_lines(lines))


def _ignored(rules: list[_Rules], path: str, is_dir: bool) -> bool:
    for rule in reversed(rules):  # the deepest .gitignore with an opinion decides
        relative = path[len(rule.base) + 1:] if rule.base else path
        verdict = rule.spec.check_file(relative + "/" if is_dir else relative).include
        if verdict is not None:
            return verdict
    return False


def _outer_rules(root: Path, top: Path) -> list[_Rules]:
    """The rules that reach `root` from above: `.git/info/exclude` and the folders from the top down.

    Their patterns are relative to the folder they came from, so each is checked against
    `prefix/path`, the prefix being the way from that folder down to `root`.
    """
    between = root.relative_to(top).parts
    sources = [(top / ".git" / "info" / "exclude", between)]
    sources += [(top.joinpath(*between[:depth], ".gitignore"), between[depth:]) for depth in range(len(between))]
    rules: list[_Rules] = []
    for source, way_down in sources:
        found = _read_rules(source, "")
        if found is not None:
            rules.append(_Rules("", _PrefixedSpec(found.spec, "/".join(way_down))) if way_down else found)
    return rules


class _PrefixedSpec:
    """A spec read above the walked root: checks `prefix/path` for `path`."""

    def __init__(self, spec: GitIgnoreSpec, prefix: str) -> None:
        self._spec = spec
        self._prefix = prefix + "/"

    def check_file(self, path: str) -> Any:  # pathspec's CheckResult
        return self._spec.check_file(self._prefix + path)


def walk_tree(root: Path, *, gitignore: bool = True, breadth_first: bool = False) -> Iterator[TreeEntry]:
    """Every folder and file under `root`, folders before what they hold, each folder's entries sorted.

    With `gitignore` (and `root` in a git work tree) ignored paths are skipped. Folders that
    cannot be read are skipped silently: this lists what can be offered, it does not audit.
    `breadth_first` lists the shallow paths before any deeper one, so a walk cut short (a home
    folder with millions of files) has the paths a person is most likely to mean.
    """
    top = find_work_tree(root) if gitignore else None
    base_rules = _outer_rules(root.resolve(), top) if top is not None else []
    pending: deque[tuple[str, list[_Rules]]] = deque([("", base_rules)])
    while pending:
        folder, rules = pending.popleft() if breadth_first else pending.pop()
        directory = root / folder if folder else root
        if top is not None:
            own = _read_rules(directory / ".gitignore", folder)
            if own is not None:
                rules = [*rules, own]
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        subfolders: list[str] = []
        for entry in entries:
            if entry.name == ".git":
                continue
            path = f"{folder}/{entry.name}" if folder else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if top is not None and _ignored(rules, path, is_dir):
                continue
            yield TreeEntry(path, is_dir)
            if is_dir:
                subfolders.append(path)
        if breadth_first:
            pending.extend((sub, rules) for sub in subfolders)
        else:
            pending.extend((sub, rules) for sub in reversed(subfolders))
