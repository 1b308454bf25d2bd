"""Keys: at the prompt (send, new line) and while an answer streams (stop it)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prompt_toolkit.key_binding import KeyBindings

__all__ = ["prompt_key_bindings", "stream_stop_keys"]

ESCAPE_WAIT = 0.05  # a lone Esc is told from the start of an escape sequence after this long


def prompt_key_bindings() -> KeyBindings:
    """Enter sends; Alt-Enter, Esc Enter and Ctrl-J insert a new line.

    A bracketed paste arrives as one paste event, never as Enter keys, so a pasted block of
    lines lands in the input whole and is not sent early.
    """
    from prompt_toolkit.filters import has_completions, completion_is_selected
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter", filter=~(has_completions & completion_is_selected))
    def _send(event) -> None:  # type: ignore[no-untyped-def]
        event.current_buffer.validate_and_handle()

    @bindings.add("enter", filter=has_completions & completion_is_selected)
    def _take_completion(event) -> None:  # type: ignore[no-untyped-def]
        buffer = event.current_buffer
        buffer.complete_state = None  # keep the chosen completion, close the menu

    @bindings.add("escape", "enter")
    @bindings.add("c-j")
    def _new_line(event) -> None:  # type: ignore[no-untyped-def]
        event.current_buffer.insert_text("\n")

    return bindings


@contextlib.contextmanager
def stream_stop_keys(stop: Callable[[], None]) -> Iterator[None]:
    """While inside, Ctrl-C or Esc calls `stop`; other keys are swallowed, not echoed."""
    if not sys.stdin.isatty():
        yield
        return
    from prompt_toolkit.input import create_input
    from prompt_toolkit.keys import Keys

    terminal_input = create_input()
    loop = asyncio.get_running_loop()

    def handle(keys: list) -> None:  # type: ignore[type-arg]
        if any(press.key in (Keys.ControlC, Keys.Escape) for press in keys):
            stop()

    def on_input() -> None:
        handle(terminal_input.read_keys())
        loop.call_later(ESCAPE_WAIT, lambda: handle(terminal_input.flush_keys()))

    with terminal_input.raw_mode(), terminal_input.attach(on_input):
        yield
