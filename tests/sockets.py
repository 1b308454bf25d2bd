"""A local address that accepts nothing: connecting to it times out, with no network needed."""

from __future__ import annotations

import contextlib
import errno
import select
import socket
from collections.abc import Iterator

import pytest

__all__ = ["full_accept_queue"]


@contextlib.contextmanager
def full_accept_queue(port: int = 0) -> Iterator[int]:
    """Listen on 127.0.0.1:`port` (0: any free port) and fill the accept queue; yields the port.

    Connections nobody accepts fill the queue, after which the kernel drops new SYNs, so a
    client's connect waits until its own timeout. Skips the test where the platform completes
    connections beyond a full queue.
    """
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sockets = [listener]
    try:
        listener.bind(("127.0.0.1", port))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):  # the last one is the probe
            filler = socket.socket()
            filler.setblocking(False)
            sockets.append(filler)
            assert filler.connect_ex(("127.0.0.1", port)) in (0, errno.EINPROGRESS, errno.EAGAIN)
        probe = sockets[-1]
        _, writable, _ = select.select([], [probe], [], 0.2)
        if writable and probe.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            pytest.skip("this platform completes connections beyond a full accept queue")
        yield port
    finally:
        for sock in sockets:
            sock.close()
