"""What a slash-command is, and what it may do to the chat: the contract between the two.

Commands (repl/commands.py and the *_commands modules), Tab completion and key bindings take a
`ChatApp`, never the chat loop itself (repl/app.py), so they can be imported, read and tested
without it, and the loop imports them, not the other way round. `Repl` is the one
implementation; a command needing something new adds it here first. This module imports no
other module of the chat, so nothing here can lead back in a loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rich.console import Console

    from claudechat.api import ChatRequest
    from claudechat.chat.attachments import Attachment
    from claudechat.chat.context import ContextMeter, ContextUse
    from claudechat.chat.search_hit import SearchHit
    from claudechat.chat.keeper import SessionKeeper
    from claudechat.chat.session import Session
    from claudechat.config import Settings
    from claudechat.render.screen import Screen
    from pathlib import Path

    from claudechat.render.theme import Theme
    from claudechat.repl.server_models import ServerModels
    from claudechat.turn import TurnOutcome

__all__ = ["RESUME_SHOWS", "ChatApp", "Command", "CommandSource", "Completer", "Handler"]

RESUME_SHOWS = 2  # the last exchanges `ChatApp.show_session` shows of a session it opens

Handler = Callable[["ChatApp", str], "Awaitable[None] | None"]
Completer = Callable[["ChatApp", str], list[str]]


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # one line, shown in /help and next to completions
    usage: str
    run: Handler
    complete: Completer | None = None
    aliases: tuple[str, ...] = ()
    details: str = ""
    source: Path | None = None  # the file a user's command comes from; None for a built-in one
    scope: str = ""  # where that file is: "user" or "project"


class CommandSource(Protocol):
    """Commands beside the built-in ones (the user's own), looked up by name."""

    def find(self, name: str) -> Command | None: ...

    def __iter__(self) -> Iterator[Command]: ...


class ChatApp(Protocol):
    # --- what is pending for the next message, and how the chat is shown ------------------
    attachments: list[Attachment]  # sent with the next message
    editing: bool  # the next message replaces the last exchange (/edit)
    rewind_to: int | None  # the next message starts a branch after this many messages (/rewind)
    search_hits: list[SearchHit]  # the last /search's list, for /resume N
    reasoning_mode: str

    @property
    def settings(self) -> Settings: ...

    async def use_settings(self, settings: Settings) -> None:
        """From the next request on, talk to `settings`' server with its token (/profile)."""

    @property
    def server_models(self) -> ServerModels: ...

    def refresh_completions(self) -> None: ...

    @property
    def base_settings(self) -> Settings:
        """The settings without the role the chat started with: what dropping a role goes back to."""

    @property
    def theme(self) -> Theme: ...

    def apply_theme(self, name: str) -> None: ...

    # --- the conversation ------------------------------------------------------------------
    @property
    def session(self) -> Session: ...

    @property
    def keeper(self) -> SessionKeeper: ...

    @property
    def model(self) -> str: ...

    def save_session(self) -> bool: ...

    def keeper_warnings(self) -> None:
        """Say what went wrong beside saving (the search index), once."""

    def show_session(self, note: str | None = None) -> None: ...

    @property
    def context_meter(self) -> ContextMeter: ...

    @property
    def context_window(self) -> int | None: ...

    def context_use(self, typed: str = "") -> ContextUse: ...

    # --- requests --------------------------------------------------------------------------
    async def send(self, text: str, *, model: str | None = None, typed: str | None = None) -> None:
        """Send `text` as a typed message is sent; `model` for this request only; `typed` is
        what goes back in the input if it is not sent (`text` when None)."""

    async def retry(self) -> None: ...

    async def stream(self, request: ChatRequest, view: Any) -> tuple[TurnOutcome, list[str]]: ...

    # --- the user's own commands -----------------------------------------------------------
    @property
    def user_commands(self) -> CommandSource: ...

    # --- the screen and the prompt ----------------------------------------------------------
    @property
    def screen(self) -> Screen: ...

    @property
    def console(self) -> Console: ...

    def notice(self, text: str) -> None: ...

    def warning(self, text: str) -> None: ...

    def error(self, text: str) -> None: ...

    def set_input(self, text: str) -> None: ...

    async def confirm(self, question: str) -> bool: ...

    def write_terminal(self, text: str) -> None: ...

    def request_exit(self) -> None: ...
