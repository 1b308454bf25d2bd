"""The error hierarchy every layer raises and the CLI prints.

Each error carries a user-facing message (what went wrong and why) and an optional
hint (what to do), and the exit code the CLI uses for it. Nothing here imports
anything costly: the module is loaded on every start.
"""

from __future__ import annotations

__all__ = [
    "ClaudechatError",
    "UsageError",
    "ConfigError",
    "error_line",
    "EXIT_OK",
    "EXIT_FAILURE",
    "EXIT_USAGE",
    "EXIT_INTERRUPTED",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class ClaudechatError(Exception):
    """Base of every expected failure: printed as one line, never as a traceback."""

    exit_code: int = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


def error_line(err: BaseException) -> str:
    """The one line an expected failure is reported in on stderr."""
    from claudechat.sanitize import one_line

    return f"claudechat: error: {one_line(str(err), 2000)}"


class UsageError(ClaudechatError):
    """The command line or an argument is wrong; nothing was sent."""

    exit_code = EXIT_USAGE


class ConfigError(ClaudechatError):
    """The configuration (file, environment or value) is wrong; nothing was sent."""

    exit_code = EXIT_USAGE
