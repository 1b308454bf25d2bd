"""Command-line entry: subcommands, one-shot questions, exit codes.

Start-up time matters (`claudechat --version` is run by scripts and shell prompts), so this
module imports only the standard library at load time; httpx and the rest come in when a
request is actually made.
"""

from __future__ import annotations

import sys

from claudechat import __version__
from claudechat.errors import EXIT_INTERRUPTED, EXIT_OK, ClaudechatError, UsageError, error_line

# `typing` costs ~9 ms to import, so not even TYPE_CHECKING comes from it; type checkers
# treat this name as true, and annotations are strings at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NoReturn

__all__ = ["main"]

# What --resume without an id parses to: a value no id can be, so an id is never taken for it.
PICK = True

SUBCOMMANDS = ("config", "auth", "sessions", "search", "export", "roles", "usage", "completion")

DESCRIPTION = """\
Chat with Claude models (or any OpenAI-compatible server) from the terminal.

With no prompt on a terminal, starts the interactive chat. Give a prompt to get one answer;
pipe text in and it is sent along with the prompt. When standard output is not a terminal,
it carries exactly the answer text."""

# (what you type, what it does); laid out to the terminal's width when --help is printed.
EXAMPLES = (
    ("claudechat", "the interactive chat (/help inside)"),
    ('claudechat "explain a process and a thread"', "one answer"),
    ('git diff | claudechat "review this change"', "piped text and the prompt go in one message"),
    ('claudechat -m claude-opus-4-6 -t 0.2 "a haiku"', "another model, a lower temperature"),
    ('claudechat -i shot.png "what does this error mean?"', "with an image"),
    ('claudechat -f src/ -f notes.pdf "where is the bug?"', "with files, folders (.gitignore respected), PDFs"),
    ('claudechat --output json "three colours"', "one JSON object, for scripts"),
    ('claudechat -r shell "find files over 1 GB"', "a role: here one command line to run, edit or copy"),
    ('git diff | claudechat -r review --var lang=go', "a role of yours, its {{lang}} filled in"),
    ("claudechat -c", "continue the chat used last"),
    ("claudechat --resume 3fa2", "continue a saved chat by (the start of) its id"),
    ("claudechat --resume", "choose the chat to continue from a list; type to filter it"),
    ('claudechat -c "and in Rust?"', "one more answer in the last chat, saved into it"),
    ("claudechat -- config is a prompt", "a prompt that starts with a subcommand word"),
)
SUBCOMMANDS_HELP = (
    ("claudechat auth", "store the API token for a server (hidden input, or piped on stdin); --profile NAME for a profile"),
    ("claudechat config show", "the effective settings (token redacted)"),
    ("claudechat config set KEY V", "change a setting; `config unset KEY`, `config path`"),
    ("claudechat sessions", "the saved chats (--all, --output json; `reindex`, `rm ID`, `prune --older-than 90d`)"),
    ("claudechat search WORDS", "find saved chats by what was said in them"),
    ("claudechat export ID", "write a saved chat as Markdown, JSON or one HTML page (--format, -o FILE)"),
    ("claudechat roles", "the roles: built-in, and yours in ~/.config/claudechat/roles/ (--output json)"),
    ("claudechat usage", "tokens and cost of the saved chats per model (--since DATE, --output json)"),
    ("claudechat completion SHELL", "a completion script for bash, zsh or fish (see the README)"),
)
ENVIRONMENT_HELP = (
    ("CLAUDECHAT_API_KEY", "a token for this run, sent to whatever server is used"),
    ("CLAUDECHAT_BASE_URL", "the server; CLAUDECHAT_MODEL the model (both override the config file)"),
    ("CLAUDECHAT_PROFILE", "the profile to use, as --profile does"),
    ("CLAUDECHAT_DEBUG=1", "the same as --debug"),
)
EXIT_CODES_HELP = (
    ("0", "answered"),
    ("1", "API, network or incomplete-stream error"),
    ("2", "usage or configuration error: nothing was sent"),
    ("130", "interrupted"),
)


