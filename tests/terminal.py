"""A terminal for end-to-end tests: the installed program in a pseudo-terminal, seen through pyte.

Every byte the program writes is fed to a `pyte.HistoryScreen`, so tests assert on what a
person would see: the visible rows and the scrollback above them. Queries the program sends
to the terminal (cursor position, device status and attributes) are answered by the screen,
as a real terminal emulator would.

The only way to wait is `wait_for`: it reads until the screen satisfies a condition, so tests
synchronise on content, never on time.
"""

from __future__ import annotations

import copy
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Self

import pexpect
import pyte

from tests.cli_helpers import as_a_foreground_job

__all__ = ["CLAUDECHAT", "STATUS_LINE", "Keys", "Terminal", "columns_for_paths_under", "isolated_env"]

# The line under each answer: model · tokens · cost · time. Tokens and cost are missing when the
# server reported no usage; the cost is "cost unknown" for a model without a price.
STATUS_LINE = re.compile(r"^\S+ · (?:[\d,]+ → [\d,]+ tokens · (?:<?\$[\d,.]+|cost unknown) · )?\d+\.\d s\b")

CLAUDECHAT = str(Path(sys.executable).with_name("claudechat"))

_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}


class Keys:
    """What a key press sends to the program."""

    ENTER = "\r"
    CTRL_C = "\x03"
    CTRL_D = "\x04"
    ESC = "\x1b"
    ALT_ENTER = "\x1b\r"
    CTRL_J = "\n"
    TAB = "\t"
    UP = "\x1b[A"
    DOWN = "\x1b[B"

    @staticmethod
    def paste(text: str) -> str:
        """A bracketed paste of `text`, as a terminal sends it."""
        return "\x1b[200~" + text + "\x1b[201~"


def isolated_env(home: Path, *, base_url: str | None, api_key: str | None, no_color: bool = False,
                 extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a user who has nothing configured but what the test gives."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CLAUDECHAT_")
        and key != "NO_COLOR"
        and key.lower() not in _PROXY_VARIABLES
        and not key.startswith(("XDG_", "PYTEST_"))
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_STATE_HOME=str(home / "state"),
        TERM="xterm-256color",
    )
    for name in ("COLUMNS", "LINES", "EDITOR", "VISUAL"):  # the pty's size is the only size
        env.pop(name, None)
    if base_url is not None:
        env["CLAUDECHAT_BASE_URL"] = base_url
    if api_key is not None:
        env["CLAUDECHAT_API_KEY"] = api_key
    if no_color:
        env["NO_COLOR"] = "1"
    if extra:
        env.update(extra)
    return env


def _before_exec(preexec_fn: Callable[[], None] | None) -> None:
    as_a_foreground_job()
    if preexec_fn is not None:
        preexec_fn()


def columns_for_paths_under(root: Path) -> int:
    """A width at which a row naming a file under `root`, with a sentence around it, is one row.

    The screen is read row by row, so a path the program prints must not wrap; how long `root`
    (pytest's tmp_path) is depends on who runs the tests and where.
    """
    return len(str(root)) + 200


ALTERNATE_SCREEN = 1049  # DECSET: draw on the alternate screen; reset: the main one comes back as it was


class _Screen(pyte.HistoryScreen):
    """A HistoryScreen whose answers to the program's queries go back to the program, with the
    alternate screen of xterm and tmux (pyte has none): what a full-screen program draws there
    neither scrolls into the history nor stays on the main screen once it leaves."""

    def __init__(self, columns: int, lines: int, reply: Callable[[str], None]) -> None:
        super().__init__(columns, lines, history=10000)
        self._reply = reply
        self._main: tuple[dict[int, pyte.screens.StaticDefaultDict], pyte.screens.Cursor] | None = None

    @property
    def alternate(self) -> bool:
        return self._main is not None

    def write_process_input(self, data: str) -> None:
        self._reply(data)

    def set_mode(self, *modes: int, **kwargs) -> None:
        if kwargs.get("private") and ALTERNATE_SCREEN in modes:
            modes = tuple(mode for mode in modes if mode != ALTERNATE_SCREEN)
            if self._main is None:
                saved = {}
                for y, line in self.buffer.items():
                    saved[y] = pyte.screens.StaticDefaultDict(line.default)
                    saved[y].update(line)
                self._main = (saved, copy.copy(self.cursor))
                self.buffer.clear()
                self.dirty.update(range(self.lines))
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs) -> None:
        if kwargs.get("private") and ALTERNATE_SCREEN in modes:
            modes = tuple(mode for mode in modes if mode != ALTERNATE_SCREEN)
            if self._main is not None:
                saved, cursor = self._main
                self._main = None
                self.buffer.clear()
                self.buffer.update(saved)
                self.cursor = cursor
                self.dirty.update(range(self.lines))
        super().reset_mode(*modes, **kwargs)

    def index(self) -> None:
        if self._main is not None:  # the alternate screen has no history
            pyte.Screen.index(self)
            return
        super().index()


