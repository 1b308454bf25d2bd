"""The scrollback in a real tmux, with its default options, when the chat starts on the top row.

pyte's screen keeps rows that scroll off the top, but it does not do what tmux does with a
screen erased from its top-left corner (`scroll-on-clear`, on by default): push the whole screen
into the history as if it were cleared. A live region drawn on the top row (right after `clear`,
or after Ctrl-L) must never be erased that way, or each frame leaves a copy in the history.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.double import Reply
from tests.terminal import CLAUDECHAT, isolated_env, STATUS_LINE

TMUX = shutil.which("tmux")
pytestmark = [pytest.mark.skipif(TMUX is None, reason="tmux is not installed"), pytest.mark.e2e]

ROWS, COLUMNS = 24, 100
HEADING = "A heading on the top row"
# Three screens of answer: every row of it must be in the pane's history or screen, once.
ANSWER_LINES = [f"Line {number} of an answer three screens long." for number in range(1, 3 * ROWS // 2 + 1)]
ANSWER = f"# {HEADING}\n\n" + "\n\n".join(ANSWER_LINES) + "\n"
STATUS = STATUS_LINE
WAITING = re.compile(r"Waiting for \S+ · (\d+\.\d) s")


class Pane:
    """A shell command in a detached tmux pane of its own server, default options, fixed size."""

    def __init__(self, home: Path, command: str, env: dict[str, str]) -> None:
        self.server = f"claudechat-test-{uuid.uuid4().hex[:12]}"
        self._tmux("-f", "/dev/null", "new-session", "-d", "-x", str(COLUMNS), "-y", str(ROWS),
                   "sh", "-c", command, env=env, cwd=home)

    def _tmux(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
        done = subprocess.run([TMUX, "-L", self.server, *args], capture_output=True, text=True,
                              env=env, cwd=cwd, timeout=10, check=True)
        return done.stdout

    def lines(self) -> list[str]:
        """The pane's history, then its screen, each row right-stripped."""
        text = self._tmux("capture-pane", "-p", "-S", "-", "-E", "-")
        return [line.rstrip() for line in text.split("\n")][:-1]

    def screen(self) -> list[str]:
        return [line.rstrip() for line in self._tmux("capture-pane", "-p").split("\n")][:-1]

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def wait_for(self, condition, timeout: float = 20.0):  # type: ignore[no-untyped-def]
        """Poll the pane until `condition(lines)` is true; what it returned."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.lines()
            result = condition(lines)
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting in tmux; the pane holds:\n" + "\n".join(lines[-40:]))
            time.sleep(0.02)

    def close(self) -> None:
        subprocess.run([TMUX, "-L", self.server, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def pane(tmp_path, double):
    started: list[Pane] = []

    def start(*args: str) -> Pane:
        env = isolated_env(tmp_path, base_url=double.url, api_key="test-token")
        env.pop("TMUX", None)
        command = "clear; " + shlex.join([CLAUDECHAT, *args]) + '; echo "exit status $?"; exec cat'
        started.append(Pane(tmp_path, command, env))
        return started[-1]

    yield start
    for each in started:
        each.close()


def status_count(lines: list[str]) -> int:
    return sum(1 for line in lines if STATUS.match(line))


def answered(count: int):  # type: ignore[no-untyped-def]
    """Until `count` answers are in and the prompt is back, ready for keys: an empty input line
    above the toolbar (keys sent before it would go to the answer's stop-key reader)."""
    return lambda lines: status_count(lines) == count and lines[-1].startswith(" model ") and "›" in lines[-ROWS:]


def spinner_ticked(lines: list[str]) -> bool:
    """The waiting line was drawn, erased and drawn again on the top row (0.3 s is three ticks)."""
    return any((match := WAITING.search(line)) and float(match.group(1)) >= 0.3 for line in lines)


def assert_answer_once(lines: list[str]) -> None:
    counts = Counter(line.strip() for line in lines)
    for line in [HEADING, *ANSWER_LINES]:
        assert counts[line] == 1, f"{line!r} is in the pane {counts[line]} times:\n" + "\n".join(lines)


def test_an_answer_after_clear_is_in_the_history_exactly_once(pane, double):
    release = threading.Event()
    double.enqueue(Reply(content=ANSWER, pause_before_first=release))
    term = pane("explain")
    term.wait_for(spinner_ticked)
    release.set()
    lines = term.wait_for(lambda lines: "exit status 0" in lines and lines)
    assert_answer_once(lines)
    assert not [line for line in lines if "Waiting for" in line], "a frame of the spinner was pushed into the history"
    assert status_count(lines) == 1


def test_after_ctrl_l_the_history_holds_no_ghost_prompt_or_toolbar(pane, double):
    term = pane()
    term.wait_for(lambda lines: any("/help · Ctrl-D exits" in line for line in lines))
    term.keys("first question", "Enter")
    term.wait_for(answered(1))
    term.keys("C-l")
    term.wait_for(lambda lines: term.screen()[0] == "›")
    release = threading.Event()
    double.enqueue(Reply(content=ANSWER, pause_before_first=release))
    term.keys("second question", "Enter")
    term.wait_for(spinner_ticked)
    release.set()
    lines = term.wait_for(lambda lines: answered(2)(lines) and lines)
    history = lines[: len(lines) - ROWS]
    assert not [line for line in history if "/help · Ctrl-D exits" in line], "the old toolbar is in the history"
    assert [line for line in lines if line.startswith("›")] == ["› first question", "› second question", "›"]
    assert not [line for line in lines if "Waiting for" in line]
    assert_answer_once(lines)
    # What was on the screen before Ctrl-L scrolled into the history whole, with no screenful
    # of blank rows after it: the first answer's status line is followed by the next message.
    first_status = next(index for index, line in enumerate(lines) if STATUS.match(line))
    assert lines[first_status + 1] == "› second question"
