"""A long saved session: resuming it, saving a turn into it, the memory it takes.

A session of 1,000 turns (user messages of ~400 bytes, Markdown answers of ~1.5 KB with code
blocks, a usage record per turn: about 2 MB on disk) is written with the real Session and
SessionFile API into the sessions directory of an isolated XDG_DATA_HOME. Then, in the same run:

- resume: `claudechat -c` timed on a 100x40 pseudo-terminal from the spawn to the prompt being
  drawn (as in bench_prompt), against `claudechat` started with no session. The prompt is
  recognised by prompt_toolkit turning on bracketed paste (ESC [?2004h), which it writes with
  the first drawing of the prompt: the prompt character itself cannot be watched for, as the
  resumed exchanges are shown with it before the prompt comes up.
- memory: the peak resident set (VmHWM in /proc/<pid>/status) of the same two processes, read
  while each waits at its prompt.
- autosave: `SessionKeeper.save()` appending one turn (user message, answer, usage record) to
  the 1,000-turn log, against the same in a session of 1 turn, interleaved; and what writing
  the whole session as one JSON document each turn would cost instead (`to_document`, dumps,
  and the project's own write_atomically: temporary file, fsync, rename).
- loading: `read_session_file` of the 2 MB log in this process (info).
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
from pathlib import Path

from tests.bench.bench_render import TOKEN, PtyChild, child_env, claudechat_script
from tests.bench.common import DoubleProcess, Row, clock, median, print_table
from tests.bench.corpus import markdown_answer

TURNS = 1_000
ANSWER_BYTES = 1_500
USER_BYTES = 400
MODEL = "claude-sonnet-4-6"
RUNS = 10
SAVES = 200
REWRITES = 20
LOADS = 10
RESUME_TARGET_MS = 500.0
SAVE_TARGET_MS = 50.0
MEMORY_TARGET_MB = 100.0
PROMPT_DRAWN = b"\x1b[?2004h"  # bracketed paste on: prompt_toolkit's first drawing of the prompt
CTRL_D = b"\x04"
WAIT = 15.0  # seconds for a prompt before the run counts as failed

_WORDS = (
    "why does my async client hang when the server closes the stream early and how should I "
    "retry the request without sending the same message twice or losing the partial answer "
    "that was already printed to the terminal with its code blocks and tables"
).split()

_SNIPPET = """```python
async with client.stream("POST", url, json=body) as response:
    async for line in response.aiter_lines():
        handle(line)
```"""


# --- the session ------------------------------------------------------------------------------


def user_text(rng: random.Random) -> str:
    """About USER_BYTES of a question, now and then with a pasted snippet."""
    snippet = rng.random() < 0.3
    budget = USER_BYTES - (len(_SNIPPET) + 2 if snippet else 0)
    sentences: list[str] = []
    while sum(len(sentence) + 1 for sentence in sentences) < budget:
        sentences.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "?")
    text = " ".join(sentences)
    return f"{text}\n\n{_SNIPPET}" if snippet else text


def answer_text(seed: int) -> str:
    """About ANSWER_BYTES of Markdown: prose, lists, a code block (its fence closed if cut)."""
    text = markdown_answer(ANSWER_BYTES, seed=seed)
    if text.count("```") % 2:
        text += "```\n"
    return text


def add_turn(session, number: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    """One exchange as the chat records it: the usage of the request, then the two messages."""
    from claudechat.chat import Message, UsageEntry

    prompt_tokens = 600 * number + 200
    completion = 400 + rng.randint(0, 100)
    total = prompt_tokens + completion
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion, "total_tokens": total}
    session.record_usage(UsageEntry(model=MODEL, prompt_tokens=prompt_tokens, completion_tokens=completion))
    session.add_turn(
        Message("user", user_text(rng), model=MODEL),
        Message("assistant", answer_text(number), model=MODEL, usage=usage),
    )


def build_session(directory: Path, turns: int) -> tuple[Path, str]:
    """A session of `turns` turns written into `directory`; its path and id.

    The records are saved 50 turns at a time: the file is the same as one saved turn by turn,
    only built without a thousand fsyncs.
    """
    from claudechat.chat import Session, SessionSettings, SessionStore

    rng = random.Random(turns)
    session = Session(settings=SessionSettings(model=MODEL))
    session_file = SessionStore(directory).create(session)
    try:
        for number in range(1, turns + 1):
            add_turn(session, number, rng)
            if number == 1:
                session.rename("benchmark session")
            if number % 50 == 0 or number == turns:
                session_file.save(session)
        return session_file.path, session.id
    finally:
        session_file.close()


# --- resuming on a terminal ---------------------------------------------------------------------


def _peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/<pid>/status")


def _to_prompt(argv: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Milliseconds from spawning `argv` to its prompt, its peak RSS (KB) there, and the bytes it drew."""
    child = PtyChild(argv, env, watch=PROMPT_DRAWN)
    child.drain.seen.wait(WAIT)
    seen_at = child.drain.seen_at
    peak = 0
    if seen_at is not None:
        peak = _peak_rss_kb(child.pid)  # waiting at the prompt: nothing more is loaded until a key
        child.send(CTRL_D)
    child.reap(timeout=WAIT)
    command = " ".join(Path(arg).name for arg in argv)
    if seen_at is None:
        raise RuntimeError(f"{command} showed no prompt within {WAIT:.0f} s (exit {child.status})")
    if child.status != 0:
        raise RuntimeError(f"{command} exited with {child.status} after Ctrl-D")
    return (seen_at - child.started) * 1000, peak, child.drain.received


