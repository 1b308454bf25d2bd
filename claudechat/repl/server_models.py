"""The models the server in use offers, for `/model` and its Tab completion.

A server that answers `GET /models` (llama.cpp, vLLM, Ollama, LiteLLM, a company gateway)
gives the list; for the service, which documents no such endpoint, and for any server whose
endpoint fails, there is no list (None) and the catalogue (claudechat.models) stays the one
shown, without a word. A list, or the lack of one, is kept for a day in the cache directory
per profile and server (claudechat.model_cache), and in memory for the chat; a failure that
may pass (a timeout, a server error) only for a minute, in memory.

Asking takes at most `FETCH_TIMEOUT` seconds. `/model` waits for it; Tab completion never
waits: it offers what is known now and asks in the background, refreshing the menu when the
answer comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from claudechat.config import DEFAULT_BASE_URL, server_key
from claudechat.errors import ClaudechatError
from claudechat.model_cache import ModelCache, cache_key

if TYPE_CHECKING:
    from claudechat.config import Settings

__all__ = ["FETCH_TIMEOUT", "ServerModels"]

FETCH_TIMEOUT = 3.0
_RETRY_AFTER = 60.0  # seconds before a failure that may pass is asked about again


class ServerModels:
    def __init__(self, cache: ModelCache | None = None) -> None:
        self._cache = cache
        self._memory: dict[str, tuple[list[str] | None, float | None]] = {}  # key -> (ids, forget at)
        self._tasks: dict[str, asyncio.Task[list[str] | None]] = {}

    @property
    def cache(self) -> ModelCache:
        if self._cache is None:
            self._cache = ModelCache()
        return self._cache

    @staticmethod
    def _key(settings: Settings) -> str | None:
        server = server_key(settings.base_url)
        if server == server_key(DEFAULT_BASE_URL):
            return None  # the service lists no models: the catalogue is its list
        return cache_key(server, settings.profile)

    def known(self, settings: Settings) -> tuple[bool, list[str] | None]:
        """(known, ids) without asking the server: known is False when it has not been asked lately."""
        key = self._key(settings)
        if key is None:
            return True, None
        if key in self._memory:
            ids, forget_at = self._memory[key]
            if forget_at is None or time.monotonic() < forget_at:
                return True, ids
            del self._memory[key]
        found, ids = self.cache.get(key)
        if found:
            self._memory[key] = (ids, None)
        return found, ids

    async def get(self, settings: Settings) -> list[str] | None:
        """The server's model ids, asking it if need be (at most FETCH_TIMEOUT s); None when it lists none."""
        known, ids = self.known(settings)
        if known:
            return ids
        return await asyncio.shield(self._task(settings))

    def prefetch(self, settings: Settings, when_done: Callable[[], None]) -> None:
        """Ask in the background, unless known or already asking; `when_done` is called if it was asked."""
        if self.known(settings)[0]:
            return
        try:
            task = self._task(settings)
        except RuntimeError:  # no event loop: nothing can run in the background
            return
        task.add_done_callback(lambda _: when_done())

    def _task(self, settings: Settings) -> asyncio.Task[list[str] | None]:
        key = self._key(settings)
        assert key is not None
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = asyncio.get_running_loop().create_task(self._fetch(settings, key))
        return task

    async def _fetch(self, settings: Settings, key: str) -> list[str] | None:
        from claudechat.api.models import ModelListUnavailable, list_models
        from claudechat.tls import tls_context

        try:
            ids: list[str] | None = await list_models(
                settings.base_url, settings.api_key, timeout=FETCH_TIMEOUT, verify=tls_context()
            )
        except ModelListUnavailable as unavailable:
            if unavailable.lasting:
                self._remember(key, None)
            else:
                self._memory[key] = (None, time.monotonic() + _RETRY_AFTER)
            return None
        except ClaudechatError:  # certificates that cannot be loaded: the request will say so
            self._memory[key] = (None, time.monotonic() + _RETRY_AFTER)
            return None
        finally:
            self._tasks.pop(key, None)
        self._remember(key, ids or None)
        return ids or None

    def _remember(self, key: str, ids: list[str] | None) -> None:
        self._memory[key] = (ids, None)
        with contextlib.suppress(Exception):  # a cache that cannot be written is asked again next time
            self.cache.put(key, ids)

    async def aclose(self) -> None:
        """Stop asking: the chat is ending."""
        for task in list(self._tasks.values()):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
