"""Streaming at a model's pace: what the renderer writes, the CPU it costs, its slowest frames,
the first byte through a pipe, and a terminal slower than the stream.

Run alone with `python -m tests.bench.bench_paced [--quick]`, or with the others through
`python -m tests.bench` (`BENCH_PACED_QUICK=1` there for the quick set). Each number is compared
with a floor measured in the same run, against the double (tests/double.py) in its own process.

1. Paced streams. The double sends a Markdown answer in 4-character deltas with a fixed pause
   between them (`Reply.pace`): 20 KB and 60 KB at 1 ms per delta (a fast model), 20 KB at 20 ms
   (a slow one). 60 KB at 20 ms would be 15,000 deltas, five minutes: at 20 ms the frame clock
   (25 a second) sees about two deltas a frame whatever the length, so 20 KB shows that cost in
   100 s, and 60 KB at 1 ms shows the growth with length. Each client runs one-shot on its own
   100x40 pseudo-terminal, drained as fast as it comes:
   a. bytes claudechat writes to the terminal, against the same answer arriving at flood rate
      (no pauses: few frames, each with much new text). Target: paced <= 1.5x flood.
   b. claudechat's CPU (user + system of the process, from wait4) against the raw floor:
      bench_render's minimal httpx client that writes each delta as it arrives. Target <= 2x.
   c. the same against streamdown (`sd`, a streaming Markdown renderer for terminals), fed the
      same deltas at the same pace: the raw client's output piped into `sd`, whose output is the
      pseudo-terminal. `sd` only draws: the same work as claudechat's (HTTP, decoding and
      drawing) is `sd` and the client feeding it together, so that is the comparison; `sd`'s
      own CPU is shown beside it. Target: claudechat <= streamdown and its feeder. `sd` is
      installed from the registry into a throwaway venv under the temp directory on first use
      (or named by BENCH_STREAMDOWN); when it cannot be had the row says why, and is skipped.
   At 1 ms the clients run one after another; at 20 ms, where each needs a few percent of a
   core, side by side against the same double, so the case costs its 100 s once.

2. Frame times on code: `AnswerView.frame()` timed in a fresh process as bench_render does it,
   on answers of ~5 KB fenced blocks (Python with docstrings, Rust, JSON, a shell session)
   between prose, fed 15 deltas a frame (a fast model at 25 frames a second), at 60 KB and
   600 KB (once each: the 600 KB pass is 10,000 frames). Targets: slowest <= 16 ms (one frame
   at 60 Hz), p99 <= 8 ms.

3. Time to the first byte through a pipe: `claudechat hi` with stdout a pipe, from spawning it to
   the first byte of the answer on that pipe, against the raw client doing the same request
   (its start-up is the floor). Medians of 10 runs each, interleaved. Target <= floor + 30 ms.

4. A slow terminal: claudechat on a pseudo-terminal whose reader takes 20 KB/s in 256-byte reads
   (an SSH link, say), the 20 KB answer at 1 ms per delta. (a) From the moment the double wrote
   the stream's last byte (its handler reports it) to the status line on screen, less the time
   the bytes read after that moment need at 20 KB/s: the reader left waiting for claudechat once
   the stream is over. Target <= 1 s. (b) Peak RSS (wait4's ru_maxrss) against the same answer
   on a fast reader (claudechat's run in 1). Target: at most 4 MB more: a backlog of frames the
   terminal has not taken yet must not pile up in memory.

A run takes about 5 minutes, most of it the 20 ms stream and the 600 KB frames (`--quick`: 20 KB
at 1 ms, frames at 60 KB, 5 start-ups; about a minute). The CPU figures hold up on a busy
machine; frame times, the first byte and the slow terminal's lag are wall-clock times and do
not. Children and doubles are killed after a timeout; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.bench_render import (
    RAW_CLIENT,
    TOKEN,
    Drain,
    _percentile,
    child_env,
    claudechat_script,
    frame_times,
    open_pty,
)
from tests.bench.common import ROOT, DoubleProcess, Row, median, print_table
from tests.bench.corpus import code_heavy_answer, markdown_answer

DELTA = 4
SMALL, LARGE = 20_000, 60_000
FAST, SLOW = 0.001, 0.020  # seconds between deltas
PACED_CASES = ((SMALL, FAST), (LARGE, FAST), (SMALL, SLOW))
QUICK_CASES = ((SMALL, FAST),)
TARGET_BYTES_RATIO = 1.5
TARGET_RAW_RATIO = 2.0
TARGET_SD_RATIO = 1.0

FRAME_SIZES = (60_000, 600_000)
QUICK_FRAME_SIZES = (60_000,)
FRAME_RUNS = 3
WARM_UP_SIZE = 25_000  # the first block of each language
PER_FRAME = 15
TARGET_SLOWEST_MS = 16.0
TARGET_P99_MS = 8.0

TTFB_RUNS = 10
QUICK_TTFB_RUNS = 5
TARGET_TTFB_EXTRA_MS = 30.0

SLOW_RATE = 20_000  # bytes a second the slow terminal reads
SLOW_READ = 256  # bytes per read
STATUS_MARK = b"tok/s"  # only the status line under a finished answer says it
TARGET_LAG = 1.0
TARGET_RSS_EXTRA_MB = 4.0

CHILD_TIMEOUT = 300.0
STREAMDOWN_DIR = Path(tempfile.gettempdir()) / "claudechat-bench-streamdown"
QUICK_ENV = "BENCH_PACED_QUICK"


# --- processes --------------------------------------------------------------------------------


@dataclass
class Usage:
    """What one finished child cost, and what its terminal saw."""

    cpu: float  # user + system seconds
    rss: int  # peak resident set size, bytes
    received: int = 0  # bytes its terminal read


def _wait(pid: int, deadline: float, what: str) -> Usage:
    """Reap `pid` (killed at `deadline`); it must have exited 0."""
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.01)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{what} exited with {code}")
    return Usage(usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)  # ru_maxrss is in KB on Linux


class TerminalChild:
    """`argv` writing to a 100x40 pseudo-terminal read by `drain`; stdin the terminal unless given."""

    def __init__(
        self, argv: list[str], env: dict[str, str], *, stdin: int | None = None, drain: type[Drain] = Drain,
        watch: bytes | None = None,
    ) -> None:
        self.what = Path(argv[-1]).name if argv[0] == sys.executable else Path(argv[0]).name
        self.master, slave = open_pty()
        self.drain = drain(self.master, watch)
        self.drain.start()
        sources = {0: slave if stdin is None else stdin, 1: slave, 2: slave}
        actions = [(os.POSIX_SPAWN_DUP2, source, fd) for fd, source in sources.items()]
        self.deadline = time.monotonic() + CHILD_TIMEOUT
        self.pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
        os.close(slave)

    def finish(self) -> Usage:
        try:
            usage = _wait(self.pid, self.deadline, self.what)
        finally:
            self.drain.join(10)
            os.close(self.master)
        usage.received = self.drain.received
        return usage


class StreamdownChild:
    """The raw client's output piped into streamdown, which draws on the pseudo-terminal."""

    def __init__(self, sd: list[str], raw: list[str], env: dict[str, str]) -> None:
        read, write = os.pipe()
        self.feeder = os.posix_spawn(raw[0], raw, env, file_actions=[(os.POSIX_SPAWN_DUP2, write, 1)])
        self.deadline = time.monotonic() + CHILD_TIMEOUT
        os.close(write)
        try:
            self.sd = TerminalChild(sd, env, stdin=read)
        finally:
            os.close(read)

    def finish(self) -> tuple[Usage, Usage]:
        """Streamdown's usage, and its feeder's."""
        try:
            feeder = _wait(self.feeder, self.deadline, "the raw client feeding streamdown")
        finally:
            drawn = self.sd.finish()  # its input is closed now, whatever became of the feeder
        return drawn, feeder


