"""`GET {base_url}/models`: the ids of the models a server offers, in OpenAI's shape.

    {"object": "list", "data": [{"id": "qwen2.5-7b", "object": "model", ...}, ...]}

llama.cpp, vLLM, Ollama, LiteLLM and OpenAI answer it; the service documents no such endpoint.
Any failure is one `ModelListUnavailable`, whose `lasting` says whether asking again soon is
pointless (the server has no such endpoint, or answers something else) or may work (a
timeout, a refused token, a server error). Nothing here retries: the list is a convenience.
"""

from __future__ import annotations

import asyncio
import json
import ssl

import httpx

from claudechat import __version__

__all__ = ["MAX_MODELS", "ModelListUnavailable", "list_models"]

MAX_BYTES = 1024 * 1024  # a list of a few thousand models; more is not a list of models
MAX_MODELS = 2000
MAX_ID_LENGTH = 200
_NO_ENDPOINT = frozenset({400, 404, 405, 501})


class ModelListUnavailable(Exception):
    """The server gave no usable list; `lasting` when asking again soon would get the same."""

    def __init__(self, reason: str, *, lasting: bool) -> None:
        super().__init__(reason)
        self.lasting = lasting


def _usable_id(value: object) -> bool:
    # An id is shown and sent as it is: one printable word, of a sane length.
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_ID_LENGTH
        and value.isprintable()
        and not any(char.isspace() for char in value)
    )


def model_ids(body: bytes) -> list[str]:
    """The ids in a `/models` body, in its order, without repeats; ModelListUnavailable if it is no list."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise ModelListUnavailable("the answer is not JSON", lasting=True) from None
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, list):
        raise ModelListUnavailable("the answer has no `data` list", lasting=True)
    ids: list[str] = []
    for item in data[:MAX_MODELS]:
        model = item.get("id") if isinstance(item, dict) else None
        if _usable_id(model) and model not in ids:
            ids.append(model)
    return ids


async def list_models(
    base_url: str,
    api_key: str | None,
    *,
    timeout: float = 3.0,
    verify: ssl.SSLContext | bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[str]:
    """The model ids `base_url`'s server lists; ModelListUnavailable when it does not, or not within `timeout` s."""
    headers = {"user-agent": f"claudechat/{__version__}", "accept": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    url = base_url.rstrip("/") + "/models"
    try:
        async with asyncio.timeout(timeout), httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(timeout), verify=verify, transport=transport, trust_env=True
        ) as http:
            async with http.stream("GET", url) as response:
                if response.status_code in _NO_ENDPOINT:
                    raise ModelListUnavailable(f"{response.status_code}", lasting=True)
                if response.status_code != 200:
                    raise ModelListUnavailable(f"{response.status_code}", lasting=False)
                body = b""
                async for piece in response.aiter_bytes():
                    body += piece
                    if len(body) > MAX_BYTES:
                        raise ModelListUnavailable("the answer is too large", lasting=True)
    except (httpx.HTTPError, TimeoutError) as exc:
        raise ModelListUnavailable(type(exc).__name__, lasting=False) from None
    return model_ids(body)
