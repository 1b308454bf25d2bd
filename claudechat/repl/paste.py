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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from claudechat.errors import ClaudechatError
from claudechat.repl.commands import COMMANDS, CommandError, no_argument

if TYPE_CHECKING:
    from prompt_toolkit.key_binding import KeyBindings

    from claudechat.chat.attachments import ImageAttachment
    from claudechat.repl.interface import ChatApp

__all__ = ["Paster", "paste_key_bindings", "clipboard_name"]

T = TypeVar("T")

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
_CLIPBOARD_NAME = re.compile(r"clipboard-(\d+)\.[a-z]+")


def clipboard_name(app: ChatApp, media_type: str | None) -> str:
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


class Paster:
    """Attaches what is pasted to the chat's next message, and takes it back on request."""

    def __init__(self, app: ChatApp) -> None:
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
        lines = [f"attached {name}{_described(image)} from {source}" + (f" · {hint}" if hint else "")]
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


def _show(app: ChatApp, lines: list[str], *, error: bool = False) -> None:
    for line in lines:
        if error:
            app.error(line)
        elif line.startswith("warning: "):
            app.warning(line.removeprefix("warning: "))
        else:
            app.notice(line)


async def _in_thread(function: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, function)


@dataclass
class _Pasted:
    """What a paste came to, worked out off the event loop; applied back on it."""

    image: ImageAttachment | None = None
    text: str = ""  # the text to insert, or the path the image was pasted as
    error: str | None = None
    from_clipboard: bool = False  # the clipboard's own image: named clipboard-N when attached


def _named(app: ChatApp, pasted: _Pasted) -> ImageAttachment:
    """The image as attached: the clipboard's own named `clipboard-N.png` (or .jpg, as sent)."""
    assert pasted.image is not None
    if not pasted.from_clipboard:
        return pasted.image
    return replace(pasted.image, name=clipboard_name(app, pasted.image.media_type))


def _load_path(path: str, text: str) -> _Pasted:
    from claudechat.chat.attachments import load_image

    try:
        return _Pasted(image=load_image(path), text=text)
    except ClaudechatError as err:
        return _Pasted(text=text, error=str(err))


def _read_clipboard() -> _Pasted:
    from claudechat.chat.attachments import image_from_bytes
    from claudechat.repl.clipboard_read import read_clipboard
    from claudechat.repl.dropped import pasted_image_path

    try:
        content = read_clipboard()
        if content.image:
            return _Pasted(image=image_from_bytes(content.image, "clipboard"), from_clipboard=True)
    except ClaudechatError as err:
        return _Pasted(error=str(err))
    text = _normalised(content.text or "")
    path = pasted_image_path(text)  # a file copied in a file manager comes as its path
    return _load_path(path, text) if path is not None else _Pasted(text=text)


async def _settled(work: Callable[[], _Pasted]) -> tuple[_Pasted, bool]:
    """`work` done in a thread, and whether the prompt is still there to take it.

    When the prompt ends meanwhile (Enter pressed before the clipboard answered), prompt_toolkit
    cancels this task and waits for it: the work is still finished, so an image goes with the
    message being sent rather than being lost.
    """
    job = asyncio.get_running_loop().run_in_executor(None, work)
    try:
        return await asyncio.shield(job), True
    except asyncio.CancelledError:
        return await job, False


def paste_key_bindings(app: ChatApp) -> KeyBindings:
    """Ctrl-V (Alt-V too, for terminals that keep Ctrl-V), a pasted path, and Ctrl-Z."""
    from prompt_toolkit.application import run_in_terminal
    from prompt_toolkit.filters import Condition, emacs_insert_mode, vi_insert_mode
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.keys import Keys

    paster = Paster(app)
    bindings = KeyBindings()

    def apply(pasted: _Pasted, buffer, live: bool) -> None:  # type: ignore[no-untyped-def]
        lines: list[str] = []
        error = pasted.error is not None
        if pasted.image is not None:
            image = _named(app, pasted)
            paster.attach(image, pasted.text)
            hint = "Ctrl-Z makes it text" if pasted.text else "Ctrl-Z takes it back"
            lines = paster.notes(image, dropped=bool(pasted.text), hint=hint if live else "")
        elif error:
            lines = [pasted.error]  # type: ignore[list-item]
            if pasted.text and live:
                buffer.insert_text(pasted.text)  # a path that would not load stays what was pasted
        elif pasted.text and live:
            buffer.insert_text(pasted.text)  # a paste: nothing is sent
        elif pasted.text:
            lines = ["the clipboard's text came after the message was sent, so it was not pasted"]
        else:
            lines = ["the clipboard is empty: nothing to paste"]
        if not lines:
            return
        if live:
            run_in_terminal(lambda: _show(app, lines, error=error))
        else:
            _show(app, lines, error=error)  # the prompt is gone: printed after its last line

    @bindings.add(Keys.BracketedPaste)
    def _paste(event) -> None:  # type: ignore[no-untyped-def]
        from claudechat.repl.dropped import pasted_image_path

        text = _normalised(event.data)
        path = pasted_image_path(text)
        if path is None:
            # At once, as prompt_toolkit's own paste does: keys after it come after it.
            event.current_buffer.insert_text(text)
            return
        buffer = event.current_buffer

        async def drop() -> None:
            pasted, live = await _settled(lambda: _load_path(path, text))
            apply(pasted, buffer, live)

        event.app.create_background_task(drop())

    @bindings.add("c-v", filter=emacs_insert_mode | vi_insert_mode)
    @bindings.add("escape", "v", filter=emacs_insert_mode)
    async def _paste_clipboard(event) -> None:  # type: ignore[no-untyped-def]
        buffer = event.current_buffer
        pasted, live = await _settled(_read_clipboard)
        apply(pasted, buffer, live)

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
            line = f"{short_path(image.name)} is no longer attached; its path is in the input"
        else:
            line = f"{one_line(image.name, 100)} is no longer attached"
        run_in_terminal(lambda: app.notice(line))

    return bindings


@COMMANDS.command(
    "paste",
    "attach the image on the clipboard, or put the clipboard's text in the input",
    details="Ctrl-V at the prompt does the same (Alt-V where the terminal keeps Ctrl-V for itself).\n"
    "The clipboard is read with wl-paste, xclip, pngpaste or PowerShell, whichever works here.\n"
    "A pasted image is named clipboard-1.png, clipboard-2.png, ...; /image clear drops it.",
)
async def _paste_command(app: ChatApp, argument: str) -> None:
    no_argument("paste", argument)
    pasted = await _in_thread(_read_clipboard)
    if pasted.error is not None:
        raise CommandError(pasted.error)
    if pasted.image is None:
        if pasted.text:
            app.set_input(pasted.text)
            app.notice("the clipboard's text is in the input")
        else:
            app.notice("the clipboard is empty: nothing to paste")
        return
    paster = Paster(app)
    image = _named(app, pasted)
    paster.attach(image)
    _show(app, paster.notes(image, dropped=not pasted.from_clipboard, hint="/image clear drops it"))