def _claudechat(prompt: str = "go") -> list[str]:
    return [claudechat_script(), "--retries", "0", prompt]


def streamdown() -> tuple[list[str] | None, str]:
    """The `sd` command and its version, or None and why it cannot run.

    Installed on first use into a venv of its own under the temp directory, never into the
    project's; BENCH_STREAMDOWN names an `sd` to use instead.
    """
    sd = Path(os.environ.get("BENCH_STREAMDOWN") or STREAMDOWN_DIR / "bin" / "sd")
    if not sd.exists() and "BENCH_STREAMDOWN" not in os.environ:
        print("installing streamdown into", STREAMDOWN_DIR, "...", file=sys.stderr, flush=True)
        python = STREAMDOWN_DIR / "bin" / "python"
        for step in ([sys.executable, "-m", "venv", str(STREAMDOWN_DIR)], [str(python), "-m", "pip", "install", "-q", "streamdown"]):
            try:
                subprocess.run(step, check=True, capture_output=True, text=True, timeout=300)
            except (OSError, subprocess.SubprocessError) as exc:
                lines = (getattr(exc, "stderr", None) or str(exc)).strip().splitlines() or ["?"]
                errors = [line for line in lines if line.startswith("ERROR")]  # not pip's warnings
                return None, f"{step[2]} failed: {(errors or lines)[-1][:80]}"
    try:
        version = subprocess.run([str(sd), "--version"], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{sd} does not run: {str(exc)[:80]}"
    return [str(sd)], f"streamdown {version.stdout.strip()[:20]}"


class EndMarkingDouble(DoubleProcess):
    """The double, also printing the clock when each stream's last byte was written.

    time.perf_counter is CLOCK_MONOTONIC, one clock for every process on the machine, so the
    moment is comparable with ours.
    """

    SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv.pop(1))
