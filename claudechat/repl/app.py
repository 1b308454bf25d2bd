"""The interactive chat: read a message, stream the answer, repeat.

prompt_toolkit owns the terminal while the user types; during an answer the terminal is in
raw mode so that Ctrl-C and Esc arrive as keys and stop the answer at once (the prompt comes
back, the partial answer is kept), and typed-ahead keys do not spill into the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from claudechat import __version__
from claudechat.chat.conversation import Conversation, Message
from claudechat.config import Settings, data_dir
from claudechat.errors import ClaudechatError
from claudechat.render.screen import Screen
from claudechat.repl.commands import COMMANDS
from claudechat.repl.completion import SlashCompleter
from claudechat.repl.keys import prompt_key_bindings, raw_terminal, stream_stop_keys
from claudechat.sanitize import one_line, sanitize

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

    from claudechat.api import ChatClient
    from claudechat.render.answer import AnswerView
    from claudechat.repl.turn import TurnOutcome

__all__ = ["Repl", "run_repl"]


def _warm_imports() -> None:
    """Import what the first answer needs while the user types it."""
    with contextlib.suppress(Exception):
        import httpx  # noqa: F401
        import pygments.lexers.python  # noqa: F401
        import rich.markdown  # noqa: F401
        import rich.syntax  # noqa: F401


class Repl:
    def __init__(self, settings: Settings) -> None:
        from rich.console import Console

        from claudechat.render.theme import load_theme

        self.settings = settings
        self.model = settings.model
        self.reasoning_mode = settings.reasoning
        self.theme, theme_warnings = load_theme(settings.theme)
        self.console = Console(highlight=False)
        self.console.push_theme(self.theme.rich_theme())
        self.screen = Screen(self.console)
        self.conversation = Conversation(system=settings.system)
        self.session_tokens = 0
        self._client: ChatClient | None = None
        self._exit = False
        self._unsent = ""  # text to put back in the input line after a failed turn
        self._session: PromptSession[str] | None = None
        self._turn_task: asyncio.Task[TurnOutcome] | None = None
        self._signal: int | None = None
        for warning in theme_warnings:
            self.warning(warning)

    # --- what commands use -------------------------------------------------------------

    def notice(self, text: str) -> None:
        from rich.text import Text

        self.screen.print(Text(text, style="notice"))

    def warning(self, text: str) -> None:
        from rich.text import Text

        self.screen.print(Text(f"warning: {one_line(text, 2000)}", style="warning"))

    def error(self, text: str) -> None:
        from claudechat.render.answer import error_text

        self.screen.print(error_text(text))

    def request_exit(self) -> None:
        self._exit = True

    def apply_theme(self, name: str) -> None:
        from claudechat.render.theme import load_theme

        theme, warnings = load_theme(name)
        self.theme = theme
        self.console.pop_theme()  # the one pushed at start-up or by the last switch
        self.console.push_theme(theme.rich_theme())
        if self._session is not None:
            self._session.style = theme.prompt_toolkit_style()
        for warning in warnings:
            self.warning(warning)

    # --- the loop ------------------------------------------------------------------------

    def _toolbar(self) -> list[tuple[str, str]]:
        return [
            ("class:toolbar.key", " model "),
            ("class:toolbar.value", self.model),
            ("class:toolbar.key", "  tokens "),
            ("class:toolbar.value", f"{self.session_tokens:,}"),
            ("class:toolbar.key", "  attachments "),
            ("class:toolbar.value", "none"),
            ("class:toolbar.key", "   /help · Ctrl-D exits "),
        ]

    def _make_session(self) -> PromptSession[str]:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
        from prompt_toolkit.enums import EditingMode
        from prompt_toolkit.history import FileHistory, InMemoryHistory

        history: Any
        try:
            directory = data_dir()
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            history = FileHistory(str(directory / "history"))
        except OSError as exc:
            self.warning(f"input history is not saved: {exc}")
            history = InMemoryHistory()
        return PromptSession(
            message=[("class:prompt", "› ")],
            multiline=True,
            prompt_continuation=lambda width, line, wrap: [("class:continuation", "· ".rjust(width))],
            key_bindings=prompt_key_bindings(),
            history=history,
            auto_suggest=AutoSuggestFromHistory(),
            completer=SlashCompleter(self),
            complete_while_typing=True,
            enable_open_in_editor=True,
            editing_mode=EditingMode.VI if self.settings.editing_mode == "vi" else EditingMode.EMACS,
            bottom_toolbar=self._toolbar,
            style=self.theme.prompt_toolkit_style(),
            include_default_pygments_style=False,
        )

    def _banner(self) -> None:
        from urllib.parse import urlsplit

        from rich.text import Text

        host = urlsplit(self.settings.base_url).netloc
        self.screen.print(
            Text(f"claudechat {__version__} · {self.model} · {host} · /help for commands", style="banner")
        )

    async def run(self) -> int:
        """The chat until Ctrl-D or /exit (0), or SIGTERM/SIGHUP (128 + the signal).

        A signal ends the chat the way /exit does: an answer in flight is stopped and kept,
        and the terminal is put back as it was, so a killed chat never leaves the shell
        without echo.
        """
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, self._on_signal, signum, main)
        self._banner()
        self._session = session = self._make_session()
        threading.Thread(target=_warm_imports, daemon=True).start()
        try:
            with raw_terminal():
                await self._loop(session)
        except asyncio.CancelledError:
            if self._signal is None:
                raise
        finally:
            if self._client is not None:
                await self._client.aclose()
        return 0 if self._signal is None else 128 + self._signal

    def _on_signal(self, signum: int, main: asyncio.Task[Any] | None) -> None:
        self._signal = signum
        self._exit = True
        if self._turn_task is not None and not self._turn_task.done():
            self._turn_task.cancel()  # the turn ends as interrupted, then the loop sees _exit
        elif main is not None:
            main.cancel()  # waiting at the prompt: leave it

    async def _loop(self, session: PromptSession[str]) -> None:
        while not self._exit:
            try:
                text = await session.prompt_async(default=self._unsent)
            except KeyboardInterrupt:  # Ctrl-C at the prompt clears the line
                self._unsent = ""
                continue
            except EOFError:  # Ctrl-D on an empty line
                break
            self._unsent = ""
            if not text.strip():
                continue
            if text.lstrip().startswith("/"):
                try:
                    await COMMANDS.dispatch(self, text.strip())
                except ClaudechatError as err:
                    self.error(str(err))
                continue
            await self._turn(text)

    def _get_client(self) -> ChatClient:
        if self._client is None:
            from claudechat.api import ChatClient

            self._client = ChatClient(
                self.settings.base_url,
                self.settings.api_key,
                timeout=self.settings.timeout,
                retries=self.settings.retries,
                on_retry=lambda notice: self.warning(str(notice)),
            )
        return self._client

    async def _turn(self, text: str) -> None:
        from claudechat.api import ChatRequest
        from claudechat.render.answer import AnswerView
        from claudechat.repl.turn import stream_answer

        request = ChatRequest(
            model=self.model,
            messages=self.conversation.request_messages(text),
            temperature=self.settings.temperature,
            max_tokens=self.settings.max_tokens,
        )
        try:
            request.validate()
        except ClaudechatError as err:
            self.error(str(err))
            self._unsent = text
            return
        view = AnswerView(
            self.screen, model=self.model, reasoning_mode=self.reasoning_mode, code_theme=self.theme.code_theme
        )
        task = self._turn_task = asyncio.create_task(stream_answer(self._get_client(), request, view))
        with self._stoppable(task) as typed:
            outcome = await task
        self._turn_task = None
        self._finish_turn(text, view, outcome)
        if typed:
            # Typed while the answer streamed: it starts the next message, after the message
            # that came back unanswered if the turn failed.
            self._unsent = " ".join(part for part in (self._unsent.rstrip(), "".join(typed)) if part)

    @contextlib.contextmanager
    def _stoppable(self, task: asyncio.Task[Any]) -> Iterator[list[str]]:
        """While `task` runs, Ctrl-C and Esc (as keys, or SIGINT from elsewhere) cancel it."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        try:
            with stream_stop_keys(task.cancel) as typed:
                yield typed
        finally:
            loop.remove_signal_handler(signal.SIGINT)

    def _finish_turn(self, text: str, view: AnswerView, outcome: TurnOutcome) -> None:
        from rich.text import Text

        from claudechat.render.answer import error_text, interrupted_text
        from claudechat.repl.turn import outcome_status

        result = outcome.result
        if outcome.error is not None or (outcome.interrupted and not result.content):
            # Nothing usable came back: the history stays as it was, the text goes back in the input.
            after: list[Any] = []
            if outcome.error is not None:
                after.append(error_text(str(outcome.error)))
            else:
                after.append(Text("⏹ interrupted before the answer began", style="interrupted"))
            view.finish(*after)
            self._unsent = text
            return
        usage = result.usage
        if usage is not None:
            self.session_tokens += usage.total_tokens
        # What the model sent is stored as it is shown: its control characters made visible.
        answer = Message(
            "assistant",
            sanitize(result.content),
            reasoning=sanitize(result.reasoning),
            model=sanitize(result.model) if result.model else self.model,
            usage=usage.to_dict() if usage else None,
            interrupted=outcome.interrupted,
        )
        self.conversation.add_turn(Message("user", text, model=self.model), answer)
        after = []
        if outcome.interrupted:
            after.append(interrupted_text())
        after.append(Text(outcome_status(outcome, self.model), style="status"))
        view.finish(*after)


def run_repl(settings: Settings) -> int:
    return asyncio.run(Repl(settings).run())
