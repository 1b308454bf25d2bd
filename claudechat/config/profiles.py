"""Profiles: named sets of server settings in the config file, one of them chosen per run.

    default_profile = "work"

    [profiles.work]
    base_url = "https://gateway.example.com/v1"
    model = "claude-opus-4-6"

    [profiles.work.tokens]              # written by `claudechat auth --profile work`
    "gateway.example.com" = "sk-..."

A profile's keys sit between the top-level keys and the environment: defaults < top-level <
the chosen profile < environment < flags. Its tokens are keyed by the server they were stored
for, like the top-level `[tokens]` table, so a token follows its server, not the profile's
name: change a profile's `base_url` and its old token stays behind, never sent to the new
server.

A broken profile (not a table, a bad value, a bad name) is one warning and is left out; the
rest of the file still works, and choosing the broken one says why it cannot be used. These
functions read and change the file's table; the store reads and writes the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claudechat.config.settings import OPTIONS, _invalid_message, show_toml_value
from claudechat.config.tokens import TOKENS_TABLE
from claudechat.errors import ConfigError, UsageError
from claudechat.sanitize import one_line

__all__ = [
    "PROFILES_TABLE",
    "PROFILE_KEYS",
    "Profile",
    "check_profile_name",
    "choose_profile",
    "profile_key",
    "read_profiles",
    "with_profile_token",
    "with_profile_value",
    "without_profile_token",
    "without_profile_value",
]

PROFILES_TABLE = "profiles"
# What differs from one server to the next; the rest (theme, reasoning, ...) is the user's.
PROFILE_KEYS = ("base_url", "model", "timeout", "retries", "context_window")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NAME_RULE = "letters, digits, '-' and '_' (at most 64)"
_MAX_WARNINGS = 10


@dataclass(frozen=True)
class Profile:
    """One `[profiles.NAME]` table, checked: its values, its tokens, or why it cannot be used."""

    name: str
    values: Mapping[str, Any] = field(default_factory=dict)
    # server -> token; kept out of repr so a logged profile never carries a token.
    tokens: Mapping[str, str] = field(default_factory=dict, repr=False)
    problem: str | None = None  # set when the table is broken: the one-line reason


def check_profile_name(name: str) -> str:
    """`name` if it can name a profile; UsageError otherwise (never echoing more than a line)."""
    value = name.strip()
    if not _NAME.fullmatch(value):
        raise UsageError(f"{one_line(name, 60)!r} cannot name a profile: use {_NAME_RULE}")
    return value


def _line(text: str, name: str) -> int | None:
    """The line where profile `name` starts: its `[profiles.NAME]` header or a dotted key naming it."""
    quoted = rf"""(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')"""
    patterns = (
        re.compile(rf"""\s*\[\s*{PROFILES_TABLE}\s*\.\s*{quoted}\s*[\].]"""),
        re.compile(rf"""\s*{PROFILES_TABLE}\s*\.\s*{quoted}\s*[=.]"""),
        re.compile(rf"""\s*{quoted}\s*[=.]"""),
    )
    in_profiles = False
    for number, line in enumerate(text.splitlines(), 1):
        if patterns[0].match(line) or patterns[1].match(line):
            return number
        if line.lstrip().startswith("["):
            in_profiles = re.match(rf"\s*\[\s*{PROFILES_TABLE}\s*\]", line) is not None
        elif in_profiles and patterns[2].match(line):
            return number
    return None


def _where(path: Path, text: str, name: str) -> str:
    line = _line(text, name)
    return f"config file {path}, line {line}" if line else f"config file {path}"


def _read_one(name: str, table: Any) -> tuple[Profile, list[str]]:
    """A profile from its table, and the unknown keys in it; the Profile's `problem` says if it is broken."""
    shown = f"profile {one_line(name, 60)!r}"
    if not _NAME.fullmatch(name):
        return Profile(name, problem=f"{shown}: a profile's name is made of {_NAME_RULE}"), []
    if not isinstance(table, dict):
        return Profile(name, problem=f"{shown} must be a table ([profiles.{name}]), got {show_toml_value(table)}"), []
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in table.items():
        if key == TOKENS_TABLE:
            continue
        if key not in PROFILE_KEYS:
            unknown.append(key)
            continue
        option = OPTIONS[key]
        try:
            values[key] = option.convert(value)
        except (ValueError, OverflowError):
            return Profile(name, problem=f"{shown}: {_invalid_message(option, value)}"), unknown
    tokens: dict[str, str] = {}
    stored = table.get(TOKENS_TABLE, {})
    if not isinstance(stored, dict):
        return Profile(name, problem=f"{shown}: {TOKENS_TABLE} must be a table of server = token"), unknown
    for server, value in stored.items():
        try:
            token = OPTIONS["api_key"].convert(value)
        except (ValueError, OverflowError):
            # The token is never shown, not even in part.
            problem = f"{shown}: the token for {one_line(server, 60)!r} must be {OPTIONS['api_key'].valid}"
            return Profile(name, problem=problem), unknown
        if token:
            tokens[server.strip().lower()] = token
    return Profile(name, values, tokens), unknown


def read_profiles(data: Mapping[str, Any], text: str, path: Path) -> tuple[dict[str, Profile], list[str]]:
    """Every profile of the file (broken ones with their `problem`), and one warning per problem."""
    table = data.get(PROFILES_TABLE)
    if table is None:
        return {}, []
    if not isinstance(table, dict):
        lines = (number for number, line in enumerate(text.splitlines(), 1)
                 if re.match(rf"""\s*["']?{PROFILES_TABLE}["']?\s*=""", line))
        line = next(lines, None)
        where = f"config file {path}" if line is None else f"config file {path}, line {line}"
        return {}, [f"{where}: profiles must be tables ([profiles.NAME]), got {show_toml_value(table)}; ignored"]
    profiles: dict[str, Profile] = {}
    warnings: list[str] = []
    for name, value in table.items():
        profile, unknown = _read_one(name, value)
        profiles[name] = profile
        if not (profile.problem or unknown):
            continue
        if len(warnings) >= _MAX_WARNINGS:  # finding each one's line reads the file again
            warnings.append(f"config file {path}: more profiles have problems; run `claudechat config show`")
            break
        where = _where(path, text, name)
        if profile.problem:
            warnings.append(f"{where}: {profile.problem}; the profile is left out")
        for key in unknown:
            hint = " (store a token with `claudechat auth --profile NAME`)" if key == "api_key" else ""
            warnings.append(
                f"{where}: profile {one_line(name, 60)!r}: unknown key {one_line(key, 60)!r} ignored "
                f"(valid keys: {', '.join(PROFILE_KEYS)}){hint}"
            )
    if len(profiles) < len(table):
        profiles.update((name, _read_one(name, value)[0]) for name, value in table.items() if name not in profiles)
    return profiles, warnings


def choose_profile(profiles: Mapping[str, Profile], name: str, source: str) -> Profile:
    """The profile `name`, given by `source` (a flag, a variable, a file's key).

    UsageError naming the profiles there are when there is none of that name; ConfigError
    saying why when it is broken.
    """
    profile = profiles.get(name)
    if profile is None:
        usable = [key for key, value in profiles.items() if value.problem is None]
        there = f"profiles are {', '.join(usable)}" if usable else "no profiles are defined"
        raise UsageError(
            f"no profile {one_line(name, 60)!r} ({source}); {there}",
            hint="a [profiles.NAME] table in the config file defines one; see `claudechat config --help`",
        )
    if profile.problem is not None:
        raise ConfigError(f"{profile.problem} ({source})", hint="fix the profile in the config file")
    return profile


def profile_key(dotted: str) -> tuple[str, str] | None:
    """(NAME, KEY) of `profiles.NAME.KEY`; None when `dotted` does not start with `profiles.`.

    UsageError for a malformed one (no key, an unknown key, a bad name).
    """
    head, dot, rest = dotted.strip().partition(".")
    if head != PROFILES_TABLE or not dot:
        return None
    name, dot, key = rest.rpartition(".")
    key = key.replace("-", "_")
    if not dot or not name:
        raise UsageError(f"{one_line(dotted, 80)!r} names no profile key: write profiles.NAME.KEY")
    check_profile_name(name)
    if key not in PROFILE_KEYS:
        raise UsageError(f"a profile has no key {one_line(key, 60)!r}; its keys are {', '.join(PROFILE_KEYS)}")
    return name, key


def _profile_table(data: Mapping[str, Any], name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of the file's profiles table and of profile `name`'s table; ConfigError if either is not a table."""
    table = data.get(PROFILES_TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError("the config file's `profiles` is not a table; nothing changed", hint="fix the file by hand")
    profile = table.get(name, {})
    if not isinstance(profile, dict):
        raise ConfigError(f"profile {name!r} in the config file is not a table; nothing changed",
                          hint="fix the file by hand")
    return dict(table), dict(profile)


def with_profile_value(data: Mapping[str, Any], name: str, key: str, value: Any) -> dict[str, Any]:
    """The file's table with `key` of profile `name` set to `value` (the profile made if new)."""
    table, profile = _profile_table(data, name)
    profile[key] = value
    table[name] = profile
    return {**data, PROFILES_TABLE: table}


def without_profile_value(data: Mapping[str, Any], name: str, key: str) -> tuple[dict[str, Any], bool]:
    """The file's table without `key` of profile `name`, and whether it was there."""
    table, profile = _profile_table(data, name)
    if key not in profile:
        return dict(data), False
    del profile[key]
    table[name] = profile
    return {**data, PROFILES_TABLE: table}, True


def with_profile_token(data: Mapping[str, Any], name: str, server: str, token: str) -> dict[str, Any]:
    """The file's table with `token` stored in profile `name` for `server`."""
    table, profile = _profile_table(data, name)
    tokens = profile.get(TOKENS_TABLE, {})
    tokens = dict(tokens) if isinstance(tokens, dict) else {}
    tokens[server] = token
    profile[TOKENS_TABLE] = tokens
    table[name] = profile
    return {**data, PROFILES_TABLE: table}


def without_profile_token(data: Mapping[str, Any], name: str, server: str) -> tuple[dict[str, Any], bool]:
    """The file's table without profile `name`'s token for `server`, and whether there was one."""
    table, profile = _profile_table(data, name)
    tokens = profile.get(TOKENS_TABLE)
    if not isinstance(tokens, dict):
        return dict(data), False
    kept = {key: value for key, value in tokens.items() if key.strip().lower() != server}
    if len(kept) == len(tokens):
        return dict(data), False
    if kept:
        profile[TOKENS_TABLE] = kept
    else:
        del profile[TOKENS_TABLE]
    table[name] = profile
    return {**data, PROFILES_TABLE: table}, True
