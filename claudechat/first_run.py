"""The first run: where a token for the service comes from, or another server instead.

Imported on every start, so it imports nothing more until a token is really missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from claudechat import config
from claudechat.errors import ConfigError

__all__ = ["ensure_token"]

_TOKEN_SOURCE = (
    "Get one at https://platform.acedata.cloud: sign in, open the Claude Chat Completion API and press "
    "“Acquire” (new accounts get a free quota)."
)


def _say(text: str) -> None:
    """A paragraph on stderr, wrapped at the terminal's width between words."""
    import shutil
    import textwrap

    width = max(20, min(100, shutil.get_terminal_size((80, 24)).columns - 1))
    print(textwrap.fill(text, width=width, break_long_words=False, break_on_hyphens=False), file=sys.stderr)


def _ask_base_url(path: Path) -> str | None:
    """Another server's base URL, typed, checked and saved to the config file; None to give up."""
    from claudechat.paths import short_path

    while True:
        try:
            answer = input("Base URL of the server (for example http://localhost:8080/v1): ").strip()
        except EOFError:
            print(file=sys.stderr)
            return None
        if not answer:
            return None
        try:
            url = config.set_option("base_url", answer, path)
        except ConfigError as err:
            _say(f"claudechat: {err}")
            continue
        print(f"base_url = {url} saved to {short_path(path)}")
        return url


def ensure_token(settings: config.Settings) -> config.Settings:
    """Settings with a token, asking for one on a terminal when the service needs it.

    Only the default service needs a token; a local OpenAI-compatible server usually has none.
    The first time, on a terminal, the user learns where a token comes from, and may choose
    another server instead (its base URL, and its token if it needs one), saved for next time.
    Without a terminal to ask on, a missing token is a configuration error.
    """
    service = config.server_key(config.DEFAULT_BASE_URL)
    if settings.api_key or config.server_key(settings.base_url) != service:
        return settings  # the common case, at every start: nothing more is imported for it
    import dataclasses

    from claudechat.api.errors import TOKEN_HINT
    from claudechat.paths import short_path
    from claudechat.subcommands import run_auth_flow

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ConfigError(f"no API token is set for {service}", hint=TOKEN_HINT)
    path = config.config_path()
    _say(f"claudechat talks to the Claude Chat Completion API at {service}, which needs an API token. "
         f"{_TOKEN_SOURCE} It is saved to {short_path(path)}, and sent to {service} only.")
    _say("To use another OpenAI-compatible server instead (llama.cpp, vLLM, Ollama, LiteLLM, ...), press Enter.")
    token = run_auth_flow(path, server=service, prompt="API token (or Enter for another server): ")
    if token:
        return dataclasses.replace(settings, api_key=token)
    base_url = _ask_base_url(path)
    if base_url is None:
        raise ConfigError("no API token is set and no other server was chosen", hint=TOKEN_HINT)
    server = config.server_key(base_url)
    token = run_auth_flow(path, server=server, prompt=f"API token for {server} (Enter if it needs none): ")
    return dataclasses.replace(settings, base_url=base_url, api_key=token)
