"""Roles: a named system prompt with the request settings that go with it.

A role is `NAME.md` in the user's roles folder (`config_dir()/roles`) or the project's
(`.claudechat/roles/` of the working directory or the nearest parent with one; it wins over the
user's): optional front matter (`model`, `temperature`, `max_tokens`, `reasoning`,
`response_format`, `description`) and the system prompt as its body. Three roles are built in
(`shell`, `code`, `explain`); a file of the same name replaces one.

A body may hold placeholders: `{{input}}` makes the role a template whose filled-in body is the
user message (one-shot: the prompt and piped text), and `{{NAME}}` is filled by `--var NAME=VALUE`.

A file that cannot be used is one warning naming it (and the line, where there is one); a
front-matter key that is unknown or has a bad value is one warning too, and the rest of the
role still works.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claudechat.config.markdown_files import MarkdownFile, MarkdownFileError, markdown_files, read_markdown_file, valid_name
from claudechat.errors import UsageError
from claudechat.sanitize import one_line

__all__ = [
    "BUILTIN",
    "INPUT",
    "NONE_WORDS",
    "ROLE_KEYS",
    "Role",
    "answers_in_code",
    "builtin_roles",
    "check_role_name",
    "check_variables",
    "extract_command",
    "fill",
    "find_role",
    "load_roles",
    "missing_variables",
    "parse_variables",
    "placeholders",
    "role_from_file",
    "role_folders",
    "roles_dir",
    "runs_commands",
    "session_changes",
]

BUILTIN = "built-in"
INPUT = "input"  # the placeholder the user's text goes in
NONE_WORDS = ("none",)  # `/role none`: no role
ROLE_KEYS = ("model", "temperature", "max_tokens", "reasoning", "response_format", "description")
RESPONSE_FORMATS = ("json", "text")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Role:
    name: str
    prompt: str  # the body: the system prompt, or a template holding {{input}}
    description: str = ""
    source: str = BUILTIN  # BUILTIN, or the path of the file it comes from
    scope: str = BUILTIN  # BUILTIN, or where the file is: "user" or "project"
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    reasoning: str | None = None  # how reasoning is shown: collapsed, expanded, hidden
    response_format: str | None = None  # "json" or "text"
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_template(self) -> bool:
        """The body is the user message, with the user's text where `{{input}}` is."""
        return INPUT in placeholders(self.prompt)

    @property
    def variables(self) -> list[str]:
        """The `{{NAME}}` placeholders `--var` fills, in order of first use, `input` left out."""
        return [name for name in placeholders(self.prompt) if name != INPUT]

    @property
    def runs_commands(self) -> bool:
        return runs_commands(self.name)

    @property
    def answers_in_code(self) -> bool:
        return answers_in_code(self.name)

    def settings(self) -> dict[str, Any]:
        """The request settings it sets (only those), by their config names."""
        values = {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "reasoning": self.reasoning,
            "response_format": self.response_format,
        }
        return {key: value for key, value in values.items() if value is not None}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "scope": self.scope,
            **self.settings(),
            "variables": self.variables,
            "template": self.is_template,
        }


def runs_commands(name: str | None) -> bool:
    """Answers of the role `name` are command lines, offered to run, edit or copy (a file that
    replaces the built-in `shell` role keeps that)."""
    return name == "shell"


def answers_in_code(name: str | None) -> bool:
    """Piped, an answer of the role `name` is printed without a code fence around it."""
    return name in ("shell", "code")


def session_changes(role: Role, variables: Mapping[str, str]) -> dict[str, Any]:
    """What taking on `role` changes in a chat session's settings (`SessionSettings` names)."""
    changes: dict[str, Any] = {"role": role.name}
    if not role.is_template:
        changes["system"] = fill(role.prompt, variables) or None
    settings = role.settings()
    for key in ("model", "temperature", "max_tokens"):
        if key in settings:
            changes[key] = settings[key]
    if "response_format" in settings:
        changes["json"] = settings["response_format"] == "json"
    return changes


# --- built-in roles ----------------------------------------------------------------------------


def _shell_name() -> str:
    return os.path.basename(os.environ.get("SHELL", "").strip()) or "sh"


def _os_name() -> str:
    import platform

    system = platform.system() or "a Unix-like system"
    if system == "Darwin":
        return "macOS"
    return system


