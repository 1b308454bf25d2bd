"""A PDF as text, page by page, with a marker before each page (pypdf, pure Python).

pypdf reports damage in files through `logging` and `warnings`; in the chat those would be
written over the prompt, so they are kept quiet here and a file that cannot be read is one
line of error instead.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator

from claudechat.chat.attachments import AttachmentError
from claudechat.paths import message_path
from claudechat.sanitize import one_line

__all__ = ["pdf_text", "page_marker"]


def page_marker(number: int, pages: int) -> str:
    return f"--- page {number} of {pages} ---"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    logger = logging.getLogger("pypdf")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def pdf_text(data: bytes, name: str) -> tuple[str, int]:
    """The text of the PDF `data` with page markers, and its number of pages.

    An encrypted PDF is opened if it needs no password to read (only to edit); otherwise,
    like a damaged one, it is an `AttachmentError`.
    """
    shown = message_path(name, 200)
    with _quiet():
        from pypdf import PdfReader

        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not _opens_without_password(reader):
                raise AttachmentError(
                    f"cannot attach {shown}: the PDF is encrypted",
                    hint="save a decrypted copy first, e.g. qpdf --decrypt",
                )
            pages = len(reader.pages)
            texts = [_text(page.extract_text() or "") for page in reader.pages]
        except AttachmentError:
            raise
        except Exception as exc:  # pypdf raises many kinds of error on damaged files
            why = one_line(str(exc), 120) or type(exc).__name__
            raise AttachmentError(f"cannot attach {shown}: not a readable PDF ({why})") from None
    if not any(text.strip() for text in texts):
        raise AttachmentError(
            f"cannot attach {shown}: the PDF has no text to extract",
            hint="a scanned PDF holds pictures of pages; export them as images and attach those",
        )
    parts = [f"{page_marker(number, pages)}\n{text.strip()}" for number, text in enumerate(texts, 1)]
    return "\n\n".join(parts) + "\n", pages


def _text(text: str) -> str:
    """Text fit to send: a lone surrogate from a damaged font map becomes U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _opens_without_password(reader: object) -> bool:
    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except Exception:  # AES without the `cryptography` package, or a damaged encryption dictionary
        return False
