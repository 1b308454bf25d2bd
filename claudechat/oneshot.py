"""One question, one answer: the mode scripts rely on.

Contract: when stdout is not a terminal it carries exactly the answer text, newline-terminated,
and nothing else; diagnostics go to stderr. `--output json` prints one object, also on failure.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from contextlib import aclosing
from dataclasses import dataclass, field
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from claudechat.config import Settings
from claudechat.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ClaudechatError,
    ConfigError,
    UsageError,
    error_line,
)
from claudechat.sanitize import json_line, one_line, sanitize
from claudechat.first_run import ensure_token

if TYPE_CHECKING:
    from claudechat.api import ChatResult

__all__ = ["OneShotOptions", "run_oneshot", "print_json_failure", "build_user_content"]

T = TypeVar("T")



@dataclass
class OneShotOptions:
    prompt: str = ""
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    n: int | None = None
    response_format: str | None = None
    images: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # paths, folders, globs (-f)
    stream: bool = True
    output: str = "text"
    show_reasoning: bool = False
    # Continuing a saved session: the messages before this one (system prompt included), and
    # what to do with the answer (save it) once it came, complete or interrupted.
    history: list[dict[str, Any]] | None = None
    on_answer: Callable[[Any, ChatResult], None] | None = None
    # A role's template (its text holds {{input}}): filled with the prompt and the variables, it
    # is the user message.
    template: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    # The answer is a command line: on a terminal, offered to run, edit or copy (the shell role).
    offer_command: bool = False
    # Piped, the answer is printed without a code fence around it (the shell and code roles).
    unfence: bool = False


def build_user_content(text: str, image_parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """The user message's content: the text, then the attached parts (files, images)."""
    if not image_parts:
        return text
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    return parts + image_parts


def _file_parts(settings: Settings, specs: list[str]) -> list[dict[str, Any]]:
    """What -f attaches, as the session keeps it: every file read, or one line why not and nothing sent."""
    if not specs:
        return []
    from claudechat.attach import Budget, plan

    found = plan(specs)
    found.refuse_crowded()  # the chat asks; here there is no one to ask
    budget = Budget.for_model(settings.model, share=settings.attach_max_share, configured_window=settings.context_window)
    gathered = found.read(budget=budget)
    for warning in gathered.warnings:
        print(f"claudechat: warning: {one_line(warning, 2000)}", file=sys.stderr)
    for note in gathered.notes:
        print(f"claudechat: note: {one_line(note, 2000)}", file=sys.stderr)
    return [attachment.stored_part() for attachment in gathered.attachments]


def _error_dict(err: ClaudechatError) -> dict[str, Any]:
    from claudechat.api.errors import APIError

    if isinstance(err, APIError):
        return err.to_dict()
    code = "config_error" if isinstance(err, ConfigError) else "usage_error"
    return {"status": None, "code": code, "message": str(err), "trace_id": None}


def _write_json(obj: dict[str, Any], out: TextIO) -> None:
    # Controls are escaped wherever it goes; on a terminal, everything non-ASCII as well.
    out.write(json_line(obj, ascii_only=out.isatty()) + "\n")
    out.flush()


def print_json_failure(model: str, err: ClaudechatError) -> None:
    """The `--output json` object for a failure before anything was sent."""
    _write_json(
        {
            "model": model,
            "content": "",
            "reasoning": "",
            "refusal": "",
            "finish_reason": None,
            "usage": None,
            "choices": [],
            "error": _error_dict(err),
            "incomplete": False,
            "interrupted": False,
        },
        sys.stdout,
    )


