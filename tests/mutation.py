"""Mutation testing of the core: would the fast tests notice a small bug in it?

`python -m tests.mutation` runs mutmut (configured under `[tool.mutmut]` in pyproject.toml)
on each core module in turn, against the in-process tests (`-m "not e2e"`), then prints for
each module how many mutants the tests killed. Mutants that no behaviour can tell apart from
the original are listed in `tests/mutation-equivalent.txt` beside this runner, one a line as
`NAME | the mutated line | why`, and are left out of the score; an entry whose mutant is gone,
changed or killed is reported, so the list cannot go stale unnoticed.

    python -m tests.mutation                        every core module, one at a time
    python -m tests.mutation api/client render/live  only these
    python -m tests.mutation --survivors api/client  again, only what survived last time
    python -m tests.mutation --report               the figures of the last runs, no run
    python -m tests.mutation --markdown             the same as the README's table

A run takes a while (about a minute per hundred mutants on two cores); `mutmut show NAME`
shows a survivor's change, `mutmut browse` all of them. Results stay in mutants/ (ignored by
git): a later run tests again only what changed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = ROOT / "tests" / "mutation-equivalent.txt"
GOAL = 0.95

# mutmut's exit codes for a mutant (mutmut.stats.status_by_exit_code).
KILLED = {1, 3}
TIMEOUT = {24, -24, 152, 255, 36}
SURVIVED = {0}
NO_TESTS = {5, 33}


def core_modules() -> list[str]:
    """The files `[tool.mutmut] only_mutate` names, as paths from the repository's root."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    patterns = config["only_mutate"]
    files = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "claudechat").rglob("*.py"))
    return [name for name in files if any(fnmatch.fnmatch(name, pattern) for pattern in patterns)]


def dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def resolve(names: list[str], modules: list[str]) -> list[str]:
    """`api/client`, `claudechat/api/client.py` or `claudechat.api.client` as a module's path."""
    chosen = []
    for name in names:
        key = name.removesuffix(".py").replace(".", "/").removeprefix("claudechat/")
        found = [path for path in modules if path.removesuffix(".py").removeprefix("claudechat/") == key]
        if not found:
            sys.exit(f"{name!r} is not one of the core modules: {', '.join(modules)}")
        chosen += found
    return chosen


@dataclass
class Equivalent:
    name: str
    line: str
    why: str


def read_equivalents() -> dict[str, Equivalent]:
    listed: dict[str, Equivalent] = {}
    if not EQUIVALENT_FILE.exists():
        return listed
    for number, text in enumerate(EQUIVALENT_FILE.read_text("utf-8").splitlines(), 1):
        if not text.strip() or text.startswith("#"):
            continue
        name, _, rest = text.partition(" | ")
        line, _, why = rest.rpartition(" | ")  # the line itself may hold " | ", the reason may not
        parts = [name.strip(), line.strip(), why.strip()]
        if not all(parts):
            sys.exit(f"{EQUIVALENT_FILE.name}, line {number}: expected `NAME | the mutated line | why`")
        listed[parts[0]] = Equivalent(*parts)
    return listed


def results(path: str) -> dict[str, int | None]:
    """Each mutant of the module and its last exit code (None: not run yet)."""
    meta = ROOT / "mutants" / f"{path}.meta"
    if not meta.exists():
        return {}
    return json.loads(meta.read_text("utf-8"))["exit_code_by_key"]


def mutated_line(name: str) -> str | None:
    """The line as the mutant changed it (the first added line of `mutmut show`)."""
    shown = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", name], cwd=ROOT, capture_output=True, text=True, check=False
    )
    for line in shown.stdout.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            return line[1:].strip()
    return None


@dataclass
class Tally:
    module: str
    mutants: int = 0
    killed: int = 0
    equivalent: int = 0
    survived: list[str] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # not run, suspicious, segfault

    @property
    def score(self) -> float | None:
        counted = self.mutants - self.equivalent
        return self.killed / counted if counted else None


def tally(path: str, equivalents: dict[str, Equivalent], problems: list[str]) -> Tally:
    counts = Tally(dotted(path))
    for name, code in sorted(results(path).items()):
        counts.mutants += 1
        if name in equivalents:
            counts.equivalent += 1
            if code in KILLED or code in TIMEOUT:
                problems.append(f"{name} is listed as equivalent but the tests kill it: remove its line")
            elif mutated_line(name) != equivalents[name].line:
                problems.append(f"{name} no longer changes `{equivalents[name].line}`: check its line")
        elif code in KILLED or code in TIMEOUT:
            counts.killed += 1
        elif code in SURVIVED:
            counts.survived.append(name)
        elif code in NO_TESTS:
            counts.untested.append(name)
        else:
            counts.other.append(name)
    return counts