import tests.double as double

send_stream = double._Handler._send_stream

def send_and_mark(self, reply, completion):
    try:
        send_stream(self, reply, completion)
    finally:  # a stream cut short ends too
        print(time.perf_counter(), flush=True)

double._Handler._send_stream = send_and_mark
sys.exit(double.main())
"""

    def __enter__(self) -> EndMarkingDouble:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(ROOT), *self.args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the service double did not start")
        return self

    def stream_ended(self, timeout: float = CHILD_TIMEOUT) -> float:
        """When the next stream's last byte was written (waits until it is)."""
        assert self.proc is not None and self.proc.stdout is not None
        if not select.select([self.proc.stdout], [], [], timeout)[0]:
            raise RuntimeError(f"no stream ended within {timeout:.0f} s")
        return float(self.proc.stdout.readline())


def _double(source: Path, pace: float) -> DoubleProcess:
    return DoubleProcess("--token", TOKEN, "--content-file", str(source), "--delta-size", str(DELTA), "--pace", str(pace))


# --- 1. paced streams -------------------------------------------------------------------------


@dataclass
class PacedResult:
    claudechat: Usage
    raw: Usage
    sd: tuple[Usage, Usage] | None  # streamdown and its feeder


def _paced(env: dict[str, str], raw: list[str], sd: list[str] | None, *, together: bool) -> PacedResult:
    """claudechat, the raw client and streamdown on one stream each: in turn, or all at once."""
    starts = [
        lambda: TerminalChild(_claudechat(), env),
        lambda: TerminalChild(raw, env),
        *([lambda: StreamdownChild(sd, raw, env)] if sd else []),
    ]
    if together:
        children = [start() for start in starts]
        results = [child.finish() for child in children]
    else:
        results = [start().finish() for start in starts]
    return PacedResult(results[0], results[1], results[2] if sd else None)  # type: ignore[arg-type]


def _case_name(size: int, pace: float) -> str:
    return f"paced {size // 1000} KB, {pace * 1000:.0f} ms/delta"