class _TextOutput:
    """Writes the answer as it streams.

    With several choices one is written live and the others are buffered until it finishes,
    so each appears whole under its own header while the first still streams.
    """

    def __init__(self, out: TextIO, err: TextIO, *, choices: int, show_reasoning: bool) -> None:
        self.out = out
        self.err = err
        self.choices = choices
        self.show_reasoning = show_reasoning
        self._clean_out = out.isatty()
        self._clean_err = err.isatty()
        self._dim = self._clean_err and "NO_COLOR" not in os.environ
        self._live = 0
        self._pending: dict[int, list[tuple[str, str]]] = {}
        self._finished: set[int] = set()
        self._open = False
        self._wrote_content = False
        self._content_at_line_start = True
        self._reasoning_at_line_start = True

    def content(self, index: int, text: str) -> None:
        self._route(index, "content", text)

    def reasoning(self, index: int, text: str) -> None:
        if self.show_reasoning:
            self._route(index, "reasoning", text)

    def finished(self, index: int) -> None:
        self._finished.add(index)
        while self._live in self._finished and self._live + 1 < self.choices:
            self._advance()

    def close(self, *, answered: bool) -> None:
        """Write what is still buffered and end the output with a newline.

        A request that failed before any text arrived leaves stdout empty, so a script sees
        no answer rather than an empty line.
        """
        if not answered and not self._open and not self._pending:
            self._end_reasoning_line()
            return
        while self._live + 1 < self.choices:
            self._advance()
        self._end_live()

    def _advance(self) -> None:
        self._end_live()
        self._live += 1
        for kind, text in self._pending.pop(self._live, ()):
            self._write(kind, text)

    def _route(self, index: int, kind: str, text: str) -> None:
        if index == self._live:
            self._write(kind, text)
        else:
            self._pending.setdefault(index, []).append((kind, text))

    def _begin_live(self) -> None:
        if not self._open:
            self._open = True
            if self.choices > 1:
                self.out.write(f"--- choice {self._live + 1} of {self.choices} ---\n")

    def _end_reasoning_line(self) -> None:
        if not self._reasoning_at_line_start:
            self.err.write("\n")
            self.err.flush()
            self._reasoning_at_line_start = True

    def _end_live(self) -> None:
        self._begin_live()
        self._end_reasoning_line()
        if not self._wrote_content or not self._content_at_line_start:
            self.out.write("\n")
        self.out.flush()
        self._open = False
        self._wrote_content = False
        self._content_at_line_start = True

    def _write(self, kind: str, text: str) -> None:
        if not text:
            return
        self._begin_live()
        if kind == "content":
            self._end_reasoning_line()
            self.out.write(sanitize(text) if self._clean_out else text)
            self.out.flush()
            self._wrote_content = True
            self._content_at_line_start = text.endswith("\n")
        else:
            shown = sanitize(text) if self._clean_err else text
            self.err.write(f"\x1b[2m{shown}\x1b[22m" if self._dim else shown)
            self.err.flush()
            self._reasoning_at_line_start = text.endswith("\n")


