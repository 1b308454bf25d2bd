"""The user's own slash-commands: Markdown files whose body is sent as a message.

`NAME.md` in the user's `commands/` config folder, or in `.claudechat/commands/` of the project
(the working directory or the nearest parent holding `.claudechat/`), is `/NAME [ARGS]`. Its
body, with `$ARGUMENTS` and `$1`..`$9` filled from what follows the name, goes out as if typed.
Front matter may set `description`, `model` (for that one request) and `role`; the file format
is Claude Code's, so its command files work as they are.

Each chat has its own `UserCommands`, a `CommandSource` the registry consults after the built-in
commands. The folders are looked at again whenever a command is completed or run (a stat of
each folder; the files only when one changed), so a file added while the chat runs just works.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claudechat.config.markdown_files import MarkdownFile, MarkdownFileError, markdown_files, read_markdown_file, valid_name
from claudechat.repl.commands import Command, CommandError
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.repl.interface import ChatApp

__all__ = [
    "UserCommand",
    "UserCommands",
    "apply_role",
    "expand",
    "parse_user_command",
    "read_user_command",
]

KIND = "commands"  # the folder's name, in the user's config directory and the project's .claudechat
_PLACEHOLDER = re.compile(r"\$(ARGUMENTS|[1-9])")
_KEYS = ("description", "model", "role", "argument_hint")
# Claude Code's keys that mean nothing here (there are no tools to allow): read without a word.
_IGNORED_KEYS = ("allowed_tools", "disable_model_invocation")
# A folder or file changed this recently may change again within its clock's granularity
# without its time changing (coarse clocks, network file systems): it is looked at again.
_RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class UserCommand:
    name: str
    path: Path
    body: str
    scope: str  # "user" or "project": where the file is
    description: str = ""
    model: str | None = None
    role: str | None = None
    argument_hint: str = ""

    @property
    def summary(self) -> str:
        """The description, or else the body's first line (as Claude Code shows it)."""
        if self.description:
            return one_line(self.description, 120)
        first = next((line.strip() for line in self.body.splitlines() if line.strip()), "")
        return one_line(first, 80) if first else "(empty)"

    @property
    def usage(self) -> str:
        if self.argument_hint:
            return f"/{self.name} {one_line(self.argument_hint, 60)}"
        return f"/{self.name} [ARGS]" if _PLACEHOLDER.search(self.body) else f"/{self.name}"


# --- one file ----------------------------------------------------------------------------------


def read_user_command(path: Path, scope: str) -> tuple[UserCommand, list[str]]:
    """The command in `path` and warnings about keys it ignores; MarkdownFileError if unusable."""
    return parse_user_command(read_markdown_file(path), scope)


def parse_user_command(file: MarkdownFile, scope: str) -> tuple[UserCommand, list[str]]:
    path, meta = file.path, file.meta
    warnings = []
    for key in meta:
        if key not in _KEYS and key not in _IGNORED_KEYS:
            known = ", ".join(key.replace("_", "-") for key in _KEYS)
            warnings.append(f"{_where(path, _key_line(file, key))}: ignoring the unknown key {key!r} (known: {known})")

    def text(key: str) -> str | None:
        value = meta.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise MarkdownFileError(path, f"{key.replace('_', '-')} must be text", line=_key_line(file, key))
        return value.strip()

    from claudechat.models import is_model_id

    model = text("model") or None
    if model is not None and not is_model_id(model):
        raise MarkdownFileError(path, f"model {one_line(model, 60)!r} is not a model id", line=_key_line(file, "model"))
    role = text("role") or None
    if role is not None and not valid_name(role):
        raise MarkdownFileError(path, f"role {one_line(role, 60)!r} is not a role name", line=_key_line(file, "role"))
    command = UserCommand(
        name=path.stem,
        path=path,
        body=file.body,
        scope=scope,
        description=text("description") or "",
        model=model,
        role=role,
        argument_hint=text("argument_hint") or "",
    )
    return command, warnings


def _key_line(file: MarkdownFile, key: str) -> int | None:
    """The line of the front matter that sets `key`, for pointing at it (None if not found)."""
    try:
        lines = file.path.read_text("utf-8-sig", errors="replace").splitlines()[1 : file.body_line - 2]
    except OSError:
        return None
    spelled = re.compile(rf"\s*[\"']?{re.escape(key).replace('_', '[_-]')}[\"']?\s*[:=]")
    return next((number for number, line in enumerate(lines, 2) if spelled.match(line)), None)


def _where(path: Path, line: int | None) -> str:
    from claudechat.paths import short_path

    return short_path(path) + (f":{line}" if line is not None else "")


# --- the arguments --------------------------------------------------------------------------------


def expand(name: str, body: str, argument: str) -> str:
    """`body` with `$ARGUMENTS` as `argument` and `$1`..`$9` as its shell-like words (missing: empty).

    Filled in one pass, so an argument holding `$1` stays as it is. A body with no placeholder
    gets the arguments appended on a line `ARGUMENTS: ...`, as Claude Code does: never dropped.
    """
    words: list[str] | None = None

    def fill(match: re.Match[str]) -> str:
        nonlocal words
        if match.group(1) == "ARGUMENTS":
            return argument
        if words is None:
            words = _words(name, argument)
        index = int(match.group(1)) - 1
        return words[index] if index < len(words) else ""

    text, count = _PLACEHOLDER.subn(fill, body)
    if not count and argument:
        text = f"{text.rstrip()}\n\nARGUMENTS: {argument}" if text.strip() else argument
    return text.strip()


