"""Keys: at the prompt (send, new line) and while an answer streams (stop it)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from claudechat.config import SEND_KEYS

if TYPE_CHECKING:
    from prompt_toolkit.key_binding import KeyBindings

__all__ = ["prompt_key_bindings", "raw_terminal", "stream_stop_keys", "clear_screen"]

ESCAPE_WAIT = 0.05  # a lone Esc is told from the start of an escape sequence after this long


def prompt_key_bindings(send_key: str = "enter") -> KeyBindings:
    """The keys of the input line; `send_key` (the `send_key` setting) says which one sends.

    "enter": Enter sends; Alt-Enter, Esc Enter and Ctrl-J insert a new line.
    "alt-enter": Alt-Enter (or Esc Enter) sends; Enter and Ctrl-J insert a new line, for those
    who write long messages and would rather not send one half-written.

    Either way Enter first takes a completion chosen in the menu, and a bracketed paste arrives
    as one paste event, never as Enter keys, so a pasted block of lines lands in the input
    whole and is not sent early.
    """
    from prompt_toolkit.filters import (
        completion_is_selected,
        emacs_mode,
        has_completions,
        has_selection,
        vi_navigation_mode,
    )
    from prompt_toolkit.key_binding import KeyBindings

    if send_key not in SEND_KEYS:
        raise ValueError(f"send_key must be one of {', '.join(SEND_KEYS)}, not {send_key!r}")
    bindings = KeyBindings()
    choosing = has_completions & completion_is_selected
    # Plain Enter gives way to a completion chosen in the menu, whichever of the two it does.
    if send_key == "enter":
        sends, breaks_line = bindings.add("enter", filter=~choosing), bindings.add("escape", "enter")
    else:
        sends, breaks_line = bindings.add("escape", "enter"), bindings.add("enter", filter=~choosing)

    @sends
    def _send(event) -> None:  # type: ignore[no-untyped-def]
        event.current_buffer.validate_and_handle()

    @bindings.add("enter", filter=choosing)
    def _take_completion(event) -> None:  # type: ignore[no-untyped-def]
        buffer = event.current_buffer
        buffer.complete_state = None  # keep the chosen completion, close the menu

    @breaks_line
    @bindings.add("c-j")
    def _new_line(event) -> None:  # type: ignore[no-untyped-def]
        event.current_buffer.insert_text("\n")

    @bindings.add("c-l")
    def _clear_screen(event) -> None:  # type: ignore[no-untyped-def]
        clear_screen(event.app)

    # prompt_toolkit sends what comes back from the editor at once; it comes back to the input
    # line instead, to be read over and sent with Enter.
    @bindings.add("c-x", "c-e", filter=emacs_mode & ~has_selection)
    @bindings.add("v", filter=vi_navigation_mode)
    def _edit_in_editor(event) -> None:  # type: ignore[no-untyped-def]
        event.current_buffer.open_in_editor(validate_and_handle=False)

    return bindings


def clear_screen(app) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-L: the prompt moves to the top row; what was above it scrolls into the scrollback.

    Scrolled rather than erased (ED 2): every terminal keeps rows scrolled off the top, where an
    erased screen is lost in xterm and pushed whole into tmux's history, the prompt and its
    toolbar included. Only the rows above the prompt scroll, so no blank screenful follows them.
    """
    from prompt_toolkit.renderer import HeightIsUnknownError

    renderer, output = app.renderer, app.output
    try:
        above = renderer.rows_above_layout
    except HeightIsUnknownError:  # the terminal never said where the cursor is
        renderer.clear()
        return
    renderer.erase()
    rows = output.get_size().rows
    output.write_raw(f"\x1b[{rows};1H" + "\n" * above + "\x1b[H")
    output.flush()
    renderer.request_absolute_cursor_position()


@contextlib.contextmanager
def raw_terminal() -> Iterator[None]:
    """Keep the terminal in raw mode for the whole chat.

    prompt_toolkit switches to raw mode while it reads and back when it returns; between two
    prompts the terminal would be in cooked mode, where the line discipline eats a typed-ahead
    Ctrl-D as end-of-file and echoes typed-ahead text over the output. Raw mode all along
    leaves every key in the input queue for whoever reads next.
    """
    if not sys.stdin.isatty():
        yield
        return
    from prompt_toolkit.input import create_input

    with create_input().raw_mode():
        yield


@contextlib.contextmanager
def stream_stop_keys(
    stop: Callable[[], None], on_typed: Callable[[str], None] | None = None
) -> Iterator[list[str]]:
    """While inside, Ctrl-C or Esc calls `stop`; text typed meanwhile is collected, not echoed.

    Yields the list the typed text goes to, so the next prompt can start with it; `on_typed`
    is told the whole text after each change (Backspace takes back the last character).
    """
    typed: list[str] = []
    if not sys.stdin.isatty():
        yield typed
        return
    from prompt_toolkit.input import create_input
    from prompt_toolkit.keys import Keys

    terminal_input = create_input()
    loop = asyncio.get_running_loop()

    def handle(keys: list) -> None:  # type: ignore[type-arg]
        changed = False
        for press in keys:
            if press.key in (Keys.ControlC, Keys.Escape):
                stop()
            elif press.key == Keys.BracketedPaste or (len(press.data) == 1 and press.data.isprintable()):
                typed.append(press.data)
                changed = True
            elif press.key in (Keys.ControlH, Keys.Backspace) and typed:
                last = typed.pop()
                if len(last) > 1:
                    typed.append(last[:-1])
                changed = True
        if changed and on_typed is not None:
            on_typed("".join(typed))

    def on_input() -> None:
        handle(terminal_input.read_keys())
        loop.call_later(ESCAPE_WAIT, lambda: handle(terminal_input.flush_keys()))

    with terminal_input.raw_mode(), terminal_input.attach(on_input):
        yield typed
