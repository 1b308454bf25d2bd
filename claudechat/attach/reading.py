"""Reading one file into an attachment: text in a fenced block, a PDF as its text, images as images.

What the file is comes from its first bytes (an image's signature, `%PDF-`, a NUL byte for
binary data), never from its name alone. Nothing here can hang or flood: the file's type is
checked before it is opened, it is opened non-blocking (a FIFO swapped in between the check
and the open is caught by a second check on the open file), and at most the limit plus one
byte is read.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from claudechat.attach.blocks import file_block, language_for
from claudechat.chat.attachments import Attachment, AttachmentError, TextAttachment, load_image, sniff_image_type
from claudechat.paths import message_path

__all__ = [
    "MAX_TEXT_BYTES",
    "MAX_PDF_BYTES",
    "FileRead",
    "Skipped",
    "read_file",
    "cannot",
]

MAX_TEXT_BYTES = 1024 * 1024  # one file's text
MAX_PDF_BYTES = 32 * 1024 * 1024  # the file itself; its text is held to MAX_TEXT_BYTES
_HEAD = 8192  # bytes looked at to tell binary from text, as git does
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".heif")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)


@dataclass
class FileRead:
    attachment: Attachment
    warnings: list[str] = field(default_factory=list)
    identity: tuple[int, int] = (0, 0)  # device and inode: the same file named twice is attached once


class Skipped(AttachmentError):
    """A file a folder holds that is left out (binary, special, an image or PDF); `reason` says which."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def cannot(name: str, why: str, *, hint: str | None = None, reason: str = "") -> AttachmentError:
    """The one-line refusal for `name`; a `Skipped` when `reason` says a folder may leave it out."""
    message = f"cannot attach {message_path(name, 200)}: {why}"
    if reason:
        return Skipped(message, reason)
    return AttachmentError(message, hint=hint)


