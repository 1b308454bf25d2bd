"""The `claudechat config`, `claudechat auth` and `claudechat sessions` subcommands.

Each entry point takes the arguments after the subcommand word and returns an exit code.
Results (values, confirmations, paths) go to standard output; notes and warnings go to
standard error, prefixed "claudechat: note:" or "claudechat: warning:". Expected failures are
raised as ClaudechatError subclasses for the CLI to print. sys.stdout, sys.stderr and sys.stdin
are looked up at call time so that callers and tests can redirect them.

The token is never printed whole: only `redact`'s "…abcd" form appears, and argument errors of
`auth` are reworded so that a token mistakenly typed as an argument is not echoed back.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from claudechat import config
from claudechat.errors import ConfigError, UsageError
from claudechat.sanitize import json_line, one_line

if TYPE_CHECKING:
    import argparse

__all__ = ["auth_main", "completion_main", "config_main", "parsers", "roles_main", "run_auth_flow", "sessions_main"]

_NO_TOKEN = "no token given; nothing changed"
_TOKEN_ON_COMMAND_LINE = (
    "refusing to take the API token as an argument: it would show in `ps` and in your shell history"
)
_AUTH_HINT = "run `claudechat auth` to type it hidden, or pipe it: `claudechat auth < token-file`"
# Long enough for any valid token, short enough that piping a large file in is harmless.
_STDIN_TOKEN_LIMIT = 4 * config.MAX_TOKEN_LENGTH


def _out(text: str) -> None:
    print(text, file=sys.stdout)


def _note(text: str) -> None:
    print(f"claudechat: note: {text}", file=sys.stderr)


def _warn(text: str) -> None:
    print(f"claudechat: warning: {text}", file=sys.stderr)


def _parser(prog: str, description: str, *, scrub_errors: bool = False) -> argparse.ArgumentParser:
    """An ArgumentParser whose errors become a one-line UsageError instead of usage + exit."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            if scrub_errors:
                # The offending argument could be a token typed on the command line.
                message = "unexpected argument"
            # "claudechat config set: ..." loses its first word: the CLI prefixes "claudechat:".
            where = self.prog.removeprefix("claudechat ")
            raise UsageError(f"{where}: {message}", hint=f"see `{self.prog} --help`")

    return _Parser(prog=prog, description=description)


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | int:
    """Parse `argv`; an int is the exit code of --help (argparse exits after printing it)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0


def _format_value(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return one_line(value, 60) or "''"
    return str(value)


def _env_override(key: str) -> str | None:
    """The environment variable currently overriding `key`, if any."""
    variable = config.OPTIONS[key].env
    if variable and os.environ.get(variable, "").strip():
        return variable
    return None


# --- claudechat config ---------------------------------------------------------------------


def _config_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "claudechat config",
        "Show or change the settings in the config file. Without an action, `show`. "
        "A profile's keys are set as profiles.NAME.KEY (KEY one of "
        + ", ".join(config.PROFILE_KEYS)
        + "), e.g. `claudechat config set profiles.local.base_url http://localhost:8080/v1`; "
        "its token with `claudechat auth --profile NAME`.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="every setting, its effective value and where it comes from")
    show.add_argument("--output", choices=("text", "json"), default="text", help="output format (default: text)")
    show.add_argument("-p", "--profile", metavar="NAME", help="the settings with this profile in use")
    set_ = actions.add_parser("set", help="store a value in the config file (KEY or profiles.NAME.KEY)")
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("value", metavar="VALUE")
    unset = actions.add_parser("unset", help="remove a value from the config file (KEY or profiles.NAME.KEY)")
    unset.add_argument("key", metavar="KEY")
    actions.add_parser("path", help="print the config file's path")
    return parser


def _is_api_key(word: str) -> bool:
    return word.strip().replace("-", "_") == "api_key"


def _show(output: str, profile: str | None = None) -> int:
    import json

    loaded = config.load_config(profile=profile, strict_profile=profile is not None)
    for warning in loaded.warnings:
        _warn(warning)
    values = {name: getattr(loaded.settings, name) for name in config.OPTIONS}
    values["api_key"] = config.redact(values["api_key"]) if values["api_key"] else None
    servers = list(loaded.settings.token_servers)
    profiles = _profiles_shown(loaded)
    if output == "json":
        shown = {**values, "token_servers": servers, "profile": loaded.settings.profile, "profiles": profiles}
        _out(json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    state = "" if loaded.file_exists else " (does not exist)"
    _out(f"config file: {loaded.path}{state}")
    width = max(len(name) for name in config.OPTIONS)
    shown_values = {name: _format_value(value) for name, value in values.items()}
    value_width = max(len(text) for text in shown_values.values())
    for name, text in shown_values.items():
        source = loaded.sources[name]
        if source == "env":
            source = f"env {config.OPTIONS[name].env}"
        _out(f"{name:<{width}}  {text:<{value_width}}  {source}")
    if servers:
        _out(f"tokens are stored for: {', '.join(servers)} (each is sent only to its own server)")
    if profiles:
        _out(f"profiles (in use: {loaded.settings.profile or 'none'}):")
        for name, entry in profiles.items():
            _out("  " + _profile_row(name, entry, current=name == loaded.settings.profile))
    return 0


def _profiles_shown(loaded: config.LoadedConfig) -> dict[str, dict[str, Any]]:
    """Each profile of the file as `config show` prints it: its keys, its tokens redacted."""
    shown: dict[str, dict[str, Any]] = {}
    for name, profile in loaded.profiles.items():
        if profile.problem is not None:
            shown[one_line(name, 60)] = {"problem": profile.problem}
            continue
        entry: dict[str, Any] = dict(profile.values)
        if profile.tokens:
            entry["tokens"] = {server: config.redact(token) for server, token in profile.tokens.items()}
        shown[name] = entry
    return shown


def _profile_row(name: str, entry: dict[str, Any], *, current: bool) -> str:
    mark = "▸ " if current else ""
    if "problem" in entry:
        return f"{mark}{name}: left out ({one_line(entry['problem'], 200)})"
    parts = [f"{key} = {_format_value(value)}" for key, value in entry.items() if key != "tokens"]
    parts += [f"token for {server} {token}" for server, token in entry.get("tokens", {}).items()]
    return f"{mark}{name}: " + (", ".join(parts) if parts else "(empty)")


def _check_theme(name: str) -> None:
    """A theme that does not exist is refused now, not warned about at every start."""
    from claudechat.render.theme import available_themes

    themes = available_themes()
    if name.strip() not in themes and not any(theme.casefold() == name.strip().casefold() for theme in themes):
        raise ConfigError(f"no theme {one_line(name, 60)!r}; themes are {', '.join(themes)}",
                          hint="a file in the themes directory adds one (see the README)")


def _set_profile_key(key: str, raw: str) -> int:
    value = config.set_option(key, raw)
    name = key.strip()
    _out(f"unset {name}" if value is None else f"set {name} = {_format_value(value)}")
    return 0


def _check_default_profile(raw: str) -> None:
    """A default profile the file does not define is refused now, not at every start."""
    name = config.check_profile_name(raw) if raw.strip() else None
    if name is None:
        return
    profiles = config.load_config(strict_profile=False).profiles
    if name not in profiles:
        known = ", ".join(profiles) or "none yet"
        raise ConfigError(f"no profile {name!r} in the config file (profiles: {known}); nothing changed",
                          hint=f"set one of its keys first, e.g. `claudechat config set profiles.{name}.base_url URL`")


def _set(key: str, raw: str) -> int:
    if key.strip().startswith("profiles."):
        return _set_profile_key(key, raw)
    option = config.lookup_option(key)
    if option.name == "default_profile":
        _check_default_profile(raw)
    if option.name == "theme":
        _check_theme(raw)
    value = config.set_option(option.name, raw)
    if value is None:
        _out(f"unset {option.name}")
    else:
        _out(f"set {option.name} = {_format_value(value)}")
    variable = _env_override(option.name)
    if variable:
        _note(f"{variable} is set in the environment and takes precedence over the config file")
    return 0


def _unset(key: str) -> int:
    path = config.config_path()
    name = key.strip() if key.strip().startswith("profiles.") else key.strip().replace("-", "_")
    if config.unset_option(key, path):
        _out(f"unset {name}")
    else:
        _out(f"{name} was not set in {path}; nothing changed")
    return 0


def config_main(argv: list[str]) -> int:
    """`claudechat config [show [--output json] | set KEY VALUE | unset KEY | path]`.

    `show` prints every key with its effective value and its source (default, file, or env
    with the variable's name), the token redacted, after a first line naming the file.
    `set` and `unset` print a one-line confirmation; `path` prints only the file's path.
    Setting api_key is refused: use `claudechat auth`.
    """
    # Checked before parsing so that no parser message can echo a token given as an argument.
    if len(argv) >= 2 and argv[0] == "set" and _is_api_key(argv[1]):
        raise UsageError(_TOKEN_ON_COMMAND_LINE, hint=_AUTH_HINT)
    args = _parse(_config_parser(), argv)
    if isinstance(args, int):
        return args
    if args.action in (None, "show"):
        return _show(getattr(args, "output", "text"), getattr(args, "profile", None))
    if args.action == "path":
        _out(str(config.config_path()))
        return 0
    if args.action == "set":
        return _set(args.key, args.value)
    return _unset(args.key)


# --- claudechat auth -----------------------------------------------------------------------


def _saved(server: str, path: Path, token: str) -> str:
    return f"Token for {server} saved to {path} ({config.redact(token)})"


def _ask_hidden(prompt: str) -> str | None:
    """A line typed without echo; None when input ends (Ctrl-D). Ctrl-C propagates."""
    import getpass

    try:
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        # getpass leaves the cursor after the prompt; what is printed next needs its own line.
        print(file=sys.stderr)
        if sys.exc_info()[0] is KeyboardInterrupt:
            raise
        return None


def run_auth_flow(
    path: Path | None = None, *, server: str | None = None, prompt: str = "API token: ", profile: str | None = None
) -> str | None:
    """Ask for the token with hidden input on the terminal, save it for `server`, and return it.

    Prints "Token for <server> saved to <path> (…abcd)" on standard output. Returns None,
    changing nothing, when the answer is empty or input ends (Ctrl-D); an invalid token raises
    ConfigError. Ctrl-C propagates as KeyboardInterrupt.
    """
    server = server or config.server_key(config.DEFAULT_BASE_URL)
    answer = _ask_hidden(prompt)
    if answer is None or not answer.strip():
        return None
    token = config.check_token(answer)
    saved = config.save_token(token, path, server=server, profile=profile)
    _out(_saved(server if profile is None else f"{server} (profile {profile})", saved, token))
    return token


def _read_piped_token() -> str:
    stdin = sys.stdin
    if stdin is None:
        return ""
    try:
        return stdin.readline(_STDIN_TOKEN_LIMIT)
    except UnicodeDecodeError:
        raise ConfigError(
            "the token read from standard input is not valid text; nothing changed",
            hint="paste only the token itself",
        ) from None


def _auth_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "claudechat auth",
        "Store the API token in the config file. It is read with hidden input on a terminal, "
        "or from the first line of standard input when piped; never from the command line.",
        scrub_errors=True,
    )
    parser.add_argument("--remove", action="store_true", help="delete the stored token")
    parser.add_argument("--base-url", metavar="URL",
                        help="the server the token is for (default: the configured base URL); a token is only "
                             "ever sent to the server it was stored for")
    parser.add_argument("-p", "--profile", metavar="NAME",
                        help="store the token in the profile [profiles.NAME], for its server; it is sent only "
                             "when that profile is in use, and only to that server")
    return parser


def _auth_server(base_url: str | None, path: Path) -> str:
    """The server `auth` stores a token for: --base-url, else CLAUDECHAT_BASE_URL, else the file's."""
    if base_url is None:
        base_url = os.environ.get(config.ENV_BASE_URL, "").strip() or None
    if base_url is not None:
        return config.server_key(config.parse_option("base_url", base_url))
    try:
        raw = config.read_config_data(path).get("base_url")
        return config.server_key(config.parse_option("base_url", raw) if isinstance(raw, str) else config.DEFAULT_BASE_URL)
    except ConfigError:
        return config.server_key(config.DEFAULT_BASE_URL)


def _profile_server(profile: str, base_url: str | None) -> str:
    """The server profile `profile` talks to (as `--profile` would choose it): its token is for that one."""
    loaded = config.load_config(profile=profile, base_url=base_url)
    return config.server_key(loaded.settings.base_url)


def auth_main(argv: list[str]) -> int:
    """`claudechat auth [--remove]`: store (or delete) the API token.

    On a terminal the token is typed with hidden input; otherwise the first line of standard
    input is used. The confirmation ("Token saved to <path> (…abcd)", "Token removed from
    <path>") goes to standard output; the note that CLAUDECHAT_API_KEY takes precedence goes
    to standard error. The token is never printed, nor echoed in any error.
    """
    args = _parse(_auth_parser(), argv)
    if isinstance(args, int):
        return args
    path = config.config_path()
    profile = None if args.profile is None else config.check_profile_name(args.profile)
    server = _auth_server(args.base_url, path) if profile is None else _profile_server(profile, args.base_url)
    whose = server if profile is None else f"{server} (profile {profile})"
    if args.remove:
        if config.remove_token(path, server=server, profile=profile):
            _out(f"Token for {whose} removed from {path}")
        else:
            _out(f"No token stored for {whose} in {path}; nothing changed")
        if _env_override("api_key"):
            _note(f"{config.ENV_API_KEY} is still set in the environment and will be used")
        return 0

    stdin = sys.stdin
    if stdin is not None and stdin.isatty():
        if run_auth_flow(path, server=server, prompt=f"API token for {whose}: ", profile=profile) is None:
            raise ConfigError(_NO_TOKEN)
    else:
        piped = _read_piped_token()
        if not piped.strip():
            raise ConfigError(_NO_TOKEN, hint="pipe the token in, e.g. `claudechat auth < token-file`")
        token = config.check_token(piped)
        config.save_token(token, path, server=server, profile=profile)
        _out(_saved(whose, path, token))
    if _env_override("api_key"):
        _note(f"{config.ENV_API_KEY} is set in the environment and takes precedence over the saved token")
    return 0


def _sessions_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "claudechat sessions",
        "List saved chat sessions, the last used (opened or written) first. "
        "Resume one with `claudechat --resume ID` (the start of the id is enough), "
        "or the latest with `claudechat -c`. `claudechat sessions reindex` builds the search index "
        "(`claudechat search`) again from every session; `rm` and `prune` delete sessions.",
    )
    parser.add_argument("--all", action="store_true", help="every session, not only the 20 used last")
    parser.add_argument("--output", choices=("text", "json"), default="text", help="output format (default: text)")
    # Dispatched by `sessions_main` before this parser sees them; here for --help and completion.
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    for name, (summary, action) in _session_actions().items():
        actions.add_parser(name, help=summary, description=action.description, add_help=False, parents=[action])
    return parser