def run_oneshot(settings: Settings, options: OneShotOptions, *, read_stdin: Any) -> int:
    """Ask once and print the answer; returns the exit code."""
    settings = ensure_token(settings)
    piped = read_stdin()
    text = "\n\n".join(part for part in (piped.rstrip("\n"), options.prompt) if part.strip())
    if not text and not options.images and not options.files:
        raise UsageError("no prompt given", hint="pass a prompt or pipe text in; see claudechat --help")
    if options.template is not None:
        from claudechat.roles import INPUT, fill

        text = fill(options.template, {**options.variables, INPUT: text})

    from claudechat.api import ChatRequest
    from claudechat.chat.conversation import Message

    reasoning_warned = False
    if options.show_reasoning:
        from claudechat.models import reasoning_warning

        warning = reasoning_warning(settings.model)
        if warning:
            print(f"claudechat: warning: {one_line(warning, 300)}", file=sys.stderr)
            reasoning_warned = True
    images = []
    if options.images:
        from claudechat.chat.attachments import load_image

        images = [load_image(spec) for spec in options.images]
    for image in images:
        if image.note:  # scaled down to fit: said, not hidden
            print(f"claudechat: {one_line(image.note, 500)}", file=sys.stderr)
    attached = _file_parts(settings, options.files) + [image.stored_part() for image in images]
    if any(part.get("type") == "image_url" for part in attached):
        from claudechat.models import image_warning

        warning = image_warning(settings.model)
        if warning:
            print(f"claudechat: warning: {one_line(warning, 300)}", file=sys.stderr)
    messages: list[dict[str, Any]] = []
    if options.history is not None:
        messages += options.history
    elif options.system:
        messages.append({"role": "system", "content": options.system})
    user_content = build_user_content(text, attached)  # as the session keeps it (-c, --resume)
    messages.append(Message("user", user_content).to_api())
    request = ChatRequest(
        model=settings.model,
        messages=messages,
        stream=options.stream,
        temperature=options.temperature if options.temperature is not None else settings.temperature,
        max_tokens=options.max_tokens,
        n=options.n,
        response_format=options.response_format,
    )
    request.validate()
    trace = _open_trace() if settings.debug else None
    try:
        if options.output == "text" and (request.n or 1) == 1 and sys.stdout.isatty():
            code, result = asyncio.run(_ask_on_terminal(settings, request, options, trace))
            if options.offer_command and code == EXIT_OK and sys.stdin is not None and sys.stdin.isatty():
                code = _offer_command(settings, result.content)
        else:
            code, result = asyncio.run(_ask(settings, request, options, trace))
    finally:
        if trace is not None:
            trace.close()
    if options.show_reasoning and code == EXIT_OK and not result.reasoning and not reasoning_warned:
        print(f"claudechat: note: {one_line(result.model or settings.model, 120)} sent no reasoning with this answer",
              file=sys.stderr)
    if options.on_answer is not None and (result.content or result.refusal) and code in (EXIT_OK, EXIT_INTERRUPTED):
        options.on_answer(user_content, result)
    return code


def _offer_command(settings: Settings, answer: str) -> int:
    """`[r]un [e]dit [c]opy [q]uit` under a shell role's answer; the exit code (a run's is the command's)."""
    from claudechat.render.theme import load_theme
    from claudechat.repl.command_actions import copy_on_terminal, offer_on_terminal, run_on_terminal
    from claudechat.roles import extract_command

    command = extract_command(answer)
    if not command:
        return EXIT_OK
    theme, _ = load_theme(settings.theme)  # its warnings were given when the answer was drawn
    choice, command = asyncio.run(offer_on_terminal(command, theme.prompt_toolkit_style()))
    if choice == "r":
        return run_on_terminal(command)
    if choice == "c":
        copy_on_terminal(command)
    return EXIT_OK


def _open_trace() -> Any:
    from claudechat.connect import open_exchange_log

    try:
        trace = open_exchange_log()
    except OSError as exc:
        print(f"claudechat: warning: cannot write the debug log: {one_line(str(exc))}", file=sys.stderr)
        return None
    print(f"claudechat: debug: the exchange is written to {trace.path}", file=sys.stderr, flush=True)
    return trace


def _retry_notice(notice: Any) -> None:
    print(
        f"claudechat: {one_line(str(notice))}",
        file=sys.stderr,
        flush=True,
    )


async def _ask_on_terminal(
    settings: Settings, request: Any, options: OneShotOptions, trace: Any = None
) -> tuple[int, ChatResult]:
    """On a terminal the answer is drawn as the chat draws it: live Markdown, reasoning panel."""
    from rich.console import Console
    from rich.text import Text

    from claudechat.connect import client_for
    from claudechat.render.answer import AnswerView, error_text, interrupted_text
    from claudechat.render.screen import Screen
    from claudechat.render.theme import load_theme
    from claudechat.turn import outcome_notes, outcome_status, stream_answer

    theme, warnings = load_theme(settings.theme)
    for warning in warnings:
        print(f"claudechat: warning: {warning}", file=sys.stderr)
    screen = Screen(Console(theme=theme.rich_theme(), highlight=False))
    view = AnswerView(
        screen,
        model=request.model,
        reasoning_mode="expanded" if options.show_reasoning else settings.reasoning,
        code_theme=theme.code_theme,
        stop_hint="Ctrl-C stops",
        # A command is drawn as it will run (Markdown would take `*.py` for emphasis).
        code_language="shell" if options.offer_command else None,
    )
    async with client_for(settings, _retry_notice, trace=trace) as client:
        outcome = await _stoppable(stream_answer(client, request, view))
    if outcome.interrupted:
        view.finish(interrupted_text(kept=options.on_answer is not None and bool(outcome.result.content)))
        return EXIT_INTERRUPTED, outcome.result
    if outcome.error is not None:
        view.finish(error_text(str(outcome.error)))
        return EXIT_FAILURE, outcome.result
    view.finish(*outcome_notes(outcome, "--max-tokens N raises it"), Text(outcome_status(outcome, request.model), style="status"))
    return EXIT_OK, outcome.result