def _kind_of(mode: int) -> str | None:
    """What a file that is not a regular one is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "it is a named pipe (FIFO), not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "it is a device, not a file"
    if stat.S_ISSOCK(mode):
        return "it is a socket, not a file"
    if stat.S_ISDIR(mode):
        return "it is a folder"
    return "it is not a regular file"


def _os_problem(name: str, path: str | Path, exc: OSError) -> AttachmentError:
    if exc.errno == errno.ELOOP:
        return cannot(name, "a loop of symbolic links", hint="point the link at a file")
    if exc.errno == errno.ENOENT:
        return cannot(name, "a broken symbolic link" if os.path.islink(path) else "no such file")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return cannot(name, "permission denied", hint="check the file's permissions")
    return cannot(name, (exc.strerror or str(exc)).lower())


def read_file(path: str | Path, name: str, *, in_folder: bool = False) -> FileRead:
    """Read the file at `path`, shown as `name`, into an attachment.

    In a folder (`in_folder`) what is not a text file raises `Skipped` instead of the usual
    `AttachmentError`: a folder attaches its text files and leaves the rest out.
    """
    skip = "special" if in_folder else ""
    try:
        info = os.stat(path)
    except OSError as exc:
        if in_folder:
            raise Skipped(str(_os_problem(name, path, exc)), "unreadable") from None
        raise _os_problem(name, path, exc) from None
    what = _kind_of(info.st_mode)
    if what is not None:
        raise cannot(name, what, reason=skip)
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _CLOEXEC | _BINARY)
    except OSError as exc:
        if in_folder:
            raise Skipped(str(_os_problem(name, path, exc)), "unreadable") from None
        raise _os_problem(name, path, exc) from None
    try:
        opened = os.fstat(fd)
        what = _kind_of(opened.st_mode)  # swapped for a FIFO or a device since the check above?
        if what is not None:
            raise cannot(name, what, reason=skip)
        head = _read(fd, name, _HEAD, in_folder, opened.st_size)
        if sniff_image_type(head[:12]) is not None or name.lower().endswith(_IMAGE_SUFFIXES):
            if in_folder:
                raise cannot(name, "an image", reason="image")
            os.close(fd)
            fd = -1
            image = dataclasses.replace(load_image(os.fspath(path)), name=name)
            return FileRead(image, identity=(opened.st_dev, opened.st_ino))
        if b"%PDF-" in head[:1024]:
            if in_folder:
                raise cannot(name, "a PDF", reason="pdf")
            return dataclasses.replace(_pdf(fd, head, name, opened.st_size), identity=(opened.st_dev, opened.st_ino))
        if name.lower().endswith(".pdf"):
            raise cannot(name, "not a readable PDF (no PDF header)", hint="is the file complete?")
        if b"\0" in head and not head.startswith(_UTF16_BOMS):
            raise cannot(name, "it is a binary file", reason="binary" if in_folder else "")
        if opened.st_size > MAX_TEXT_BYTES:
            raise _too_big(name, opened.st_size)
        data = head + _read(fd, name, MAX_TEXT_BYTES + 1 - len(head), in_folder, 0) if len(head) == _HEAD else head
        if len(data) > MAX_TEXT_BYTES:  # it grew, or st_size lied (/proc, a pipe-like file)
            raise _too_big(name, len(data))
    finally:
        if fd >= 0:
            os.close(fd)
    text, warning = _decode(data, name)
    if warning is not None and _mostly_controls(data):
        raise cannot(name, "it is a binary file", reason="binary" if in_folder else "")
    attachment = _text_attachment(name, text, data, "file")
    return FileRead(attachment, [warning] if warning else [], (opened.st_dev, opened.st_ino))


def _read(fd: int, name: str, limit: int, in_folder: bool, expected: int) -> bytes:
    """Up to `limit` bytes; a short read past the `expected` size (st_size, if any) is the end."""
    chunks: list[bytes] = []
    left = limit
    try:
        while left > 0:
            asked = min(left, 1024 * 1024)
            chunk = os.read(fd, asked)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
            if 0 < expected <= limit - left and len(chunk) < asked:
                break  # saves asking again for the end of a small file (/proc's report size 0)
    except BlockingIOError:  # pragma: no cover  (a regular file never blocks; a special one was refused)
        raise cannot(name, "it would block: not a regular file") from None
    except OSError as exc:
        problem = cannot(name, f"it cannot be read: {(exc.strerror or str(exc)).lower()}")
        if in_folder:
            raise Skipped(str(problem), "unreadable") from None
        raise problem from None
    return b"".join(chunks)


def _too_big(name: str, size: int) -> AttachmentError:
    return cannot(
        name,
        f"{size / 1024 / 1024:.1f} MB is over the 1 MB limit for a file's text",
        hint="attach the part that matters",
    )


_CONTROLS = bytes([*range(0x00, 0x08), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])  # not \t \n \r \f \b ESC


def _mostly_controls(data: bytes) -> bool:
    """Not UTF-8 and full of control bytes: binary data with no NUL early on, not legacy text.

    Text in Latin-1 or cp1252 holds next to no control bytes; random bytes hold one in ten.
    """
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROLS))
    return controls * 100 > len(sample)


def _decode(data: bytes, name: str) -> tuple[str, str | None]:
    """The text of `data` and, if it was not all UTF-8, a warning saying how it was read."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    return text, (
        f"{message_path(name, 200)} is not UTF-8 text: {bad} undecodable "
        f"byte{'s' if bad != 1 else ''} sent as \ufffd"
    )


def _text_attachment(name: str, text: str, data: bytes, kind: str, heading: str | None = None) -> TextAttachment:
    import hashlib

    block = file_block(heading or name, text, language_for(name) if kind == "file" else "")
    return TextAttachment(name=name, text=block, kind=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def _pdf(fd: int, head: bytes, name: str, size: int) -> FileRead:
    from claudechat.attach.pdf import pdf_text

    if size > MAX_PDF_BYTES:
        raise cannot(name, f"{size / 1024 / 1024:.1f} MB is over the 32 MB limit for a PDF")
    data = head + _read(fd, name, MAX_PDF_BYTES + 1 - len(head), False, 0) if len(head) == _HEAD else head
    if len(data) > MAX_PDF_BYTES:
        raise cannot(name, "it is over the 32 MB limit for a PDF")
    text, pages = pdf_text(data, name)
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise cannot(name, "its text is over the 1 MB limit", hint="attach the pages that matter")
    heading = f"{name} (PDF, {pages} page{'s' if pages != 1 else ''})"
    return FileRead(_text_attachment(name, text, data, "pdf", heading))
