"""Changing one thing in the config file: a key, a profile's key, a stored token.

Each change reads the file's table, changes it and writes it whole, atomically
(`save_config_data`); a file that does not parse is refused, left byte for byte as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from claudechat.config.profiles import (
    profile_key,
    with_profile_token,
    with_profile_value,
    without_profile_token,
    without_profile_value,
)
from claudechat.config.settings import (
    DEFAULT_BASE_URL,
    OPTIONS,
    _unknown_key_error,
    check_token,
    lookup_option,
    parse_option,
    server_key,
)
from claudechat.config.store import config_path, read_config_data, save_config_data
from claudechat.config.tokens import with_token, without_token
from claudechat.errors import ConfigError

__all__ = ["remove_token", "save_token", "set_option", "unset_option"]


def set_option(key: str, raw: str, path: Path | None = None) -> Any:
    """Validate `raw` for `key`, store it in the config file and return the typed value.

    `key` is a top-level key or `profiles.NAME.KEY` (a profile's key; the profile is made if
    new). An optional key given empty text (e.g. `system ''`) is removed instead. A config
    file that does not parse is refused, left byte for byte as it was.
    """
    path = config_path() if path is None else path
    in_profile = profile_key(key)
    if in_profile is not None:
        name, option_name = in_profile
        try:
            value = parse_option(option_name, raw)
        except ConfigError as err:
            raise ConfigError(f"profile {name!r}: {err.message}", hint=err.hint) from None
        data = read_config_data(path)
        if value is None:
            data, removed = without_profile_value(data, name, option_name)
            if removed:
                save_config_data(data, path)
            return None
        save_config_data(with_profile_value(data, name, option_name, value), path)
        return value
    option = lookup_option(key)
    value = parse_option(option.name, raw)
    data = read_config_data(path)
    if value is None:
        if option.name in data:
            del data[option.name]
            save_config_data(data, path)
        return None
    data[option.name] = value
    save_config_data(data, path)
    return value


def unset_option(key: str, path: Path | None = None) -> bool:
    """Remove `key` (or `profiles.NAME.KEY`) from the config file; False when it was not set there.

    An unknown key is accepted when the file holds it, so a misspelt key can be cleaned up.
    """
    path = config_path() if path is None else path
    in_profile = profile_key(key)
    if in_profile is not None:
        data, removed = without_profile_value(read_config_data(path), *in_profile)
        if removed:
            save_config_data(data, path)
        return removed
    name = key.strip().replace("-", "_")
    data = read_config_data(path)
    if name not in OPTIONS and key not in data:
        raise _unknown_key_error(key)
    target = name if name in data else key
    if target not in data:
        return False
    del data[target]
    save_config_data(data, path)
    return True


def save_token(token: str, path: Path | None = None, *, server: str | None = None, profile: str | None = None) -> Path:
    """Validate and store `token` for `server` (the service's by default), in `profile`'s table
    when one is named; return the file's path."""
    value = check_token(token)
    path = config_path() if path is None else path
    server = server or server_key(DEFAULT_BASE_URL)
    data = read_config_data(path)
    if profile is None:
        save_config_data(with_token(data, server, value), path)
    else:
        save_config_data(with_profile_token(data, profile, server, value), path)
    return path


def remove_token(path: Path | None = None, *, server: str | None = None, profile: str | None = None) -> bool:
    """Delete the token stored for `server` (the service's by default), in `profile`'s table when
    one is named; False when there was none."""
    path = config_path() if path is None else path
    server = server or server_key(DEFAULT_BASE_URL)
    data = read_config_data(path)
    if profile is None:
        data, removed = without_token(data, server)
    else:
        data, removed = without_profile_token(data, profile, server)
    if removed:
        save_config_data(data, path)
    return removed
