"""Attaching a folder of 2,000 files: listing it (.gitignore respected), reading and estimating it.

A git work tree is made in a temporary folder: `proj/` holds 2,000 text files (Python,
JavaScript, Markdown and plain text of 0.5 to 2.5 KB, in 40 folders) beside what its
`.gitignore` files exclude: a `node_modules/` of 3,000 files, a `build/` of 500 and 200 `*.log`
files among the others. Then, in the same run, each timed as the median of RUNS after one
warm-up run (the first run, which also imports pathspec and Pygments' name table, is shown
for information):

- claudechat: `plan(["proj"]).read()` (walk the tree with the .gitignore rules, read every
  file, tell text from binary, decode, hash, fence each with its language) and the token
  estimate of the result, as `/file proj` or `@proj` does before anything is sent;
- baseline: `os.walk` over the same folder, skipping `.git` and the ignored folders and
  files by name (no gitignore matching), reading and decoding the same 2,000 files and
  counting their characters.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

from tests.bench.common import Row, clock, median, print_table

FILES = 2_000
FOLDERS = 40
RUNS = 15
TARGET_MS = 300.0
_SUFFIXES = (".py", ".js", ".md", ".txt")
_IGNORED_DIRS = {"node_modules", "build"}


def _text(rng: random.Random, suffix: str) -> str:
    size = rng.randint(500, 2_500)
    line = {
        ".py": "def handler_{n}(value):\n    return value * {n}  # scale it\n",
        ".js": "export function handler{n}(value) {{ return value * {n}; }}\n",
        ".md": "A paragraph about step {n}, with `code` and a [link](https://example.com/{n}).\n\n",
        ".txt": "plain words for line {n} of the notes kept beside the code\n",
    }[suffix]
    out, number = [], 0
    while sum(map(len, out)) < size:
        out.append(line.format(n=number))
        number += 1
    return "".join(out)


def build_tree(root: Path) -> None:
    rng = random.Random(7)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".gitignore").write_text("node_modules/\n*.log\n")
    proj = root / "proj"
    proj.mkdir()
    (proj / ".gitignore").write_text("build/\n")
    for number in range(FILES):
        folder = proj / f"pkg{number % FOLDERS:02}" / ("sub" if number % 3 == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        suffix = _SUFFIXES[number % len(_SUFFIXES)]
        (folder / f"module{number:04}{suffix}").write_text(_text(rng, suffix))
    for number in range(200):
        (proj / f"pkg{number % FOLDERS:02}" / f"run{number}.log").write_text("log line\n" * 50)
    for name, count in (("node_modules", 3_000), ("build", 500)):
        for number in range(count):
            folder = proj / name / f"dep{number % 30}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"index{number}.js").write_text("module.exports = {};\n" * 20)


def claudechat_run() -> tuple[int, int]:
    from claudechat.attach import default_estimator, estimate_tokens, plan

    gathered = plan(["proj"]).read()
    files = sum(1 for attachment in gathered.attachments if attachment.kind == "file")
    return files, estimate_tokens(gathered.attachments, default_estimator())


def baseline_run() -> tuple[int, int]:
    files = chars = 0
    for folder, subfolders, names in os.walk("proj"):
        subfolders[:] = sorted(name for name in subfolders if name not in _IGNORED_DIRS and name != ".git")
        for name in sorted(names):
            if name.endswith(".log"):
                continue
            with open(os.path.join(folder, name), "rb") as handle:
                chars += len(handle.read().decode("utf-8"))
            files += 1
    return files, chars


def _timed(function) -> tuple[float, tuple[int, int]]:
    start = clock()
    result = function()
    return (clock() - start) * 1000, result


def run() -> list[Row]:
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_tree(root)
        os.chdir(root)
        try:
            first_ms, (files, tokens) = _timed(claudechat_run)
            _timed(baseline_run)
            ours, theirs = [], []
            for _ in range(RUNS):  # interleaved, so both see the same machine
                ours.append(_timed(claudechat_run)[0])
                elapsed, (base_files, _chars) = _timed(baseline_run)
                theirs.append(elapsed)
        finally:
            os.chdir(here)
    if files != FILES + 1 or base_files != FILES + 1:  # and proj/.gitignore
        raise RuntimeError(f"expected {FILES + 1} files, claudechat attached {files}, the baseline read {base_files}")
    ours_ms, theirs_ms = median(ours), median(theirs)
    return [
        Row(
            f"attach a folder of {FILES:,} files (+3,700 .gitignore'd): list, read, estimate (median of {RUNS})",
            f"{ours_ms:.0f} ms",
            f"os.walk + read {theirs_ms:.0f} ms",
            f"x{ours_ms / theirs_ms:.1f}; slowest {max(ours):.0f} ms; first run {first_ms:.0f} ms; ~{tokens:,} tokens",
            f"<= {TARGET_MS:.0f} ms",
            ours_ms <= TARGET_MS,
        )
    ]


if __name__ == "__main__":
    print_table(run())
