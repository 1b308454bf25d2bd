"""`/role [NAME [VAR=VALUE ...]|none]`: take on a role in the chat, drop it, or see which there are.

Taking on a role sets the session's system prompt and the settings the role names (model,
temperature, max_tokens, JSON answers; how reasoning is shown); dropping it (or switching to
another) first puts back what the role had changed, as the config and the command line set it.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from claudechat.errors import UsageError
from claudechat.repl.commands import COMMANDS, CommandError, shown
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.repl.interface import ChatApp
    from claudechat.roles import Role

__all__ = ["after_answer", "role_names", "take_on_role"]


def role_names(app: ChatApp, argument: str) -> list[str]:
    """For Tab after `/role `: every role's name, then `none`."""
    from claudechat.roles import load_roles

    roles, _ = load_roles()
    return [*roles, "none"]


def _listing(app: ChatApp) -> str:
    from claudechat.roles import BUILTIN, load_roles

    roles, warnings = load_roles()
    for warning in warnings:
        app.warning(warning)
    current = app.session.settings.role
    width = max(len(name) for name in roles)
    descriptions = {name: one_line(role.description, 100) or "-" for name, role in roles.items()}
    described = max(len(text) for text in descriptions.values())
    lines = [f"role: {one_line(current, 64)}" if current else "no role (/role NAME takes one on)"]
    for name, role in roles.items():
        mark = "▸" if name == current else " "
        where = "built-in" if role.source == BUILTIN else f"{role.scope} file"
        lines.append(f"{mark} {name.ljust(width)}  {descriptions[name].ljust(described)}  {where}")
    return "\n".join(lines)


def _base_values(app: ChatApp, keys: set[str]) -> dict[str, Any]:
    """The settings `keys` as they were before any role: config, environment, command line."""
    base = app.base_settings
    values = {"system": base.system, "model": base.model, "temperature": base.temperature,
              "max_tokens": base.max_tokens, "json": False}
    return {key: values[key] for key in keys if key in values}


def _drop_role(app: ChatApp) -> dict[str, Any]:
    """What goes back when the current role is dropped: the keys it set, as they were without it."""
    name = app.session.settings.role
    if name is None:
        return {}
    from claudechat.roles import find_role, session_changes

    try:
        keys = set(session_changes(find_role(name), {})) - {"role"}
    except UsageError:  # a role file gone since, or gone bad: its prompt at least goes
        keys = {"system"}
    return {**_base_values(app, keys), "role": None}


def _take_on(app: ChatApp, role: Role, variables: dict[str, str]) -> None:
    from claudechat.roles import check_variables, session_changes

    if role.is_template:
        raise CommandError(f"role {role.name!r} is a template for one question ({{{{input}}}} in it)",
                           hint=f'ask with claudechat -r {role.name} "..." in the shell')
    try:
        check_variables(role, variables)
    except UsageError as err:
        hint = f"/role {role.name} " + " ".join(f"{name}=VALUE" for name in role.variables)
        raise CommandError(err.message, hint=hint) from None
    changes = {**_drop_role(app), **session_changes(role, variables)}
    if "model" in changes and changes["model"] == app.session.settings.model:
        del changes["model"]
    app.session.change_settings(**changes)
    app.reasoning_mode = role.reasoning or app.base_settings.reasoning
    for warning in role.warnings:
        app.warning(warning)
    what = [f"model {role.model}"] if role.model else []
    what += [f"{key.replace('_', ' ')} {value}" for key, value in role.settings().items() if key not in ("model",)]
    app.notice(f"role is now {role.name}" + (f" ({', '.join(what)})" if what else "") + " · /role none drops it")


@COMMANDS.command(
    "role",
    "take on a role (its system prompt and settings), drop it with `none`, or list them",
    usage="/role [NAME [VAR=VALUE ...]|none]",
    complete=role_names,
    details="Roles are built in (shell, code, explain) or Markdown files in ~/.config/claudechat/roles/\n"
    "or the project's .claudechat/roles/ (which wins): "
    "front matter (model, temperature, max_tokens, reasoning, response_format, description), then the\n"
    "system prompt. VAR=VALUE fills {{VAR}} in it. `none` drops the role and what it set.\n"
    "The shell role answers with one command, then offers [r]un [e]dit [c]opy [q]uit.",
)
def _role(app: ChatApp, argument: str) -> None:
    from claudechat.roles import NONE_WORDS

    if not argument:
        app.notice(_listing(app))
        return
    try:
        words = shlex.split(argument)
    except ValueError as exc:
        raise CommandError(f"cannot read {shown(argument)}: {exc}") from None
    name, specs = words[0], words[1:]
    if name.lower() in NONE_WORDS and not specs:
        current = app.session.settings.role
        if current is None:
            app.notice("no role to drop")
            return
        app.session.change_settings(**_drop_role(app))
        app.reasoning_mode = app.base_settings.reasoning
        app.notice(f"role {current} dropped; the system prompt and settings are as configured")
        return
    take_on_role(app, name, specs)


def take_on_role(app: ChatApp, name: str, specs: list[str] | None = None) -> None:
    """Take on the role `name` as `/role NAME VAR=VALUE ...` does (a user's command naming one does
    too); CommandError, changing nothing, if it cannot be."""
    from claudechat.roles import find_role, parse_variables

    try:
        role = find_role(name)
        variables = parse_variables(specs or [])
    except UsageError as err:
        raise CommandError(err.message, hint=err.hint) from None
    _take_on(app, role, variables)


async def after_answer(app: ChatApp) -> None:
    """Under an answer of the shell role: offer to run, edit or copy its command."""
    from claudechat.roles import extract_command, runs_commands

    if not runs_commands(app.session.settings.role):
        return
    answers = app.session.answers()
    if not answers or answers[-1].interrupted or app.session.messages[-1] is not answers[-1]:
        return
    from claudechat.repl.command_actions import offer_in_chat

    await offer_in_chat(app, extract_command(answers[-1].text))
