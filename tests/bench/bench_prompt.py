"""From `claudechat` to a prompt the user can type at, and from Ctrl-C to a stopped answer.

Both on a 100x40 pseudo-terminal.

The chat is started with no arguments, a token and the double's URL in its environment
(nothing is sent until the user types), and timed from the spawn to the moment the prompt
character arrives on the terminal; then Ctrl-D ends it. Two baselines in the same run: the
least any Python program takes to put that character on the same kind of terminal
(`python -c "print('›')"`), and the floor for a prompt_toolkit program, a bare
`PromptSession().prompt()` from the same environment: what the chat adds on top of that is
what claudechat itself costs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.bench.bench_render import TOKEN, PtyChild, child_env, claudechat_script
from tests.bench.common import DoubleProcess, Row, clock, median
from tests.double import Reply, ServiceDouble

RUNS = 20  # the two prompts differ by tens of milliseconds, in runs that vary by as much
TARGET_MS = 300.0
FLOOR_TARGET_MS = 50.0  # at most this much slower than a bare prompt_toolkit prompt
PROMPT = "›"
BARE_PROMPT = f"from prompt_toolkit import PromptSession\ntry:\n    PromptSession().prompt({PROMPT + ' '!r})\nexcept EOFError:\n    pass"
CTRL_D = b"\x04"
CTRL_C = b"\x03"
STOP_RUNS = 5
STOP_TARGET_MS = 200.0
WAIT = 15.0  # seconds for a prompt before the run counts as failed


def _to_prompt(argv: list[str], env: dict[str, str]) -> float:
    """Milliseconds from spawning `argv` to the prompt character on its terminal."""
    child = PtyChild(argv, env, watch=PROMPT.encode("utf-8"))
    child.drain.seen.wait(WAIT)
    seen_at = child.drain.seen_at
    if seen_at is not None:
        child.send(CTRL_D)  # leave the chat; the baseline has already ended
    child.reap(timeout=WAIT)
    if seen_at is None:
        raise RuntimeError(f"{Path(argv[0]).name} showed no prompt within {WAIT:.0f} s (exit {child.status})")
    if child.status != 0:
        raise RuntimeError(f"{Path(argv[0]).name} exited with {child.status} after Ctrl-D")
    return (seen_at - child.started) * 1000


def _stop_latencies(home: Path) -> list[float]:
    """Milliseconds from Ctrl-C, pressed while an answer streams, to the server seeing the
    connection closed: the answer has stopped for good, not only on the screen."""
    latencies = []
    with ServiceDouble(token=TOKEN) as double:
        env = child_env(home, double.url)
        for run in range(1, STOP_RUNS + 1):
            double.enqueue(Reply(content="word " * 2000, stall_after=50))
            child = PtyChild([claudechat_script()], env, watch=PROMPT.encode("utf-8"))
            if not child.drain.seen.wait(WAIT):
                raise RuntimeError("claudechat showed no prompt")
            child.send(b"go\r")
            if not double.wait_for_stall(WAIT, count=run):
                raise RuntimeError("the answer never started")
            pressed = clock()
            child.send(CTRL_C)
            if not double.wait_for_disconnect(WAIT, count=run):
                raise RuntimeError("Ctrl-C did not close the connection")
            latencies.append((clock() - pressed) * 1000)
            child.send(CTRL_D)  # the prompt is back (or about to be): leave
            child.reap(timeout=WAIT)
    return latencies


def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp, DoubleProcess("--token", TOKEN) as double:
        env = child_env(Path(tmp), double.url)
        commands = {
            "baseline": [sys.executable, "-c", f"print({PROMPT!r})"],
            "floor": [sys.executable, "-c", BARE_PROMPT],
            "claudechat": [claudechat_script()],
        }
        for argv in commands.values():  # warm-up: page cache, bytecode, the history file
            _to_prompt(argv, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):  # interleaved, so drift in machine load hits both alike
            for name, argv in commands.items():
                samples[name].append(_to_prompt(argv, env))
        stops = _stop_latencies(Path(tmp))
    result = {name: median(values) for name, values in samples.items()}
    extra = result["claudechat"] - result["baseline"]
    return [
        Row(
            f"stop: Ctrl-C mid-answer to the server seeing the disconnect (median of {STOP_RUNS})",
            f"{median(stops):.0f} ms",
            "",
            f"slowest {max(stops):.0f} ms",
            f"< {STOP_TARGET_MS:.0f} ms",
            max(stops) < STOP_TARGET_MS,
        ),
        Row(
            f"start-up: claudechat to its prompt on a 100x40 pty (median of {RUNS})",
            f"{result['claudechat']:.0f} ms",
            f"python -c \"print('{PROMPT}')\" {result['baseline']:.0f} ms",
            f"+{extra:.0f} ms",
            f"< {TARGET_MS:.0f} ms",
            result["claudechat"] < TARGET_MS,
        ),
        Row(
            f"start-up: claudechat to its prompt vs a bare prompt_toolkit prompt (median of {RUNS})",
            f"{result['claudechat']:.0f} ms",
            f"PromptSession().prompt() {result['floor']:.0f} ms",
            f"+{result['claudechat'] - result['floor']:.0f} ms",
            f"<= +{FLOOR_TARGET_MS:.0f} ms",
            result["claudechat"] - result["floor"] <= FLOOR_TARGET_MS,
        ),
    ]
