"""Huge inputs: the peak memory of the chat through each, against a small exchange.

Each case runs `claudechat` in its own 100x30 pseudo-terminal against the service double and
reads the peak resident set (VmHWM in /proc/<pid>/status) once the prompt is back after the
answer; the process's CPU time (start-up included) is shown for information: wall time here
would mostly measure the terminal emulator in this process. The baseline is
the same chat sending "hi" and getting a one-line answer, in the same run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from claudechat.chat import Message, SessionKeeper, SessionSettings, SessionStore
from tests.bench.common import Row, median
from tests.double import Reply, ServiceDouble
from tests.terminal import Keys, Terminal

TOKEN = "bench-token"
RUNS = 3
MEMORY_TARGET_MB = 100.0
WAIT = 120.0


def _peak_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/<pid>/status")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _paste() -> tuple[str, Reply]:
    text = "\n".join(f"line {number:06d} " + "x" * 40 for number in range(20_000))
    return Keys.paste(text) + Keys.ENTER, Reply(content="got it. THE-END")


def _single_delta() -> tuple[str, Reply]:
    content = " ".join(f"w{number}" for number in range(40_000)) + " THE-END"
    return "go\r", Reply(content=content, delta_size=len(content))


def _code_block() -> tuple[str, Reply]:
    body = "\n".join(f"value_{number} = {number}" for number in range(5_000))
    return "code\r", Reply(content=f"Here:\n\n```python\n{body}\n```\n\nTHE-END", delta_size=64)


def _small() -> tuple[str, Reply]:
    return "hi\r", Reply(content="hello. THE-END")


def _long_session(home: Path) -> None:
    keeper = SessionKeeper(SessionStore(home / "data" / "claudechat" / "sessions"), SessionSettings(model="m"))
    for number in range(2_000):
        keeper.session.add_turn(Message("user", f"question {number}"), Message("assistant", f"answer {number} " * 50))
        if number % 100 == 99:
            keeper.save()
    keeper.close()


def _measure(case: Callable[[], tuple[str, Reply]], *, resume: bool = False) -> tuple[float, float]:
    """(peak MB, CPU seconds) of one chat through `case`, read with the prompt back."""
    keys, reply = case()
    with tempfile.TemporaryDirectory() as directory, ServiceDouble(token=TOKEN) as double:
        home = Path(directory)
        if resume:
            _long_session(home)
        double.enqueue(reply)
        term = Terminal(home, base_url=double.url, api_key=TOKEN, args=["-c"] if resume else [])
        try:
            term.wait_for_prompt(timeout=WAIT)
            term.send(keys)
            term.wait_for("THE-END", timeout=WAIT)
            term.wait_for_prompt(timeout=WAIT)
            return _peak_mb(term.child.pid), _cpu_seconds(term.child.pid)
        finally:
            term.close()


def run() -> list[Row]:
    cases: dict[str, tuple[Callable[[], tuple[str, Reply]], bool]] = {
        "a 1 MB paste (20,000 lines) sent": (_paste, False),
        "a 200 KB answer in a single delta": (_single_delta, False),
        "a 5,000-line code block": (_code_block, False),
        "a 2,000-turn session resumed (-c), then one turn": (_small, True),
    }
    baseline = [_measure(_small) for _ in range(RUNS)]
    base_mb = median([mb for mb, _ in baseline])
    base_cpu = median([cpu for _, cpu in baseline])
    rows = []
    for name, (case, resume) in cases.items():
        samples = [_measure(case, resume=resume) for _ in range(RUNS)]
        peak = max(mb for mb, _ in samples)
        cpu = median([seconds for _, seconds in samples])
        rows.append(
            Row(
                f"huge input: {name}, peak RSS (max of {RUNS})",
                f"{peak:.1f} MB",
                f"small exchange {base_mb:.1f} MB",
                f"+{peak - base_mb:.1f} MB; CPU {cpu:.2f} s vs {base_cpu:.2f} s",
                f"< {MEMORY_TARGET_MB:.0f} MB",
                peak < MEMORY_TARGET_MB,
            )
        )
    return rows


if __name__ == "__main__":
    from tests.bench.common import print_table

    print_table(run())
