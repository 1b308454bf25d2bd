"""Drawing a streamed Markdown answer on a terminal: the CPU it costs, and the slowest frame.

A 60 KB answer arrives as 4-character deltas from the double (in its own process) and is
drawn on a 100x40 pseudo-terminal. Each client is a separate process whose output the
parent drains as fast as it comes; its CPU time (user + system, from wait4) covers start-up,
decoding and drawing. Against the same stream, in the same run:

- "raw": a minimal client that writes each delta as it arrives and draws nothing; the floor.
- "naive": the same loop redrawing the whole answer as Markdown with rich's Live on every
  delta, as simple clients do. It grows quadratically, so it is measured on a smaller answer.

The same claudechat run at 600 KB shows how the cost grows with the answer (linear is 10x).
The slowest frame is timed around `AnswerView.frame()` itself: a view over a Screen whose
Console writes to a 100x40 pseudo-terminal, fed the answer delta by delta, one frame per batch
of deltas (15 is a fast model at 25 frames a second, 400 a burst). That runs in a fresh Python
process set up like claudechat's, so a garbage collection landing in a frame costs what it
would cost there.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from tests.bench.common import ROOT, DoubleProcess, Row, median
from tests.bench.corpus import markdown_answer

SIZE = 60_000
LARGE_SIZE = 600_000
NAIVE_SIZE = 15_000
DELTA = 4
RUNS = 3
COLUMNS, LINES = 100, 40
TOKEN = "bench-token"
TARGET_RAW_RATIO = 2.0
TARGET_GROWTH = 11.0
TARGET_FRAME_MS = 20.0
FRAME_BATCHES = (15, 400)  # deltas per frame: a fast model at 25 frames/s, and a burst
FRAME_RUNS = 3
CHILD_TIMEOUT = 300.0

_CLIENT_LOOP = '''
import asyncio, json, os, sys
import httpx

URL = os.environ["CLAUDECHAT_BASE_URL"] + "/chat/completions"
HEADERS = {"authorization": "Bearer " + os.environ["CLAUDECHAT_API_KEY"]}
BODY = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "go"}], "stream": True}


async def deltas():
    async with httpx.AsyncClient(timeout=120) as client:
        async with client.stream("POST", URL, json=BODY, headers=HEADERS) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                    if data == "[DONE]":
                        return
                    for choice in json.loads(data)["choices"]:
                        text = choice["delta"].get("content")
                        if text:
                            yield text
'''

RAW_CLIENT = _CLIENT_LOOP + '''

async def main():
    out = sys.stdout
    async for text in deltas():
        out.write(text)
        out.flush()
    out.write("\\n")
    out.flush()


asyncio.run(main())
'''

NAIVE_CLIENT = _CLIENT_LOOP + '''
from rich.live import Live
from rich.markdown import Markdown


async def main():
    parts = []
    with Live(refresh_per_second=25) as live:
        async for text in deltas():
            parts.append(text)
            live.update(Markdown("".join(parts)))


asyncio.run(main())
'''


# --- a child process on a pseudo-terminal ---------------------------------------------------


def open_pty(columns: int = COLUMNS, lines: int = LINES) -> tuple[int, int]:
    """A master/slave pair whose terminal size is `columns` x `lines`."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    return master, slave


class Drain(threading.Thread):
    """Reads the master until the terminal closes, as a terminal would.

    It answers cursor-position queries (a real terminal does; prompt_toolkit asks on its first
    draw and waits for the answer when it exits) and notes when `watch` first shows up.
    """

    CPR_QUERY = b"\x1b[6n"
    CPR_ANSWER = b"\x1b[1;1R"

    def __init__(self, master: int, watch: bytes | None = None) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.watch = watch
        self.seen_at: float | None = None
        self.seen = threading.Event()
        self.received = 0
        self._tail = b""  # the end of the last read, for patterns split between reads

    def run(self) -> None:
        keep = max(len(self.CPR_QUERY), len(self.watch or b"")) - 1
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: every slave descriptor is closed
                break
            if not data:
                break
            now = time.perf_counter()
            self.received += len(data)
            window = self._tail + data
            if self.watch is not None and self.seen_at is None and self.watch in window:
                self.seen_at = now
                self.seen.set()
            # A query seen whole in the last read cannot fit in the bytes kept from it, so none is
            # answered twice.
            cpr_window = self._tail[-(len(self.CPR_QUERY) - 1) :] + data
            for _ in range(cpr_window.count(self.CPR_QUERY)):
                try:
                    os.write(self.master, self.CPR_ANSWER)
                except OSError:
                    break
            self._tail = window[-keep:]
        self.seen.set()  # wake a waiter even if the child ended first