def _line_text(line: Mapping[int, pyte.screens.Char], columns: int) -> str:
    width = max(columns, max(line.keys(), default=-1) + 1)
    return "".join(line[x].data for x in range(width)).rstrip()


class Terminal:
    """claudechat running in a `rows` x `cols` pseudo-terminal, every byte fed to pyte."""

    def __init__(
        self,
        home: Path,
        *,
        base_url: str | None,
        api_key: str | None = "test-token",
        args: Iterable[str] = (),
        rows: int = 30,
        cols: int = 100,
        no_color: bool = False,
        env: Mapping[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        """`preexec_fn` runs in the child just before the program starts (to set a resource limit, say)."""
        self.rows = rows
        self.cols = cols
        self.raw = b""
        self.screen = _Screen(cols, rows, self._answer_query)
        self._stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(
            CLAUDECHAT,
            list(args),
            env=isolated_env(home, base_url=base_url, api_key=api_key, no_color=no_color, extra=env),
            cwd=str(home),
            dimensions=(rows, cols),
            timeout=10,
            preexec_fn=lambda: _before_exec(preexec_fn),
        )
        self.exit_status: int | None = None

    # --- input ---------------------------------------------------------------------------

    def send(self, text: str) -> None:
        self.child.send(text.encode("utf-8"))

    def _answer_query(self, data: str) -> None:
        if self.child.isalive():
            self.child.send(data.encode("ascii"))

    def enter(self) -> None:
        self.send(Keys.ENTER)

    def ctrl_c(self) -> None:
        self.send(Keys.CTRL_C)

    def ctrl_d(self) -> None:
        self.send(Keys.CTRL_D)

    def esc(self) -> None:
        self.send(Keys.ESC)

    def alt_enter(self) -> None:
        self.send(Keys.ALT_ENTER)

    def ctrl_j(self) -> None:
        self.send(Keys.CTRL_J)

    def tab(self) -> None:
        self.send(Keys.TAB)

    def up(self) -> None:
        self.send(Keys.UP)

    def paste(self, text: str) -> None:
        self.send(Keys.paste(text))

    def type_line(self, text: str) -> None:
        """Type `text` and press Enter."""
        self.send(text)
        self.enter()

    # --- output --------------------------------------------------------------------------

    def _feed(self, data: bytes) -> None:
        self.raw += data
        self._stream.feed(data)

    def read_available(self, timeout: float = 0.05) -> bool:
        """Read what the program has written within `timeout`; False when it has exited."""
        try:
            data = self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        self._feed(data)
        return True

    def wait_for(self, condition: str | re.Pattern[str] | Callable[[Terminal], object], timeout: float = 10):
        """Read until `condition` holds; return what it returned. AssertionError on timeout.

        A string must appear on a row of the scrollback or screen, a pattern must match one,
        a callable is called with this terminal and must return something true.
        """
        check = self._condition(condition)
        deadline = time.monotonic() + timeout
        alive = True
        while True:
            result = check(self)
            if result:
                return result
            if not alive:
                raise AssertionError(f"the program exited before {condition!r}\n{self.dump()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {condition!r}\n{self.dump()}")
            alive = self.read_available()

    @staticmethod
    def _condition(condition: str | re.Pattern[str] | Callable[[Terminal], object]) -> Callable[[Terminal], object]:
        if isinstance(condition, str):
            return lambda term: any(condition in line for line in term.all_lines())
        if isinstance(condition, re.Pattern):
            return lambda term: next((m for line in term.all_lines() if (m := condition.search(line))), None)
        return condition

    def wait_for_raw(self, data: bytes, since: int = 0, timeout: float = 10) -> int:
        """Until the program has written `data` at or after byte offset `since`; where it starts.

        For when the screen cannot be trusted: output that wrecks the emulated terminal
        (an unterminated escape sequence swallows all that follows) still arrives as bytes.
        """
        return self.wait_for(lambda term: term.raw.find(data, since) + 1, timeout) - 1

    def wait_for_prompt(self, text: str = "", timeout: float = 10) -> None:
        """Until the cursor rests on the input prompt after exactly `text`.

        Only what is before the cursor counts: a grey suggestion from the input history,
        drawn after the cursor, is not input.
        """
        self.wait_for(lambda term: term.prompt_input() == text, timeout)

    def prompt_input(self) -> str | None:
        """The input before the cursor when the cursor is in the input area, else None.

        The input area is the prompt row ("› ") and the continuation rows ("· ") below it down
        to the cursor's row; lines are joined with newlines.
        """
        cursor = self.screen.cursor
        rows = []
        for y in range(cursor.y, -1, -1):
            line = self.screen.buffer[y]
            head = line[0].data + line[1].data
            end = cursor.x if y == cursor.y else self.screen.columns
            text = "".join(line[x].data for x in range(2, end))
            rows.append(text if y == cursor.y else text.rstrip())
            if head == "› ":
                return "\n".join(reversed(rows))
            if head != "· ":
                return None
        return None

    def prompt_row(self) -> str | None:
        """The whole row of the prompt the cursor is on (suggestions included), else None."""
        row = self.screen.display[self.screen.cursor.y].rstrip()
        return row if row.startswith("›") else None

    def history_lines(self) -> list[str]:
        return [_line_text(line, self.screen.columns) for line in self.screen.history.top]

    def screen_lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def all_lines(self) -> list[str]:
        """The scrollback, then the visible rows, each right-stripped."""
        return self.history_lines() + self.screen_lines()

    def text(self) -> str:
        return "\n".join(self.all_lines())

    def dump(self) -> str:
        lines = self.all_lines()[-60:]
        return "---- last rows of the terminal ----\n" + "\n".join(f"|{line}" for line in lines)

    # --- the window ----------------------------------------------------------------------

    def resize(self, rows: int, cols: int) -> None:
        """Change the window size: the pty (the program gets SIGWINCH) and the emulated screen.

        Like xterm, a shorter window keeps the cursor's row in view: the rows that no longer
        fit above it go to the scrollback, blank rows below it are dropped. Rows drawn with
        hard newlines are not reflowed when the width changes.
        """
        screen = self.screen
        if rows < screen.lines:
            drop = max(0, screen.cursor.y + 1 - rows)
            old = [screen.buffer[y] for y in range(screen.lines)]
            screen.history.top.extend(old[:drop])
            screen.buffer.clear()
            for y, line in enumerate(old[drop : drop + rows]):
                screen.buffer[y] = line
            screen.cursor.y -= drop
            screen.lines = rows  # already cut to size; pyte's resize would cut again
            screen.set_margins()
            screen.dirty.update(range(rows))
        screen.resize(rows, cols)
        self.rows, self.cols = rows, cols
        self.child.setwinsize(rows, cols)

    # --- the end -------------------------------------------------------------------------

    def wait_exit(self, timeout: float = 10) -> int:
        """Read until the program exits; its exit status (or -signal)."""
        deadline = time.monotonic() + timeout
        while self.read_available(0.1):
            if time.monotonic() > deadline:
                raise AssertionError(f"the program did not exit within {timeout} s\n{self.dump()}")
        self.child.close()
        self.exit_status = self.child.exitstatus if self.child.exitstatus is not None else -self.child.signalstatus
        return self.exit_status

    def close(self) -> int:
        """Ctrl-D on the (empty) input line, then the exit status."""
        if self.child.isalive():
            self.ctrl_d()
        return self.wait_exit()

    def kill(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()
