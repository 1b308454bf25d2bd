"""Slash-commands: each is one decorated function with its help, usage and completion.

Adding a command is one place: `@COMMANDS.command(...)` above its function. The registry
drives dispatch, `/help`, and Tab completion of names and arguments alike. Handlers are written
against `ChatApp` (repl/interface.py), what a command may do to the chat, not the chat loop.
The user's own commands (repl/user_commands.py) belong to each chat, not to this registry:
it looks them up through `app.user_commands` after its own.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from claudechat.errors import UsageError
from claudechat.render.reasoning import REASONING_MODES
from claudechat.repl.interface import Command, Completer, Handler
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.repl.interface import ChatApp

__all__ = ["Command", "CommandError", "CommandRegistry", "COMMANDS", "no_argument", "shown", "split_command"]


class CommandError(UsageError):
    """A command was used wrongly; shown as one line, the chat goes on."""


def shown(text: str, limit: int = 60) -> str:
    """An argument quoted back in a message: one line, controls made visible."""
    return repr(one_line(text, limit))


def no_argument(name: str, argument: str) -> None:
    if argument:
        raise CommandError(f"/{name} takes no argument, got {shown(argument)}")


class CommandRegistry:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._names: dict[str, Command] = {}

    def command(
        self,
        name: str,
        summary: str,
        *,
        usage: str | None = None,
        complete: Completer | None = None,
        aliases: tuple[str, ...] = (),
        details: str = "",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            command = Command(name, summary, usage or f"/{name}", handler, complete, aliases, details)
            self._commands[name] = command
            for key in (name, *aliases):
                self._names[key] = command
            return handler

        return register

    def __iter__(self) -> Iterator[Command]:
        return iter(sorted(self._commands.values(), key=lambda command: command.name))

    def find(self, name: str) -> Command | None:
        return self._names.get(name.lower())

    def names(self) -> list[str]:
        return sorted(self._names)

    async def dispatch(self, app: ChatApp, line: str) -> None:
        """Run the command `line` ("/name args"), built-in or the user's; CommandError for an
        unknown or misused one."""
        name, argument = split_command(line)
        command = self.find(name) or app.user_commands.find(name)
        if command is None:
            import difflib

            names = self.names() + [command.name for command in app.user_commands]
            close = difflib.get_close_matches(name.lower(), names, n=1)
            hint = f"did you mean /{close[0]}?" if close else "see /help"
            raise CommandError(f"unknown command /{one_line(name, 40)}", hint=hint)
        outcome = command.run(app, argument.strip())
        if inspect.isawaitable(outcome):
            await outcome


def split_command(line: str) -> tuple[str, str]:
    """("name", "arguments") of "/name arguments": the name ends at any white space (a new line
    too: arguments may start on the next line)."""
    match = re.match(r"(\S*)\s*(.*)", line.strip()[1:].strip(), re.DOTALL)
    assert match is not None  # the pattern matches any text
    return match.group(1), match.group(2).strip()


COMMANDS = CommandRegistry()


def _command_names(app: ChatApp, argument: str) -> list[str]:
    return [command.name for command in COMMANDS]


@COMMANDS.command("help", "list the commands, or explain one", usage="/help [COMMAND]", complete=_command_names)
def _help(app: ChatApp, argument: str) -> None:
    if argument:
        name = argument.lstrip("/")
        command = COMMANDS.find(name) or app.user_commands.find(name)
        if command is None:
            raise CommandError(f"no command /{one_line(argument, 40)}", hint="see /help")
        lines = [f"{command.usage}  {command.summary}"]
        if command.aliases:
            lines.append("also: " + ", ".join(f"/{alias}" for alias in command.aliases))
        if command.details:
            lines.append(command.details)
        app.notice("\n".join(lines))
        return
    from rich.text import Text

    from claudechat.render.columns import two_columns
    from claudechat.textwidth import cell_width

    sending = (
        "Alt-Enter or Esc Enter sends · Enter or Ctrl-J: new line (send_key = \"alt-enter\")"
        if app.settings.send_key == "alt-enter"
        else "Enter sends · Alt-Enter, Esc Enter or Ctrl-J: new line"
    )
    keys = (
        f"{sending} · Ctrl-X Ctrl-E: edit in $EDITOR · "
        "Ctrl-C or Esc stops an answer · Ctrl-C clears the line · Ctrl-L clears the screen · Ctrl-D exits · "
        "Ctrl-R searches history · Ctrl-V pastes the clipboard's image (or text) · "
        "!COMMAND runs a shell command, its output goes with the next message"
    )
    rows = [(command.usage, command.summary) for command in COMMANDS]
    own = [(command.usage, f"({command.scope}) {command.summary}") for command in app.user_commands]
    if not own:
        app.screen.print(two_columns(rows, left="command", right="command.help"), Text("\n" + keys, style="notice"))
        return
    # Two tables, one under the other: padded to one width, their second columns line up.
    width = max(cell_width(usage) for usage, _ in rows + own)
    rows, own = ([(usage + " " * (width - cell_width(usage)), text) for usage, text in group] for group in (rows, own))
    app.screen.print(
        two_columns(rows, left="command", right="command.help"),
        Text("\nyour commands (/help NAME shows the file):", style="notice"),
        two_columns(own, left="command", right="command.help"),
        Text("\n" + keys, style="notice"),
    )


@COMMANDS.command("exit", "leave claudechat (Ctrl-D on an empty line does too)", aliases=("quit",))
def _exit(app: ChatApp, argument: str) -> None:
    app.request_exit()


@COMMANDS.command(
    "think",
    "show the full reasoning of the last answer, or of the N-th answer back",
    usage="/think [N]",
)
def _think(app: ChatApp, argument: str) -> None:
    back = 1
    if argument:
        if not argument.isdigit() or int(argument) < 1:
            raise CommandError(f"/think takes a positive number, got {one_line(argument, 40)!r}")
        back = int(argument)
    answers = app.session.answers()
    if not answers:
        raise CommandError("there is no answer yet")
    if back > len(answers):
        raise CommandError(f"there are only {len(answers)} answers")
    answer = answers[-back]
    if not answer.reasoning:
        from claudechat.models import THINKING_EXAMPLE, reasoning_warning

        model = answer.model or app.model
        why = reasoning_warning(model)
        raise CommandError(
            why or f"that answer came without reasoning ({one_line(model, 80)} sent none)",
            hint=None if why else f"thinking models end in -thinking, e.g. /model {THINKING_EXAMPLE}",
        )
    from claudechat.render.reasoning import full_panel

    title = "Reasoning" if back == 1 else f"Reasoning, {back} answers back"
    app.screen.print(full_panel(answer.reasoning, app.theme.code_theme, title))


def _reasoning_modes(app: ChatApp, argument: str) -> list[str]:
    return list(REASONING_MODES)


@COMMANDS.command(
    "reasoning",
    "how a thinking model's reasoning is shown: collapsed, expanded or hidden",
    usage="/reasoning [MODE]",
    complete=_reasoning_modes,
)
def _reasoning(app: ChatApp, argument: str) -> None:
    if not argument:
        app.notice(f"reasoning is {app.reasoning_mode} (modes: {', '.join(REASONING_MODES)})")
        return
    mode = argument.lower()
    if mode not in REASONING_MODES:
        raise CommandError(
            f"unknown reasoning mode {one_line(argument, 40)!r}", hint=f"choose {', '.join(REASONING_MODES)}"
        )
    app.reasoning_mode = mode
    app.notice(f"reasoning is now {mode}")


def _theme_names(app: ChatApp, argument: str) -> list[str]:
    from claudechat.render.theme import available_themes

    return sorted(available_themes())


@COMMANDS.command("theme", "list the themes, or switch to one", usage="/theme [NAME]", complete=_theme_names)
def _theme(app: ChatApp, argument: str) -> None:
    names = _theme_names(app, "")
    if not argument:
        listing = "  ".join(f"[{name}]" if name == app.theme.name else name for name in names)
        app.notice(f"themes: {listing}")
        return
    if argument not in names:
        raise CommandError(f"no theme {one_line(argument, 40)!r}", hint="themes: " + ", ".join(names))
    app.apply_theme(argument)
    app.notice(f"theme is now {app.theme.name}")