def _shell_prompt() -> str:
    shell, system = _shell_name(), _os_name()
    return (
        f"You turn the user's request into one command line for {shell} on {system}. "
        "Answer with the command and nothing else: no explanation, no Markdown, no code fence, no quotes "
        "around it, no leading $. When it takes several steps, join them into one line (&&, ;, pipes). "
        "Prefer standard tools that are there by default; when the request is ambiguous, choose the "
        "most common meaning. Never add a command the user did not ask for."
    )


_CODE_PROMPT = (
    "Answer with code only: one fenced code block, its language named, and nothing before or after it "
    "(no introduction, no explanation, no summary). Comments in the code only where the code cannot say "
    "it. When the request is unclear, write the most likely meaning."
)

_EXPLAIN_PROMPT = (
    "Explain the code or command the user gives in plain language for someone who did not write it: "
    "first what it does as a whole in a sentence or two, then its parts in order, then anything "
    "surprising or risky (side effects, data it changes or deletes, security). Be concise; quote the "
    "pieces you explain."
)


def builtin_roles() -> dict[str, Role]:
    """The roles claudechat ships with; the shell role names the user's shell and system."""
    return {
        "code": Role("code", _CODE_PROMPT, "code only, no prose"),
        "explain": Role("explain", _EXPLAIN_PROMPT, "a plain-language explanation of code or a command"),
        "shell": Role("shell", _shell_prompt(), f"one command line for {_shell_name()} on {_os_name()}, to run, edit or copy"),
    }


# --- role files --------------------------------------------------------------------------------


def roles_dir() -> Path:
    """The user's roles folder."""
    from claudechat.config import config_dir

    return config_dir() / "roles"


def role_folders(directory: Path | None = None) -> list[tuple[str, Path]]:
    """(scope, folder) to read roles from, the one that wins last: `directory` alone when given."""
    if directory is not None:
        return [("user", directory)]
    from claudechat.folders import user_and_project_folders

    return user_and_project_folders("roles", user_dir=roles_dir())


def check_role_name(name: str) -> str:
    """`name` if it can be a role's; UsageError (one line) if it has separators, controls, ..."""
    if not valid_name(name):
        raise UsageError(
            f"{one_line(repr(name), 80)} is not a role name",
            hint="role names are letters, digits, _ . - (at most 64); see claudechat roles",
        )
    return name


def _key_line(markdown: MarkdownFile, key: str) -> int | None:
    """The line of the file where front-matter `key` is set, to point at in a warning."""
    try:
        lines = markdown.path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return None
    spellings = {key, key.replace("_", "-")}
    for number, line in enumerate(lines[1 : max(1, markdown.body_line - 2)], 2):
        match = re.match(r"\s*[\"']?([A-Za-z0-9_-]+)[\"']?\s*[=:]", line)
        if match and match.group(1) in spellings:
            return number
    return None


def _convert(key: str, value: Any) -> Any:
    """A front-matter value as the setting; ValueError with what it must be otherwise."""
    if key == "description":
        if not isinstance(value, str):
            raise ValueError("text")
        return one_line(value.strip(), 200)
    if key == "response_format":
        if not isinstance(value, str) or value.strip().lower() not in RESPONSE_FORMATS:
            raise ValueError("json or text")
        return value.strip().lower()
    from claudechat.config import OPTIONS

    option = OPTIONS[key]
    try:
        converted = option.convert(value)
    except (ValueError, OverflowError):
        raise ValueError(option.valid) from None
    if converted is None:  # an empty value: as if the key were not there
        raise ValueError(option.valid)
    if key == "model":
        from claudechat.models import is_model_id

        if not is_model_id(converted):  # what a session can record (at most 200 characters)
            raise ValueError(option.valid + " of at most 200 characters")
    return converted


def role_from_file(name: str, markdown: MarkdownFile, scope: str = "user") -> Role:
    """The role a parsed file describes; its front-matter problems are in `Role.warnings`."""
    from claudechat.config.settings import show_toml_value

    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in markdown.meta.items():
        line = _key_line(markdown, key)
        where = f"{markdown.path}:{line}" if line is not None else str(markdown.path)
        if key not in ROLE_KEYS:
            warnings.append(f"{where}: unknown key {one_line(repr(key), 60)} ignored (role keys: {', '.join(ROLE_KEYS)})")
            continue
        try:
            values[key] = _convert(key, value)
        except ValueError as err:
            warnings.append(f"{where}: {key} must be {err}, got {show_toml_value(value)}; ignored")
    return Role(name=name, prompt=markdown.body.strip(), source=str(markdown.path), scope=scope,
                warnings=tuple(warnings), **values)


