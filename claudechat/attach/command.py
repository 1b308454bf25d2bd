"""Run a shell command the user typed and keep what it writes, to go with the next message.

The command runs in the user's own shell (`$SHELL -c`, else `/bin/sh -c`; `cmd /c` on
Windows), in the current directory, in a session and process group of its own, with stdin
from /dev/null: the chat owns the terminal, so the command can neither read keys meant for
the chat nor open the terminal behind its back (a program asking for a password there fails
at once instead of waiting unseen). Its stdout and stderr share one pipe, so they interleave
in the order they were written.

Nothing here knows of the terminal: whoever runs the command gets the bytes as they come
(`on_output`), to show them, and a `CommandResult` at the end. The pipe is always drained,
so a command writing gigabytes is never blocked, but only the first and last parts of an
output over the cap are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from claudechat.chat.attachments import TextAttachment
from claudechat.errors import UsageError
from claudechat.sanitize import one_line

__all__ = [
    "CommandResult",
    "CommandRun",
    "CommandRunError",
    "MAX_OUTPUT_BYTES",
    "OutputBuffer",
    "fence",
    "run_command",
    "user_shell",
]

MAX_OUTPUT_BYTES = 1024 * 1024
STOP_GRACE = 1.0  # seconds a stopped command has to end before the next, harder signal
OUTPUT_GRACE = 0.5  # seconds the output may trail the command's end (a background job keeps it open)
_STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGKILL")  # by name: Windows has no SIGKILL
_BOUNDARY_SEARCH = 4096  # how far from a cut a line break is looked for, to cut between lines
COMMAND_NOT_FOUND = 127  # what POSIX shells exit with when the command is not found


class CommandRunError(UsageError):
    """The command could not be started; nothing ran and nothing is attached."""


def user_shell(environ: dict[str, str] | None = None) -> list[str]:
    """The program and options a command line is given to: the user's shell with `-c`."""
    env = os.environ if environ is None else environ
    if sys.platform == "win32":
        return [env.get("COMSPEC") or "cmd.exe", "/c"]
    shell = env.get("SHELL", "")
    # A SHELL that is unset, relative or gone (a container's, a sudo's) is not the user's
    # shell at all: /bin/sh runs the command the same in almost every case.
    if os.path.isabs(shell) and os.access(shell, os.X_OK) and not os.path.isdir(shell):
        return [shell, "-c"]
    return ["/bin/sh", "-c"]


