"""Slash-commands: each is one decorated function with its help, usage and completion.

Adding a command is one place: `@COMMANDS.command(...)` above its function. The registry
drives dispatch, `/help`, and Tab completion of names and arguments alike.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from claudechat.errors import UsageError
from claudechat.render.reasoning import REASONING_MODES
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.repl.app import Repl

__all__ = ["Command", "CommandError", "CommandRegistry", "COMMANDS", "no_argument", "shown"]

Handler = Callable[["Repl", str], "Awaitable[None] | None"]
Completer = Callable[["Repl", str], list[str]]


class CommandError(UsageError):
    """A command was used wrongly; shown as one line, the chat goes on."""


def shown(text: str, limit: int = 60) -> str:
    """An argument quoted back in a message: one line, controls made visible."""
    return repr(one_line(text, limit))


def no_argument(name: str, argument: str) -> None:
    if argument:
        raise CommandError(f"/{name} takes no argument, got {shown(argument)}")


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # one line, shown in /help and next to completions
    usage: str
    run: Handler
    complete: Completer | None = None
    aliases: tuple[str, ...] = ()
    details: str = ""


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

    async def dispatch(self, app: Repl, line: str) -> None:
        """Run the command `line` ("/name args"); CommandError for an unknown or misused one."""
        name, _, argument = line[1:].strip().partition(" ")
        command = self.find(name)
        if command is None:
            import difflib

            close = difflib.get_close_matches(name.lower(), self.names(), n=1)
            hint = f"did you mean /{close[0]}?" if close else "see /help"
            raise CommandError(f"unknown command /{one_line(name, 40)}", hint=hint)
        outcome = command.run(app, argument.strip())
        if inspect.isawaitable(outcome):
            await outcome


COMMANDS = CommandRegistry()


def _command_names(app: Repl, argument: str) -> list[str]:
    return [command.name for command in COMMANDS]


@COMMANDS.command("help", "list the commands, or explain one", usage="/help [COMMAND]", complete=_command_names)
def _help(app: Repl, argument: str) -> None:
    if argument:
        command = COMMANDS.find(argument.lstrip("/"))
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
    app.screen.print(two_columns(rows, left="command", right="command.help"), Text("\n" + keys, style="notice"))


@COMMANDS.command("exit", "leave claudechat (Ctrl-D on an empty line does too)", aliases=("quit",))
def _exit(app: Repl, argument: str) -> None:
    app.request_exit()


@COMMANDS.command(
    "think",
    "show the full reasoning of the last answer, or of the N-th answer back",
    usage="/think [N]",
)
def _think(app: Repl, argument: str) -> None:
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


def _reasoning_modes(app: Repl, argument: str) -> list[str]:
    return list(REASONING_MODES)


@COMMANDS.command(
    "reasoning",
    "how a thinking model's reasoning is shown: collapsed, expanded or hidden",
    usage="/reasoning [MODE]",
    complete=_reasoning_modes,
)
def _reasoning(app: Repl, argument: str) -> None:
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


def _theme_names(app: Repl, argument: str) -> list[str]:
    from claudechat.render.theme import available_themes

    return sorted(available_themes())


@COMMANDS.command("theme", "list the themes, or switch to one", usage="/theme [NAME]", complete=_theme_names)
def _theme(app: Repl, argument: str) -> None:
    names = _theme_names(app, "")
    if not argument:
        listing = "  ".join(f"[{name}]" if name == app.theme.name else name for name in names)
        app.notice(f"themes: {listing}")
        return
    if argument not in names:
        raise CommandError(f"no theme {one_line(argument, 40)!r}", hint="themes: " + ", ".join(names))
    app.apply_theme(argument)
    app.notice(f"theme is now {app.theme.name}")
