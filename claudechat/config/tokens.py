"""API tokens in the config file, each tied to the server it was stored for.

A token is sent only to its own server: one stored for the service never reaches a local
server or a third party named by `--base-url`. They live in a `[tokens]` table keyed by
server (`host`, or `host:port` unless the scheme's default port):

    [tokens]
    "api.acedata.cloud" = "sk-..."
    "127.0.0.1:8080" = "..."

A top-level `api_key`, as earlier versions stored it, belongs to the server of the file's own
`base_url` (the default service when there is none); storing a token moves it into the table.
These functions only read and change the file's table; the store reads and writes the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from claudechat.config.settings import DEFAULT_BASE_URL, OPTIONS, server_key

__all__ = ["TOKENS_TABLE", "InvalidToken", "stored_tokens", "with_token", "without_token"]

TOKENS_TABLE = "tokens"


class InvalidToken(ValueError):
    """A stored token that cannot be one; `key` says where (api_key, or the table's entry)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _legacy_server(data: Mapping[str, Any]) -> str:
    base_url = data.get("base_url")
    try:
        url = OPTIONS["base_url"].convert(base_url) if isinstance(base_url, str) else DEFAULT_BASE_URL
    except ValueError:
        url = DEFAULT_BASE_URL
    return server_key(url)


def stored_tokens(data: Mapping[str, Any]) -> dict[str, str]:
    """Server -> token, from the file's table and a top-level `api_key`; InvalidToken if one is bad."""
    option = OPTIONS["api_key"]
    tokens: dict[str, str] = {}
    if "api_key" in data:
        try:
            token = option.convert(data["api_key"])
        except (ValueError, OverflowError):
            raise InvalidToken("api_key") from None
        if token:
            tokens[_legacy_server(data)] = token
    table = data.get(TOKENS_TABLE, {})
    if not isinstance(table, dict):
        raise InvalidToken(TOKENS_TABLE)
    for server, value in table.items():
        try:
            token = option.convert(value)
        except (ValueError, OverflowError):
            raise InvalidToken(f"{TOKENS_TABLE}.{server}") from None
        if token:
            tokens[server.strip().lower()] = token
    return tokens


def with_token(data: Mapping[str, Any], server: str, token: str) -> dict[str, Any]:
    """The file's table with `token` stored for `server` (a top-level api_key moved into it)."""
    new = dict(data)
    table = dict(new.get(TOKENS_TABLE) or {})
    if "api_key" in new:
        legacy = new.pop("api_key")
        table.setdefault(_legacy_server(data), legacy)
    table[server] = token
    new[TOKENS_TABLE] = table
    return new


def without_token(data: Mapping[str, Any], server: str) -> tuple[dict[str, Any], bool]:
    """The file's table without a token for `server`, and whether there was one."""
    new = dict(data)
    removed = False
    if "api_key" in new and _legacy_server(data) == server:
        del new["api_key"]
        removed = True
    table = dict(new.get(TOKENS_TABLE) or {})
    for key in [key for key in table if key.strip().lower() == server]:
        del table[key]
        removed = True
    if table:
        new[TOKENS_TABLE] = table
    else:
        new.pop(TOKENS_TABLE, None)
    return new, removed
