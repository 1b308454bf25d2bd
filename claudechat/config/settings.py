"""The configuration keys: their defaults, how each is parsed and validated, and the token rules.

One table, `OPTIONS`, describes every key and drives validation of file values, `config set`,
environment overrides and command-line flags alike, so all four obey the same rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from claudechat.dirs import APP_NAME  # noqa: F401  (re-exported)
from claudechat.errors import ConfigError
from claudechat.sanitize import one_line

CONFIG_FILE_NAME = "config.toml"
DEFAULT_BASE_URL = "https://api.acedata.cloud/v1"
DEFAULT_MODEL = "claude-sonnet-4-6"
ENV_API_KEY = "CLAUDECHAT_API_KEY"
ENV_BASE_URL = "CLAUDECHAT_BASE_URL"
ENV_MODEL = "CLAUDECHAT_MODEL"
ENV_PROFILE = "CLAUDECHAT_PROFILE"
MAX_TOKEN_LENGTH = 4096
REASONING_MODES = ("collapsed", "expanded", "hidden")
EDITING_MODES = ("emacs", "vi")
SEND_KEYS = ("enter", "alt-enter")



def server_key(base_url: str) -> str:
    """The server a base URL names: its host, and its port unless it is the scheme's default."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{host}:{port}" if port is not None and port != default else host


@dataclass(frozen=True)
class Settings:
    """The effective configuration. Build it with `load_settings`; override with `dataclasses.replace`."""

    # Kept out of repr so that a logged or printed Settings never carries the token.
    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL
    timeout: float = 120.0
    retries: int = 2
    max_answer_mb: float = 64.0
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    reasoning: str = "collapsed"
    theme: str = "dark"
    editing_mode: str = "emacs"
    send_key: str = "enter"  # the key that sends a message; the other one inserts a new line
    context_window: int | None = None  # tokens, for models the catalogue does not know
    attach_max_share: float = 0.5  # of the context window, that one message's attachments may fill
    auto_compact: float = 0.0  # compact before a request past this share of the window; 0 is off
    default_profile: str | None = None  # the profile used when no --profile says otherwise
    # Not in the config file: only --debug or CLAUDECHAT_DEBUG turn it on, for one run.
    debug: bool = False
    # The profile in use (--profile, CLAUDECHAT_PROFILE or default_profile), None for none.
    profile: str | None = None
    # The servers the config file holds a token for (the tokens themselves stay in the file).
    token_servers: tuple[str, ...] = ()


# --- value parsers and checks ----------------------------------------------------------------
# A parser turns a string (command line, environment, or a string in the file) into a value and
# raises ValueError when it cannot; a check decides whether a value is in range. Keeping the two
# apart lets typed TOML values (numbers) skip the parser but not the check.


def _has_control(text: str) -> bool:
    """Control characters, or bidi controls that would reorder what is shown."""
    from claudechat.sanitize import sanitize

    return "\n" in text or "\t" in text or sanitize(text) != text


def _parse_word(raw: str) -> str:
    value = raw.strip()
    if not value or _has_control(value) or any(char.isspace() for char in value):
        raise ValueError(raw)
    return value


def _parse_name(raw: str) -> str:
    value = raw.strip()
    if not value or _has_control(value):
        raise ValueError(raw)
    return value


def _parse_profile_name(raw: str) -> str | None:
    import re

    value = raw.strip()
    if not value:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise ValueError(raw)
    return value


def _parse_text(raw: str) -> str | None:
    # An empty system prompt means "none", so `--system ''` can switch off a configured one.
    value = raw.strip()
    return value or None


def _parse_token(raw: str) -> str | None:
    return raw.strip() or None


def _token_ok(value: str) -> bool:
    # A token travels in an HTTP header, which only carries printable ASCII without spaces.
    return len(value) <= MAX_TOKEN_LENGTH and all(0x21 <= ord(char) <= 0x7E for char in value)


