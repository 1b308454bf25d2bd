"""Signals the running event loop handles itself, for as long as a piece of work lasts."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

__all__ = ["handled_by_loop"]


@contextlib.contextmanager
def handled_by_loop(name: str, handler: Callable[[], object]) -> Iterator[bool]:
    """While inside, the event loop calls `handler` on the signal `name` ("SIGINT").

    The loop's handling wakes it through its self-pipe at once, whichever thread the signal
    lands on; a plain Python handler runs only when the main thread next runs bytecode. Yields
    whether the handler is in place: only on POSIX, in the main thread, can the loop do this.
    """
    import asyncio
    import signal

    signum = getattr(signal, name, None)
    if os.name != "posix" or signum is None:
        yield False
        return
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signum, handler)
    except (RuntimeError, ValueError):  # not the main thread, or the loop is closing
        yield False
        return
    try:
        yield True
    finally:
        loop.remove_signal_handler(signum)
