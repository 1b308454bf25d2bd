"""What goes with a message besides its text: images, and text attachments (files, command output).

Images: local files become `data:` URLs, http(s) URLs go as they are. The type is read from the
file's first bytes, never from its name, and claudechat never fetches a URL itself: the server
does. Images over the models' limits are scaled down on the way (`image_fit`); the file is
only read. Text attachments are sent as text parts; what they came from (kind, name, size, hash) is
kept beside the part in the session, never sent.
"""

from __future__ import annotations

import base64
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claudechat.errors import UsageError
from claudechat.paths import message_path
from claudechat.sanitize import one_line

__all__ = [
    "Attachment",
    "ImageAttachment",
    "TextAttachment",
    "AttachmentError",
    "attachment_from_part",
    "in_folder",
    "image_from_bytes",
    "load_image",
    "MAX_IMAGE_BYTES",
    "MAX_SOURCE_BYTES",
    "sniff_image_type",
]

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_SOURCE_BYTES = 100 * 1024 * 1024  # a file bigger than this is no photo worth scaling here
_URL_SCHEMES = ("http://", "https://")
_OTHER_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class AttachmentError(UsageError):
    """An image cannot be attached; nothing was sent."""


@dataclass(frozen=True)
class ImageAttachment:
    name: str  # what the user typed: a path or a URL, shown in lists and transcripts
    url: str  # an http(s) URL or a data: URL
    media_type: str | None = None
    size: int | None = None  # bytes sent (after any scaling)
    width: int | None = None  # pixels, when known (a URL's are not)
    height: int | None = None
    scaled: str | None = field(default=None, compare=False)  # "4000×3000, 5.8 MB → ...", to show once

    kind = "image"

    @property
    def label(self) -> str:
        return f"image: {self.name}"

    @property
    def note(self) -> str | None:
        """One line saying how the image was changed to fit the models' limits, if it was."""
        if self.scaled is None:
            return None
        return f"{one_line(self.name, 200)} scaled down for the model: {self.scaled}"

    def to_part(self) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": self.url}}

    def stored_part(self) -> dict[str, Any]:
        """The part as a session keeps it: the name is ours, for lists and transcripts, and so
        is the size in `attachment` (for the token estimate), which is never sent."""
        part = {**self.to_part(), "name": self.name}
        known = {key: value for key, value in self._numbers().items() if value is not None}
        if known:  # shaped like a text attachment's source: kind and name first
            part["attachment"] = {"kind": "image", "name": self.name, **known}
        return part

    def _numbers(self) -> dict[str, int | None]:
        return {"size": self.size, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class TextAttachment:
    """Text that goes with a message: a file, a PDF's text, a command's output.

    `text` is exactly what is sent (a heading naming the source, then the content in a fence);
    the rest describes the source for lists, the toolbar and transcripts.
    """

    name: str  # the path as the user typed it, or the command
    text: str
    kind: str = "file"  # "file", "pdf" or "command"
    size: int = 0  # bytes read from the source
    sha256: str = ""  # of those bytes

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.name}"

    def to_part(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}

    def stored_part(self) -> dict[str, Any]:
        source = {"kind": self.kind, "name": self.name, "size": self.size, "sha256": self.sha256}
        return {**self.to_part(), "attachment": source}


Attachment = ImageAttachment | TextAttachment


def in_folder(folder: str, name: str) -> bool:
    """Whether a file attached by name came from the folder attached as `folder` (named as typed).

    A folder's files are named relative to the current folder where they are inside it, so
    those of `.` or `./` have no prefix in common with it.
    """
    if folder in (".", "./"):
        return not name.startswith(("/", "~", "../"))
    return name.startswith(folder if folder.endswith("/") else folder + "/")


def attachment_from_part(part: dict[str, Any]) -> Attachment | None:
    """The attachment a stored content part holds (None for the message's own text)."""
    if part.get("type") == "image_url":
        about = part.get("attachment") if isinstance(part.get("attachment"), dict) else {}
        number = {key: value if isinstance(value := about.get(key), int) else None for key in ("size", "width", "height")}
        return ImageAttachment(name=part.get("name") or "image", url=part["image_url"]["url"], **number)
    source = part.get("attachment")
    if part.get("type") == "text" and isinstance(source, dict):
        return TextAttachment(
            name=str(source.get("name") or "attachment"),
            text=part["text"],
            kind=str(source.get("kind") or "file"),
            size=source.get("size") if isinstance(source.get("size"), int) else len(part["text"].encode()),
            sha256=str(source.get("sha256") or ""),
        )
    return None


def sniff_image_type(head: bytes) -> str | None:
    """The media type of PNG, JPEG, GIF or WebP data from its first 12 bytes, else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def load_image(spec: str) -> ImageAttachment:
    """Validate and load one image given as a path or an http(s) URL.

    A file over the models' limits is scaled down (the file itself is only read); the
    attachment's `note` then says how, for the caller to show.
    """
    shown = message_path(spec, 200)
    lowered = spec.lower()
    if lowered.startswith(_URL_SCHEMES):
        if len(spec) <= len("https://") or any(ch.isspace() for ch in spec):
            raise AttachmentError(f"not a usable image URL: {shown}")
        return ImageAttachment(name=spec, url=spec)
    if _OTHER_URL.match(spec) or lowered.startswith("data:"):
        raise AttachmentError(f"cannot attach {shown}: only http(s) URLs and local files are accepted")
    path = Path(os.path.expanduser(spec))
    try:
        info = path.stat()
    except FileNotFoundError:
        raise AttachmentError(f"cannot attach {shown}: no such file") from None
    except OSError as exc:
        raise AttachmentError(f"cannot attach {shown}: {one_line(exc.strerror or str(exc))}") from None
    if not stat.S_ISREG(info.st_mode):
        raise AttachmentError(f"cannot attach {shown}: not a regular file")
    if info.st_size > MAX_SOURCE_BYTES:
        raise AttachmentError(
            f"cannot attach {shown}: {info.st_size / 1024 / 1024:.0f} MB is too big to be an image worth scaling",
            hint="shrink or compress the image",
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise AttachmentError(f"cannot read {shown}: {one_line(exc.strerror or str(exc))}") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise AttachmentError(f"cannot attach {shown}: it grew past {MAX_SOURCE_BYTES // 1024 // 1024} MB while read")
    return image_from_bytes(data, spec, from_file=True)


def image_from_bytes(data: bytes, name: str, *, from_file: bool = False) -> ImageAttachment:
    """An image attachment of `data` (a file's bytes, a pasted image), scaled down if it must be.

    The type comes from the bytes; `name` is how lists and transcripts call it.
    """
    from claudechat.chat.image_fit import fit_image

    shown = message_path(name, 200)
    fitted = fit_image(data, sniff_image_type(data[:12]), shown)
    scaled = fitted.change
    if scaled is not None and from_file:
        scaled += " (the file is unchanged)"
    encoded = base64.b64encode(fitted.data).decode("ascii")
    return ImageAttachment(
        name=name,
        url=f"data:{fitted.media_type};base64,{encoded}",
        media_type=fitted.media_type,
        size=len(fitted.data),
        width=fitted.width,
        height=fitted.height,
        scaled=scaled,
    )