def _session_actions() -> dict[str, tuple[str, argparse.ArgumentParser]]:
    from claudechat.remove_command import prune_parser, rm_parser
    from claudechat.search_command import reindex_parser

    return {
        "reindex": ("build the search index again from every session", reindex_parser()),
        "rm": ("delete sessions by id (asks first)", rm_parser()),
        "prune": ("delete the sessions not used for a time (asks first)", prune_parser()),
    }


def sessions_main(argv: list[str]) -> int:
    """`claudechat sessions [--all] [--output json]`: the saved sessions, the last used first;
    `claudechat sessions reindex`: the search index built again; `rm` and `prune`: sessions deleted."""
    import shutil

    from claudechat.chat import SessionStore
    from claudechat.render.sessions import session_table

    if argv[:1] == ["reindex"]:
        from claudechat.search_command import reindex_main

        return reindex_main(argv[1:])
    if argv[:1] in (["rm"], ["prune"]):
        from claudechat.remove_command import prune_main, rm_main

        return (rm_main if argv[0] == "rm" else prune_main)(argv[1:])
    args = _parse(_sessions_parser(), argv)
    if isinstance(args, int):
        return args
    if args.action is not None:  # after an option: `sessions --all rm ID` must not just list
        raise UsageError(f"sessions: {args.action} comes right after `sessions`",
                         hint=f"e.g. `claudechat sessions {args.action} --help`")
    summaries = SessionStore().summaries(limit=None if args.all else 20)
    if args.output == "json":
        _out(json_line([summary.to_dict() for summary in summaries], ascii_only=sys.stdout.isatty()))
    elif summaries:
        # A terminal gets rows that fit it; a pipe gets them whole, for whatever reads them.
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        _out(session_table(summaries, width=width))
    else:
        _note("no saved sessions yet; each chat is saved after its first answer")
    return 0


