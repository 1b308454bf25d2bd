"""What an answer of the shell role offers: `[r]un [e]dit [c]opy [q]uit`.

In the chat, run does what `!COMMAND` does (the output is shown and goes with the next
message), edit puts `!COMMAND` in the input line (Enter runs it), copy is `/copy`'s clipboard
path. One-shot on a terminal, run hands the terminal to the command in the user's shell, edit
is a line to change before the choice comes again, and the exit status is the command's.
Nothing runs unless `r` is pressed: every other way out (q, Esc, Ctrl-C, Ctrl-D) does nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.repl.interface import ChatApp

__all__ = ["CHOICES", "choose", "edit_command", "offer_in_chat", "offer_on_terminal", "run_on_terminal"]

CHOICES = "[r]un [e]dit [c]opy [q]uit "
_WORDS = {"r": "run", "e": "edit", "c": "copy", "q": "quit"}


async def choose(style: Any = None) -> str:
    """One key of r, e, c, q (the word is left on the line); q for Esc, Ctrl-C and Ctrl-D."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.keys import Keys

    from claudechat.repl.output import prompt_output

    bindings = KeyBindings()

    def choose_key(key: str) -> Callable[[Any], None]:
        def handler(event: Any) -> None:
            event.app.current_buffer.text = _WORDS[key]
            event.app.exit(result=key)

        return handler

    for key in _WORDS:
        bindings.add(key)(choose_key(key))
        bindings.add(key.upper())(choose_key(key))
    for key in ("c-c", "c-d", "escape"):
        bindings.add(key, eager=True)(choose_key("q"))
    # Anything else is not an answer: it is neither typed nor sent.
    bindings.add(Keys.Any)(lambda event: None)
    bindings.add("enter")(lambda event: None)
    bindings.add("c-m")(lambda event: None)
    session: PromptSession[str] = PromptSession(key_bindings=bindings, style=style, output=prompt_output(),
                                                include_default_pygments_style=False)
    return await session.prompt_async([("class:prompt", CHOICES)])


async def edit_command(command: str, style: Any = None) -> str | None:
    """The command in an input line to change; None when left with Ctrl-C or Ctrl-D."""
    from prompt_toolkit import PromptSession

    from claudechat.repl.output import prompt_output

    session: PromptSession[str] = PromptSession(style=style, output=prompt_output(), include_default_pygments_style=False)
    try:
        edited = await session.prompt_async([("class:prompt", "edit › ")], default=command)
    except (KeyboardInterrupt, EOFError):
        return None
    return edited.strip() or None


def _copy_notice(ways: list[str]) -> str:
    if not ways:
        return "nothing could take the command: no clipboard program, and the command is too long for OSC 52"
    return f"copied the command ({', '.join(ways)})"


# --- the chat -----------------------------------------------------------------------------------


async def offer_in_chat(app: ChatApp, command: str) -> None:
    """After a shell role's answer in the chat: run, edit or copy `command`, or nothing."""
    from claudechat.repl.clipboard import copy_text
    from claudechat.repl.run_commands import run_shell_command

    if not command.strip():
        return
    choice = await choose(app.theme.prompt_toolkit_style())
    if choice == "r":
        await run_shell_command(app, command)
    elif choice == "e":
        app.set_input("!" + command)
        app.notice("the command is in the input line: change it, Enter runs it (Ctrl-C drops it)")
    elif choice == "c":
        ways = copy_text(command, app.write_terminal)
        if ways:
            app.notice(_copy_notice(ways))
        else:
            app.warning(_copy_notice(ways))


# --- one-shot -------------------------------------------------------------------------------------


async def offer_on_terminal(command: str, style: Any = None) -> tuple[str, str]:
    """The choice made for `command` (edits included): ("r" | "c" | "q", the command as it is now)."""
    while True:
        choice = await choose(style)
        if choice != "e":
            return choice, command
        edited = await edit_command(command, style)
        if edited is not None:
            command = edited


def run_on_terminal(command: str) -> int:
    """Run `command` in the user's shell on this terminal; its exit status (128 + N for signal N)."""
    import signal

    shell = os.environ.get("SHELL", "").strip() or "/bin/sh"

    def as_a_foreground_job() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # ignored here while it runs: not for it

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the command's to take
    try:
        completed = subprocess.run([shell, "-c", command], check=False, preexec_fn=as_a_foreground_job)
    except OSError as err:
        print(f"claudechat: error: cannot start {one_line(shell, 200)} ({err.strerror or err})", file=sys.stderr)
        return 127
    finally:
        signal.signal(signal.SIGINT, previous)
    code = completed.returncode
    return 128 - code if code < 0 else code


def copy_on_terminal(command: str) -> None:
    from claudechat.repl.clipboard import copy_text

    def write_terminal(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    ways = copy_text(command, write_terminal)
    print(f"claudechat: {'note' if ways else 'warning'}: {_copy_notice(ways)}", file=sys.stderr)
