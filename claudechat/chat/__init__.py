"""Conversation data: messages, attachments, sessions and their files, transcripts."""

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