def _paced_rows(size: int, pace: float, paced: PacedResult, flood: Usage, sd_note: str) -> list[Row]:
    """Rows for one case; `sd_note` is streamdown's version, or why it did not run."""
    name = _case_name(size, pace)
    cc = paced.claudechat
    bytes_ratio = cc.received / flood.received
    raw_ratio = cc.cpu / paced.raw.cpu
    rows = [
        Row(
            f"{name}: bytes to the terminal",
            f"{cc.received / 1000:,.0f} KB",
            f"flood rate {flood.received / 1000:,.0f} KB",
            f"{bytes_ratio:.2f}x",
            f"<= {TARGET_BYTES_RATIO}x",
            bytes_ratio <= TARGET_BYTES_RATIO,
        ),
        Row(
            f"{name}: process CPU vs raw client",
            f"{cc.cpu * 1000:,.0f} ms",
            f"raw writes {paced.raw.cpu * 1000:,.0f} ms",
            f"{raw_ratio:.2f}x",
            f"<= {TARGET_RAW_RATIO:.0f}x",
            raw_ratio <= TARGET_RAW_RATIO,
        ),
    ]
    if paced.sd is None:
        # Not a failure of claudechat's: a machine without the registry still runs the rest.
        rows.append(Row(f"{name}: process CPU vs streamdown", f"{cc.cpu * 1000:,.0f} ms", "not run", sd_note, "(skipped)", True))
        return rows
    sd, feeder = paced.sd
    # sd only draws; its feeder does the HTTP and decoding claudechat does itself.
    pipeline_ratio = cc.cpu / (sd.cpu + feeder.cpu)
    rows.append(
        Row(
            f"{name}: process CPU vs {sd_note} and its feeder",
            f"{cc.cpu * 1000:,.0f} ms",
            f"sd {sd.cpu * 1000:,.0f} ms + feeder {feeder.cpu * 1000:,.0f} ms",
            f"{pipeline_ratio:.2f}x (vs sd alone {cc.cpu / sd.cpu:.2f}x)",
            "<= sd + feeder",
            pipeline_ratio <= TARGET_SD_RATIO,
        )
    )
    return rows


# --- 2. frame times on code -------------------------------------------------------------------


def frame_worker(sizes: list[int]) -> None:
    """Every frame measurement in this (fresh) process, set up like bench_render's frame_worker:
    a one-shot answer's modules loaded and an API client open, so the heap a garbage collection
    walks mid-frame is claudechat's. Prints the results as JSON."""
    import asyncio
    import importlib

    from claudechat.api import ChatClient

    for module in ("claudechat.cli", "claudechat.oneshot", "claudechat.turn"):
        importlib.import_module(module)

    async def measure() -> list[dict[str, float]]:
        async with ChatClient("http://127.0.0.1:9/v1", TOKEN, timeout=60):  # never used, only open
            frame_times(code_heavy_answer(WARM_UP_SIZE), PER_FRAME)  # lexers, rich's caches: steady state only
            results = []
            for size in sizes:
                # The slowest of 10,000 frames is one frame: a moment of the machine's own (another
                # process, the VM's host) can make it. Each figure is the median of FRAME_RUNS runs,
                # as bench_render's frame rows are.
                runs = [frame_times(code_heavy_answer(size), PER_FRAME) for _ in range(FRAME_RUNS)]
                results.append(
                    {"size": size, "frames": len(runs[0][0]),
                     "max": median([max(times) for times, _ in runs]),
                     "p99": median([_percentile(times, 0.99) for times, _ in runs]),
                     "p50": median([_percentile(times, 0.5) for times, _ in runs]),
                     "finish": median([finish for _, finish in runs])}
                )
            return results

    print(json.dumps(asyncio.run(measure())))


def _frame_rows(sizes: tuple[int, ...]) -> list[Row]:
    code = f"from tests.bench.bench_paced import frame_worker; frame_worker({list(sizes)!r})"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=CHILD_TIMEOUT * 2
    )
    rows = []
    for result in json.loads(done.stdout):
        slowest, p99 = result["max"] * 1000, result["p99"] * 1000
        rows.append(
            Row(
                f"frame(), code-heavy {int(result['size']) // 1000} KB at {PER_FRAME} deltas/frame, in-process"
                f" (median of {FRAME_RUNS})",
                f"max {slowest:.1f} / p99 {p99:.1f} ms",
                f"p50 {result['p50'] * 1000:.1f} ms; 60 Hz frame 16.7 ms",
                f"{int(result['frames']):,} frames; finish() {result['finish'] * 1000:.0f} ms",
                f"max <= {TARGET_SLOWEST_MS:.0f}, p99 <= {TARGET_P99_MS:.0f} ms",
                slowest <= TARGET_SLOWEST_MS and p99 <= TARGET_P99_MS,
            )
        )
    return rows


