"""What the benchmarks share: result rows, the table, medians, the double in its own process."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Row:
    name: str
    measured: str
    baseline: str
    comparison: str
    target: str
    ok: bool


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_table(rows: list[Row]) -> None:
    headers = ("benchmark", "claudechat", "baseline", "comparison", "target", "ok")
    cells = [headers] + [(r.name, r.measured, r.baseline, r.comparison, r.target, "yes" if r.ok else "NO") for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |"

    print(line(headers))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in cells[1:]:
        print(line(row))


class DoubleProcess:
    """The service double in a separate process, so it does not compete for our GIL."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> DoubleProcess:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "double.py"), *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the service double did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)


def clock() -> float:
    return time.perf_counter()
