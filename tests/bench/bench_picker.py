"""The session picker over a large history: 10,000 sessions, about 1 GB of logs (the history of
bench_search.py, made once and reused; its search index brought up to date first).

Measured on a 100x40 pseudo-terminal, each against a baseline of the same run:

- `/resume` in the chat, from Enter to the picker's first frame (its top row: prompt_toolkit
  writes a frame in one go), against `/sessions` (a table of the 20 sessions used last) the same way;
- a keystroke in the picker, from the key to the frame that shows the rows it keeps;
- `claudechat --resume`, from the command to the first frame, against a bare prompt_toolkit
  prompt and against `claudechat` to its prompt (what starting any such program costs);

and in this process:

- listing the rows (one scandir and the index's table of logs), against the scandir alone;
- the title part of the filter, run on every keystroke, over the 10,000 rows: the slowest of
  every prefix of a few words;
- the content part (the full-text index, on the picker's worker thread after a pause in typing,
  never holding a keystroke up): median and slowest for a frequent word, a rare word, a prefix.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.bench_prompt import BARE_PROMPT
from tests.bench.bench_render import Drain, PtyChild, child_env, claudechat_script
from tests.bench.bench_search import _Text, build_corpus, corpus_dir
from tests.bench.common import DoubleProcess, Row, clock, median

RUNS = 10
FRAME_MS = 150.0
KEY_MS = 30.0
START_EXTRA_MS = 150.0  # over a bare prompt_toolkit prompt: claudechat's own start and the listing
CONTINUE_EXTRA_MS = 50.0  # -c among 10,000 sessions over -c of that session alone: one lstat a file (~4.5 µs here)
WAIT = 20.0
CTRL_D = b"\x04"
ESC = b"\x1b"
LEFT = b"\x1b[?1049l"  # the picker has left the alternate screen
PROMPT = "›".encode()
HEADER = b"Resume a session"  # the picker's top row: its first frame is written whole, in one go
TOOLBAR = b"Ctrl-D exits"  # the end of the chat's toolbar, drawn with its prompt


class _Watch(Drain):
    """A Drain that can be told to watch for another pattern, again and again."""

    KEEP = 64  # bytes of the last read kept, for patterns split between reads

    def arm(self, pattern: bytes) -> None:
        self.seen_at = None
        self.seen.clear()
        self.watch = pattern
        self._tail = b""

    def run(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            now = time.perf_counter()
            window = self._tail + data
            if self.watch is not None and self.seen_at is None and self.watch in window:
                self.seen_at = now
                self.seen.set()
            for _ in range((self._tail[-(len(self.CPR_QUERY) - 1):] + data).count(self.CPR_QUERY)):
                try:
                    os.write(self.master, self.CPR_ANSWER)
                except OSError:
                    break
            self._tail = window[-self.KEEP:]
        self.seen.set()


def _timed(child: PtyChild, watch: _Watch, pattern: bytes, data: bytes | None) -> float:
    """Milliseconds from sending `data` (or from the spawn) to `pattern` on the terminal."""
    watch.arm(pattern)
    started = clock()
    if data is None:
        started = child.started
    else:
        child.send(data)
    if not watch.seen.wait(WAIT) or watch.seen_at is None:
        raise RuntimeError(f"{pattern!r} did not show within {WAIT:.0f} s")
    return (watch.seen_at - started) * 1000


def _spawn(argv: list[str], env: dict[str, str]) -> tuple[PtyChild, _Watch]:
    """`argv` on a pty whose output one _Watch reads from the start."""
    from tests.bench import bench_render

    master, slave = bench_render.open_pty()
    watch = _Watch(master)
    watch.arm(b"\x00never")
    watch.start()
    child = PtyChild.__new__(PtyChild)
    child.master, child.drain = master, watch
    child.started = time.perf_counter()
    child.pid = os.posix_spawn(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, slave, fd) for fd in (0, 1, 2)],
                               setsid=True)
    os.close(slave)
    child.status, child.cpu = None, 0.0
    return child, watch


def _in_the_chat(env: dict[str, str], total: str) -> tuple[list[float], list[float], list[float]]:
    """Enter of /resume to the first frame, a key to its frame, Enter of /sessions to its table
    and the prompt after it."""
    child, watch = _spawn([claudechat_script()], env)
    frames, keys, tables = [], [], []
    try:
        _timed(child, watch, TOOLBAR, None)
        for run in range(RUNS + 1):
            frame = _timed(child, watch, HEADER, b"/resume\r")
            key = _timed(child, watch, f" of {total} sessions".encode(), b"zq"[run % 2:run % 2 + 1])
            _timed(child, watch, TOOLBAR, ESC)  # the chat's prompt is back
            table = _timed(child, watch, TOOLBAR, b"/sessions\r")
            if run:  # the first is a warm-up: page cache, imports
                frames.append(frame)
                keys.append(key)
                tables.append(table)
    finally:
        child.send(CTRL_D)
        child.reap(WAIT)
    return frames, keys, tables


def _from_the_command(env: dict[str, str], total: str) -> dict[str, list[float]]:
    """`claudechat --resume` to its first frame; a bare prompt and `claudechat` to their prompts."""
    commands = {
        "picker": ([claudechat_script(), "--resume"], HEADER, ESC),
        "floor": ([sys.executable, "-c", BARE_PROMPT], PROMPT, CTRL_D),
        "chat": ([claudechat_script()], b"/help for commands", CTRL_D),
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(RUNS + 1):
        for name, (argv, pattern, leave) in commands.items():
            child, watch = _spawn(argv, env)
            try:
                elapsed = _timed(child, watch, pattern, None)
            finally:
                child.send(leave)
                child.reap(WAIT)
            if run:
                samples[name].append(elapsed)
    return samples


def _continue(env: dict[str, str], sessions: Path) -> tuple[list[float], list[float]]:
    """`claudechat -c` to its prompt among every session, and with a copy of the one it opens
    alone in a data directory of its own: what the other 9,999 cost it."""
    import shutil

    from claudechat.chat.listing import session_files

    with tempfile.TemporaryDirectory() as alone:
        last = session_files(sessions)[0][1]
        (Path(alone) / "claudechat" / "sessions").mkdir(parents=True)
        shutil.copy2(last, Path(alone) / "claudechat" / "sessions" / last.name)
        among: list[float] = []
        single: list[float] = []
        for run in range(RUNS + 1):
            for data, samples in ((str(sessions.parent.parent), among), (alone, single)):
                child, watch = _spawn([claudechat_script(), "-c"], {**env, "XDG_DATA_HOME": data})
                try:
                    elapsed = _timed(child, watch, TOOLBAR, None)
                finally:
                    child.send(CTRL_D)
                    child.reap(WAIT)
                if run:
                    samples.append(elapsed)
    return among, single


def _in_process(sessions: Path) -> list[Row]:
    from claudechat.chat.index import SearchIndex
    from claudechat.chat.index_read import scan_logs
    from claudechat.chat.picking import PickerFilter, content_query, indexed_rows, picker_rows
    from claudechat.repl.picker import CONTENT_LIMIT

    index = SearchIndex(sessions=sessions)
    firsts, scans, fulls = [], [], []
    rows = []
    for _ in range(RUNS):
        started = clock()
        rows = indexed_rows(index.listing())  # what the first frame is drawn from
        firsts.append((clock() - started) * 1000)
        started = clock()
        _, found = scan_logs(sessions)
        scans.append((clock() - started) * 1000)
        started = clock()
        _, found = scan_logs(sessions)
        picker_rows(found, index.listing())  # what the worker puts in their place
        fulls.append((clock() - started) * 1000)
    text = _Text(1)
    frequent, rare = text.words[800], text.words[5_000]
    words = [frequent, rare, "zzz", "the"]
    picker = PickerFilter(rows)
    keystrokes = []
    for word in words:
        for end in range(1, len(word) + 1):
            started = clock()
            picker.type(word[:end])
            keystrokes.append((clock() - started) * 1000)
        started = clock()
        picker.type("")
        keystrokes.append((clock() - started) * 1000)
    queries = {}
    for name, typed in ((f"frequent word ({frequent})", frequent + " "), (f"rare word ({rare})", rare + " "),
                        (f"prefix ({rare[:5]})", rare[:5])):
        query = content_query(typed)
        times = []
        for _ in range(RUNS):
            started = clock()
            hits = index.search(query, CONTENT_LIMIT, snippets=False)  # as the picker asks
            times.append((clock() - started) * 1000)
        queries[name] = (times, len(hits))
    index.close()
    result = [
        Row(f"picker: the first frame's rows, {len(rows):,} sessions, from the index's table of logs (median of {RUNS})",
            f"{median(firsts):.1f} ms", f"scandir + lstat alone {median(scans):.1f} ms",
            f"the worker's, with the scandir: {median(fulls):.1f} ms", "(info)", True),
        Row(f"picker: title filter of one keystroke over {len(rows):,} rows (slowest of {len(keystrokes)}; median)",
            f"{max(keystrokes):.1f} ms", "", f"median {median(keystrokes):.1f} ms", f"<= {KEY_MS:.0f} ms",
            max(keystrokes) <= KEY_MS),
    ]
    for name, (times, hits) in queries.items():
        result.append(Row(f"picker: content query, {name}, {hits} sessions, on the worker (median / slowest of {RUNS})",
                          f"{median(times):.1f} / {max(times):.1f} ms", "", "off the keystroke path", "(info)", True))
    return result


def run() -> list[Row]:
    from claudechat.chat.index import SearchIndex

    home = corpus_dir()
    print(f"  the history: {home} (made once, then reused)", file=sys.stderr, flush=True)
    sessions = build_corpus(home)
    index = SearchIndex(sessions=sessions)
    index.sync()  # the picker catches the index up on its worker; timed here is the usual case
    index.close()
    total = f"{sum(1 for name in os.listdir(sessions) if name.endswith('.jsonl')):,}"
    rows = _in_process(sessions)
    history = home / "claudechat" / "history"  # the chat's input history: made by these runs, taken away
    had_history = history.exists()
    with tempfile.TemporaryDirectory() as scratch, DoubleProcess("--token", "bench-token") as double:
        env = child_env(Path(scratch), double.url)  # config, cache and state of the runs
        env["XDG_DATA_HOME"] = str(home)  # the data is the history's
        try:
            frames, keys, tables = _in_the_chat(env, total)
            starts = _from_the_command(env, total)
            among, single = _continue(env, sessions)
        finally:
            if not had_history:
                history.unlink(missing_ok=True)
    rows += [
        Row(f"picker: /resume to its first frame, {total} sessions (median of {RUNS}; slowest)",
            f"{median(frames):.0f} ms", f"/sessions to its table and the prompt {median(tables):.0f} ms",
            f"slowest {max(frames):.0f} ms", f"<= {FRAME_MS:.0f} ms", median(frames) <= FRAME_MS),
        Row(f"picker: a keystroke to the frame with the rows it keeps (median of {RUNS}; slowest)",
            f"{median(keys):.0f} ms", "", f"slowest {max(keys):.0f} ms", f"<= {KEY_MS:.0f} ms", median(keys) <= KEY_MS),
        Row(f"picker: claudechat --resume to its first frame (median of {RUNS})",
            f"{median(starts['picker']):.0f} ms", f"PromptSession().prompt() {median(starts['floor']):.0f} ms",
            f"+{median(starts['picker']) - median(starts['floor']):.0f} ms; claudechat to its prompt "
            f"{median(starts['chat']):.0f} ms", f"<= +{START_EXTRA_MS:.0f} ms",
            median(starts["picker"]) - median(starts["floor"]) <= START_EXTRA_MS),
        Row(f"command: claudechat -c to its prompt, {total} sessions (lists the directory, reads 1 log; "
            f"median of {RUNS})", f"{median(among):.0f} ms", f"-c, that session alone {median(single):.0f} ms",
            f"+{median(among) - median(single):.0f} ms", f"<= +{CONTINUE_EXTRA_MS:.0f} ms",
            median(among) - median(single) <= CONTINUE_EXTRA_MS),
    ]
    return rows


if __name__ == "__main__":
    from tests.bench.common import print_table

    print_table(run())