def _check_listed(env: dict[str, str], session_id: str) -> None:
    """The child finds the built session where `-c` will look for it, with all its turns."""
    result = subprocess.run(
        [claudechat_script(), "sessions", "--output", "json"], env=env, capture_output=True, text=True, check=True
    )
    listed = {item["id"]: item for item in json.loads(result.stdout)}
    if listed.get(session_id, {}).get("turns") != TURNS:
        raise RuntimeError(f"claudechat does not list session {session_id} with {TURNS} turns: {result.stdout[:300]}")


def resume_samples(home: Path, session_id: str) -> dict[str, list[tuple[float, int, int]]]:
    """(ms to prompt, peak RSS KB, bytes drawn) per run, for the resume and for a start with no session."""
    with DoubleProcess("--token", TOKEN) as double:
        envs = {"resume": child_env(home / "resume", double.url), "new": child_env(home / "new", double.url)}
        _check_listed(envs["resume"], session_id)
        commands = {"resume": [claudechat_script(), "-c"], "new": [claudechat_script()]}
        for name, argv in commands.items():  # warm-up: page cache, bytecode, the history file
            _to_prompt(argv, envs[name])
        samples: dict[str, list[tuple[float, int, int]]] = {name: [] for name in commands}
        for _ in range(RUNS):  # interleaved, so drift in machine load hits both alike
            for name, argv in commands.items():
                samples[name].append(_to_prompt(argv, envs[name]))
    least = min(drawn for _, _, drawn in samples["resume"])
    most = max(drawn for _, _, drawn in samples["new"])
    if least < most + ANSWER_BYTES:  # the last two exchanges are shown before the prompt
        raise RuntimeError(f"claudechat -c drew {least} bytes, barely more than a new chat ({most}): not resumed?")
    return samples


# --- saving in this process ---------------------------------------------------------------------


def save_times(big_dir: Path, big_id: str, small_dir: Path) -> dict[str, list[float]]:
    """Seconds per `SessionKeeper.save()` of one turn, in the 1,000-turn session and in a 1-turn one."""
    from claudechat.chat import SessionKeeper, SessionSettings, SessionStore

    build_session(small_dir, 1)
    keepers = {}
    for name, directory in (("big", big_dir), ("small", small_dir)):
        keeper = SessionKeeper(SessionStore(directory), SessionSettings(model=MODEL))
        note = keeper.continue_last()
        if note is not None or keeper.path is None:
            raise RuntimeError(f"the {name} session did not open as itself: {note}")
        keepers[name] = keeper
    if keepers["big"].session.turns != TURNS:
        raise RuntimeError(f"the big session has {keepers['big'].session.turns} turns")
    rng = random.Random(1)
    times: dict[str, list[float]] = {name: [] for name in keepers}
    try:
        for number in range(SAVES):  # interleaved, so the disk's moods hit both alike
            for name, keeper in keepers.items():
                add_turn(keeper.session, keeper.session.turns + 1, rng)
                start = clock()
                keeper.save()
                times[name].append(clock() - start)
    finally:
        for keeper in keepers.values():
            keeper.close()
    return times