async def _stoppable(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` with Ctrl-C (SIGINT) cancelling it, through the loop's own signal handling:
    the handler asyncio.run installs may not run before a stalled stream's read timeout."""
    from claudechat.signals import handled_by_loop

    task = asyncio.ensure_future(work)
    with handled_by_loop("SIGINT", task.cancel):
        return await task


async def _ask(settings: Settings, request: Any, options: OneShotOptions, trace: Any = None) -> tuple[int, ChatResult]:
    from claudechat.api import (
        APIError,
        ContentDelta,
        FinishReason,
        ReasoningDelta,
        RefusalDelta,
        ResultBuilder,
    )
    from claudechat.connect import client_for

    as_json = options.output == "json"
    # The command or code alone, for `$(...)` or a file: the answer is held back, its fence taken off.
    unfenced = options.unfence and not as_json and (request.n or 1) == 1
    held = io.StringIO() if unfenced else None
    text_out = None if as_json else _TextOutput(
        held or sys.stdout, sys.stderr, choices=request.n or 1, show_reasoning=options.show_reasoning
    )
    builder = ResultBuilder()
    error: APIError | None = None
    interrupted = False
    client = client_for(settings, _retry_notice, trace=trace)

    async def pump() -> None:
        async with aclosing(client.stream(request)) as events:
            async for event in events:
                builder.add(event)
                if text_out is None:
                    continue
                kind = type(event)
                if kind is ContentDelta or kind is RefusalDelta:
                    text_out.content(event.index, event.text)
                elif kind is ReasoningDelta:
                    text_out.reasoning(event.index, event.text)
                elif kind is FinishReason:
                    text_out.finished(event.index)

    try:
        await _stoppable(pump())
    except asyncio.CancelledError:
        interrupted = True
    except APIError as exc:
        error = exc
    finally:
        await client.aclose()

    result = builder.result(error=error, interrupted=interrupted)
    if as_json:
        _write_json(
            {
                "model": result.model or request.model,
                "content": result.content,
                "reasoning": result.reasoning,
                "refusal": result.refusal,
                "finish_reason": result.finish_reason,
                "usage": result.usage.to_dict() if result.usage else None,
                "choices": [choice.to_dict() for choice in result.choices],
                "error": error.to_dict() if error else None,
                "incomplete": result.incomplete,
                "interrupted": interrupted,
            },
            sys.stdout,
        )
    elif text_out is not None:
        text_out.close(answered=error is None and not interrupted)
        if held is not None and (result.content or result.refusal):
            from claudechat.roles import extract_command

            sys.stdout.write(extract_command(result.content or result.refusal) + "\n")
            sys.stdout.flush()
    if interrupted:
        kept = options.on_answer is not None and bool(result.content)
        what = "the partial answer is saved in the session" if kept else "what arrived was printed"
        print(f"claudechat: interrupted; {what}", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED, result
    if error is not None:
        print(error_line(error), file=sys.stderr, flush=True)
        return EXIT_FAILURE, result
    if not as_json:
        _ending_notes(result)
    return EXIT_OK, result


def _ending_notes(result: ChatResult) -> None:
    """On stderr, what the answer on stdout does not say: refused, or cut off."""
    if result.refusal:
        print("claudechat: note: the model refused; its refusal is the answer", file=sys.stderr)
    if result.finish_reason == "length":
        print(
            "claudechat: warning: the answer was cut off at the max_tokens limit (--max-tokens N raises it)",
            file=sys.stderr,
        )
