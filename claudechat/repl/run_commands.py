"""`/run COMMAND` and `!COMMAND`: run a command line in the user's shell; what it writes and how
it ended go with the next message.

The output is shown as it comes. Ctrl-C (or Esc) stops the command, never the chat: the keys
are read the way they are while an answer streams, and the command, in a session of its own,
never sees the terminal. What it wrote until then is attached, marked as stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from claudechat.repl.chat_commands import complete_clear_or_paths
from claudechat.repl.commands import COMMANDS, CommandError
from claudechat.repl.keys import stream_stop_keys
from claudechat.signals import handled_by_loop
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from rich.console import RenderableType

    from claudechat.attach.command import CommandResult
    from claudechat.chat.attachments import TextAttachment
    from claudechat.render.command import CommandView
    from claudechat.repl.interface import ChatApp

__all__ = ["run_shell_command", "shell_escape"]

_LAST_LINES = 10  # of an output too long to show whole, shown at its end
_GOES = "attached to your next message (/run clear drops it)"


def _outputs(app: ChatApp) -> list[TextAttachment]:
    return [attachment for attachment in app.attachments if attachment.kind == "command"]  # type: ignore[misc]


def _complete_run(app: ChatApp, argument: str) -> list[str]:
    return complete_clear_or_paths(argument)


@COMMANDS.command(
    "run",
    "run a shell command; its output and exit status go with the next message",
    usage="/run [COMMAND|clear]",
    complete=_complete_run,
    details="!COMMAND does the same. It runs in your shell ($SHELL), in the current directory, with\n"
    "no input; Ctrl-C stops it and keeps what it wrote. Output over 1 MB keeps its start and end.\n"
    "No argument lists the outputs waiting to be sent; `clear` drops them (!clear runs `clear`).",
)
async def _run(app: ChatApp, argument: str) -> None:
    outputs = _outputs(app)
    if not argument:
        if not outputs:
            app.notice("no command output attached (!COMMAND or /run COMMAND runs one)")
            return
        lines = [f"{number}. {one_line(output.name, 200)} ({_bytes(output.size)})"
                 for number, output in enumerate(outputs, 1)]
        app.notice("command output attached to the next message:\n" + "\n".join(lines))
        return
    if argument == "clear":
        app.attachments = [attachment for attachment in app.attachments if attachment.kind != "command"]
        app.notice(f"dropped the output of {len(outputs)} command{'s' if len(outputs) != 1 else ''}")
        return
    await run_shell_command(app, argument)


async def shell_escape(app: ChatApp, line: str) -> None:
    """A message that starts with `!`: the rest of it is a command line to run."""
    command = line.lstrip()[1:].strip()
    if not command:
        raise CommandError("! needs a command to run, as in !ls -l", hint="its output goes with your next message")
    await run_shell_command(app, command)


def _bytes(count: int) -> str:
    from claudechat.render.command import byte_size

    return byte_size(count)


@contextlib.contextmanager
def _stop_keys(stop: Callable[[], None], on_typed: Callable[[str], None]) -> Iterator[list[str]]:
    """While inside, Ctrl-C and Esc (as keys, or SIGINT from elsewhere) call `stop`."""
    with handled_by_loop("SIGINT", stop), stream_stop_keys(stop, on_typed) as typed:
        yield typed


async def _frames(view: CommandView) -> None:
    from claudechat.render.answer import FRAME_INTERVAL

    while True:
        view.frame()
        await asyncio.sleep(FRAME_INTERVAL)


def _tree_may_have_changed() -> None:
    """A command may have made or removed files: `@` lists the folder anew (if it listed it yet)."""
    import sys

    index = sys.modules.get("claudechat.attach.index")
    if index is not None:
        index.working_tree_changed()


async def run_shell_command(app: ChatApp, command: str) -> None:
    """Run `command`, showing its output; attach the result to the next message."""
    from claudechat.attach.command import MAX_OUTPUT_BYTES, CommandRun
    from claudechat.render.command import CommandView

    view = CommandView(app.screen, limit=MAX_OUTPUT_BYTES)
    run = CommandRun(command, view.output)

    def stop() -> None:
        run.stop()
        view.stopping()

    result: CommandResult | None = None
    typed: list[str] = []
    frames = asyncio.create_task(_frames(view))
    try:
        with _stop_keys(stop, view.typed) as typed, app.screen.noting_resizes():
            result = await run.run()
    finally:
        frames.cancel()
        _tree_may_have_changed()
        if typed:  # typed while it ran: it starts the next message
            app.set_input("".join(typed))
        if result is None:  # it could not start, or the chat is ending
            view.finish()
    if result.not_found:
        view.finish(_line(f"nothing attached: the shell found no such command ({result.status})", "warning"))
        return
    app.attachments.append(result.attachment())
    last_lines = result.last_lines(_LAST_LINES) if result.cut else None
    view.finish(*_ending(result), last_lines=last_lines)


def _line(text: str, style: str) -> RenderableType:
    from rich.text import Text

    return Text(text, style=style)


def _ending(result: CommandResult) -> list[RenderableType]:
    """The lines under a command's output: what was left out, then how it ended and what goes."""
    lines = []
    if result.cut:
        part = _bytes((result.size - result.cut) // 2)
        lines.append(_line(f"⚠ {_bytes(result.size)} of output: about its first and last {part} go with the "
                           f"message, {_bytes(result.cut)} in the middle are left out", "warning"))
    if result.left_running:
        lines.append(_line("something it started still runs in the background; what it writes now is not kept",
                           "notice"))
    if result.stopped:
        lines.append(_line(f"⏹ stopped after {result.seconds:.1f} s ({result.status}) · {_GOES}", "interrupted"))
    else:
        style = "status" if result.returncode == 0 else "warning"
        empty = "" if result.size else "no output · "
        lines.append(_line(f"{result.status} · {result.seconds:.1f} s · {empty}{_GOES}", style))
    return lines