def _parse_url(raw: str) -> str:
    from urllib.parse import urlsplit

    value = raw.strip().rstrip("/")
    if _has_control(value) or any(char.isspace() for char in value):
        raise ValueError(raw)
    parts = urlsplit(value)
    # The client appends "/chat/completions", which a query or fragment would swallow.
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(raw)
    _ = parts.port  # raises ValueError for a port that is not a number in range
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(raw)
        return value

    return parse


def _parse_int(raw: str) -> int:
    return int(raw.strip())


def _parse_float(raw: str) -> float:
    return float(raw.strip())


def _always(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class Option:
    """One configuration key: how to read it from text, what is valid, and how to say so."""

    name: str
    kind: type  # the type of a set value: str, int or float
    description: str
    valid: str  # completes "NAME must be ...", e.g. "a number from 0 to 2"
    parse: Callable[[str], Any]  # text -> value; raises ValueError when malformed
    check: Callable[[Any], bool] = _always  # whether a parsed value is acceptable
    env: str | None = None  # the environment variable that overrides it, if any
    optional: bool = False  # None is a valid value and means "not set"
    secret: bool = False  # never echo the value in messages

    def convert(self, value: object) -> Any:
        """Return `value` (a string or a TOML value) as a valid setting; ValueError otherwise."""
        if isinstance(value, str):
            parsed = self.parse(value)
        # bool is an int subclass, but `retries = true` is a mistake, not 1.
        elif self.kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            parsed = float(value)
        elif self.kind is int and isinstance(value, int) and not isinstance(value, bool):
            parsed = value
        else:
            raise ValueError(value)
        if parsed is None:
            if self.optional:
                return None
            raise ValueError(value)
        if isinstance(parsed, float) and not math.isfinite(parsed):
            raise ValueError(value)
        if not self.check(parsed):
            raise ValueError(value)
        return parsed


OPTIONS: Mapping[str, Option] = MappingProxyType(
    {
        option.name: option
        for option in (
            Option(
                "api_key",
                str,
                "API token sent as a bearer token (set it with `claudechat auth`)",
                f"a token of at most {MAX_TOKEN_LENGTH} printable ASCII characters without spaces",
                _parse_token,
                _token_ok,
                env=ENV_API_KEY,
                optional=True,
                secret=True,
            ),
            Option(
                "base_url",
                str,
                "base URL of the Chat Completions API",
                "an http:// or https:// URL with a host (and no query or fragment)",
                _parse_url,
                env=ENV_BASE_URL,
            ),
            Option("model", str, "model id", "a model id without spaces", _parse_word, env=ENV_MODEL),
            Option(
                "timeout",
                float,
                "seconds to wait for the next piece of an answer",
                "a number greater than 0 and at most 3600",
                _parse_float,
                lambda value: 0 < value <= 3600,
            ),
            Option(
                "retries",
                int,
                "retries after a rate limit or a temporary server failure",
                "a whole number from 0 to 10",
                _parse_int,
                lambda value: 0 <= value <= 10,
            ),
            Option(
                "max_answer_mb",
                float,
                "megabytes an answer may grow to before it is stopped (a server that never ends)",
                "a number greater than 0 and at most 4096",
                _parse_float,
                lambda value: 0 < value <= 4096,
            ),
            Option("system", str, "system prompt sent first in every chat", "text", _parse_text, optional=True),
            Option(
                "temperature",
                float,
                "sampling temperature (unset: the model's default)",
                "a number from 0 to 2",
                _parse_float,
                lambda value: 0 <= value <= 2,
                optional=True,
            ),
            Option(
                "max_tokens",
                int,
                "maximum length of an answer in tokens (unset: the model's default)",
                "a whole number of at least 1",
                _parse_int,
                lambda value: value >= 1,
                optional=True,
            ),
            Option(
                "reasoning",
                str,
                "how to show the model's reasoning",
                "one of " + ", ".join(REASONING_MODES),
                _choice(REASONING_MODES),
            ),
            Option("theme", str, "colour theme name", "a non-empty theme name", _parse_name),
            Option(
                "editing_mode",
                str,
                "key bindings of the input line",
                "one of " + ", ".join(EDITING_MODES),
                _choice(EDITING_MODES),
            ),
            Option(
                "send_key",
                str,
                "the key that sends a message (the other inserts a new line)",
                "one of " + ", ".join(SEND_KEYS),
                _choice(SEND_KEYS),
            ),
            Option(
                "context_window",
                int,
                "context window in tokens of models the catalogue does not know (other servers)",
                "a whole number from 1000 to 100000000",
                _parse_int,
                lambda value: 1000 <= value <= 100_000_000,
                optional=True,
            ),
            Option(
                "attach_max_share",
                float,
                "share of the context window one message's attachments may fill",
                "a number greater than 0 and at most 1",
                _parse_float,
                lambda value: 0 < value <= 1,
            ),
            Option(
                "auto_compact",
                float,
                "compact the conversation before a request past this share of the window (0: never)",
                "0, or a number from 0.5 to 0.99",
                _parse_float,
                lambda value: value == 0 or 0.5 <= value <= 0.99,
            ),
            Option(
                "default_profile",
                str,
                "the profile ([profiles.NAME] in this file) used unless --profile names another",
                "a profile name: letters, digits, '-' and '_'",
                _parse_profile_name,
                env=ENV_PROFILE,
                optional=True,
            ),
        )
    }
)


# --- messages ------------------------------------------------------------------------------


def show_toml_value(value: object) -> str:
    """Render a rejected value for a one-line message, in TOML terms where that helps."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # repr escapes control characters, so a hostile value cannot act on the terminal.
        return repr(value if len(value) <= 80 else value[:79] + "…")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"


def _invalid_message(option: Option, value: object) -> str:
    if option.secret:
        return f"{option.name} must be {option.valid}"
    return f"{option.name} must be {option.valid}, got {show_toml_value(value)}"


def _valid_keys() -> str:
    return ", ".join(OPTIONS)


def _unknown_key_error(key: str) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(key.replace("-", "_"), list(OPTIONS), n=1)
    hint = f"did you mean {close[0]!r}?" if close else None
    return ConfigError(f"unknown key {one_line(key, 60)!r}; valid keys are {_valid_keys()}", hint=hint)


def lookup_option(key: str) -> Option:
    """Return the option named `key` (dashes accepted for underscores); ConfigError if unknown."""
    option = OPTIONS.get(key.strip().replace("-", "_"))
    if option is None:
        raise _unknown_key_error(key)
    return option


def parse_option(key: str, raw: str) -> Any:
    """Validate a command-line or environment string for `key` and return the typed value.

    Raises ConfigError naming the key and the valid range, e.g.
    "temperature must be a number from 0 to 2, got '3'". Optional keys (system, api_key)
    return None for empty text.
    """
    option = lookup_option(key)
    try:
        return option.convert(raw)
    except (ValueError, OverflowError):
        raise ConfigError(_invalid_message(option, raw)) from None


# --- the token -----------------------------------------------------------------------------


def redact(token: str | None) -> str:
    """Show a token as "…abcd" (its last four characters), "…" when short, "(not set)" when absent."""
    if not token:
        return "(not set)"
    if len(token) <= 8:
        return "…"
    return "…" + token[-4:]


def check_token(token: str) -> str:
    """Return the token stripped of surrounding whitespace; ConfigError if it cannot be one.

    Messages never include the token, not even in part.
    """
    value = token.strip()
    if not value:
        raise ConfigError("no token given; nothing changed")
    if any(char.isspace() for char in value):
        raise ConfigError("the token contains whitespace; nothing changed", hint="paste only the token itself")
    if _has_control(value):
        raise ConfigError("the token contains control characters; nothing changed", hint="paste only the token itself")
    if not value.isascii():
        raise ConfigError(
            "the token contains non-ASCII characters; nothing changed",
            hint="copy it again; quotes or invisible characters may have come along",
        )
    if len(value) > MAX_TOKEN_LENGTH:
        raise ConfigError(f"the token is longer than {MAX_TOKEN_LENGTH} characters; nothing changed")
    return value
