"""A `ChatClient` configured from the user's settings: the one place the two meet."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claudechat.api import ChatClient, RetryNotice
    from claudechat.api.trace import ExchangeLog
    from claudechat.config import Settings

__all__ = ["client_for", "open_exchange_log"]


def client_for(
    settings: Settings, on_retry: Callable[[RetryNotice], None], *, trace: ExchangeLog | None = None
) -> ChatClient:
    from claudechat.api import ChatClient
    from claudechat.config import DEFAULT_BASE_URL, server_key
    from claudechat.servers import ServerMemory
    from claudechat.tls import tls_context

    server = server_key(settings.base_url)
    memory = ServerMemory()
    # The service reports a streamed answer's usage unasked, and documents no `stream_options`;
    # vLLM, Ollama, llama.cpp and TGI report it only when asked.
    ask_usage = server != server_key(DEFAULT_BASE_URL) and not memory.refuses_stream_options(server)
    return ChatClient(
        settings.base_url,
        settings.api_key,
        timeout=settings.timeout,
        retries=settings.retries,
        max_answer_bytes=int(settings.max_answer_mb * 1024 * 1024),
        stream_usage=ask_usage,
        on_stream_usage_refused=lambda: memory.remember_stream_options_refused(server),
        on_retry=on_retry,
        no_token_hint=_no_token_hint(settings),
        trace=trace,
        verify=tls_context(),
    )


def _no_token_hint(settings: Settings) -> str:
    """What to do when a server wants a token and none was sent."""
    from claudechat.config import ENV_API_KEY, server_key

    server = server_key(settings.base_url)
    if settings.profile is not None:
        advice = f"store one for {server} with `claudechat auth --profile {settings.profile}`, or set {ENV_API_KEY}"
    else:
        advice = f"store one for {server} with `claudechat auth --base-url {settings.base_url}`, or set {ENV_API_KEY}"
    others = [name for name in settings.token_servers if name != server]
    if others:
        return f"a stored token is sent only to its own server ({', '.join(others)}); {advice}"
    return advice


def open_exchange_log() -> ExchangeLog:
    """A new log file for `--debug`, private, in the state directory; OSError if it cannot be made."""
    import os
    import time

    from claudechat.api.trace import ExchangeLog
    from claudechat.config import state_dir
    from claudechat.files import make_private_dir

    directory = state_dir() / "debug"
    make_private_dir(directory, tighten=False)
    return ExchangeLog(directory / f"exchange-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log")