def markdown(paths: list[str]) -> None:
    """The figures as the README's table."""
    equivalents = read_equivalents()
    rows = [row for row in (tally(path, equivalents, []) for path in paths) if row.mutants]
    print("| module | mutants | killed | equivalent | not killed | score |")
    print("|---|--:|--:|--:|--:|--:|")
    for row in rows:
        missed = len(row.survived) + len(row.untested) + len(row.other)
        score = "-" if row.score is None else f"{row.score:.1%}"
        print(f"| `{row.module.removeprefix('claudechat.')}` | {row.mutants:,} | {row.killed:,} | {row.equivalent}"
              f" | {missed} | {score} |")
    total = sum(row.mutants for row in rows)
    killed = sum(row.killed for row in rows)
    equivalent = sum(row.equivalent for row in rows)
    print(f"| all | {total:,} | {killed:,} | {equivalent} | {total - killed - equivalent} |"
          f" {killed / max(1, total - equivalent):.1%} |")


def report(paths: list[str]) -> bool:
    """Print the figures of each module; whether every module meets the goal."""
    equivalents = read_equivalents()
    problems: list[str] = []
    known = {name for path in paths for name in results(path)}
    modules = {dotted(path) for path in paths}
    for name in equivalents:
        if name.split(".x", 1)[0] in modules and name not in known:
            problems.append(f"{name} is listed as equivalent but there is no such mutant: remove its line")
    rows = [row for row in (tally(path, equivalents, problems) for path in paths) if row.mutants]
    print(f"{'module':<28} {'mutants':>7} {'killed':>6} {'equiv.':>6} {'surv.':>5} {'untested':>8} {'other':>5}  score")
    met = True
    for row in rows:
        score = "-" if row.score is None else f"{row.score:6.1%}"
        met = met and (row.score is None or row.score >= GOAL)
        print(
            f"{row.module:<28} {row.mutants:>7} {row.killed:>6} {row.equivalent:>6} {len(row.survived):>5}"
            f" {len(row.untested):>8} {len(row.other):>5}  {score}"
        )
    for row in rows:
        for label, names in (("survived", row.survived), ("no test reaches it", row.untested), ("not run", row.other)):
            for name in names:
                print(f"  {label}: {name}")
    for problem in problems:
        print(f"  {EQUIVALENT_FILE.name}: {problem}")
    print(f"score: killed / (mutants - equivalent); goal {GOAL:.0%} for each module")
    return met and not problems


def run(path: str, workers: int, survivors_only: bool) -> None:
    names = [f"{dotted(path)}.*"]
    if survivors_only:
        names = [name for name, code in results(path).items() if code not in KILLED and code not in TIMEOUT]
        if not names:
            print(f"{dotted(path)}: nothing survived")
            return
    _run_mutmut(path, workers, names)
    if survivors_only:
        # mutmut makes the mutants of changed code as it starts: those are tested in a second pass.
        fresh = [name for name, code in results(path).items() if code is None]
        if fresh:
            _run_mutmut(path, workers, fresh)


def _run_mutmut(path: str, workers: int, names: list[str]) -> None:
    log = ROOT / "mutants" / f"{dotted(path)}.log"
    log.parent.mkdir(exist_ok=True)
    print(f"{dotted(path)}: {'' if names[0].endswith('*') else f'{len(names)} mutants, '}log in {log.relative_to(ROOT)}")
    with log.open("w") as out:
        subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(workers), *names],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="core modules (api/client, render/live, ...); all by default")
    parser.add_argument("--workers", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--survivors", action="store_true", help="run again only the mutants not killed last time")
    parser.add_argument("--report", action="store_true", help="print the last figures, run nothing")
    parser.add_argument("--markdown", action="store_true", help="the last figures as a Markdown table")
    options = parser.parse_args(argv)
    modules = core_modules()
    paths = resolve(options.modules, modules) if options.modules else modules
    if options.markdown:
        markdown(paths)
        return 0
    if not options.report:
        for path in paths:  # one at a time: each run tests one module's mutants
            run(path, options.workers, options.survivors)
    return 0 if report(paths) else 1


if __name__ == "__main__":
    sys.exit(main())
