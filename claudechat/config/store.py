"""Where the config file lives, and reading, loading and atomically writing it.

Effective values come from four layers, later ones winning: the defaults in `Settings`, the
config file (`config_path()`), the profile chosen in it (claudechat.config.profiles), then the
environment (`CLAUDECHAT_API_KEY`, `CLAUDECHAT_BASE_URL`, `CLAUDECHAT_MODEL`). Command-line flags are applied on top by the
caller, validated through `parse_option`.

Reading never modifies the file (claudechat.config.write changes it). Writing is atomic (a private temporary file renamed over the
old one), leaves the file at mode 0600 inside a 0700 directory, and refuses to touch a file that
does not parse, so a hand-edited file with a typo is never overwritten by a half-understood copy.

platformdirs, tomllib and tomli_w are imported inside the functions that use them: this module
is imported on start-up paths that must stay fast.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claudechat.dirs import cache_dir, config_dir, data_dir, state_dir  # noqa: F401  (re-exported by claudechat.config)
from claudechat.errors import ClaudechatError, ConfigError
from claudechat.files import make_private_dir, write_atomically
from claudechat.sanitize import one_line
from claudechat.config.settings import (
    CONFIG_FILE_NAME,
    ENV_PROFILE,
    OPTIONS,
    Settings,
    _invalid_message,
    _valid_keys,
    parse_option,
    server_key,
)
from claudechat.config.profiles import PROFILES_TABLE, Profile, check_profile_name, choose_profile, read_profiles
from claudechat.config.tokens import TOKENS_TABLE, InvalidToken, stored_tokens

MAX_CONFIG_BYTES = 256 * 1024
MAX_KEY_PARTS = 64
_BROKEN_FILE_HINT = "fix the file or run `claudechat config path` to find it"

# --- locations -----------------------------------------------------------------------------


def config_path() -> Path:
    """The config file: `config_dir()/config.toml`."""
    return config_dir() / CONFIG_FILE_NAME


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedConfig:
    """The effective settings plus where each value came from and what deserves a warning."""

    settings: Settings
    path: Path
    file_exists: bool
    # key -> "default", "file", "profile NAME" or "env"; the variable of an "env" source is OPTIONS[key].env.
    sources: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    profiles: Mapping[str, Profile] = field(default_factory=dict)  # every one in the file, broken ones too


def _read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}", hint=_BROKEN_FILE_HINT) from None
    if len(data) > MAX_CONFIG_BYTES:
        # tomllib's cost grows fast on some shapes (long dotted keys); no real config is this big.
        raise ConfigError(f"config file {path} is over {MAX_CONFIG_BYTES // 1024} KB", hint=_BROKEN_FILE_HINT)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"config file {path} is not valid TOML: it is not UTF-8 text (at line {line})",
            hint=_BROKEN_FILE_HINT,
        ) from None


def _too_many_key_parts(text: str) -> bool:
    """Whether a key or table name has more dotted parts than any config needs.

    tomllib's time and memory grow with the square of a dotted key's parts (a 20 KB key takes
    a second and 400 MB), so such keys are refused before parsing. Lines inside multi-line
    strings are skipped.
    """
    in_string = False
    for line in text.splitlines():
        for quotes in ('"""', "'''"):
            if line.count(quotes) % 2:
                in_string = not in_string
        if in_string:
            continue
        key = line.partition("=")[0]
        if key.count(".") > MAX_KEY_PARTS:
            return True
    return False


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    import tomllib

    if _too_many_key_parts(text):
        raise ConfigError(f"config file {path} has a key of more than {MAX_KEY_PARTS} dotted parts",
                          hint=_BROKEN_FILE_HINT)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line N, column M)", which is what the reader needs,
        # except at the end of the file, where it says so without a line number.
        end = f"(at line {max(1, len(text.splitlines()))}, the end of the file)"
        message = str(exc).replace("(at end of document)", end)
        raise ConfigError(f"config file {path} is not valid TOML: {message}", hint=_BROKEN_FILE_HINT) from None
    except (RecursionError, ValueError):
        # Nesting too deep for the parser, or an integer past Python's limit on digits.
        raise ConfigError(
            f"config file {path} is not valid TOML: a value is nested too deep or too long", hint=_BROKEN_FILE_HINT
        ) from None


