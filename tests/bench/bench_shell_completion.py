"""Shell completion: the time of a Tab that asks claudechat for words, against `python -c pass`.

Each kind of word (`claudechat completion --words KIND`) is timed as the shell runs it, in a
user's directories holding 2,000 saved sessions, a few roles and profiles and a theme of their
own; then a whole Tab in bash (the generated script sourced, its completion function called as
bash calls it on `claudechat --resume 3`), against bash sourcing the script alone. Completions
that need no words from claudechat (options, choices, subcommands) start no Python at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from tests.bench.common import Row, clock, median

RUNS = 10
SESSIONS = 2_000
TARGET_MS = 150.0
SCRIPT = Path(sys.executable).with_name("claudechat")

_BASH_TAB = r"""
source "$1"
COMP_WORDS=(claudechat --resume 3); COMP_CWORD=2; COMP_LINE="claudechat --resume 3"; COMP_POINT=${#COMP_LINE}
if [ "$2" = tab ]; then _shtab_claudechat; fi
printf '%s\n' "${COMPREPLY[@]}" > /dev/null
"""


def _environment(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLAUDECHAT_")}
    env.update(HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "config"), XDG_DATA_HOME=str(root / "data"),
               XDG_STATE_HOME=str(root / "state"), PATH=f"{SCRIPT.parent}{os.pathsep}{env.get('PATH', '')}")
    return env


def _user(root: Path) -> None:
    """A user with SESSIONS saved sessions (one real log, copied under new ids), roles, profiles, a theme."""
    from claudechat.chat import Message, SessionSettings, SessionStore
    from claudechat.chat.keeper import SessionKeeper

    sessions = root / "data" / "claudechat" / "sessions"
    keeper = SessionKeeper(SessionStore(sessions), SessionSettings(model="claude-sonnet-4-6"))
    keeper.session.add_turn(Message("user", "a question " * 50), Message("assistant", "an answer " * 500))
    keeper.save()
    keeper.close()
    log = sessions / f"{keeper.session.id}.jsonl"
    for _ in range(SESSIONS - 1):
        shutil.copyfile(log, sessions / f"{uuid.uuid4().hex[:8]}.jsonl")
    config = root / "config" / "claudechat"
    (config / "roles").mkdir(parents=True)
    (config / "themes").mkdir()
    for role in ("reviewer", "translator", "sql"):
        (config / "roles" / f"{role}.md").write_text(f"You are a {role}.\n", encoding="utf-8")
    (config / "themes" / "mine.toml").write_text('inherits = "dark"\n', encoding="utf-8")
    (config / "config.toml").write_text(
        'model = "claude-opus-4-6"\n' + "".join(f'[profiles.p{n}]\nmodel = "m{n}"\n' for n in range(5)), encoding="utf-8")
    os.chmod(config / "config.toml", 0o600)


def _time(command: list[str], env: dict[str, str]) -> float:
    start = clock()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return (clock() - start) * 1000


def _medians(commands: dict[str, list[str]], env: dict[str, str]) -> dict[str, float]:
    for command in commands.values():  # warm the page cache (and the bytecode) once
        _time(command, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):  # interleaved, so drift in machine load hits all alike
        for name, command in commands.items():
            samples[name].append(_time(command, env))
    return {name: median(values) for name, values in samples.items()}


def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _user(root)
        env = _environment(root)
        script = root / "claudechat.bash"
        script.write_text(subprocess.run([str(SCRIPT), "completion", "bash"], check=True, capture_output=True,
                                         text=True, env=env).stdout, encoding="utf-8")
        kinds = ("models", "sessions", "roles", "profiles", "themes")
        commands = {"pass": [sys.executable, "-c", "pass"]}
        commands.update({kind: [str(SCRIPT), "completion", "--words", kind] for kind in kinds})
        commands["bash source"] = ["bash", "--norc", "-c", _BASH_TAB, "bash", str(script), "source"]
        commands["bash tab"] = ["bash", "--norc", "-c", _BASH_TAB, "bash", str(script), "tab"]
        result = _medians(commands, env)
    rows = []
    for kind in kinds:
        rows.append(Row(
            f"shell completion: `claudechat completion --words {kind}` (median of {RUNS})",
            f"{result[kind]:.1f} ms",
            f"python -c pass {result['pass']:.1f} ms",
            f"+{result[kind] - result['pass']:.1f} ms" + (f" ({SESSIONS:,} sessions)" if kind == "sessions" else ""),
            f"<= {TARGET_MS:.0f} ms",
            result[kind] <= TARGET_MS,
        ))
    tab = result["bash tab"] - result["bash source"]
    rows.append(Row(
        f"shell completion: a Tab after `claudechat --resume 3` in bash, {SESSIONS:,} sessions (median of {RUNS})",
        f"{tab:.1f} ms",
        f"bash sourcing the script {result['bash source']:.1f} ms",
        "the Tab alone: the function and the words it asks for",
        f"<= {TARGET_MS:.0f} ms",
        tab <= TARGET_MS,
    ))
    return rows


if __name__ == "__main__":
    from tests.bench.common import print_table

    print_table(run())
