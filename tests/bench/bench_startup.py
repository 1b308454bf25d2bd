"""`claudechat --version` against `python -c pass`: the cost of starting claudechat at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.bench.common import Row, clock, median

RUNS = 10
TARGET_MS = 40.0


def _time(command: list[str]) -> float:
    start = clock()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (clock() - start) * 1000


def _medians(commands: dict[str, list[str]]) -> dict[str, float]:
    for command in commands.values():  # warm the page cache once
        _time(command)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):  # interleaved, so drift in machine load hits both alike
        for name, command in commands.items():
            samples[name].append(_time(command))
    return {name: median(values) for name, values in samples.items()}


def run() -> list[Row]:
    script = str(Path(sys.executable).with_name("claudechat"))
    result = _medians(
        {
            "pass": [sys.executable, "-c", "pass"],
            "version": [script, "--version"],
            "help": [script, "--help"],
        }
    )
    rows = []
    for name in ("version", "help"):
        extra = result[name] - result["pass"]
        ok = extra <= TARGET_MS if name == "version" else True
        rows.append(
            Row(
                f"start-up: claudechat --{name} (median of {RUNS})",
                f"{result[name]:.1f} ms",
                f"python -c pass {result['pass']:.1f} ms",
                f"+{extra:.1f} ms",
                f"<= +{TARGET_MS:.0f} ms" if name == "version" else "(info)",
                ok,
            )
        )
    return rows