def _epilog(width: int) -> str:
    """The sections after the options, in two columns when they fit, else the text below."""
    import textwrap

    def section(title: str, rows: tuple[tuple[str, str], ...]) -> str:
        column = min(max(len(left) for left, _ in rows), max(12, width // 2))
        lines = [f"{title}:"]
        for left, right in rows:
            if len(left) <= column and 2 + column + 2 + len(right) <= width:
                lines.append(f"  {left.ljust(column)}  {right}")
                continue
            lines.append(f"  {left}")
            lines += textwrap.wrap(right, max(20, width - 6), initial_indent="      ", subsequent_indent="      ",
                                   break_long_words=False, break_on_hyphens=False)
        return "\n".join(lines)

    return "\n\n".join(
        section(title, rows)
        for title, rows in (("examples", EXAMPLES), ("subcommands", SUBCOMMANDS_HELP),
                            ("environment", ENVIRONMENT_HELP), ("exit codes", EXIT_CODES_HELP))
    )


def _build_parser():  # type: ignore[no-untyped-def]
    import argparse

    import shutil
    import textwrap

    class Parser(argparse.ArgumentParser):
        # One line, as for every other usage error, instead of argparse's usage block.
        def error(self, message: str) -> NoReturn:
            raise UsageError(message, hint="see claudechat --help")

    class Formatter(argparse.HelpFormatter):
        # Paragraphs are wrapped to the terminal's width one by one (argparse would run them
        # together); blocks already laid out (indented lines) are left as they are.
        def _fill_text(self, text: str, width: int, indent: str) -> str:
            return "\n\n".join(
                block if block.startswith("  ") or "\n  " in block
                else textwrap.fill(" ".join(block.split()), width, initial_indent=indent, subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False)
                for block in text.split("\n\n")
            )

    parser = Parser(
        prog="claudechat",
        description=DESCRIPTION,
        epilog=_epilog(shutil.get_terminal_size().columns - 2),  # the width argparse itself uses
        formatter_class=Formatter,
    )
    parser.add_argument("prompt", nargs="*", help="the question; joined with spaces")
    parser.add_argument("-V", "--version", action="version", version=f"claudechat {__version__}")
    parser.add_argument("-m", "--model", help="model id (default from config: claude-sonnet-4-6)")
    parser.add_argument("-s", "--system", help="system prompt")
    parser.add_argument("-r", "--role", metavar="NAME",
                        help="use a role: its system prompt and settings, under these flags (see `claudechat roles`)")
    parser.add_argument("--var", metavar="NAME=VALUE", action="append", default=[],
                        help="fill {{NAME}} in the role's text; repeatable")
    parser.add_argument("-t", "--temperature", metavar="X", help="sampling temperature, 0 to 2")
    parser.add_argument("--max-tokens", metavar="N", type=int, help="limit the answer to N tokens")
    parser.add_argument("-n", metavar="N", type=int, dest="n", help="number of candidate answers (1-128)")
    parser.add_argument(
        "--response-format", choices=("json", "text"), help="ask for a JSON object (json) or plain text"
    )
    parser.add_argument(
        "-i", "--image", metavar="PATH|URL", action="append", default=[],
        help="attach an image (PNG, JPEG, GIF, WebP, HEIC; big photos are scaled down) or an http(s) URL; repeatable",
    )
    parser.add_argument(
        "-f", "--file", metavar="PATH", action="append", default=[],
        help="attach a text file, PDF, image, folder or glob ('src/**/*.py'); repeatable",
    )
    parser.add_argument("--base-url", metavar="URL", help="API base URL (default https://api.acedata.cloud/v1)")
    parser.add_argument("-p", "--profile", metavar="NAME",
                        help="use the profile [profiles.NAME] of the config file (server, token, model)")
    parser.add_argument("--no-stream", action="store_true", help="use a non-streaming request")
    parser.add_argument("--timeout", metavar="SECONDS", help="idle read timeout (default 120)")
    parser.add_argument("--retries", metavar="N", help="retries on 429/502/503/504 and connect failures (default 2)")
    parser.add_argument("--output", choices=("text", "json"), default="text", help="text (default) or one JSON object")
    parser.add_argument("--reasoning", action="store_true", help="also show the model's reasoning (on stderr)")
    parser.add_argument("--theme", metavar="NAME", help="colour theme (see /theme in the chat)")
    parser.add_argument("-c", "--continue", dest="continue_last", action="store_true",
                        help="continue the chat session used last (opened or written)")
    parser.add_argument("--resume", metavar="ID", nargs="?", const=PICK,
                        help="continue the saved chat session ID (see `claudechat sessions`); "
                        "without ID, choose it from a list")
    parser.add_argument("--debug", action="store_true",
                        help="write the raw exchange with the server to a file for a bug report (token left out)")
    return parser


# What `claudechat` alone parses to: the commonest start, the chat, skips loading argparse.
NO_ARGUMENTS = {
    "prompt": [], "model": None, "system": None, "temperature": None, "max_tokens": None, "n": None,
    "response_format": None, "image": [], "file": [], "base_url": None, "profile": None, "no_stream": False, "timeout": None,
    "retries": None, "output": "text", "reasoning": False, "theme": None, "continue_last": False,
    "resume": None, "debug": False, "role": None, "var": [],
}


def _parse(args: list[str]):  # type: ignore[no-untyped-def]
    if not args:
        from types import SimpleNamespace

        return SimpleNamespace(**{key: list(value) if isinstance(value, list) else value
                                  for key, value in NO_ARGUMENTS.items()})
    return _build_parser().parse_intermixed_args(args)


def _print_error(err: ClaudechatError) -> None:
    print(error_line(err), file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        sys.stdout.write(f"claudechat {__version__}\n")
        return EXIT_OK
    try:
        return _dispatch(args)
    except ClaudechatError as err:
        _print_error(err)
        return err.exit_code
    except KeyboardInterrupt:
        print("claudechat: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK


def _silence_stdout() -> None:
    """A reader that went away (`| head -1`) is not an error; keep Python from complaining at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _dispatch(args: list[str]) -> int:
    if args[:2] == ["completion", "--words"]:
        # Run by the shell on a Tab: only what the list needs is imported, not the subcommands.
        from claudechat.shell_completion.words import words_main

        return words_main(args[2:])
    if args and args[0] in SUBCOMMANDS:
        from claudechat import subcommands

        if args[0] == "config":
            return subcommands.config_main(args[1:])
        if args[0] == "sessions":
            return subcommands.sessions_main(args[1:])
        if args[0] == "search":
            from claudechat.search_command import search_main

            return search_main(args[1:])
        if args[0] == "export":
            from claudechat.export_command import export_main

            return export_main(args[1:])
        if args[0] == "roles":
            return subcommands.roles_main(args[1:])
        if args[0] == "completion":
            return subcommands.completion_main(args[1:])
        if args[0] == "usage":
            from claudechat.usage_command import usage_main

            return usage_main(args[1:])
        return subcommands.auth_main(args[1:])

    options = _parse(args)
    chat = _starts_chat(options)
    if not chat:
        from claudechat.tls import preload_tls_context

        preload_tls_context()  # the request needs it ~100 ms of imports from now
    settings = None
    try:
        if options.resume is PICK:
            _check_pick(options, chat)
        role, variables = _role(options)
        settings, base = _load_settings(options, options.profile, role, variables)
        if chat:
            if role is not None and role.is_template:
                raise UsageError(f"role {role.name!r} is a template for one question ({{{{input}}}} in it)",
                                 hint=f'ask with claudechat -r {role.name} "..."')
            hit = None
            if options.resume is PICK:  # before the chat is even imported: the list comes first
                picked = _pick()
                if picked is None:  # Esc: nothing opened, nothing started
                    return EXIT_OK
                options.resume, hit = picked.session, picked.hit
            from claudechat.repl.app import run_repl
            from claudechat.first_run import ensure_token

            keeper, opened, settings, base = _open_session(options, settings, base, role, variables)
            try:
                return run_repl(ensure_token(settings), keeper, opened=opened, base=base, hit=hit)
            finally:
                keeper.close()
        import dataclasses

        from claudechat.oneshot import OneShotOptions, run_oneshot
        from claudechat.roles import answers_in_code, runs_commands

        continuing = None
        role_name = role.name if role is not None else None
        if options.continue_last or options.resume:
            continuing, settings = _continue_in_oneshot(options, settings, base, role, variables)
            settings = dataclasses.replace(settings, model=continuing.session.settings.model)
            role_name = continuing.session.settings.role
        oneshot = OneShotOptions(
            prompt=" ".join(options.prompt),
            system=settings.system,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            n=options.n,
            response_format={"json": "json_object", "text": "text"}.get(_response_format(options, role) or ""),
            images=list(options.image),
            files=list(options.file),
            stream=not options.no_stream,
            output=options.output,
            show_reasoning=options.reasoning,
            template=role.prompt if role is not None and role.is_template else None,
            variables=variables,
            offer_command=runs_commands(role_name),
            unfence=answers_in_code(role_name),
        )
        if continuing is None:
            return run_oneshot(settings, oneshot, read_stdin=_read_stdin)
        session = continuing.session.settings
        oneshot = dataclasses.replace(
            oneshot,
            temperature=session.temperature,
            max_tokens=session.max_tokens,
            n=options.n if options.n is not None else (session.n if session.n > 1 else None),
            response_format=oneshot.response_format or ("json_object" if session.json else None),
            history=continuing.session.request_messages(),
            on_answer=lambda content, result: _save_answer(continuing, content, result),
        )
        try:
            return run_oneshot(settings, oneshot, read_stdin=_read_stdin)
        finally:
            continuing.close()
    except ClaudechatError as err:
        if options.output == "json":
            from claudechat.oneshot import print_json_failure

            from claudechat.config import DEFAULT_MODEL

            model = settings.model if settings is not None else options.model or DEFAULT_MODEL
            print_json_failure(model, err)
        raise


def _check_pick(options, chat: bool) -> None:  # type: ignore[no-untyped-def]
    """--resume without an id: a list to choose from, which only the chat on a terminal has."""
    if options.continue_last:
        raise UsageError("give either -c or --resume, not both")
    hint = "give its id: `claudechat --resume ID`; `claudechat sessions` lists them"
    if chat:
        return
    if not all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout)):
        raise UsageError("--resume without an id needs a terminal to choose the session on", hint=hint)
    raise UsageError("--resume without an id chooses a session for the chat, not for one answer", hint=hint)


def _pick():  # type: ignore[no-untyped-def]
    """The session chosen in the picker, None when Esc left it (Ctrl-C: KeyboardInterrupt)."""
    import asyncio

    from claudechat.chat.store import sessions_dir
    from claudechat.repl.picker import pick_session

    # In the picker's own few styles: the theme's, made for prompt_toolkit, would cost it a
    # third of its start (rich's colours). The chat that follows wears the theme.
    return asyncio.run(pick_session(sessions_dir()))


def _role(options):  # type: ignore[no-untyped-def]
    """The role -r names (None without -r) and the --var values; warnings about its file on stderr."""
    variables: dict[str, str] = {}
    if options.var:
        from claudechat.roles import parse_variables

        variables = parse_variables(options.var)
    if not options.role:
        if variables:
            raise UsageError("--var fills the {{NAME}} placeholders of a role", hint="give the role with -r NAME")
        return None, variables
    from claudechat.roles import check_variables, find_role

    role = find_role(options.role)
    for warning in role.warnings:
        print(f"claudechat: warning: {warning}", file=sys.stderr)
    check_variables(role, variables)
    for name in variables:
        if name not in role.variables:
            print(f"claudechat: warning: role {role.name!r} has no {{{{{name}}}}}; --var {name} is not used",
                  file=sys.stderr)
    return role, variables


def _response_format(options, role):  # type: ignore[no-untyped-def]
    """json or text as --response-format says, else as the role says, else None."""
    if options.response_format:
        return options.response_format
    return role.response_format if role is not None else None


def _load_settings(options, profile=None, role=None, variables=None, *, warn=True):  # type: ignore[no-untyped-def]
    """The settings with the role (if any) under the flags, and the same without the role.

    Layers, later ones winning: defaults < config file < profile < environment < role < flags;
    `profile` (the flag's, or a continued session's) wins over the config's choice. The chat
    keeps the settings without the role, to go back to when the role is dropped (/role none).
    """
    import dataclasses
    import os

    from claudechat.config import load_settings_with_warnings, parse_option

    # The base URL first: the token sent is the one stored for its server, or none.
    settings, warnings = load_settings_with_warnings(os.environ, base_url=options.base_url, profile=profile)
    for warning in warnings if warn else ():
        print(f"claudechat: warning: {warning}", file=sys.stderr)
    overrides: dict[str, object] = {}
    if options.debug or os.environ.get("CLAUDECHAT_DEBUG", "").strip().lower() in ("1", "true", "yes", "on"):
        overrides["debug"] = True
    for key, raw in (
        ("model", options.model),
        ("timeout", options.timeout),
        ("retries", options.retries),
        ("temperature", options.temperature),
        ("theme", options.theme),
    ):
        if raw is not None:
            overrides[key] = parse_option(key, raw)
    if options.system is not None:
        overrides["system"] = options.system
    if options.max_tokens is not None:
        overrides["max_tokens"] = options.max_tokens
    layered: dict[str, object] = {}
    if role is not None:
        from claudechat.roles import fill

        layered = {key: value for key, value in role.settings().items() if key != "response_format"}
        # A template's text is the user message: the system prompt it replaces is none.
        layered["system"] = None if role.is_template else fill(role.prompt, variables or {}) or None
    return dataclasses.replace(settings, **{**layered, **overrides}), dataclasses.replace(settings, **overrides)


def _open_session(options, settings, base, role=None, variables=None):  # type: ignore[no-untyped-def]
    """The chat's session: a new one, or a saved one with the role and then the flags given on
    top of its settings.

    Returns the keeper, the note about the session opened, and the settings to use with and
    without the role: a saved session goes on with the profile it used last, unless --profile or
    --base-url says otherwise.
    """
    from claudechat.chat import SessionKeeper, SessionSettings, SessionStore

    keeper = SessionKeeper(
        SessionStore(),
        SessionSettings(
            model=settings.model,
            system=settings.system,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
            n=options.n or 1,
            json=_response_format(options, role) == "json",
            profile=settings.profile,
            role=role.name if role is not None else None,
        ),
    )
    if options.continue_last and options.resume:
        raise UsageError("give either -c or --resume, not both")
    if not (options.continue_last or options.resume):
        return keeper, None, settings, base
    note = keeper.continue_last() if options.continue_last else keeper.open(options.resume)
    saved = keeper.session.settings.profile
    if saved is not None and options.profile is None and options.base_url is None and saved != settings.profile:
        settings, base = _settings_of_saved_profile(options, settings, base, saved, role, variables)
    flags = {  # the parsed values of the flags given on this command line
        "model": settings.model if options.model is not None else None,
        "system": options.system,
        "temperature": settings.temperature if options.temperature is not None else None,
        "max_tokens": options.max_tokens,
        "n": options.n,
    }
    given = {key: value for key, value in flags.items() if value is not None}
    if options.response_format:
        given["json"] = options.response_format == "json"
    if (options.profile is not None or options.base_url is not None) and settings.profile != saved:
        given["profile"] = settings.profile  # None too: this run uses no profile, nor will -c
    if role is not None:
        from claudechat.roles import session_changes

        given = {**session_changes(role, variables or {}), **given}
    if given:
        keeper.session.change_settings(**given)
    return keeper, note, settings, base


def _settings_of_saved_profile(options, settings, base, profile, role, variables):  # type: ignore[no-untyped-def]
    """The settings (with and without the role) of the profile a continued session used last."""
    try:
        return _load_settings(options, profile, role, variables, warn=False)  # said once already
    except ClaudechatError as err:
        # The profile went from the config file since: the session goes on with what is there.
        print(f"claudechat: warning: the session's profile cannot be used: {err}", file=sys.stderr)
        return settings, base


def _continue_in_oneshot(options, settings, base, role=None, variables=None):  # type: ignore[no-untyped-def]
    """The saved session a one-shot question continues, and the settings it goes on with;
    the note about it goes to stderr."""
    keeper, note, settings, _ = _open_session(options, settings, base, role, variables)
    if note:
        print(f"claudechat: note: {note}", file=sys.stderr)
    return keeper, settings


def _save_answer(keeper, content, result) -> None:  # type: ignore[no-untyped-def]
    """A one-shot answer joins the session it continued, like a turn in the chat."""
    from claudechat.chat import Message
    from claudechat.chat.conversation import answer_from_result

    session = keeper.session
    model = session.settings.model
    session.record_result(result, model)
    answer = answer_from_result(result, model, interrupted=result.interrupted)
    session.add_turn(Message("user", content, model=model), answer)
    try:
        keeper.save()
    except ClaudechatError as err:
        _print_error(err)
    for warning in keeper.take_warnings():
        print(f"claudechat: warning: {warning}", file=sys.stderr)


def _starts_chat(options) -> bool:  # type: ignore[no-untyped-def]
    """No prompt, no piped input, a terminal on both ends: the interactive chat."""
    streams = (sys.stdin, sys.stdout)
    return (
        not options.prompt
        and not options.image
        and not options.file
        and options.output == "text"
        and all(stream is not None and stream.isatty() for stream in streams)
    )


def _read_stdin() -> str:
    """Text piped on standard input, or "" when stdin is a terminal or absent."""
    stream = sys.stdin
    if stream is None or stream.closed:
        return ""
    try:
        if stream.isatty():
            return ""
        data = stream.buffer.read()
    except (OSError, ValueError):
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(
            "standard input is not UTF-8 text", hint="pipe text only; attach images with -i"
        ) from None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
