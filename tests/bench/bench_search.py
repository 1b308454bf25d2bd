"""Full-text search of a large history: 10,000 sessions, about 1 GB of session logs.

The history is written with the real Session and SessionFile API (fsync skipped while
generating: the files are the same) into a cache under the temporary directory, reused by
later runs (delete `claudechat-bench-search-*` there to make it again). Its text is drawn from
a vocabulary of 20,000 made-up technical words and 200 common English ones with Zipf
frequencies, so that a query meets posting lists shaped like a real history's, not the
fifty-word vocabulary of corpus.py where every word is in every turn. A session has 5 to 35
turns (user messages ~600 B, Markdown answers ~3 KB, reasoning in a third of the answers, an
attached file of 8 KB in one turn of ten: the last two are in the log but not indexed), times
spread over two years, four models. A few sessions carry the phrase "nginx redirect loop".

Measured, each against a baseline of the same run:

- reindex: `claudechat sessions reindex` of the whole history, wall time and peak RSS, against
  reading and parsing every log (`read_session_file`) in a child process;
- search: `SearchIndex.search_synced()` as `claudechat search` calls it (the query, with the
  scandir that finds no changed log on a thread beside it), median and slowest of 20 runs for a common word, a rare word,
  a phrase, a prefix and a filtered query, against `grep -lF` of the word through the logs (the
  search without an index) for the rare word, timed once;
- update: `SessionKeeper.save()` of one turn into a session of the indexed history, with the
  index and without it (`indexed=False`): the difference is the index's cost;
- `claudechat sessions` and `claudechat search` as commands, against `claudechat --version`.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.common import Row, clock, median

SESSIONS = int(os.environ.get("BENCH_SEARCH_SESSIONS", "10000"))  # fewer to try the benchmark quickly
CORPUS_VERSION = 1
MODELS = ("claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5", "claude-sonnet-4-20250514-thinking")
VOCABULARY = 20_000
RUNS = 20
UPDATES = 100
SEARCH_MEDIAN_MS = 50.0
SEARCH_MAX_MS = 150.0
UPDATE_MS = 5.0
REINDEX_S = 60.0
REINDEX_MB = 200.0
NEEDLE = "nginx redirect loop"
NEEDLES = 7  # sessions holding it

_COMMON = (
    "the of and to a in is it you that he was for on are with as his they be at one have this from or had "
    "by not word but what some we can out other were all there when up use your how said an each she which "
    "do their time if will way about many then them write would like so these her long make thing see him "
    "two has look more day could go come did number sound no most people my over know water than call first "
    "who may down side been now find any new work part take get place made live where after back little only "
    "round man year came show every good me give our under name very through just form sentence great think "
    "say help low line differ turn cause much mean before move right boy old too same tell does set three want "
    "air well also play small end put home read hand port large spell add even land here must big high such "
    "follow act why ask men change went light kind off need house picture try us again animal point mother"
).split()
_SYLLABLES = "ka lo mi ne ru ta sha vo pe zi qu an el or ix um by dra tro fen gal hol jin kor lux"


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    syllables = _SYLLABLES.split()
    made = set()
    while len(made) < VOCABULARY:
        made.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    words = _COMMON + sorted(made)
    rng.shuffle(words)
    total = 0.0
    cumulative = []
    for rank in range(1, len(words) + 1):
        total += 1 / rank  # Zipf
        cumulative.append(total)
    return words, cumulative


class _Text:
    """Sentences drawn from a pool, itself drawn word by word: fast enough for a gigabyte."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        words, cumulative = _vocabulary(rng)
        self.pool = []
        for _ in range(40_000):
            picked = rng.choices(words, cum_weights=cumulative, k=rng.randint(6, 20))
            self.pool.append(" ".join(picked).capitalize() + ".")
        self.words = words

    def prose(self, rng: random.Random, size: int) -> str:
        parts: list[str] = []
        length = 0
        while length < size:
            sentence = rng.choice(self.pool)
            parts.append(sentence)
            length += len(sentence) + 1
        return " ".join(parts)

    def answer(self, rng: random.Random, size: int) -> str:
        blocks = []
        length = 0
        while length < size:
            kind = rng.random()
            if kind < 0.15:
                name = rng.choice(self.words)
                block = f"```python\ndef {name}(value):\n    return {rng.choice(self.words)}(value) + 1\n```"
            elif kind < 0.3:
                block = "\n".join(f"- {self.prose(rng, 60)}" for _ in range(rng.randint(2, 5)))
            else:
                block = self.prose(rng, rng.randint(200, 700))
            blocks.append(block)
            length += len(block) + 2
        return "\n\n".join(blocks)


def corpus_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"claudechat-bench-search-{CORPUS_VERSION}-{SESSIONS}"


