"""The per-user directories (platformdirs: XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME move them).

Kept apart from `claudechat.config`, which re-exports them, so that what needs only a path
(shell completion, run by the shell on every Tab) need not load the settings and their rules.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["APP_NAME", "cache_dir", "config_dir", "data_dir", "state_dir"]

APP_NAME = "claudechat"


def config_dir() -> Path:
    """The per-user configuration directory (follows XDG_CONFIG_HOME on Linux)."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The per-user data directory (follows XDG_DATA_HOME on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def state_dir() -> Path:
    """The per-user state directory (follows XDG_STATE_HOME on Linux): what claudechat learned,
    and debug logs."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME))


def cache_dir() -> Path:
    """The per-user cache directory (follows XDG_CACHE_HOME on Linux): what can be fetched again."""
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME))
