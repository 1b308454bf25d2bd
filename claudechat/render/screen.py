"""The terminal as the renderer sees it: a rich Console to render with, a live region to draw in."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from claudechat.render.live import LiveRegion

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = ["Screen"]


class Screen:
    """Everything is rendered by rich to text first, then written in one piece per frame."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.region = LiveRegion(self._write, lambda: self.console.size.width)

    def _write(self, text: str) -> None:
        self.console.file.write(text)
        self.console.file.flush()

    def render(self, renderable: RenderableType) -> str:
        """The text (with colour codes) rich draws for `renderable` at the terminal's width."""
        with self.console.capture() as capture:
            self.console.print(renderable)
        return capture.get()

    @property
    def rows(self) -> int:
        return self.console.size.height

    def print(self, *renderables: RenderableType) -> None:
        """Print above the live region (which is cleared): for messages between answers."""
        self.region.update("".join(self.render(item) for item in renderables))

    @contextlib.contextmanager
    def noting_resizes(self, then: Callable[[], None] | None = None) -> Iterator[None]:
        """While frames are drawn, each resize (SIGWINCH) makes the next frame a full one
        (and calls `then`: the frame may be wanted at once).

        A frame writes only what changed on the rows it drew, but a terminal that cut those
        rows when it was narrowed does not give them back when it is widened again, and the
        width may be the same again by the next frame.
        """
        from claudechat.signals import handled_by_loop

        def resized() -> None:
            self.region.resized()
            if then is not None:
                then()

        with handled_by_loop("SIGWINCH", resized):
            yield
