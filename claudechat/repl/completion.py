"""Tab completion of slash-commands (with their one-line help; the user's own marked with where
their file is) and of their arguments, and of `@path` mentions anywhere in a message
(claudechat.repl.mention_completion)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from claudechat.repl.commands import COMMANDS, Command
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.repl.interface import ChatApp
    from claudechat.repl.mention_completion import MentionCompleter

__all__ = ["SlashCompleter"]


def _none() -> Iterable[Command]:
    return ()


class SlashCompleter(Completer):
    def __init__(self, app: ChatApp, own_commands: Callable[[], Iterable[Command]] = _none) -> None:
        """`own_commands`: the user's own commands, asked for at each completion of a name (the
        chat's `user_commands`, which looks at their folders again then)."""
        self.app = app
        self._own_commands = own_commands
        self._mentions: MentionCompleter | None = None  # made at the first "@": not at start-up

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/") or "\n" in text:
            if "@" in document.current_line_before_cursor:
                yield from self._mention_completions(document)
            return
        name, space, argument = text[1:].partition(" ")
        if not space:
            for command in COMMANDS:
                for candidate in (command.name, *command.aliases):
                    if candidate.startswith(name.lower()):
                        yield Completion(
                            "/" + candidate, start_position=-len(text), display_meta=command.summary
                        )
            for own in self._own_commands():  # the user's own, marked as such
                if own.name.lower().startswith(name.lower()):
                    meta = f"({own.scope}) {own.summary}"
                    yield Completion("/" + own.name, start_position=-len(text), display_meta=meta)
            return
        command = COMMANDS.find(name)
        if command is None or command.complete is None:
            return
        for value in command.complete(self.app, argument):
            if value.startswith(argument):
                yield Completion(value, start_position=-len(argument), display=one_line(value, 200))

    def _mention_completions(self, document: Document) -> Iterable[Completion]:
        if self._mentions is None:
            from claudechat.repl.mention_completion import MentionCompleter

            self._mentions = MentionCompleter()
        return self._mentions.completions(document)