class PtyChild:
    """`argv` with the slave as its stdin, stdout and stderr, in a session of its own."""

    def __init__(self, argv: list[str], env: dict[str, str], *, watch: bytes | None = None) -> None:
        self.master, slave = open_pty()
        self.drain = Drain(self.master, watch)
        self.drain.start()
        actions = [(os.POSIX_SPAWN_DUP2, slave, fd) for fd in (0, 1, 2)]
        self.started = time.perf_counter()
        self.pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
        os.close(slave)
        self.status: int | None = None
        self.cpu = 0.0

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def reap(self, timeout: float = CHILD_TIMEOUT) -> float:
        """Wait for the child (killing it after `timeout`); returns its CPU seconds."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(self.pid, 9)
                _, status, usage = os.wait4(self.pid, 0)
                break
            time.sleep(0.01)
        self.status = os.waitstatus_to_exitcode(status)
        self.cpu = usage.ru_utime + usage.ru_stime
        self.drain.join(10)
        os.close(self.master)
        return self.cpu


def child_env(home: Path, base_url: str) -> dict[str, str]:
    """A clean environment: the double's URL and token, every user directory inside `home`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "CLAUDECHAT_BASE_URL": base_url,
        "CLAUDECHAT_API_KEY": TOKEN,
    }
    for name in ("CONFIG", "DATA", "CACHE", "STATE"):
        path = home / name.lower()
        path.mkdir(exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(path)
    return env


def claudechat_script() -> str:
    return str(Path(sys.executable).with_name("claudechat"))


# --- CPU of whole clients ---------------------------------------------------------------------


def _cpu(argv: list[str], env: dict[str, str], least_output: int) -> float:
    child = PtyChild(argv, env)
    cpu = child.reap()
    command = " ".join(Path(arg).name for arg in argv)
    if child.status != 0:
        raise RuntimeError(f"{command} exited with {child.status}")
    if child.drain.received < least_output:
        raise RuntimeError(f"{command} drew {child.drain.received} bytes, expected {least_output}+")
    return cpu


def _client_cpu(home: Path, urls: dict[int, str], scripts: dict[str, Path]) -> dict[str, list[float]]:
    """CPU seconds of each client, `RUNS` times, interleaved: name -> samples."""
    claudechat = [claudechat_script(), "--retries", "0", "go"]
    cases = {  # name: (argv, answer size, bytes it must at least draw)
        "claudechat": (claudechat, SIZE, SIZE),
        "raw": ([sys.executable, str(scripts["raw"])], SIZE, SIZE),
        "claudechat-large": (claudechat, LARGE_SIZE, LARGE_SIZE),
        "claudechat-small": (claudechat, NAIVE_SIZE, NAIVE_SIZE),
        "naive": ([sys.executable, str(scripts["naive"])], NAIVE_SIZE, NAIVE_SIZE),
    }
    for name in ("claudechat", "raw"):  # warm-up: page cache, bytecode
        argv, size, least = cases[name]
        _cpu(argv, child_env(home, urls[size]), least)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(RUNS):  # interleaved, so drift in machine load hits every case alike
        for name, (argv, size, least) in cases.items():
            samples[name].append(_cpu(argv, child_env(home, urls[size]), least))
    return samples


# --- the slowest frame ----------------------------------------------------------------------


def frame_times(answer: str, per_frame: int) -> tuple[list[float], float]:
    """Seconds taken by each `frame()` while `answer` streams, and by the final `finish()`."""
    from rich.console import Console

    from claudechat.render.answer import AnswerView
    from claudechat.render.screen import Screen
    from claudechat.render.theme import load_theme

    theme, _ = load_theme("dark", no_color=False)
    master, slave = open_pty()
    drain = Drain(master)
    drain.start()
    try:
        with open(slave, "w", encoding="utf-8") as out:  # closing it ends the drain
            console = Console(
                file=out, force_terminal=True, width=COLUMNS, height=LINES, theme=theme.rich_theme(), highlight=False
            )
            view = AnswerView(Screen(console), model="claude-sonnet-4-6", code_theme=theme.code_theme)
            deltas = [answer[i : i + DELTA] for i in range(0, len(answer), DELTA)]
            times: list[float] = []
            clock = time.perf_counter
            view.frame()  # the spinner before the first token
            for start in range(0, len(deltas), per_frame):
                for text in deltas[start : start + per_frame]:
                    view.content(text)
                began = clock()
                view.frame()
                times.append(clock() - began)
            began = clock()
            view.finish()
            finish = clock() - began
    finally:
        drain.join(10)
        os.close(master)
    return times, finish


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def frame_worker() -> None:
    """One run of every frame measurement, in a fresh process; prints the results as JSON.

    A full garbage collection walks every object in the process, and one landing in a frame
    is part of that frame's time, so the measurement runs where the heap is claudechat's:
    the modules of a one-shot answer loaded, an API client open, frames drawn on the event
    loop. The benchmark runner's own heap (other benchmarks, their results) stays out of it.
    """
    import asyncio
    import importlib

    from claudechat.api import ChatClient

    for module in ("claudechat.cli", "claudechat.oneshot", "claudechat.turn"):
        importlib.import_module(module)  # what a one-shot answer on a terminal has loaded

    answers = {size: markdown_answer(size) for size in (SIZE, LARGE_SIZE)}

    async def measure() -> list[dict[str, float]]:
        async with ChatClient("http://127.0.0.1:9/v1", TOKEN, timeout=60):  # never used, only open
            # Warm-up: imports, lexers, rich's caches, and pygments' one-time search for plugin
            # lexers (a fence whose language is half-received names none): steady state only.
            frame_times(answers[SIZE], FRAME_BATCHES[0])
            results = []
            for size, answer in answers.items():
                for per_frame in FRAME_BATCHES:
                    times, finish = frame_times(answer, per_frame)
                    results.append(
                        {
                            "size": size,
                            "per_frame": per_frame,
                            "frames": len(times),
                            "max": max(times),
                            "p99": _percentile(times, 0.99),
                            "p50": _percentile(times, 0.5),
                            "finish": finish,
                        }
                    )
            return results

    print(json.dumps(asyncio.run(measure())))


def _frame_rows() -> list[Row]:
    code = "from tests.bench.bench_render import frame_worker; frame_worker()"
    runs: dict[tuple[int, int], list[dict[str, float]]] = {}
    for _ in range(FRAME_RUNS):  # medians over runs, each in a process of its own
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        for result in json.loads(done.stdout):
            runs.setdefault((int(result["size"]), int(result["per_frame"])), []).append(result)
    rows = []
    for (size, per_frame), results in runs.items():
        stat = {key: median([r[key] for r in results]) for key in ("max", "p99", "p50", "finish")}
        # The target is about length: a frame at a model's pace must not grow with the answer.
        # A burst frame's cost follows the text that arrived in it (1,600 characters here, a
        # code block and a table finishing in one frame), whatever the length: shown, not judged.
        burst = per_frame > FRAME_BATCHES[0]
        rows.append(
            Row(
                f"frame(), {size // 1000} KB at {per_frame} deltas/frame{' (burst)' if burst else ''}, "
                f"in-process (median of {FRAME_RUNS})",
                f"max {stat['max'] * 1000:.1f} ms",
                f"p99 {stat['p99'] * 1000:.1f} / p50 {stat['p50'] * 1000:.1f} ms",
                f"{int(results[0]['frames']):,} frames; finish() {stat['finish'] * 1000:.0f} ms",
                "(info)" if burst else f"max < {TARGET_FRAME_MS:.0f} ms",
                burst or stat["max"] < TARGET_FRAME_MS / 1000,
            )
        )
    return rows


# --- the benchmark --------------------------------------------------------------------------


def run() -> list[Row]:
    answers = {size: markdown_answer(size) for size in (SIZE, LARGE_SIZE, NAIVE_SIZE)}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as doubles:
        root = Path(tmp)
        scripts = {"raw": root / "raw_client.py", "naive": root / "naive_client.py"}
        scripts["raw"].write_text(RAW_CLIENT, encoding="utf-8")
        scripts["naive"].write_text(NAIVE_CLIENT, encoding="utf-8")
        urls = {}
        for size, answer in answers.items():  # one double per answer, each in its own process
            source = root / f"answer-{size}.md"
            source.write_text(answer, encoding="utf-8")
            double = DoubleProcess("--token", TOKEN, "--content-file", str(source), "--delta-size", str(DELTA))
            urls[size] = doubles.enter_context(double).url
        home = root / "home"
        home.mkdir()
        samples = _client_cpu(home, urls, scripts)
    cpu = {name: median(values) for name, values in samples.items()}
    ratio = cpu["claudechat"] / cpu["raw"]
    growth = cpu["claudechat-large"] / cpu["claudechat"]
    naive_ratio = cpu["naive"] / cpu["claudechat-small"]
    deltas = SIZE // DELTA
    rows = [
        Row(
            f"render {SIZE // 1000} KB as {deltas:,} deltas on a 100x40 pty, process CPU (median of {RUNS})",
            f"{cpu['claudechat'] * 1000:.0f} ms",
            f"raw writes {cpu['raw'] * 1000:.0f} ms",
            f"{ratio:.2f}x",
            f"<= {TARGET_RAW_RATIO:.0f}x",
            ratio <= TARGET_RAW_RATIO,
        ),
        Row(
            f"render {NAIVE_SIZE // 1000} KB (not {SIZE // 1000} KB: quadratic), process CPU (median of {RUNS})",
            f"{cpu['claudechat-small'] * 1000:.0f} ms",
            f"naive Live+Markdown {cpu['naive'] * 1000:.0f} ms",
            f"naive {naive_ratio:.1f}x as much",
            "(info)",
            True,
        ),
        Row(
            f"render {LARGE_SIZE // 1000} KB vs {SIZE // 1000} KB, process CPU (median of {RUNS})",
            f"{cpu['claudechat-large'] * 1000:.0f} ms",
            f"{SIZE // 1000} KB {cpu['claudechat'] * 1000:.0f} ms",
            f"{growth:.1f}x",
            f"<= {TARGET_GROWTH:.0f}x",
            growth <= TARGET_GROWTH,
        ),
    ]
    return rows + _frame_rows()

