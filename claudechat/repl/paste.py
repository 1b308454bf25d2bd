"""Images into the prompt: the clipboard's (Ctrl-V, /paste) and a dropped file's (a pasted path).

Ctrl-V attaches the image on the clipboard, or pastes its text when it holds none; a bracketed
paste that is exactly one path to an image file (what terminals paste when a file is dropped
on them) attaches that file instead of inserting the path. Either way a line says what was
attached, and Ctrl-Z takes it back: a dropped path then goes into the input as the text it was.
The clipboard is read and images are scaled in a worker thread, so the prompt stays live.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from claudechat.errors import ClaudechatError
from claudechat.repl.commands import COMMANDS, no_argument

if TYPE_CHECKING:
    from prompt_toolkit.key_binding import KeyBindings

    from claudechat.chat.attachments import ImageAttachment
    from claudechat.repl.app import Repl

__all__ = ["Paster", "paste_key_bindings", "clipboard_name", "load_clipboard_image"]

T = TypeVar("T")

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
_CLIPBOARD_NAME = re.compile(r"clipboard-(\d+)\.[a-z]+")


def clipboard_name(app: Repl, media_type: str | None) -> str:
    """`clipboard-N.png`, N one more than any pasted image of this conversation had."""
    from claudechat.chat.conversation import image_names

    names = [attachment.name for attachment in app.attachments]
    for message in app.session.messages:
        names += image_names(message.content)
    numbers = [int(found.group(1)) for name in names if (found := _CLIPBOARD_NAME.fullmatch(name))]
    return f"clipboard-{max(numbers, default=0) + 1}.{_EXTENSIONS.get(media_type or '', 'png')}"


def _normalised(text: str) -> str:
    """Line ends as prompt_toolkit's own paste makes them (some terminals paste CRLF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _described(image: ImageAttachment) -> str:
    from claudechat.chat.image_fit import human_size

    facts = []
    if image.width and image.height:
        facts.append(f"{image.width}×{image.height}")
    if image.size is not None:
        facts.append(human_size(image.size))
    return f" ({', '.join(facts)})" if facts else ""


def load_clipboard_image(app: Repl, data: bytes) -> ImageAttachment:
    """The clipboard's image as `clipboard-N.png` (scaled if it must be); AttachmentError if unusable."""
    from claudechat.chat.attachments import image_from_bytes

    image = image_from_bytes(data, "clipboard")
    return replace(image, name=clipboard_name(app, image.media_type))


class Paster:
    """Attaches what is pasted to the chat's next message, and takes it back on request."""

    def __init__(self, app: Repl) -> None:
        self.app = app
        # What Ctrl-Z can take back, last first: the image, and the text it was pasted as.
        self._taken: list[tuple[ImageAttachment, str]] = []

    def attach(self, image: ImageAttachment, text: str = "") -> None:
        """Attach `image`, pasted as `text` (a path; empty for the clipboard's own image)."""
        self.app.attachments.append(image)
        self._taken.append((image, text))

    def notes(self, image: ImageAttachment, *, dropped: bool, hint: str) -> list[str]:
        """The lines that say what was attached, and how it was scaled; warnings start `warning: `."""
        from claudechat.models import image_warning
        from claudechat.paths import short_path
        from claudechat.sanitize import one_line

        name = short_path(image.name) if dropped else one_line(image.name, 100)
        source = "the pasted path" if dropped else "the clipboard"
        lines = [f"attached {name}{_described(image)} from {source} · {hint}"]
        if image.note:
            lines.append(image.note)
        warning = image_warning(self.app.model)
        if warning:
            lines.append(f"warning: {warning}")
        return lines

    def can_take_back(self) -> bool:
        """True while the last pasted image is still waiting to be sent."""
        attached = self.app.attachments
        while self._taken and not any(item is self._taken[-1][0] for item in attached):
            self._taken.pop()  # sent, cleared or taken back another way
        return bool(self._taken)

    def take_back(self) -> tuple[ImageAttachment, str] | None:
        """Detach the last pasted image; it and the text it came as (empty for the clipboard's)."""
        if not self.can_take_back():
            return None
        image, text = self._taken.pop()
        self.app.attachments = [item for item in self.app.attachments if item is not image]
        return image, text


def _show(app: Repl, lines: list[str], *, error: bool = False) -> None:
    for line in lines:
        if error:
            app.error(line)
        elif line.startswith("warning: "):
            app.warning(line.removeprefix("warning: "))
        else:
            app.notice(line)