# --- 3. first byte through a pipe -------------------------------------------------------------


def _first_byte(argv: list[str], env: dict[str, str]) -> float:
    """Milliseconds from spawning `argv` to the first byte on its stdout, a pipe."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    timer = threading.Timer(CHILD_TIMEOUT, proc.kill)  # a read that never returns would hang the run
    timer.start()
    try:
        assert proc.stdout is not None
        first = proc.stdout.read(1)
        elapsed = (time.perf_counter() - started) * 1000
        proc.stdout.read()
        code = proc.wait()
    finally:
        timer.cancel()
    if not first or code != 0:
        raise RuntimeError(f"{Path(argv[-1]).name} wrote {len(first)} bytes and exited with {code}")
    return elapsed


def _first_byte_row(env: dict[str, str], raw: list[str], runs: int) -> Row:
    commands = {"claudechat": _claudechat("hi"), "raw": raw}
    for argv in commands.values():  # warm-up: page cache, bytecode
        _first_byte(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so drift in machine load hits both alike
        for name, argv in commands.items():
            samples[name].append(_first_byte(argv, env))
    cc, floor = median(samples["claudechat"]), median(samples["raw"])
    return Row(
        f"first byte through a pipe, from spawn (median of {runs})",
        f"{cc:.0f} ms",
        f"raw client {floor:.0f} ms",
        f"{cc - floor:+.0f} ms",
        f"<= +{TARGET_TTFB_EXTRA_MS:.0f} ms",
        cc - floor <= TARGET_TTFB_EXTRA_MS,
    )


# --- 4. a slow terminal -----------------------------------------------------------------------


class SlowDrain(Drain):
    """A terminal behind a slow link: `SLOW_RATE` bytes a second, read `SLOW_READ` at a time.

    Time spent waiting for output earns no credit: a link idle for a second does not then
    carry two seconds' worth at once. Each read is logged, to count what came after a moment.
    """

    def __init__(self, master: int, watch: bytes | None = None) -> None:
        super().__init__(master, watch)
        self.reads: list[tuple[float, int]] = []  # (when, bytes read so far)

    def run(self) -> None:
        keep = len(self.watch or b"") - 1
        due = time.perf_counter()
        while True:
            try:
                data = os.read(self.master, SLOW_READ)
            except OSError:  # EIO: every slave descriptor is closed
                break
            if not data:
                break
            now = time.perf_counter()
            self.received += len(data)
            self.reads.append((now, self.received))
            window = self._tail + data
            if self.watch is not None and self.seen_at is None and self.watch in window:
                self.seen_at = now
                self.seen.set()
            self._tail = window[-keep:] if keep > 0 else b""
            due = max(due, now) + len(data) / SLOW_RATE
            time.sleep(max(0.0, due - time.perf_counter()))
        self.seen.set()

    def read_by(self, moment: float) -> int:
        """Bytes read up to `moment`."""
        index = bisect.bisect_right(self.reads, (moment, float("inf")))
        return self.reads[index - 1][1] if index else 0


def _slow_terminal_rows(env: dict[str, str], double: EndMarkingDouble, fast: Usage) -> list[Row]:
    child = TerminalChild(_claudechat(), env, drain=SlowDrain, watch=STATUS_MARK)
    stream_end = double.stream_ended()
    usage = child.finish()
    drain = child.drain
    assert isinstance(drain, SlowDrain)
    if drain.seen_at is None:
        raise RuntimeError("claudechat's status line never reached the slow terminal")
    after = drain.read_by(drain.seen_at) - drain.read_by(stream_end)
    needed = after / SLOW_RATE
    lag = drain.seen_at - stream_end
    extra = lag - needed
    growth = (usage.rss - fast.rss) / 1e6
    case = f"slow terminal ({SLOW_RATE // 1000} KB/s), {_case_name(SMALL, FAST)}"
    return [
        Row(
            f"{case}: stream end to status line, less the bytes' own time",
            f"{extra:.2f} s",
            f"{after / 1000:,.0f} KB after the end need {needed:.2f} s",
            f"status line {lag:.2f} s after the end",
            f"<= {TARGET_LAG:.0f} s",
            extra <= TARGET_LAG,
        ),
        Row(
            f"{case}: peak RSS",
            f"{usage.rss / 1e6:.1f} MB",
            f"fast reader {fast.rss / 1e6:.1f} MB",
            f"{growth:+.1f} MB ({usage.received / 1000:,.0f} KB written)",
            f"<= +{TARGET_RSS_EXTRA_MB:.0f} MB",
            growth <= TARGET_RSS_EXTRA_MB,
        ),
    ]


# --- the benchmark ----------------------------------------------------------------------------


def _progress(what: str) -> None:
    print(f"  bench_paced: {what}", file=sys.stderr, flush=True)


def run(quick: bool | None = None) -> list[Row]:
    if quick is None:
        quick = os.environ.get(QUICK_ENV, "") not in ("", "0")
    cases = QUICK_CASES if quick else PACED_CASES
    sd, sd_note = streamdown()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as doubles:
        root = Path(tmp)
        raw_script = root / "raw_client.py"
        raw_script.write_text(RAW_CLIENT, encoding="utf-8")
        raw = [sys.executable, str(raw_script)]
        home = root / "home"
        home.mkdir()
        sources = {}
        for size in sorted({size for size, _ in cases}):
            sources[size] = root / f"answer-{size}.md"
            sources[size].write_text(markdown_answer(size), encoding="utf-8")
        urls: dict[tuple[int, float], str] = {}

        def env_for(size: int, pace: float) -> dict[str, str]:
            """The environment of a client of the double streaming `size` at `pace` (started once)."""
            if (size, pace) not in urls:
                urls[size, pace] = doubles.enter_context(_double(sources[size], pace)).url
            # TMPDIR: streamdown keeps logs and a copy of each code block under it.
            return {**child_env(home, urls[size, pace]), "TMPDIR": tmp}

        _progress("warm-up, flood-rate streams")
        TerminalChild(_claudechat(), env_for(SMALL, 0.0)).finish()  # page cache, bytecode
        floods = {size: TerminalChild(_claudechat(), env_for(size, 0.0)).finish() for size in sources}
        fast_reader = None
        for size, pace in cases:
            _progress(f"{_case_name(size, pace)} ({size // DELTA * pace:.0f} s a stream)")
            result = _paced(env_for(size, pace), raw, sd, together=pace >= SLOW)
            rows += _paced_rows(size, pace, result, floods[size], sd_note)
            if (size, pace) == (SMALL, FAST):
                fast_reader = result.claudechat
        _progress("slow terminal")
        assert fast_reader is not None
        slow_double = doubles.enter_context(
            EndMarkingDouble("--token", TOKEN, "--content-file", str(sources[SMALL]), "--pace", str(FAST))
        )
        rows += _slow_terminal_rows({**child_env(home, slow_double.url), "TMPDIR": tmp}, slow_double, fast_reader)
        _progress("first byte through a pipe")
        rows.append(_first_byte_row(env_for(SMALL, 0.0), raw, QUICK_TTFB_RUNS if quick else TTFB_RUNS))
    _progress("frame times on code")
    rows += _frame_rows(QUICK_FRAME_SIZES if quick else FRAME_SIZES)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 KB at 1 ms, frames at 60 KB, 5 start-ups (~1 minute)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows = run(quick=args.quick or None)
    print_table(rows)
    print(f"bench_paced: {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
