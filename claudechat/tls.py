"""The TLS context, built on a thread while the rest of the program imports.

Loading a CA bundle is ~25 ms of OpenSSL work that releases the GIL, and a request needs it only
when its client is built, after some 100 ms of imports: started first, it costs nothing.
Kept outside `claudechat.api` so that starting it does not import httpx.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from claudechat.errors import ConfigError

if TYPE_CHECKING:
    import ssl

__all__ = ["ContextLoader", "preload_tls_context", "tls_context"]


class ContextLoader:
    """Builds the TLS context httpx would build by itself (certifi's CA bundle, or the one
    `SSL_CERT_FILE` / `SSL_CERT_DIR` name), once, on a thread if started early."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._context: ssl.SSLContext | None = None
        self._error: ConfigError | None = None

    def start(self) -> None:
        """Start loading in the background; calling again does nothing."""
        # Modules are imported here, on the calling thread: only OpenSSL's work goes to the
        # other one, so two threads never import at once.
        import ssl  # noqa: F401

        with self._lock:
            if self._thread is None:
                # Not a daemon: the interpreter waits for it at exit (an error found before the
                # request, say) rather than tearing down while OpenSSL still runs, which crashes.
                self._thread = threading.Thread(target=self._load, args=self._certificates(), name="tls-context")
                self._thread.start()

    def context(self) -> ssl.SSLContext:
        """The context, waiting for the loading thread (or loading now if none was started).

        ConfigError when the certificates named cannot be read, say which and why.
        """
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._context is not None
        return self._context

    @staticmethod
    def _certificates() -> tuple[str, str | None, str | None]:
        """Where the CA certificates come from, and the file or directory to trust: the same
        choice as httpx's own `create_ssl_context` with `trust_env`."""
        if os.environ.get("SSL_CERT_FILE"):
            return "SSL_CERT_FILE", os.environ["SSL_CERT_FILE"], None
        if os.environ.get("SSL_CERT_DIR"):
            return "SSL_CERT_DIR", None, os.environ["SSL_CERT_DIR"]
        import certifi

        return "certifi's bundle", certifi.where(), None

    def _load(self, source: str, cafile: str | None, capath: str | None) -> None:
        import ssl

        try:
            self._context = ssl.create_default_context(cafile=cafile, capath=capath)
        except (OSError, ValueError) as err:  # ssl.SSLError is an OSError
            reason = getattr(err, "reason", None) or getattr(err, "strerror", None) or str(err)
            self._error = ConfigError(
                f"cannot load the TLS certificates of {source} ({cafile or capath}): {reason}",
                hint="point it at a PEM file or directory of CA certificates, or unset it",
            )


_default = ContextLoader()


def preload_tls_context() -> None:
    """Start loading the certificates every request needs, in the background."""
    _default.start()


def tls_context() -> ssl.SSLContext:
    """The process's TLS context for httpx's `verify` (see `ContextLoader.context`)."""
    return _default.context()