class OutputBuffer:
    """Everything a command writes, kept whole up to `limit` bytes; past that, its first and
    last halves, with the size and hash of all of it."""

    def __init__(self, limit: int = MAX_OUTPUT_BYTES) -> None:
        self.limit = limit
        self._head_limit = limit // 2
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self._hash = hashlib.sha256()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        self._hash.update(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            # Trimmed only when twice the size kept: each byte is moved a bounded number of
            # times, however small the pieces the pipe hands over.
            if len(self._tail) > 2 * self._tail_limit:
                del self._tail[: len(self._tail) - self._tail_limit]

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    @property
    def cut(self) -> bool:
        return self.total > self.limit

    def parts(self) -> tuple[bytes, bytes, int]:
        """(the start kept, the end kept, bytes left out between them).

        Within the cap the start is all of it. Past it, each part is cut at a line break near
        the cap when there is one, else between two characters, so no line or character is
        shown broken.
        """
        if not self.cut:
            return bytes(self._head + self._tail), b"", 0
        head = bytes(self._head)
        tail = bytes(self._tail[-self._tail_limit :])
        newline = head.rfind(b"\n", max(0, len(head) - _BOUNDARY_SEARCH))
        head = head[: newline + 1] if newline >= 0 else head[: _whole_characters_end(head)]
        newline = tail.find(b"\n", 0, _BOUNDARY_SEARCH)
        tail = tail[newline + 1 :] if newline >= 0 else tail[_char_start(tail, 0) :]
        return head, tail, self.total - len(head) - len(tail)


def _char_start(data: bytes, index: int) -> int:
    """The first index at or after `index` that is not inside a UTF-8 sequence (moving at most 3)."""
    for offset in range(4):
        if index + offset >= len(data) or data[index + offset] & 0xC0 != 0x80:
            return index + offset
    return index


def _whole_characters_end(data: bytes) -> int:
    """Where `data` ends once a UTF-8 sequence cut off at its end is left out."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # ASCII or the first byte of a sequence
            needed = 1 if byte < 0x80 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if needed <= back else len(data) - back
    return len(data)


def fence(text: str, info: str = "") -> str:
    """`text` in a Markdown code fence that no backtick run inside it can close."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    marks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{marks}{info}\n{body}{marks}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


@dataclass(frozen=True)
class CommandResult:
    command: str
    output: str  # what was kept, decoded (invalid UTF-8 replaced), the cut marked
    size: int  # bytes the command wrote, all of them
    sha256: str  # of those bytes
    cut: int  # bytes left out of `output`
    returncode: int | None  # negative: ended by that signal
    stopped: bool  # the user stopped it
    seconds: float
    left_running: bool = False  # something it started in the background kept its output open
    end_at: int = 0  # where in `output` the kept end begins, after the cut (0: nothing cut)

    @property
    def status(self) -> str:
        """How it ended, as a sentence's end: "exit status 0", "killed by SIGKILL"."""
        code = self.returncode
        if code is None:
            return "exit status unknown"
        if code < 0:
            return f"ended by {_signal_name(-code)}"
        return f"exit status {code}"

    def last_lines(self, count: int) -> list[str]:
        """The last `count` lines of the output (of its kept end, when the middle was cut)."""
        return self.output[self.end_at :].rstrip("\n").split("\n")[-count:]

    @property
    def not_found(self) -> bool:
        """The shell found no such command: its status says so, and it wrote one line at most."""
        return self.returncode == COMMAND_NOT_FOUND and self.output.rstrip("\n").count("\n") == 0

    def attachment(self) -> TextAttachment:
        """What goes with the next message: the command, its output in a fence, how it ended."""
        ended = self.status
        if self.stopped:
            ended = f"stopped by the user after {self.seconds:.1f} s ({ended})"
        lines = [f"Shell command run by the user:\n{fence(self.command, 'sh')}"]
        if self.size:
            lines.append(f"Its output (stdout and stderr together), {ended}:\n{fence(self.output)}")
        else:
            lines.append(f"It wrote no output, {ended}.")
        if self.cut:
            lines.append(
                f"The output was {self.size:,} bytes; {self.cut:,} bytes in the middle were left out."
            )
        if self.left_running:
            lines.append("A process it started was still running; its later output is not included.")
        return TextAttachment(name=self.command, text="\n".join(lines), kind="command", size=self.size,
                              sha256=self.sha256)


class _Pipe(asyncio.SubprocessProtocol):
    def __init__(self, received: Callable[[bytes], None]) -> None:
        loop = asyncio.get_running_loop()
        self._received = received
        self.exited: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self._received(data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)


class CommandRun:
    """One command line run to its end, or until stopped.

    `stop()` (Ctrl-C) sends SIGINT to the command's process group, as the terminal would; if
    the command is still there after `grace` seconds, SIGTERM, then SIGKILL. Calling it again
    sends the next signal at once. SIGINT alone is not always enough: a program may catch it,
    and a shell that gets it between two commands may wait for the next to end before acting.
    Cancelling `run()` ends the command with SIGTERM and passes the cancellation on.
    """

    def __init__(
        self,
        command: str,
        on_output: Callable[[bytes], None] | None = None,
        *,
        limit: int = MAX_OUTPUT_BYTES,
        shell: Sequence[str] | None = None,
        cwd: str | None = None,
        grace: float = STOP_GRACE,
        output_grace: float = OUTPUT_GRACE,
    ) -> None:
        self.command = command
        self._on_output = on_output
        self._buffer = OutputBuffer(limit)
        self._shell = list(shell) if shell is not None else user_shell()
        self._cwd = cwd
        self._grace = grace
        self._output_grace = output_grace
        self._transport: asyncio.SubprocessTransport | None = None
        self._pipe: _Pipe | None = None
        self._signals_sent = 0
        self._stop_wanted = False
        self._escalation: asyncio.TimerHandle | None = None

    def _received(self, data: bytes) -> None:
        self._buffer.add(data)
        if self._on_output is not None:
            self._on_output(data)

    def _signal(self, name: str) -> None:
        transport = self._transport
        if transport is None:
            return
        pid = transport.get_pid()
        if sys.platform == "win32" or not hasattr(os, "killpg"):
            transport.terminate()
            return
        try:
            os.killpg(pid, getattr(signal, name))  # the group: the shell and all it started
        except (ProcessLookupError, PermissionError):
            pass  # all of it has ended already

    def stop(self) -> None:
        """Stop the command: the next signal of SIGINT, SIGTERM, SIGKILL, the rest on a timer."""
        self._stop_wanted = True
        if self._escalation is not None:
            self._escalation.cancel()
            self._escalation = None
        if self._pipe is None or self._pipe.exited.done() or self._signals_sent >= len(_STOP_SIGNALS):
            return  # not started yet (run() sends it once it is), or over
        self._signal(_STOP_SIGNALS[self._signals_sent])
        self._signals_sent += 1
        if self._signals_sent < len(_STOP_SIGNALS):
            self._escalation = asyncio.get_running_loop().call_later(self._grace, self.stop)

    async def _start(self) -> tuple[asyncio.SubprocessTransport, _Pipe]:
        loop = asyncio.get_running_loop()
        pipes = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
        try:
            if sys.platform == "win32":
                return await loop.subprocess_shell(
                    lambda: _Pipe(self._received), self.command, cwd=self._cwd, **pipes
                )
            return await loop.subprocess_exec(
                lambda: _Pipe(self._received), *self._shell, self.command, cwd=self._cwd,
                start_new_session=True, **pipes,
            )
        except OSError as exc:
            reason = one_line(exc.strerror or str(exc), 200)
            raise CommandRunError(f"cannot run the command: {one_line(self._shell[0], 200)}: {reason}",
                                  hint="set SHELL to a shell that exists") from None

    async def run(self) -> CommandResult:
        """Run the command to its end; CommandRunError when it cannot even start."""
        started = time.monotonic()
        starting = asyncio.ensure_future(self._start())
        try:
            transport, pipe = await asyncio.shield(starting)
        except asyncio.CancelledError:
            # Cancelled while starting, the shell may already have started what it runs;
            # asyncio would kill the shell alone. Once it is up, its whole group is ended.
            with contextlib.suppress(Exception):
                self._transport, self._pipe = await starting
                self._signal("SIGTERM")
                self._transport.close()
            raise
        self._transport, self._pipe = transport, pipe
        left_running = False
        try:
            if self._stop_wanted:  # stopped while it was starting
                self.stop()
            await pipe.exited
            if not pipe.closed.done():
                try:
                    await asyncio.wait_for(asyncio.shield(pipe.closed), self._output_grace)
                except TimeoutError:
                    left_running = True
                    if self._stop_wanted:  # stopped: what it left behind goes too
                        self._signal("SIGKILL")
        except asyncio.CancelledError:
            self._signal("SIGTERM")
            raise
        finally:
            if self._escalation is not None:
                self._escalation.cancel()
            transport.close()
        return self._result(transport.get_returncode(), time.monotonic() - started, left_running)

    def _result(self, returncode: int | None, seconds: float, left_running: bool) -> CommandResult:
        head, tail, cut = self._buffer.parts()
        output = head.decode("utf-8", "replace")
        end_at = 0
        if cut:
            if output and not output.endswith("\n"):
                output += "\n"
            output += f"[… {cut:,} bytes left out …]\n"
            end_at = len(output)
            output += tail.decode("utf-8", "replace")
        return CommandResult(
            command=self.command,
            output=output,
            size=self._buffer.total,
            sha256=self._buffer.sha256,
            cut=cut,
            returncode=returncode,
            stopped=self._signals_sent > 0,
            seconds=seconds,
            left_running=left_running,
            end_at=end_at,
        )


async def run_command(command: str, on_output: Callable[[bytes], None] | None = None, **options: object) -> CommandResult:
    """Run `command` to its end (see `CommandRun` for the options and how to stop it)."""
    return await CommandRun(command, on_output, **options).run()  # type: ignore[arg-type]