def _read_role(name: str, path: Path, scope: str) -> Role:
    return role_from_file(name, read_markdown_file(path), scope)


def load_roles(directory: Path | None = None) -> tuple[dict[str, Role], list[str]]:
    """Every role, by name (files over built-ins), and a warning for each file or key that is bad."""
    roles = builtin_roles()
    warnings: list[str] = []
    for scope, folder in role_folders(directory):
        for name, path in markdown_files(folder):
            try:
                role = _read_role(name, path, scope)
            except MarkdownFileError as err:
                warnings.append(str(err))
                continue
            roles[name] = role
            warnings += role.warnings
    return dict(sorted(roles.items())), warnings


def find_role(name: str, directory: Path | None = None) -> Role:
    """The role called `name` (its warnings in `Role.warnings`); UsageError if there is none."""
    check_role_name(name)
    folders = role_folders(directory)
    for scope, folder in reversed(folders):  # the project's first: it wins
        path = folder / f"{name}.md"
        if path.is_file():
            try:
                return _read_role(name, path, scope)
            except MarkdownFileError as err:
                raise UsageError(f"role {name!r} cannot be used: {err}", hint="fix the file or remove it") from None
    builtin = builtin_roles().get(name)
    if builtin is not None:
        return builtin
    known = sorted(set(builtin_roles()).union(*({found for found, _ in markdown_files(folder)} for _, folder in folders)))
    import difflib

    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"roles: {', '.join(known)}; a file {folders[0][1]}/{name}.md adds one"
    raise UsageError(f"no role {name!r}", hint=hint)


# --- placeholders ------------------------------------------------------------------------------


def placeholders(text: str) -> list[str]:
    """The `{{NAME}}` placeholders in `text`, each once, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in _PLACEHOLDER.finditer(text)))


def parse_variables(specs: Iterable[str]) -> dict[str, str]:
    """`--var NAME=VALUE` arguments as a mapping (a later one wins); UsageError for a malformed one."""
    variables: dict[str, str] = {}
    for spec in specs:
        name, equals, value = spec.partition("=")
        name = name.strip()
        if not equals or not _VARIABLE_NAME.fullmatch(name):
            raise UsageError(f"--var takes NAME=VALUE, got {one_line(repr(spec), 80)}", hint="e.g. --var lang=python")
        if name == INPUT:
            raise UsageError("--var cannot set input: {{input}} is the prompt and piped text")
        variables[name] = value
    return variables


def missing_variables(role: Role, variables: Mapping[str, str]) -> list[str]:
    return [name for name in role.variables if name not in variables]


def check_variables(role: Role, variables: Mapping[str, str]) -> None:
    """UsageError naming the placeholders of `role` that `variables` does not fill."""
    missing = missing_variables(role, variables)
    if missing:
        flags = " ".join(f"--var {name}=VALUE" for name in missing)
        word = "variable" if len(missing) == 1 else "variables"
        raise UsageError(f"role {role.name!r} needs the {word} {', '.join(missing)}", hint=f"give {flags}")


def fill(text: str, variables: Mapping[str, str]) -> str:
    """`text` with each `{{NAME}}` replaced by its value, in one pass (a value is never filled in again)."""
    return _PLACEHOLDER.sub(lambda match: variables.get(match.group(1), match.group(0)), text)


# --- answers -----------------------------------------------------------------------------------

_FENCE = re.compile(r"(`{3,}|~{3,})[^\n`]*\n(.*?)\n?[ \t]*\1", re.DOTALL)


def extract_command(answer: str) -> str:
    """The command (or code) in an answer asked to hold nothing else: a fence around the whole of
    it, inline backticks or a leading `$ ` taken off, should the model have added them anyway.
    An answer with more than that in it is left whole: nothing the model wrote is dropped."""
    text = answer.strip()
    fenced = _FENCE.fullmatch(text)
    if fenced is not None:
        text = fenced.group(2).strip("\n")
    elif len(text) >= 2 and text.startswith("`") and text.endswith("`") and "\n" not in text:
        text = text.strip("`").strip()
    if text.startswith("$ ") and "\n" not in text:
        text = text[2:]
    return text