def build_corpus(home: Path) -> Path:
    """XDG_DATA_HOME of the history (made once, then reused); its sessions directory."""
    from unittest import mock

    from claudechat.chat import Message, Session, SessionSettings, SessionStore

    sessions = home / "claudechat" / "sessions"
    done = home / "complete"
    if done.exists():
        return sessions
    shutil.rmtree(home, ignore_errors=True)
    sessions.mkdir(parents=True)
    text = _Text(1)
    rng = random.Random(2)
    now = time.time()
    needles = set(rng.sample(range(SESSIONS), NEEDLES))
    store = SessionStore(sessions)
    started = clock()
    with mock.patch("os.fsync"):  # the same bytes; ten thousand syncs only cost time here
        for number in range(SESSIONS):
            model = rng.choice(MODELS)
            begun = now - rng.uniform(0, 730) * 86_400
            session = Session(settings=SessionSettings(model=model), created=begun)
            turns = rng.randint(5, 35)
            for turn in range(turns):
                when = begun + turn * 120
                question = text.prose(rng, rng.randint(200, 1000))
                if number in needles and turn == turns // 2:
                    question += f" We still get the {NEEDLE} after the change."
                content: object = question
                if rng.random() < 0.1:
                    content = [
                        {"type": "text", "text": question},
                        {"type": "text", "text": text.prose(rng, 8000),
                         "attachment": {"kind": "file", "name": f"src/{rng.choice(text.words)}.py", "size": 8000,
                                        "sha256": ""}},
                    ]
                reasoning = text.prose(rng, rng.randint(500, 2000)) if rng.random() < 0.33 else ""
                session.add_turn(
                    Message("user", content, model=model, created=when),  # type: ignore[arg-type]
                    Message("assistant", text.answer(rng, rng.randint(1500, 4500)), reasoning=reasoning,
                            model=model, created=when + 30,
                            usage={"prompt_tokens": 900 * (turn + 1), "completion_tokens": 700, "total_tokens": 0}),
                )
            session_file = store.create(session)
            session_file.save(session)
            session_file.close()
            last = begun + turns * 120
            os.utime(session_file.path, (last, last))
            if number % 1000 == 999:
                print(f"  generated {number + 1:,} sessions in {clock() - started:.0f} s", file=sys.stderr, flush=True)
    done.write_text("ok\n")
    return sessions


def _size(directory: Path) -> int:
    return sum(entry.stat().st_size for entry in os.scandir(directory))