def read_config_data(path: Path | None = None) -> dict[str, Any]:
    """The raw table of the config file ({} when it does not exist); ConfigError when it is broken.

    Values are not validated, so a caller can still rewrite a file holding one bad value.
    """
    path = config_path() if path is None else path
    text = _read_text(path)
    return {} if text is None else _parse_toml(text, path)


def _key_line(text: str, key: str) -> int | None:
    """The line on which the top-level `key` is assigned, found by scanning the text.

    tomllib reports no positions for values, so this is a best effort: it stops at the first
    table header (later assignments belong to that table) and skips multi-line strings.
    """
    name = re.escape(key)
    assignment = re.compile(rf"""\s*(?:{name}|"{name}"|'{name}')\s*[=.]""")
    header = re.compile(rf"""\s*\[\[?\s*(?:{name}|"{name}"|'{name}')\s*[\].]""")
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if header.match(line):
            return number
        if line.lstrip().startswith("["):
            return None
        if assignment.match(line):
            return number
        for quotes in ('"""', "'''"):
            if line.count(quotes) % 2 == 1:
                in_multiline = quotes
                break
    return None


def _permission_warnings(path: Path, holds_token: bool) -> list[str]:
    if os.name != "posix":
        return []
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    readable = bool(mode & (stat.S_IRGRP | stat.S_IROTH))
    writable = bool(mode & (stat.S_IWGRP | stat.S_IWOTH))
    # Others reading a file without a token learn little; others writing it could point
    # base_url at their own server and collect the token, so that always warrants a warning.
    if writable and readable and holds_token:
        what = "readable and writable"
    elif writable:
        what = "writable"
    elif readable and holds_token:
        what = "readable"
    else:
        return []
    return [f"config file {path} is {what} by other users; run chmod 600 {path}"]


def _bad_token(path: Path, text: str, key: str) -> ConfigError:
    line = _key_line(text, key.split(".", 1)[0])
    where = f"config file {path}, line {line}" if line else f"config file {path}"
    return ConfigError(f"{where}: {one_line(key, 80)} must be {OPTIONS['api_key'].valid}",
                       hint="run `claudechat auth` to store a valid token")


def load_config(
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    *,
    base_url: str | None = None,
    profile: str | None = None,
    strict_profile: bool = True,
) -> LoadedConfig:
    """Merge defaults < config file < its chosen profile < environment; ConfigError on any invalid value.

    `base_url` and `profile`, given on the command line, win over the rest. The profile is
    `profile`, else CLAUDECHAT_PROFILE, else the file's `default_profile`; an unknown one is a
    UsageError, a broken one a ConfigError (with `strict_profile` off, a warning and no profile).
    The token is the environment's, or the one the chosen profile stored for the server in use,
    or the one the file's `[tokens]` holds for it: a stored token never goes to another server.
    A missing file is fine. An empty (or blank) environment variable counts as unset.
    Unknown keys in the file, broken profiles and loose file permissions become warnings.
    """
    env = os.environ if env is None else env
    path = config_path() if path is None else path
    values: dict[str, Any] = {}
    sources = {name: "default" for name in OPTIONS}
    warnings: list[str] = []
    tokens: dict[str, str] = {}
    profiles: dict[str, Profile] = {}

    text = _read_text(path)
    if text is not None:
        data = _parse_toml(text, path)
        try:
            tokens = stored_tokens(data)
        except InvalidToken as bad:
            raise _bad_token(path, text, bad.key) from None
        profiles, profile_warnings = read_profiles(data, text, path)
        holds_token = bool(tokens) or any(item.tokens for item in profiles.values())
        warnings.extend(_permission_warnings(path, holds_token=holds_token))
        warnings.extend(profile_warnings)
        for key, value in data.items():
            if key in ("api_key", TOKENS_TABLE, PROFILES_TABLE):
                continue  # read above
            option = OPTIONS.get(key)
            if option is None:
                warnings.append(
                    f"config file {path}: unknown key {one_line(key, 60)!r} ignored (valid keys: {_valid_keys()})"
                )
                continue
            try:
                values[key] = option.convert(value)
            except (ValueError, OverflowError):
                line = _key_line(text, key)
                where = f"config file {path}, line {line}" if line else f"config file {path}"
                hint = (
                    "run `claudechat auth` to store a valid token"
                    if option.secret
                    else f"fix it with `claudechat config set {key} VALUE` or remove it with `claudechat config unset {key}`"
                )
                raise ConfigError(f"{where}: {_invalid_message(option, value)}", hint=hint) from None
            sources[key] = "file"

    from_env: dict[str, Any] = {}
    for option in OPTIONS.values():
        if option.env is None:
            continue
        raw = env.get(option.env, "")
        if not raw.strip():
            continue
        try:
            from_env[option.name] = option.convert(raw)
        except (ValueError, OverflowError):
            raise ConfigError(
                f"environment variable {option.env}: {_invalid_message(option, raw)}",
                hint=f"fix or unset {option.env}",
            ) from None

    chosen = _chosen_profile(profiles, profile, from_env, values, path, strict=strict_profile, warnings=warnings)
    if chosen is not None:
        for key, value in chosen.values.items():
            values[key] = value
            sources[key] = f"profile {chosen.name}"
    for key, value in from_env.items():
        values[key] = value
        sources[key] = "env"

    if base_url is not None:
        values["base_url"] = parse_option("base_url", base_url)
        sources["base_url"] = "flag"
    if "api_key" not in values:
        server = server_key(values.get("base_url", Settings.base_url))
        if chosen is not None and server in chosen.tokens:
            values["api_key"] = chosen.tokens[server]
            sources["api_key"] = f"profile {chosen.name}"
        elif server in tokens:
            values["api_key"] = tokens[server]
            sources["api_key"] = "file"
    servers = set(tokens) | (set(chosen.tokens) if chosen is not None else set())
    return LoadedConfig(
        settings=Settings(
            **values, profile=chosen.name if chosen is not None else None, token_servers=tuple(sorted(servers))
        ),
        path=path,
        file_exists=text is not None,
        sources=sources,
        warnings=tuple(warnings),
        profiles=profiles,
    )


