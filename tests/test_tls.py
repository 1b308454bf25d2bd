"""HTTPS to a server whose certificate the client is told to trust, or not.

The certificates in tests/tls/ are self-signed for 127.0.0.1, valid until 2126, and made for
these tests only: `trusted` is what SSL_CERT_FILE names, `untrusted` what nobody vouches for.
"""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest

from claudechat.api import APIConnectionError, TLSError
from claudechat.errors import ConfigError
from claudechat.tls import ContextLoader
from tests.cli_helpers import CLI, assert_one_line, new_token
from tests.double import Reply, ServiceDouble

TLS_DIR = Path(__file__).parent / "tls"
TRUSTED = TLS_DIR / "trusted.pem"


def _server_context(name: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS_DIR / f"{name}.pem", TLS_DIR / f"{name}.key")
    return context


@pytest.fixture
def token() -> str:
    return new_token()


@pytest.fixture(params=["trusted", "untrusted"])
def secure(request, token):
    with ServiceDouble(token=token, ssl_context=_server_context(request.param)) as service:
        service.shows = request.param
        yield service


@pytest.fixture
def cli(tmp_path, token, secure) -> CLI:
    return CLI(root=tmp_path, token=token, base_url=secure.url)


@pytest.mark.e2e
def test_a_one_shot_over_https_verifies_the_server(cli, secure):
    secure.enqueue(Reply(content="over TLS"))
    result = cli.run("hi", env={"SSL_CERT_FILE": str(TRUSTED)})
    if secure.shows == "trusted":
        assert (result.returncode, result.stdout) == (0, "over TLS\n"), result
        assert len(secure.requests) == 1
    else:
        assert result.returncode == 1 and result.stdout == "", result
        line = assert_one_line(result.stderr, result)
        assert line.startswith(f"claudechat: error: secure connection to 127.0.0.1:{secure.port} failed: ")
        assert "CERTIFICATE_VERIFY_FAILED" in line
        assert secure.requests == []  # the request never left the client


@pytest.mark.e2e
def test_by_default_only_public_authorities_are_trusted(cli, secure):
    result = cli.run("hi", env={"SSL_CERT_FILE": None, "SSL_CERT_DIR": None})
    assert result.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in assert_one_line(result.stderr, result)
    assert secure.requests == []


@pytest.mark.e2e
@pytest.mark.parametrize("output", ["text", "json"])
def test_certificates_that_cannot_be_loaded_are_a_one_line_error(tmp_path, output):
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate\n", encoding="utf-8")
    with ServiceDouble(token="t") as double:
        cli = CLI(root=tmp_path, token="t", base_url=double.url)
        for path, reason in ((tmp_path / "missing.pem", "No such file or directory"), (not_pem, "NO_CERTIFICATE")):
            result = cli.run("--output", output, "hi", env={"SSL_CERT_FILE": str(path)})
            assert result.returncode == 2, result
            line = assert_one_line(result.stderr, result)
            assert line.startswith(f"claudechat: error: cannot load the TLS certificates of SSL_CERT_FILE ({path}): ")
            assert reason in line and line.endswith("(point it at a PEM file or directory of CA certificates, or unset it)")
            if output == "json":
                assert "cannot load the TLS certificates" in result.json()["error"]["message"]
            else:
                assert result.stdout == ""
        assert double.requests == []


def test_the_loader_trusts_what_the_environment_names(monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(TRUSTED))
    loader = ContextLoader()
    loader.start()
    loader.start()  # a second start is the same load
    context = loader.context()
    assert context is loader.context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 1


def test_the_loader_loads_when_asked_if_never_started(monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = ContextLoader().context()
    assert context.cert_store_stats()["x509_ca"] > 100  # certifi's bundle


def test_the_loader_reports_a_directory_it_cannot_use(monkeypatch, tmp_path):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    assert ContextLoader().context().cert_store_stats()["x509_ca"] == 0  # read lazily, as httpx does
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nope.pem"))
    loader = ContextLoader()
    with pytest.raises(ConfigError, match=r"of SSL_CERT_FILE \(.*nope\.pem\): No such file"):
        loader.context()
    with pytest.raises(ConfigError):  # the same answer each time
        loader.context()


# -- in process: what is retried -------------------------------------------------------


def _outcome(url: str, context: ssl.SSLContext):
    from tests.test_client import chat

    notices: list = []
    return chat(url, retries=2, on_retry=notices.append, verify=context), notices


@pytest.mark.parametrize("shown", ["trusted", "untrusted"])
def test_a_certificate_that_fails_verification_is_not_retried(shown):
    client_context = ssl.create_default_context(cafile=TRUSTED)
    with ServiceDouble(token=None, ssl_context=_server_context(shown)) as secure:
        secure.enqueue(Reply(content="verified"))
        outcome, notices = _outcome(secure.url, client_context)
    if shown == "trusted":
        assert outcome.error is None and outcome.result.content == "verified"
    else:
        assert isinstance(outcome.error, TLSError) and "CERTIFICATE_VERIFY_FAILED" in str(outcome.error)
        assert notices == [] and secure.requests == []


def test_tls_spoken_to_a_plain_port_is_not_retried():
    with ServiceDouble(token=None) as plain:
        outcome, notices = _outcome(plain.url.replace("http://", "https://"), ssl.create_default_context(cafile=TRUSTED))
    assert isinstance(outcome.error, TLSError) and "WRONG_VERSION_NUMBER" in str(outcome.error)
    assert notices == [] and plain.requests == []


def test_a_handshake_cut_short_is_retried():
    # A server that closes the connection during the handshake may be overloaded: worth asking again.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        closer = threading.Thread(target=_close_each, args=(listener, 3), daemon=True)
        closer.start()
        outcome, notices = _outcome(f"https://127.0.0.1:{port}/v1", ssl.create_default_context(cafile=TRUSTED))
        closer.join(10)
    assert isinstance(outcome.error, APIConnectionError) and not isinstance(outcome.error, TLSError)
    assert [notice.attempt for notice in notices] == [1, 2]


def _close_each(listener: socket.socket, count: int) -> None:
    for _ in range(count):
        connection, _ = listener.accept()
        connection.recv(1)  # the ClientHello has begun
        connection.close()


@pytest.mark.e2e
def test_in_the_chat_certificates_that_cannot_be_loaded_leave_the_message_in_the_input(tmp_path, terminal, double):
    term = terminal(env={"SSL_CERT_FILE": str(tmp_path / "missing.pem")})
    term.wait_for_prompt()
    term.type_line("a message kept")
    term.wait_for("cannot load the TLS certificates of SSL_CERT_FILE")
    term.wait_for_prompt("a message kept")  # back in the input, to send once the variable is fixed
    assert double.requests == []
    term.send("\x15")  # Ctrl-U: the line is cleared, the chat is still there
    term.type_line("/quit")
    assert term.wait_exit() == 0
