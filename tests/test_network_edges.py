"""A failed connection in words: where to, through which proxy, and what to check."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest

from claudechat.api.errors import APIConnectionError, APITimeoutError, TLSError
from claudechat.api.network import connection_error

URL = "https://service.test/v1/chat/completions"


def words(exc: httpx.TransportError, url: str = URL) -> tuple[str, str | None]:
    error = connection_error(exc, url, 30, 5)
    return error.message, error.hint


@pytest.fixture
def proxy(monkeypatch):
    def set_proxy(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)

    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return set_proxy


def test_a_refused_connection_through_a_proxy_names_both_and_the_variables(proxy):
    proxy("HTTPS_PROXY", "http://proxy.test:3128")

    assert words(httpx.ConnectError("refused")) == (
        "cannot reach service.test through the proxy proxy.test:3128: refused",
        "check the HTTPS_PROXY / HTTP_PROXY environment variables",
    )


def test_a_proxy_without_a_port_is_named_without_one(proxy):
    proxy("ALL_PROXY", "http://proxy.test")

    message, _ = words(httpx.ConnectTimeout("timed out"), "http://service.test:8080/v1")

    assert message == "cannot reach service.test:8080 through the proxy proxy.test:: timed out"


def test_a_host_the_proxy_is_bypassed_for_is_not_blamed_on_it(proxy):
    proxy("HTTPS_PROXY", "http://proxy.test:3128")
    proxy("NO_PROXY", "service.test")

    assert words(httpx.ConnectError("refused")) == (
        "connection refused by service.test", "is the server running? check --base-url"
    )


def test_a_proxy_for_another_scheme_is_not_blamed(proxy):
    proxy("HTTP_PROXY", "http://proxy.test:3128")

    message, _ = words(httpx.ConnectError("boom"))

    assert message == "cannot connect to service.test: boom"


def test_timeouts_say_which_limit_and_what_to_do():
    connect = connection_error(httpx.ConnectTimeout("t"), URL, 30, 5)
    silent = connection_error(httpx.ReadTimeout("t"), URL, 30, 5)

    assert isinstance(connect, APITimeoutError) and isinstance(silent, APITimeoutError)
    assert (connect.message, connect.hint) == (
        "could not connect to service.test within 5 s", "check the network and --base-url"
    )
    assert (silent.message, silent.hint) == (
        "the server sent nothing for 30 s", "what arrived is shown; raise the limit with --timeout"
    )


def test_a_port_is_named_only_when_the_url_has_one():
    assert words(httpx.ConnectError("boom"))[0] == "cannot connect to service.test: boom"
    assert words(httpx.ConnectError("boom"), "http://service.test:81/v1")[0] == "cannot connect to service.test:81: boom"


def caused(exc: httpx.TransportError, cause: BaseException) -> httpx.TransportError:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (caused(httpx.ConnectError("handshake"), ssl.SSLCertVerificationError(1, "certificate verify failed")),
         "certificate verify failed"),
        (httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number"),
         "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
        (httpx.ConnectError("hostname mismatch, CERTIFICATE is not valid"), "hostname mismatch, CERTIFICATE is not valid"),
    ],
)
def test_a_failed_secure_connection_gives_the_tls_reason(exc, reason):
    message, hint = words(exc)

    assert message == f"secure connection to service.test failed: {reason}"
    assert hint == "check --base-url (http vs https) and the server's certificate"


@pytest.mark.parametrize(
    "exc",
    [
        caused(httpx.ConnectError("lookup"), socket.gaierror(-2, "unknown")),
        httpx.ConnectError("[Errno -2] Name or service not known"),
        httpx.ConnectError("nodename nor servname provided, or not known"),
        httpx.ConnectError("getaddrinfo failed"),
        httpx.ConnectError("Temporary failure in name resolution"),
    ],
)
def test_a_host_that_does_not_resolve_is_named(exc):
    assert words(exc) == ("cannot resolve host 'service.test'", "check --base-url and your DNS")


@pytest.mark.parametrize(
    "exc", [caused(httpx.ConnectError("no"), ConnectionRefusedError(111, "x")), httpx.ConnectError("Connection Refused")]
)
def test_a_refused_connection_asks_whether_the_server_runs(exc):
    assert words(exc, "http://service.test:81/v1") == (
        "connection refused by service.test:81", "is the server running? check --base-url"
    )


def test_other_failures_to_connect_and_drops_say_what_to_do():
    assert words(httpx.ConnectError("unreachable")) == (
        "cannot connect to service.test: unreachable", "check the network and --base-url"
    )
    assert words(httpx.ReadError("reset")) == (
        "the connection to service.test dropped before the answer was finished", "what arrived is shown; try again"
    )


@pytest.mark.parametrize(
    ("exc", "lasting"),
    [
        (caused(httpx.ConnectError("handshake"), ssl.SSLCertVerificationError(1, "certificate verify failed")), True),
        (httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number"), True),
        (caused(httpx.ConnectError("handshake"), ssl.SSLEOFError(8, "EOF occurred in violation of protocol")), False),
        (httpx.ConnectError("[SSL: UNEXPECTED_EOF_WHILE_READING] unexpected eof"), False),
    ],
)
def test_only_a_failure_that_would_repeat_is_a_tls_error(exc, lasting):
    # TLSError is not retried: a handshake cut short (an overloaded server) is worth asking again.
    error = connection_error(exc, URL, 30, 5)
    assert isinstance(error, APIConnectionError) and error.message.startswith("secure connection to ")
    assert isinstance(error, TLSError) is lasting
