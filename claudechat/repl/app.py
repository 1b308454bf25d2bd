"""The interactive chat: read a message, stream the answer, repeat.

prompt_toolkit owns the terminal while the user types; during an answer the terminal is in
raw mode so that Ctrl-C and Esc arrive as keys and stop the answer at once (the prompt comes
back, the partial answer is kept), and typed-ahead keys do not spill into the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from claudechat import __version__
from claudechat.chat.conversation import Content, Message, answer_from_result
from claudechat.chat.keeper import SessionKeeper
from claudechat.config import Settings, data_dir
from claudechat.errors import ClaudechatError
from claudechat.repl import (  # noqa: F401  (they register themselves)
    branch_commands,
    chat_commands,
    context_commands,
    file_commands,
    paste,
    profile_commands,
    report_commands,
    role_commands,
    run_commands,
    search_commands,
    session_commands,
)
from claudechat.repl.commands import COMMANDS, CommandError
from claudechat.repl.completion import SlashCompleter
from claudechat.repl.interface import RESUME_SHOWS
from claudechat.repl.keys import prompt_key_bindings, raw_terminal, stream_stop_keys
from claudechat.roles import runs_commands
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession
    from rich.console import Console

    from claudechat.api import ChatClient, ChatRequest
    from claudechat.api.trace import ExchangeLog
    from claudechat.chat.attachments import Attachment
    from claudechat.chat.context import ContextMeter, ContextUse
    from claudechat.chat.search_hit import SearchHit
    from claudechat.chat.session import Session
    from claudechat.render.answer import AnswerView
    from claudechat.render.screen import Screen
    from claudechat.repl.server_models import ServerModels
    from claudechat.repl.user_commands import UserCommands
    from claudechat.turn import TurnOutcome

__all__ = ["Repl", "run_repl"]


def _warm_imports() -> None:
    """Import what the first answer needs, and load the certificates, while the user types it."""
    from claudechat.tls import preload_tls_context

    preload_tls_context()
    with contextlib.suppress(Exception):
        import httpx  # noqa: F401
        import pygments.lexers.python  # noqa: F401
        import rich.console  # noqa: F401
        import rich.markdown  # noqa: F401
        import rich.syntax  # noqa: F401


def _fitted(parts: list[str], columns: int) -> str:
    """`parts` joined by ` · ` in one row: the hint at the end goes first, then what it is
    about is shortened (a row that wrapped would push the prompt down unevenly)."""
    from claudechat.textwidth import cell_width, crop

    if cell_width(" · ".join(parts)) >= columns and len(parts) > 2:
        parts = parts[:-1]
    return crop(" · ".join(parts), max(1, columns - 1))


class Repl:
    def __init__(self, settings: Settings, keeper: SessionKeeper, *, opened: str | None = None,
                 base: Settings | None = None, hit: SearchHit | None = None) -> None:
        from claudechat.render.theme import load_theme

        self.settings = settings
        # The settings without the role the chat started with: what dropping a role goes back to.
        self.base_settings = base if base is not None else settings
        self.keeper = keeper
        self.attachments: list[Attachment] = []  # sent with the next message
        self.editing = False  # the next message replaces the last exchange (/edit)
        self.rewind_to: int | None = None  # the next message starts a branch after this many messages (/rewind)
        self.search_hits: list[SearchHit] = []  # the last /search's list, for /resume N
        self._opened = opened  # how the session at start came to be, when it was resumed
        self._opened_at = hit  # the turn to show of it, when it was chosen for what was said in it
        self.reasoning_mode = settings.reasoning
        self.theme, theme_warnings = load_theme(settings.theme)
        self._screen: Screen | None = None  # made when first drawn on: rich costs start-up time
        self._client: ChatClient | None = None
        self._trace: ExchangeLog | None = None  # --debug: the raw exchange, for a bug report
        self._exit = False
        self._unsent = ""  # text to put back in the input line after a failed turn
        self._session: PromptSession[str] | None = None
        self._turn_task: asyncio.Task[TurnOutcome] | None = None
        self._signal: int | None = None
        self._history_problem: str | None = None  # to show once, after the prompt returns
        self._history_warned = False
        self._context_meter: ContextMeter | None = None
        self._user_commands: UserCommands | None = None
        self._server_models: ServerModels | None = None
        for warning in theme_warnings:
            self.warning(warning)

    # --- what commands use (claudechat.repl.interface.ChatApp) ----------------------------

    @property
    def screen(self) -> Screen:
        if self._screen is None:
            from rich.console import Console

            from claudechat.render.screen import Screen

            console = Console(highlight=False)
            console.push_theme(self.theme.rich_theme())
            self._screen = Screen(console)
        return self._screen

    @property
    def console(self) -> Console:
        return self.screen.console

    @property
    def session(self) -> Session:
        return self.keeper.session

    @property
    def model(self) -> str:
        return self.session.settings.model

    @property
    def session_tokens(self) -> int:
        return sum(entry.prompt_tokens + entry.completion_tokens for entry in self.session.usage)

    @property
    def context_meter(self) -> ContextMeter:
        if self._context_meter is None:
            from claudechat.chat.context import ContextMeter

            self._context_meter = ContextMeter()
        return self._context_meter

    @property
    def server_models(self) -> ServerModels:
        """What the server in use lists of its models (asked when /model first needs it)."""
        if self._server_models is None:
            from claudechat.repl.server_models import ServerModels

            self._server_models = ServerModels()
        return self._server_models

    def refresh_completions(self) -> None:
        """Offer the completions again (a list they come from has arrived), if the menu is wanted."""
        if self._session is None or not self._session.app.is_running:
            return
        buffer = self._session.app.current_buffer
        if buffer.complete_state is not None or buffer.text.startswith("/"):
            buffer.start_completion(select_first=False)

    async def use_settings(self, settings: Settings) -> None:
        """From the next request on, talk to `settings`' server with its token (/profile)."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
        self.settings = settings

    @property
    def context_window(self) -> int | None:
        from claudechat.models import context_window

        return context_window(self.model, self.settings.context_window)

    def context_use(self, typed: str = "") -> ContextUse:
        """What the next request would use: the conversation, what is attached, `typed`."""
        return self.context_meter.use(self.session, self.context_window, typed, self.attachments)

    @property
    def user_commands(self) -> UserCommands:
        """The user's own commands, this chat's: read from their folders when first needed."""
        if self._user_commands is None:
            from claudechat.repl.user_commands import UserCommands

            self._user_commands = UserCommands(lambda name: COMMANDS.find(name) is not None)
        return self._user_commands

    def _warn_about_user_commands(self, *, refresh: bool) -> None:
        """Say what is wrong with the user's command files, each problem once. Not while the
        prompt is drawn (completion reads them then): at start and when it returns."""
        if refresh:
            self.user_commands.refresh(deep=True)
        if self._user_commands is not None:
            for warning in self._user_commands.take_warnings():
                self.warning(warning)

    def save_session(self) -> bool:
        """Save what changed; on failure say so and go on (it is retried at the next save)."""
        try:
            self.keeper.save()
        except ClaudechatError as err:
            self.error(str(err))
            return False
        finally:
            self.keeper_warnings()
        return True

    def keeper_warnings(self) -> None:
        """Say what went wrong beside saving (the search index), once."""
        for warning in self.keeper.take_warnings():
            self.warning(warning)

    def write_terminal(self, text: str) -> None:
        """Bytes for the terminal itself (an OSC 52 clipboard request), not for the screen."""
        sys.stdout.write(text)
        sys.stdout.flush()

    async def confirm(self, question: str) -> bool:
        """Ask a yes/no question at the prompt; anything but yes (Ctrl-C included) is no."""
        from prompt_toolkit import PromptSession

        from claudechat.repl.output import prompt_output

        try:
            answer = await PromptSession(style=self.theme.prompt_toolkit_style(), output=prompt_output()).prompt_async(
                [("class:prompt", f"{question} [y/N] ")]
            )
        except (KeyboardInterrupt, EOFError):
            return False
        return answer.strip().lower() in ("y", "yes")

    def set_input(self, text: str) -> None:
        """Text the next prompt starts with."""
        self._unsent = text

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
        if self._screen is not None:
            self.console.pop_theme()  # the one pushed when it was made or by the last switch
            self.console.push_theme(theme.rich_theme())
        if self._session is not None:
            self._session.style = theme.prompt_toolkit_style()
        for warning in warnings:
            self.warning(warning)

    # --- the loop ------------------------------------------------------------------------

    def _toolbar(self) -> list[tuple[str, str]]:
        from prompt_toolkit.application import get_app

        from claudechat.repl.toolbar import ToolbarState, toolbar_fragments

        settings = self.session.settings
        app = get_app()
        typed = app.current_buffer.text
        tokens, window, level = 0, self.context_window, ""
        # Until there is something to count, the meter is not even loaded: the prompt comes sooner.
        if self._context_meter is not None or typed or self.attachments or self.session.messages or settings.system:
            use = self.context_use(typed)
            tokens, level = use.tokens, use.level
        state = ToolbarState(
            model=self.model,
            server=self._toolbar_server(),
            role=settings.role,
            attachments=tuple(("!" if attachment.kind == "command" else "") + attachment.name for attachment in self.attachments),
            system=settings.system,
            n=settings.n,
            json=settings.json,
            editing=self.editing,
            rewinding=None if self.rewind_to is None else self.session.turns_before(self.rewind_to) + 1,
            tokens_used=self.session_tokens,
            context_tokens=tokens,
            context_window=window,
            context_level=level,
            send_key=self.settings.send_key,
        )
        return toolbar_fragments(state, app.output.get_size().columns)

    def _toolbar_server(self) -> str | None:
        """`host (profile)` while a profile is in use: which server the next message goes to."""
        if self.settings.profile is None:
            return None
        from claudechat.config import server_key

        return f"{server_key(self.settings.base_url)} ({self.settings.profile})"

    def _make_session(self) -> PromptSession[str]:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
        from prompt_toolkit.enums import EditingMode
        from prompt_toolkit.history import InMemoryHistory
        from prompt_toolkit.key_binding import merge_key_bindings

        from claudechat.repl.history import SharedFileHistory
        from claudechat.repl.output import prompt_output

        history: Any
        try:
            directory = data_dir()
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            history = SharedFileHistory(str(directory / "history"), on_error=self._history_failed)
        except OSError as exc:
            self.warning(f"input history is not saved: {exc}")
            history = InMemoryHistory()
        return PromptSession(
            message=[("class:prompt", "› ")],
            multiline=True,
            prompt_continuation=lambda width, line, wrap: [("class:continuation", "· ".rjust(width))],
            key_bindings=merge_key_bindings([prompt_key_bindings(self.settings.send_key), paste.paste_key_bindings(self)]),
            history=history,
            auto_suggest=AutoSuggestFromHistory(),
            completer=SlashCompleter(self, lambda: self.user_commands),
            complete_while_typing=True,
            enable_open_in_editor=True,
            editing_mode=EditingMode.VI if self.settings.editing_mode == "vi" else EditingMode.EMACS,
            bottom_toolbar=self._toolbar,
            style=self.theme.prompt_toolkit_style(),
            include_default_pygments_style=False,
            output=prompt_output(),
        )

    def _history_failed(self, error: OSError) -> None:
        # Called while prompt_toolkit still draws the accepted input: printed now, the warning
        # would be drawn over. It is shown once the prompt has returned.
        if self._history_problem is None:
            self._history_problem = f"input history is not being saved: {error.strerror or error}"

    def _banner(self) -> None:
        from urllib.parse import urlsplit

        from prompt_toolkit import print_formatted_text
        from prompt_toolkit.formatted_text import FormattedText

        from claudechat.repl.output import prompt_output

        host = one_line(urlsplit(self.settings.base_url).netloc, 80)
        parts = [f"claudechat {__version__}", one_line(self.model, 80)]
        if self.session.settings.role:
            parts.append(f"role {one_line(self.session.settings.role, 64)}")
        parts.append(host)
        if self.settings.profile:
            parts.append(f"profile {self.settings.profile}")
        parts.append("/help for commands")
        output = prompt_output()
        banner = _fitted(parts, output.get_size().columns)
        # prompt_toolkit draws it: rich is not loaded yet, and need not be for the prompt.
        print_formatted_text(FormattedText([("class:banner", banner)]), style=self.theme.prompt_toolkit_style(), output=output)
        if self.settings.debug:
            self._open_trace()
        if _may_have_user_commands():  # else nothing to read: the prompt comes sooner
            self._warn_about_user_commands(refresh=True)
        if self.session.messages:
            self.show_session(self._opened)
            if self._opened_at is not None:
                search_commands.show_hit_turn(self, self._opened_at, shown=True)

    def _open_trace(self) -> None:
        from claudechat.connect import open_exchange_log

        try:
            self._trace = open_exchange_log()
        except OSError as exc:
            self.warning(f"cannot write the debug log: {exc}")
            return
        self.notice(f"debug: the exchange with the server is written to {self._trace.path}")

    def show_session(self, note: str | None = None) -> None:
        """After opening a saved session: what it is, and its last exchanges as they were shown."""
        from claudechat.chat.conversation import attachment_labels
        from claudechat.render.exchange import saved_answer, user_message
        from claudechat.render.sessions import turns_text

        session = self.session
        if note:
            self.notice(note)
        shown = RESUME_SHOWS * 2
        earlier = max(0, len(session.messages) - shown) // 2
        title = one_line(session.title or "untitled", 80)
        summary = f"session {session.id} · {title} · {turns_text(session.turns)}"
        if earlier:
            summary += f" · {earlier} earlier not shown (/save writes them all)"
        compaction = session.compaction()
        if compaction is not None:
            covered = sum(1 for message in session.messages[: compaction.covers] if message.role == "user")
            summary += f" · {'turn 1 is' if covered == 1 else f'turns 1–{covered} are'} sent as a summary (/compact)"
        self.notice(summary)
        for message in session.messages[-shown:]:
            if message.role == "user":
                self.screen.print(user_message(message.text, attachment_labels(message.content)))
            else:
                code_theme = self.theme.code_theme
                self.screen.print(*saved_answer(message.text, interrupted=message.interrupted, code_theme=code_theme))

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
        session.app.after_render += self._after_first_render
        try:
            with raw_terminal():
                await self._loop(session)
        except asyncio.CancelledError:
            if self._signal is None:
                raise
        except OSError as exc:
            # The terminal went away (its window closed) before the SIGHUP arrived: end as
            # the signal would, saving first, with nowhere left to say anything.
            if exc.errno not in (errno.EIO, errno.EPIPE, errno.ENXIO):
                raise
            self._signal = signal.SIGHUP
        finally:
            if self._client is not None:
                await self._client.aclose()
            if self._server_models is not None:
                await self._server_models.aclose()
            if self._trace is not None:
                self._trace.close()
            with contextlib.suppress(OSError):  # saved even if the error cannot be shown
                self.save_session()
            self.keeper.close()
        return 0 if self._signal is None else 128 + self._signal

    def _after_first_render(self, application: Any) -> None:
        # Not earlier: importing in a thread competes with drawing the prompt for the GIL.
        application.after_render -= self._after_first_render
        threading.Thread(target=_warm_imports, daemon=True).start()

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
            except KeyboardInterrupt:  # Ctrl-C at the prompt clears the line (and ends an /edit)
                self._unsent = ""
                self.editing = False
                self.rewind_to = None
                continue
            except EOFError:  # Ctrl-D on an empty line
                break
            self._unsent = ""
            if self._history_problem is not None and not self._history_warned:
                self._history_warned = True
                self.warning(self._history_problem)
            self._warn_about_user_commands(refresh=text.lstrip().startswith("/"))
            if not text.strip():
                continue
            if text.lstrip().startswith(("/", "!")):
                try:
                    if text.lstrip().startswith("!"):  # !COMMAND runs it in the shell
                        await run_commands.shell_escape(self, text)
                    else:
                        await COMMANDS.dispatch(self, text.strip())
                except ClaudechatError as err:
                    self.error(str(err))
                continue
            await self.send(text)

    def _get_client(self) -> ChatClient:
        if self._client is None:
            from claudechat.connect import client_for

            self._client = client_for(self.settings, lambda notice: self.warning(str(notice)), trace=self._trace)
        return self._client

    async def send(self, text: str, *, model: str | None = None, typed: str | None = None) -> None:
        """Send a typed message (with what is attached and the paths it mentions as `@path`);
        after /edit it replaces the last exchange. `model` is for this request only; `typed` is
        what goes back in the input if it is not sent (a user's command: the command line)."""
        unsent = text if typed is None else typed
        pending = self.attachments
        attachments = await file_commands.attachments_for(self, text)
        if attachments is None:  # a mentioned path cannot be attached (it was said why): not sent
            self._unsent = unsent
            return
        content: Content = text
        if attachments:
            content = [{"type": "text", "text": text}] + [attachment.stored_part() for attachment in attachments]
        replace = self.editing and len(self.session.messages) >= 2
        branch_at = self.rewind_to if self.rewind_to is not None and self.rewind_to <= len(self.session.messages) else None
        if not replace and branch_at is None and not await context_commands.compact_if_due(self, text, attachments):
            self._unsent = " ".join(part for part in (unsent.rstrip(), self._unsent) if part)
            return
        self.attachments = []
        if attachments:
            from claudechat.render.exchange import attached_names

            self.screen.print(attached_names([attachment.label for attachment in attachments]))
        model = model or self.model
        if await self.ask(Message("user", content, model=model), replace_last=replace, model=model, branch_at=branch_at):
            self.editing = False
            self.rewind_to = None
        else:
            # Nothing is lost: the text goes back in the input line (before anything typed
            # while it was out), the attachments stay (its mentions are read again when resent).
            self.attachments = pending
            self._unsent = " ".join(part for part in (unsent.rstrip(), self._unsent) if part)

    async def retry(self) -> None:
        """Ask again for the last answer; it is replaced only if a new one comes."""
        if len(self.session.messages) < 2:
            raise CommandError("there is no answer to retry yet")
        user = self.session.messages[-2]
        await self.ask(Message("user", user.content, model=self.model, created=user.created), replace_last=True)

    async def ask(self, user: Message, *, replace_last: bool = False, model: str | None = None,
                  branch_at: int | None = None) -> bool:
        """One request and its answer on screen; True when the answer entered the session.
        `model` is for this request only (the session's model otherwise); with `branch_at` the
        exchange starts a new branch after that many messages (/rewind), the one in use kept."""
        from claudechat.api import ChatRequest
        from claudechat.render.answer import AnswerView

        settings = self.session.settings
        model = model or self.model
        request = ChatRequest(
            model=model,
            messages=self.session.request_messages(drop_last=self._dropped(replace_last, branch_at)) + [user.to_api()],
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            n=settings.n if settings.n > 1 else None,
            response_format="json_object" if settings.json else None,
        )
        try:
            request.validate()
            self._get_client()  # certificates that cannot be loaded: said before the answer starts
        except ClaudechatError as err:
            self.error(str(err))
            return False
        if settings.n > 1:
            self.notice(f"candidate 1 of {settings.n}")
        view = AnswerView(
            self.screen,
            model=model,
            reasoning_mode=self.reasoning_mode,
            code_theme=self.theme.code_theme,
            code_language="json" if settings.json else "shell" if runs_commands(settings.role) else None,
        )
        outcome, typed = await self.stream(request, view)
        kept = self._finish_turn(user, view, outcome, replace_last, model, branch_at)
        self._unsent += "".join(typed)  # typed while the answer streamed: it starts the next message
        if kept:
            await role_commands.after_answer(self)
        return kept

    async def stream(self, request: ChatRequest, view: Any) -> tuple[TurnOutcome, list[str]]:
        """Run `request` into `view` (an answer, a summary) until it ends or is stopped.

        Returns how it went and what was typed meanwhile. The server's count of the prompt
        calibrates the context meter.
        """
        from claudechat.turn import stream_answer

        task = self._turn_task = asyncio.create_task(stream_answer(self._get_client(), request, view))
        with self._stoppable(task, view.typed) as typed:
            outcome = await task
        self._turn_task = None
        usage = outcome.result.usage
        if usage is not None and usage.prompt_tokens:
            self.context_meter.observe(request.messages, usage.prompt_tokens)
        return outcome, typed

    @contextlib.contextmanager
    def _stoppable(self, task: asyncio.Task[Any], on_typed: Callable[[str], None]) -> Iterator[list[str]]:
        """While `task` runs, Ctrl-C and Esc (as keys, or SIGINT from elsewhere) cancel it."""
        from claudechat.signals import handled_by_loop

        with handled_by_loop("SIGINT", task.cancel), stream_stop_keys(task.cancel, on_typed) as typed:
            yield typed

    def _dropped(self, replace_last: bool, branch_at: int | None) -> int:
        """How many of the last messages the request leaves out: those the answer replaces."""
        if branch_at is not None:
            return len(self.session.messages) - branch_at
        return 2 if replace_last else 0

    def _finish_turn(self, user: Message, view: AnswerView, outcome: TurnOutcome, replace_last: bool, model: str,
                     branch_at: int | None = None) -> bool:
        from rich.text import Text

        from claudechat.render.answer import error_text, interrupted_text
        from claudechat.render.exchange import json_verdict, other_candidates
        from claudechat.turn import outcome_notes, outcome_status

        result = outcome.result
        self.session.record_result(result, model)
        if outcome.error is not None or (outcome.interrupted and not (result.content or result.refusal)):
            # Nothing usable came back: the history stays as it was.
            if outcome.error is not None:
                view.finish(error_text(str(outcome.error)))
            else:
                view.finish(Text("⏹ interrupted before the answer began", style="interrupted"))
            self.save_session()  # the tokens it cost, if any
            return False
        answer = answer_from_result(result, model, interrupted=outcome.interrupted)
        if branch_at is not None:
            self.session.branch_from(branch_at)
            self.session.add_turn(user, answer)
        elif replace_last:
            self.session.replace_turn(user, answer)
        else:
            self.session.add_turn(user, answer)
        after: list[Any] = []
        if outcome.interrupted:
            after.append(interrupted_text())
        after += outcome_notes(outcome, "/max-tokens N raises it")
        after.append(Text(outcome_status(outcome, model, self.settings.price_table()), style="status"))
        if self.session.settings.json:
            after.append(json_verdict(answer.text))
        contents = [candidate.content for candidate in answer.candidates]
        after += other_candidates(contents, code_theme=self.theme.code_theme)
        view.finish(*after)
        self.save_session()
        return True



def _may_have_user_commands() -> bool:
    from claudechat.folders import user_and_project_folders

    return any(folder.is_dir() for _, folder in user_and_project_folders("commands"))


def run_repl(settings: Settings, keeper: SessionKeeper, *, opened: str | None = None,
             base: Settings | None = None, hit: SearchHit | None = None) -> int:
    """The chat; `hit`, when the session was chosen for a turn that matched a search, shows that turn."""
    return asyncio.run(Repl(settings, keeper, opened=opened, base=base, hit=hit).run())