def _words(name: str, argument: str) -> list[str]:
    import shlex

    try:
        return shlex.split(argument)
    except ValueError as err:
        raise CommandError(
            f"cannot split the arguments of /{name} into words: {str(err).lower()}",
            hint="""quote a word holding an apostrophe in double quotes: "it's\"""",
        ) from None


def apply_role(app: ChatApp, role: str) -> None:
    """Take on `role` before the command's message is sent, as `/role NAME` does (it stays
    until `/role none`); a role that cannot be taken on stops the command: nothing is sent."""
    from claudechat.repl.role_commands import take_on_role

    take_on_role(app, role)


def command_for(command: UserCommand) -> Command:
    """The registry's form of `command`: running it sends the filled body as the user's message."""

    async def run(app: ChatApp, argument: str) -> None:
        text = expand(command.name, command.body, argument)
        if not text:
            raise CommandError(f"/{command.name} has nothing to send", hint=f"write a prompt in {_where(command.path, None)}")
        if command.role is not None:
            apply_role(app, command.role)
        typed = f"/{command.name} {argument}" if argument else f"/{command.name}"
        await app.send(text, model=command.model, typed=typed)

    details = [f"from {_where(command.path, None)} ({command.scope})"]
    if command.model:
        details.append(f"model: {one_line(command.model, 80)} (for its request only)")
    if command.role:
        details.append(f"role: {command.role}")
    return Command(
        command.name,
        command.summary,
        command.usage,
        run,
        details="\n".join(details),
        source=command.path,
        scope=command.scope,
    )


# --- the folders ---------------------------------------------------------------------------------


@dataclass
class _Cached:
    stamp: tuple[int, int, int]
    command: Command | None
    problems: list[str]


class UserCommands:
    """The user's commands of one chat, kept up to date with their folders."""

    def __init__(
        self,
        is_builtin: Callable[[str], bool],
        *,
        user_dir: Path | None = None,
        start: Path | None = None,
    ) -> None:
        self._is_builtin = is_builtin
        self._user_dir = user_dir
        self._start = start
        self._stamp: tuple[Any, ...] | None = None
        self._racy = False
        self._files: dict[Path, _Cached] = {}
        self._commands: dict[str, Command] = {}
        self._shown: set[str] = set()  # problems already warned about, while they last
        self._pending: list[str] = []

    def find(self, name: str) -> Command | None:
        """The command `name`, its file read again if it changed (it is about to run)."""
        self.refresh(deep=True)
        return self._commands.get(name)

    def __iter__(self) -> Iterator[Command]:
        self.refresh()
        return iter(sorted(self._commands.values(), key=lambda command: command.name))

    def take_warnings(self) -> list[str]:
        """Problems found since the last call, each once (a file's while it stays broken)."""
        pending, self._pending = self._pending, []
        return pending

    def refresh(self, *, deep: bool = False) -> None:
        """Look at the folders again: a stat of each, and if one changed (or `deep`, when a file
        may have been edited in place) a stat of each file; only a changed file is read."""
        directories = self._directories()
        stamp = tuple((scope, directory, _stat(directory)) for scope, directory in directories)
        if stamp == self._stamp and not self._racy and not deep:
            return
        now = time.time_ns()
        self._stamp, self._racy = stamp, False
        commands: dict[str, Command] = {}
        problems: list[str] = []
        files: dict[Path, _Cached] = {}
        for scope, directory, modified in stamp:  # the user's first: the project's replace them
            self._racy |= modified is not None and modified[0] >= now - _RACY_NS
            for name, path in markdown_files(directory):
                cached = files[path] = self._read(path, scope, now)
                problems += cached.problems
                if cached.command is not None:
                    commands[name] = cached.command
        self._files, self._commands = files, commands
        self._pending += [problem for problem in problems if problem not in self._shown]
        self._shown = set(problems)

    def _directories(self) -> list[tuple[str, Path]]:
        from claudechat.folders import user_and_project_folders

        return user_and_project_folders(KIND, user_dir=self._user_dir, start=self._start)

    def _read(self, path: Path, scope: str, now: int) -> _Cached:
        try:
            status = path.stat()
            stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
        except OSError:
            stamp = (0, 0, 0)
        cached = self._files.get(path)
        if cached is not None and cached.stamp == stamp and stamp[0] < now - _RACY_NS:
            return cached
        try:
            command, problems = read_user_command(path, scope)
        except MarkdownFileError as err:
            return _Cached(stamp, None, [f"{_where(err.path, err.line)}: {_reason(err)}; /{path.stem} is not available"])
        if self._is_builtin(command.name):
            problem = f"{_where(path, None)}: /{command.name} is a built-in command; this file is not used (rename it)"
            return _Cached(stamp, None, [problem])
        return _Cached(stamp, command_for(command), problems)


def _stat(directory: Path) -> tuple[int, int] | None:
    try:
        status = directory.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_ino


def _reason(err: MarkdownFileError) -> str:
    where = f"{err.path}:{err.line}" if err.line is not None else str(err.path)
    return err.message.removeprefix(f"{where}: ")
