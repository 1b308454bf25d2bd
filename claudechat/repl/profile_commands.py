"""`/profile [NAME]`: list the config file's profiles, or switch the chat to one.

A switch takes what `claudechat --profile NAME` would start with: the profile's server, its
token for that server (or the file's for it), its model, timeout, retries and context window,
with the environment still over them. Flags given at start-up were for the profile of the
start and no longer apply. The session records the profile, so `claudechat -c` goes on with it.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING

from claudechat.config import check_profile_name, load_config, server_key
from claudechat.errors import ClaudechatError
from claudechat.repl.commands import COMMANDS
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from claudechat.config import LoadedConfig, Settings
    from claudechat.repl.interface import ChatApp

__all__: list[str] = []

# What a profile decides; the rest of the settings (theme, reasoning, ...) stay as they are.
_SERVER_FIELDS = ("api_key", "base_url", "timeout", "retries", "context_window", "profile", "token_servers")


def _usable_names() -> list[str]:
    try:
        loaded = load_config(os.environ, strict_profile=False)
    except ClaudechatError:
        return []
    return [name for name, profile in loaded.profiles.items() if profile.problem is None]


def _complete(app: ChatApp, argument: str) -> list[str]:
    return _usable_names()


@COMMANDS.command(
    "profile",
    "list the profiles of the config file, or switch to one (server, token, model)",
    usage="/profile [NAME]",
    complete=_complete,
    details="Profiles are [profiles.NAME] tables in the config file (see `claudechat config --help`);\n"
    "`claudechat auth --profile NAME` stores a profile's token. The next request goes to the\n"
    "profile's server with its token and model; the environment (CLAUDECHAT_BASE_URL, ...) still wins.",
)
async def _profile(app: ChatApp, argument: str) -> None:
    if not argument:
        app.notice(_listing(app))
        return
    name = check_profile_name(argument)
    loaded = load_config(os.environ, profile=name)
    settings = dataclasses.replace(
        app.settings, **{field: getattr(loaded.settings, field) for field in _SERVER_FIELDS}
    )
    await app.use_settings(settings)
    app.session.change_settings(model=loaded.settings.model, profile=name)
    app.notice(f"profile {name}: {one_line(server_key(settings.base_url), 80)} · model {one_line(app.model, 80)}")
    for key in ("base_url", "model"):
        if loaded.sources.get(key) == "env" and key in loaded.profiles[name].values:
            variable = f"CLAUDECHAT_{key.upper()}"
            app.warning(f"{variable} is set in the environment and is used instead of the profile's {key}")


def _resolved(name: str) -> Settings | str:
    """The settings profile `name` gives, or why it cannot be used."""
    try:
        return load_config(os.environ, profile=name).settings
    except ClaudechatError as err:
        return one_line(err.message, 200)


def _listing(app: ChatApp) -> str:
    loaded: LoadedConfig = load_config(os.environ, strict_profile=False)
    if not loaded.profiles:
        return f"no profiles; a [profiles.NAME] table in {loaded.path} defines one (see `claudechat config --help`)"
    rows = []
    for name in loaded.profiles:
        resolved = _resolved(name)
        if isinstance(resolved, str):
            rows.append(("  ", one_line(name, 60), f"left out: {resolved}", ""))
            continue
        mark = "▸ " if name == app.settings.profile else "  "
        rows.append((mark, name, server_key(resolved.base_url), resolved.model))
    width = max(len(row[1]) for row in rows)
    server_width = max(len(row[2]) for row in rows if row[3]) if any(row[3] for row in rows) else 0
    lines = [f"{mark}{name.ljust(width)}  {server.ljust(server_width)}  {one_line(model, 80)}".rstrip()
             for mark, name, server, model in rows]
    if app.settings.profile is None:
        lines.append("(no profile in use)")
    return "\n".join(lines)