# --- claudechat roles ----------------------------------------------------------------------


def _roles_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "claudechat roles",
        "List the roles: the built-in ones, the Markdown files in your roles folder and those in "
        "the project's .claudechat/roles/ (a file replaces a role of the same name; the project's "
        "wins). Use one with `claudechat -r NAME`, or `/role NAME` in the chat.",
    )
    parser.add_argument("--output", choices=("text", "json"), default="text", help="output format (default: text)")
    return parser


def _pad(text: str, width: int) -> str:
    from claudechat.textwidth import cell_width

    return text + " " * (width - cell_width(text))


def roles_main(argv: list[str]) -> int:
    """`claudechat roles [--output json]`: each role's name, description and where it comes from."""
    import shutil

    from claudechat.paths import short_path
    from claudechat.textwidth import cell_width, fit_words
    from claudechat.roles import BUILTIN, load_roles, roles_dir

    args = _parse(_roles_parser(), argv)
    if isinstance(args, int):
        return args
    roles, warnings = load_roles()
    for warning in warnings:
        _warn(one_line(warning, 2000))
    if args.output == "json":
        _out(json_line([role.to_dict() for role in roles.values()], ascii_only=sys.stdout.isatty()))
        return 0
    def source(role, width: int | None = None) -> str:  # type: ignore[no-untyped-def]
        if role.source == BUILTIN:
            return "built-in"
        scope = f" ({role.scope})"
        return short_path(role.source, None if width is None else width - len(scope)) + scope

    columns = shutil.get_terminal_size().columns - 1 if sys.stdout.isatty() else None
    names = list(roles)
    name_width = max(cell_width(name) for name in names)
    descriptions = [one_line(role.description, 200) or "-" for role in roles.values()]
    description_width = max(cell_width(text) for text in descriptions)
    sources = [source(role) for role in roles.values()]
    if columns is not None:
        # A terminal gets one row per role: descriptions give way first, then the middle of
        # long paths (their file names stay); names never.
        room = max(0, columns - name_width - 4)
        source_width = max(cell_width(text) for text in sources)
        description_width = min(description_width, max(room - source_width, room // 2, 10))
        sources = [source(role, max(12, room - description_width)) for role in roles.values()]
        descriptions = [fit_words(text, description_width) for text in descriptions]
    rows = list(zip(names, descriptions, sources))
    for name, description, where in rows:
        _out(f"{_pad(name, name_width)}  {_pad(description, description_width)}  {where}".rstrip())
    if not any(source != "built-in" for _, _, source in rows):
        _note(f"add your own as NAME.md in {roles_dir()}")
    return 0


# --- claudechat completion ------------------------------------------------------------------


def _completion_parser() -> argparse.ArgumentParser:
    from claudechat.shell_completion.script import SHELLS

    parser = _parser(
        "claudechat completion",
        "Print a completion script for your shell: subcommands, options and their values, model "
        "ids, session ids, roles, profiles and themes. See the README for where to put it.",
    )
    parser.add_argument("shell", metavar="SHELL", choices=SHELLS, help="one of " + ", ".join(SHELLS))
    return parser


def completion_main(argv: list[str]) -> int:
    """`claudechat completion bash|zsh|fish`: the completion script, on standard output.

    `claudechat completion --words KIND`, which the scripts call at Tab time, is not in the
    parser (nor in --help): the CLI answers it before loading this module.
    """
    if argv[:1] == ["--words"]:
        from claudechat.shell_completion.words import words_main

        return words_main(argv[1:])
    args = _parse(_completion_parser(), argv)
    if isinstance(args, int):
        return args
    from claudechat.shell_completion.script import completion_script

    sys.stdout.write(completion_script(args.shell))
    return 0


def _search_parser() -> argparse.ArgumentParser:
    from claudechat.search_command import search_parser

    return search_parser()


def parsers() -> dict[str, tuple[str, argparse.ArgumentParser]]:
    """Each subcommand's word, its one-line summary and its parser: what completion is made from."""
    from claudechat.export_command import export_parser
    from claudechat.usage_command import usage_parser

    return {
        "config": ("show or change the settings", _config_parser()),
        "auth": ("store the API token for a server", _auth_parser()),
        "sessions": ("list the saved chats", _sessions_parser()),
        "search": ("find saved chats by what was said in them", _search_parser()),
        "export": ("write a saved chat as Markdown, JSON or an HTML page", export_parser()),
        "roles": ("list the roles", _roles_parser()),
        "usage": ("tokens and cost of the saved chats", usage_parser()),
        "completion": ("print a shell completion script", _completion_parser()),
    }