def _timed_command(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of a command, and what it printed (the CPU seconds it
    used are in `_LAST_CPU`: on a loaded machine they say more than the wall time)."""
    started = clock()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = clock() - started
    out = process.stdout.read() if process.stdout else ""
    err = process.stderr.read() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {err[-500:]}")
    _LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    return elapsed, usage.ru_maxrss / 1024, out


_LAST_CPU = [0.0]


def _env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLAUDECHAT_", "XDG_"))}
    env.update(XDG_DATA_HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"))
    return env


def _script() -> str:
    return str(Path(sys.executable).with_name("claudechat"))


def _queries(sessions: Path | None) -> list[tuple[str, str, bool]]:
    """(name, query, held to the target): words picked from the corpus's vocabulary by frequency.

    The frequent word is in about 5% of the turns (a topic you often talk about), the rare one
    in 0.4%; the word in most turns (63%) is a stop word in all but name, kept as the worst
    case, for information.
    """
    text = _Text(1)
    frequent, rare, everywhere = text.words[800], text.words[5_000], text.words[40]
    return [
        (f"one frequent word ({frequent})", frequent, True),
        (f"one rare word ({rare})", rare, True),
        ("phrase", f'"{NEEDLE}"', True),
        (f"prefix ({rare[:6]}*)", rare[:6] + "*", True),
        ("frequent word + model: + since:", f"{frequent} model:opus since:90d", True),
        (f"a word in most turns ({everywhere}), worst case", everywhere, False),
    ]


def run() -> list[Row]:
    from claudechat.chat import Message, SessionSettings, SessionStore
    from claudechat.chat.index import SearchIndex
    from claudechat.chat.keeper import SessionKeeper
    from claudechat.chat.search_query import parse_query

    home = corpus_dir()
    print(f"  the history: {home} (made once, then reused)", file=sys.stderr, flush=True)
    sessions = build_corpus(home)
    megabytes = _size(sessions) / 1e6
    env = _env(home)
    index_file = home / "claudechat" / "index.sqlite"
    rows: list[Row] = []

    # reindex, against reading every log without indexing
    read_all = (
        "import os, sys\nfrom pathlib import Path\nfrom claudechat.chat.store import read_session_file\n"
        f"d = Path({str(sessions)!r})\n"
        "n = sum(len(read_session_file(Path(e.path)).messages) for e in os.scandir(d))\nprint(n)\n"
    )
    read_s, read_mb, _ = _timed_command([sys.executable, "-c", read_all], env)
    read_cpu = _LAST_CPU[0]
    reindex_s, reindex_mb, said = _timed_command([_script(), "sessions", "reindex"], env)
    reindex_cpu = _LAST_CPU[0]
    rows.append(Row(f"reindex: claudechat sessions reindex, {SESSIONS:,} sessions, {megabytes:,.0f} MB ({said.strip()})",
                    f"{reindex_s:.1f} s ({reindex_cpu:.1f} s CPU)",
                    f"read + parse every log {read_s:.1f} s ({read_cpu:.1f} s CPU)", f"x{reindex_s / read_s:.1f}",
                    f"<= {REINDEX_S:.0f} s", reindex_s <= REINDEX_S))
    rows.append(Row("reindex: peak memory (ru_maxrss)", f"{reindex_mb:.0f} MB", f"read + parse {read_mb:.0f} MB",
                    f"{reindex_mb - read_mb:+.0f} MB", f"<= {REINDEX_MB:.0f} MB", reindex_mb <= REINDEX_MB))
    rows.append(Row("reindex: index size on disk", f"{index_file.stat().st_size / 1e6:,.0f} MB",
                    f"logs {megabytes:,.0f} MB", f"x{index_file.stat().st_size / 1e6 / megabytes:.2f}", "(info)", True))

    # searches, as `claudechat search` does them: catch up (nothing changed), then query
    queries = _queries(sessions)
    grep_word = queries[1][1]
    started = clock()
    subprocess.run(["grep", "-rlF", grep_word, str(sessions)], stdout=subprocess.DEVNULL, check=False)
    grep_ms = (clock() - started) * 1000
    index = SearchIndex(index_file, sessions)
    index.sync()
    for name, text, held in queries:
        times = []
        hits = 0
        for _ in range(RUNS):
            started = clock()
            hits = len(index.search_synced(parse_query(text), 20)[0])
            times.append((clock() - started) * 1000)
        ok = median(times) <= SEARCH_MEDIAN_MS and max(times) <= SEARCH_MAX_MS
        rows.append(Row(f"search: {name}, {hits} hits (median / slowest of {RUNS}, scandir catch-up included)",
                        f"{median(times):.1f} / {max(times):.1f} ms", f"grep -rlF {grep_ms:,.0f} ms",
                        f"x{grep_ms / median(times):,.0f} faster",
                        f"<= {SEARCH_MEDIAN_MS:.0f} / {SEARCH_MAX_MS:.0f} ms" if held else "(info)", ok or not held))
    sync_times, scan_times = [], []
    for _ in range(RUNS):
        started = clock()
        index.sync()
        sync_times.append((clock() - started) * 1000)
        started = clock()
        with os.scandir(sessions) as entries:
            for entry in entries:
                entry.stat(follow_symlinks=False)
        scan_times.append((clock() - started) * 1000)
    index.close()
    rows.append(Row(f"search: the catch-up alone ({SESSIONS:,} logs, nothing changed; median)",
                    f"{median(sync_times):.1f} ms", f"scandir + lstat alone {median(scan_times):.1f} ms",
                    f"+{median(sync_times) - median(scan_times):.1f} ms", "(info)", True))

    # the update after a turn, with and without the index; the history is put back afterwards
    target = min(sessions.iterdir(), key=lambda path: path.name)
    original, stamp = target.read_bytes(), target.stat()
    store = SessionStore(sessions)
    with_index = SessionKeeper(store, SessionSettings(model=MODELS[0]))
    with_index.open(target.stem)
    without = SessionKeeper(store, SessionSettings(model=MODELS[0]), indexed=False)
    without.session = with_index.session.copy()  # the same history in a file of its own
    without.save()
    keepers = {"with": with_index, "without": without}
    rng = random.Random(3)
    text = _Text(1)
    with_index.session.add_turn(Message("user", "warm"), Message("assistant", "up"))
    with_index.save()  # the first save after opening indexes the whole session: not timed
    times: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for _ in range(UPDATES):
            for name, keeper in keepers.items():
                keeper.session.add_turn(Message("user", text.prose(rng, 600)),
                                        Message("assistant", text.answer(rng, 3000), model=MODELS[0]))
                started = clock()
                keeper.save()
                times[name].append((clock() - started) * 1000)
    finally:
        copy = without.path
        for keeper in keepers.values():
            keeper.close()
        if copy is not None:
            copy.unlink()
        target.write_bytes(original)
        os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    extra = median(times["with"]) - median(times["without"])
    rows.append(Row(f"update: a turn saved into an indexed history of {SESSIONS:,} sessions (median of {UPDATES})",
                    f"{median(times['with']):.2f} ms", f"append alone {median(times['without']):.2f} ms",
                    f"index {extra:+.2f} ms", f"<= +{UPDATE_MS:.0f} ms", extra <= UPDATE_MS))

    # the commands
    version_s, _, _ = _timed_command([_script(), "--version"], env)
    sessions_s, _, _ = _timed_command([_script(), "sessions"], env)
    search_s, _, _ = _timed_command([_script(), "search", grep_word], env)
    rows.append(Row(f"command: claudechat sessions, {SESSIONS:,} sessions (reads 20 logs)", f"{sessions_s * 1000:.0f} ms",
                    f"--version {version_s * 1000:.0f} ms", f"+{(sessions_s - version_s) * 1000:.0f} ms", "(info)", True))
    rows.append(Row(f"command: claudechat search {grep_word}", f"{search_s * 1000:.0f} ms",
                    f"--version {version_s * 1000:.0f} ms", f"+{(search_s - version_s) * 1000:.0f} ms", "(info)", True))
    return rows


if __name__ == "__main__":
    from tests.bench.common import print_table

    print_table(run())