def _chosen_profile(
    profiles: Mapping[str, Profile],
    flag: str | None,
    from_env: Mapping[str, Any],
    values: Mapping[str, Any],
    path: Path,
    *,
    strict: bool,
    warnings: list[str],
) -> Profile | None:
    """The profile the flag, else CLAUDECHAT_PROFILE, else the file's default_profile names."""
    if flag is not None:
        name, source = check_profile_name(flag), "--profile"
    elif from_env.get("default_profile"):
        name, source = from_env["default_profile"], f"environment variable {ENV_PROFILE}"
    elif values.get("default_profile"):
        name, source = values["default_profile"], f"default_profile in config file {path}"
    else:
        return None
    try:
        return choose_profile(profiles, name, source)
    except ClaudechatError as err:
        if strict:
            raise
        warnings.append(f"{err.message}; no profile used")
        return None


def load_settings_with_warnings(
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    *,
    base_url: str | None = None,
    profile: str | None = None,
) -> tuple[Settings, list[str]]:
    """Like `load_settings`, plus one printable warning line per problem that is not fatal."""
    loaded = load_config(env, path, base_url=base_url, profile=profile)
    return loaded.settings, list(loaded.warnings)


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> Settings:
    """The effective settings: defaults < config file < environment (`os.environ` by default)."""
    return load_config(env, path).settings


# --- writing -------------------------------------------------------------------------------


def _ensure_private_dir(directory: Path) -> None:
    # An existing directory someone else chose (a custom path) keeps its mode.
    try:
        make_private_dir(directory, tighten=directory == config_dir())
    except OSError as exc:
        raise ConfigError(f"cannot create config directory {directory}: {exc.strerror or exc}") from None


def save_config_data(data: Mapping[str, Any], path: Path | None = None) -> None:
    """Write `data` as the whole config file, atomically, at mode 0600 in a 0700 directory.

    Every key in `data` is kept, unknown ones included; comments and formatting of the old
    file are not preserved. A symbolic link at the file's path is refused rather than
    replaced (replacing would silently detach the link; writing through it would let the
    link decide where a token lands).
    """
    import tomli_w

    path = config_path() if path is None else path
    if path.is_symlink():
        raise ConfigError(
            f"config file {path} is a symbolic link; refusing to replace it",
            hint="edit the file it points to by hand, or replace the link with a regular file",
        )
    if path.exists() and not path.is_file():
        raise ConfigError(f"config file {path} is not a regular file; refusing to replace it")
    text = tomli_w.dumps(dict(data))
    _ensure_private_dir(path.parent)
    try:
        write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}") from None