def rewrite_times(path: Path, directory: Path) -> tuple[list[float], int]:
    """Seconds to write the whole session as one JSON document, as a non-log design would each turn."""
    from claudechat.chat import read_session_file
    from claudechat.files import write_atomically

    session = read_session_file(path)
    target = directory / "session.json"
    times = []
    size = 0
    for _ in range(REWRITES):
        start = clock()
        data = json.dumps(session.to_document(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        write_atomically(target, data)
        times.append(clock() - start)
        size = len(data)
    return times, size


def load_times(path: Path) -> list[float]:
    from claudechat.chat import read_session_file

    read_session_file(path)  # warm: page cache, imports
    times = []
    for _ in range(LOADS):
        start = clock()
        read_session_file(path)
        times.append(clock() - start)
    return times


# --- the rows -----------------------------------------------------------------------------------


def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "resume").mkdir()
        (home / "new").mkdir()
        sessions = home / "resume" / "data" / "claudechat" / "sessions"  # $XDG_DATA_HOME/claudechat/sessions
        path, session_id = build_session(sessions, TURNS)
        megabytes = path.stat().st_size / 1e6
        loads = load_times(path)
        samples = resume_samples(home, session_id)
        rewrites, document_bytes = rewrite_times(path, home)
        saves = save_times(sessions, session_id, home / "small")

    resume = {name: [ms for ms, _, _ in runs] for name, runs in samples.items()}
    peak = {name: [kb / 1024 for _, kb, _ in runs] for name, runs in samples.items()}
    resume_ms = median(resume["resume"])
    new_ms = median(resume["new"])
    peak_mb = median(peak["resume"])
    new_mb = median(peak["new"])
    save_ms = {name: [s * 1000 for s in values] for name, values in saves.items()}
    big_ms, small_ms = median(save_ms["big"]), median(save_ms["small"])
    rewrite_ms = median(rewrites) * 1000
    return [
        Row(
            f"resume: claudechat -c, {TURNS:,} turns ({megabytes:.1f} MB), to its prompt on a 100x40 pty "
            f"(median of {RUNS})",
            f"{resume_ms:.0f} ms",
            f"claudechat, no session {new_ms:.0f} ms",
            f"+{resume_ms - new_ms:.0f} ms; slowest {max(resume['resume']):.0f} vs {max(resume['new']):.0f} ms",
            f"< {RESUME_TARGET_MS:.0f} ms",
            resume_ms < RESUME_TARGET_MS,
        ),
        Row(
            f"resume: peak RSS (VmHWM) of claudechat -c at its prompt (median of {RUNS})",
            f"{peak_mb:.1f} MB",
            f"claudechat, no session {new_mb:.1f} MB",
            f"+{peak_mb - new_mb:.1f} MB; largest {max(peak['resume']):.1f} MB",
            f"< {MEMORY_TARGET_MB:.0f} MB",
            max(peak["resume"]) < MEMORY_TARGET_MB,
        ),
        Row(
            f"resume: read_session_file of the {megabytes:.1f} MB log, in process (median of {LOADS})",
            f"{median(loads) * 1000:.0f} ms",
            "",
            f"slowest {max(loads) * 1000:.0f} ms",
            "(info)",
            True,
        ),
        Row(
            f"autosave: SessionKeeper.save() of one turn, {TURNS:,}-turn session (median of {SAVES})",
            f"{big_ms:.1f} ms",
            f"1-turn session {small_ms:.1f} ms",
            f"{big_ms - small_ms:+.1f} ms; slowest {max(save_ms['big']):.1f} vs {max(save_ms['small']):.1f} ms",
            f"< {SAVE_TARGET_MS:.0f} ms",
            big_ms < SAVE_TARGET_MS,
        ),
        Row(
            f"autosave instead as a rewrite: to_document, dumps ({document_bytes / 1e6:.1f} MB), "
            f"write_atomically (median of {REWRITES})",
            f"{rewrite_ms:.0f} ms",
            f"log append {big_ms:.1f} ms",
            f"x{rewrite_ms / big_ms:.0f}; slowest {max(rewrites) * 1000:.0f} ms",
            "(info)",
            True,
        ),
    ]


if __name__ == "__main__":  # this benchmark alone: `python -m tests.bench.bench_session`
    print_table(run())
