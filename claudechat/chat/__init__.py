"""Conversation data: messages, attachments, sessions and their files, transcripts."""

from typing import TYPE_CHECKING, Any

from claudechat.chat.conversation import Candidate, Message, image_names, text_of
from claudechat.chat.keeper import SessionKeeper
from claudechat.chat.session import Session, SessionError, SessionSettings, UsageEntry
from claudechat.chat.store import SessionBusyError, SessionStore, SessionSummary, read_session_file

if TYPE_CHECKING:
    from claudechat.chat.attachments import AttachmentError, ImageAttachment, load_image

__all__ = [
    "AttachmentError",
    "Candidate",
    "ImageAttachment",
    "Message",
    "Session",
    "SessionBusyError",
    "SessionError",
    "SessionKeeper",
    "SessionSettings",
    "SessionStore",
    "SessionSummary",
    "UsageEntry",
    "image_names",
    "load_image",
    "read_session_file",
    "text_of",
]

_ATTACHMENTS = ("AttachmentError", "ImageAttachment", "load_image")


def __getattr__(name: str) -> Any:
    # Attachments are read only when a message has some: not imported before the first prompt.
    if name in _ATTACHMENTS:
        from claudechat.chat import attachments

        return getattr(attachments, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
