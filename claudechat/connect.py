"""A `ChatClient` configured from the user's settings: the one place the two meet."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claudechat.api import ChatClient, RetryNotice
    from claudechat.config import Settings

__all__ = ["client_for"]


def client_for(settings: Settings, on_retry: Callable[[RetryNotice], None]) -> ChatClient:
    from claudechat.api import ChatClient

    return ChatClient(
        settings.base_url,
        settings.api_key,
        timeout=settings.timeout,
        retries=settings.retries,
        max_answer_bytes=int(settings.max_answer_mb * 1024 * 1024),
        on_retry=on_retry,
    )
