"""A pasted path to an image: what terminals paste when a file is dropped on them.

Terminals paste a dropped file's path in their own way: quoted (`'/tmp/my shot.png'`),
backslash-escaped (`/tmp/my\\ shot.png`), bare with its spaces (`/tmp/my shot.png`), or as
a `file://` URL with %-escapes. A paste counts as a dropped image only when the whole of it is
one such path, absolute (or from `~`), to a regular file whose first bytes are an image's;
anything else is text, as it was.
"""

from __future__ import annotations

import os
import shlex
import stat
from urllib.parse import unquote, urlsplit

__all__ = ["path_candidates", "pasted_image_path"]

_LONGEST = 4096  # PATH_MAX: a longer paste is text


def path_candidates(text: str) -> list[str]:
    """The paths a paste could mean, most likely first (not checked against the disk)."""
    text = text.strip()
    if not text or len(text) > _LONGEST or "\n" in text or "\r" in text or "\0" in text:
        return []
    if text.lower().startswith("file://"):
        parts = urlsplit(text)
        return [unquote(parts.path)] if parts.path.startswith("/") else []
    found = []
    try:
        words = shlex.split(text)
    except ValueError:  # an unclosed quote: not a shell word
        words = []
    if len(words) == 1:
        found.append(words[0])
    found.append(text)  # spaces pasted bare (some terminals do not escape them)
    candidates = []
    for path in found:
        expanded = os.path.expanduser(path)
        if os.path.isabs(expanded) and expanded not in candidates:
            candidates.append(expanded)
    return candidates


def pasted_image_path(text: str) -> str | None:
    """The image file a paste names, when the whole paste is one path to one; else None."""
    from claudechat.chat.attachments import sniff_image_type
    from claudechat.chat.image_fit import is_heif

    for path in path_candidates(text):
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # never open a FIFO or a device
                continue
            with open(path, "rb") as handle:
                head = handle.read(12)
        except (OSError, ValueError):
            continue
        if sniff_image_type(head) is not None or is_heif(head):
            return path
    return None
