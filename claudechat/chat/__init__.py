"""Conversation data: messages, attachments, sessions and their files, transcripts."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claudechat.chat.attachments import AttachmentError, ImageAttachment, load_image
    from claudechat.chat.conversation import Candidate, Message, image_names, text_of
    from claudechat.chat.keeper import SessionKeeper
    from claudechat.chat.session import Session, SessionError, SessionSettings, UsageEntry
    from claudechat.chat.store import SessionBusyError, SessionStore, SessionSummary, read_session_file

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

# Each name from the module that defines it, imported when first used: a one-shot question
# outside a session never loads the session store, and attachments are read only when a
# message has some.
_HOME = {
    "AttachmentError": "attachments",
    "ImageAttachment": "attachments",
    "load_image": "attachments",
    "Candidate": "conversation",
    "Message": "conversation",
    "image_names": "conversation",
    "text_of": "conversation",
    "SessionKeeper": "keeper",
    "Session": "session",
    "SessionError": "session",
    "SessionSettings": "session",
    "UsageEntry": "session",
    "SessionBusyError": "store",
    "SessionStore": "store",
    "SessionSummary": "store",
    "read_session_file": "store",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"claudechat.chat.{home}"), name)
