"""Conversation data: messages, attachments."""

from claudechat.chat.attachments import AttachmentError, ImageAttachment, load_image

__all__ = ["AttachmentError", "ImageAttachment", "load_image"]