async def _in_thread(function: Callable[[], T]) -> T:
    # Only loading happens there; attaching is done back on the loop, so a paste cut short
    # (the message sent meanwhile) leaves nothing half-attached.
    return await asyncio.get_running_loop().run_in_executor(None, function)


def paste_key_bindings(app: Repl) -> KeyBindings:
    """Ctrl-V (Alt-V too, for terminals that keep Ctrl-V), a pasted path, and Ctrl-Z."""
    from prompt_toolkit.application import run_in_terminal
    from prompt_toolkit.filters import Condition, emacs_insert_mode, vi_insert_mode
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.keys import Keys

    paster = Paster(app)
    bindings = KeyBindings()

    def say(lines: list[str], *, error: bool = False) -> None:
        run_in_terminal(lambda: _show(app, lines, error=error))

    async def attach(load: Callable[[], ImageAttachment], text: str, buffer) -> None:  # type: ignore[no-untyped-def]
        try:
            image = await _in_thread(load)
        except ClaudechatError as err:
            if text:
                buffer.insert_text(text)  # a path that would not load stays what was pasted
            say([str(err)], error=True)
            return
        paster.attach(image, text)
        hint = "Ctrl-Z makes it text" if text else "Ctrl-Z takes it back"
        say(paster.notes(image, dropped=bool(text), hint=hint))

    @bindings.add(Keys.BracketedPaste)
    async def _paste(event) -> None:  # type: ignore[no-untyped-def]
        from claudechat.chat.attachments import load_image
        from claudechat.repl.dropped import pasted_image_path

        text = _normalised(event.data)
        path = pasted_image_path(text)
        if path is None:
            event.current_buffer.insert_text(text)  # as prompt_toolkit's own paste does
            return
        await attach(lambda: load_image(path), text, event.current_buffer)

    @bindings.add("c-v", filter=emacs_insert_mode | vi_insert_mode)
    @bindings.add("escape", "v", filter=emacs_insert_mode)
    async def _paste_clipboard(event) -> None:  # type: ignore[no-untyped-def]
        from claudechat.chat.attachments import load_image
        from claudechat.repl.clipboard_read import read_clipboard
        from claudechat.repl.dropped import pasted_image_path

        buffer = event.current_buffer
        try:
            content = await _in_thread(read_clipboard)
        except ClaudechatError as err:
            say([str(err)], error=True)
            return
        if content.image:
            data = content.image
            await attach(lambda: load_clipboard_image(app, data), "", buffer)
        elif content.text:
            text = _normalised(content.text)
            path = pasted_image_path(text)  # a file copied in a file manager comes as its path
            if path is None:
                buffer.insert_text(text)  # a paste: nothing is sent
            else:
                await attach(lambda: load_image(path), text, buffer)
        else:
            say(["the clipboard is empty: nothing to paste"])

    @bindings.add("c-z", filter=Condition(paster.can_take_back))
    def _take_back(event) -> None:  # type: ignore[no-untyped-def]
        from claudechat.paths import short_path
        from claudechat.sanitize import one_line

        taken = paster.take_back()
        if taken is None:
            return
        image, text = taken
        if text:
            event.current_buffer.insert_text(text)
            say([f"{short_path(image.name)} is no longer attached; its path is in the input"])
        else:
            say([f"{one_line(image.name, 100)} is no longer attached"])

    return bindings


@COMMANDS.command(
    "paste",
    "attach the image on the clipboard, or put the clipboard's text in the input",
    details="Ctrl-V at the prompt does the same (Alt-V where the terminal keeps Ctrl-V for itself).\n"
    "The clipboard is read with wl-paste, xclip, pngpaste or PowerShell, whichever works here.\n"
    "A pasted image is named clipboard-1.png, clipboard-2.png, ...; /image clear drops it.",
)
async def _paste_command(app: Repl, argument: str) -> None:
    from claudechat.chat.attachments import load_image
    from claudechat.repl.clipboard_read import read_clipboard
    from claudechat.repl.dropped import pasted_image_path

    no_argument("paste", argument)
    content = await _in_thread(read_clipboard)
    text = _normalised(content.text or "")
    path = None if content.image else pasted_image_path(text)
    if content.image:
        data = content.image
        image = await _in_thread(lambda: load_clipboard_image(app, data))
    elif path is not None:
        image = await _in_thread(lambda: load_image(path))
    elif text:
        app.set_input(text)
        app.notice("the clipboard's text is in the input")
        return
    else:
        app.notice("the clipboard is empty: nothing to paste")
        return
    paster = Paster(app)
    paster.attach(image)
    _show(app, paster.notes(image, dropped=path is not None, hint="/image clear drops it"))
