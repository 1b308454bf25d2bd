"""The working tree as `@` completion and folder attachments see it: .gitignore respected like git."""

from __future__ import annotations

from pathlib import Path

import pytest

from claudechat.attach import walk_tree

pytestmark = pytest.mark.temp_dir


def _make(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _listed(root: Path, **options: bool) -> list[str]:
    return [entry.path + ("/" if entry.is_dir else "") for entry in walk_tree(root, **options)]


def test_gitignore_rules_apply_like_git(tmp_path: Path) -> None:
    _make(tmp_path, {
        ".git/HEAD": "ref: refs/heads/main\n",
        ".git/info/exclude": "secret.txt\n",
        ".gitignore": "*.log\nbuild/\n!keep.log\n",
        "a.py": "", "debug.log": "", "keep.log": "", "secret.txt": "",
        "build/out.bin": "",
        "src/.gitignore": "generated.py\n!important.log\n",
        "src/main.py": "", "src/generated.py": "", "src/important.log": "", "src/other.log": "",
    })
    assert _listed(tmp_path) == [
        ".gitignore", "a.py", "keep.log", "src/",
        "src/.gitignore", "src/important.log", "src/main.py",
    ]


def test_rules_above_the_walked_folder_apply(tmp_path: Path) -> None:
    _make(tmp_path, {
        ".git/HEAD": "", ".gitignore": "sub/deep/*.tmp\n*.o\n",
        "sub/deep/x.tmp": "", "sub/deep/x.c": "", "sub/y.o": "",
    })
    assert _listed(tmp_path / "sub") == ["deep/", "deep/x.c"]


def test_outside_a_work_tree_nothing_is_ignored(tmp_path: Path) -> None:
    _make(tmp_path, {".gitignore": "*.log\n", "a.log": ""})
    assert _listed(tmp_path) == [".gitignore", "a.log"]
    _make(tmp_path, {".git/HEAD": ""})
    assert _listed(tmp_path) == [".gitignore"]
    assert _listed(tmp_path, gitignore=False) == [".gitignore", "a.log"]


def test_links_to_folders_are_listed_but_not_entered(tmp_path: Path) -> None:
    _make(tmp_path, {"real/file.txt": ""})
    (tmp_path / "loop").symlink_to(tmp_path)
    assert _listed(tmp_path) == ["loop", "real/", "real/file.txt"]
