"""What a failed connection means, in words a user can act on: refused, DNS, TLS, proxy, timeouts."""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import httpx

from claudechat.api.errors import APIConnectionError, APIError, APITimeoutError, TLSError

__all__ = ["connection_error"]


def _walk_causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _proxy_for(url: str) -> str | None:
    """The proxy from the environment that a request to `url` goes through, if any."""
    from urllib.request import getproxies_environment, proxy_bypass_environment

    parts = urlsplit(url)
    proxies = getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and not proxy_bypass_environment(parts.hostname or "", proxies):
        return proxy
    return None


def connection_error(exc: httpx.TransportError, url: str, timeout: float, connect_timeout: float) -> APIError:
    parts = urlsplit(url)
    host = parts.hostname or url
    where = f"{host}:{parts.port}" if parts.port else host
    proxy = _proxy_for(url)
    if proxy and isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.ProxyError):
        proxy_parts = urlsplit(proxy)
        return APIConnectionError(
            f"cannot reach {where} through the proxy {proxy_parts.hostname}:{proxy_parts.port or ''}: {exc}",
            hint="check the HTTPS_PROXY / HTTP_PROXY environment variables",
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return APITimeoutError(
            f"could not connect to {where} within {connect_timeout:g} s",
            hint="check the network and --base-url",
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"the server sent nothing for {timeout:g} s",
            hint="what arrived is shown; raise the limit with --timeout",
        )
    causes = _walk_causes(exc)
    if any(isinstance(cause, ssl.SSLError) for cause in causes) or "SSL" in str(exc) or "CERTIFICATE" in str(exc):
        reason = next((str(c) for c in causes if isinstance(c, ssl.SSLError)), str(exc))
        # A certificate that fails verification, or a plain HTTP port, fails the same way again;
        # a handshake cut short (an overloaded server) may not.
        lasting = any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes) or (
            "WRONG_VERSION_NUMBER" in reason
        )
        return (TLSError if lasting else APIConnectionError)(
            f"secure connection to {where} failed: {reason}",
            hint="check --base-url (http vs https) and the server's certificate",
        )
    if any(isinstance(cause, socket.gaierror) for cause in causes) or any(
        marker in str(exc) for marker in ("Name or service not known", "nodename nor servname", "getaddrinfo", "name resolution")
    ):
        return APIConnectionError(f"cannot resolve host {host!r}", hint="check --base-url and your DNS")
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes) or "refused" in str(exc).lower():
        return APIConnectionError(
            f"connection refused by {where}", hint="is the server running? check --base-url"
        )
    if isinstance(exc, httpx.ConnectError):
        return APIConnectionError(f"cannot connect to {where}: {exc}", hint="check the network and --base-url")
    return APIConnectionError(
        f"the connection to {where} dropped before the answer was finished",
        hint="what arrived is shown; try again",
    )
