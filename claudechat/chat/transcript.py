"""Transcripts: a session as Markdown to read anywhere, or as JSON to load again.

The Markdown keeps answers as the model wrote them (they are Markdown already), puts each
turn under a heading saying who and when, folds reasoning into a `<details>` block, and names
images instead of pasting their base64.
"""

from __future__ import annotations

import re
import time

from claudechat.chat.conversation import Message, image_names
from claudechat.chat.session import Session
from claudechat.jsontext import utf8_json

__all__ = ["to_markdown", "to_json", "default_file_name", "models_used"]


def _when(timestamp: float, with_date: bool = True) -> str:
    return time.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M", time.localtime(timestamp))


def _fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks in `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _user_block(message: Message) -> str:
    text = message.text.rstrip()
    lines = []
    if text:
        lines.append(text)
    lines += [f"*image: {name}*" for name in image_names(message.content)]
    return "\n\n".join(lines)


def _reasoning_block(reasoning: str) -> str:
    # Inside <details> the text must not be able to close the block early.
    safe = re.sub(r"<(/?details)", r"&lt;\1", reasoning.strip(), flags=re.IGNORECASE)
    return f"<details>\n<summary>Reasoning</summary>\n\n{safe}\n\n</details>"


def models_used(session: Session) -> list[str]:
    """The models the answers came from, in order of first use; the current one if none."""
    models = [message.model or session.settings.model for message in session.answers()]
    return list(dict.fromkeys(models)) or [session.settings.model]


def to_markdown(session: Session) -> str:
    title = session.title or "Untitled chat"
    models = ", ".join(models_used(session))
    header = [
        f"# {title}",
        "",
        f"*{models} · {_when(session.created)} · {session.turns} turns · session {session.id}*",
    ]
    if session.settings.system:
        fence = _fence_for(session.settings.system)
        header += ["", "**System prompt**", "", fence, session.settings.system.rstrip(), fence]
    blocks = ["\n".join(header)]
    for message in session.messages:
        if message.role == "user":
            blocks.append(f"## You · {_when(message.created)}\n\n{_user_block(message)}")
            continue
        parts = [f"### {message.model or session.settings.model} · {_when(message.created, with_date=False)}"]
        if message.reasoning:
            parts.append(_reasoning_block(message.reasoning))
        parts.append(message.text.rstrip() or "*(no text)*")
        if message.interrupted:
            parts.append("*⏹ interrupted: the answer was stopped here*")
        if len(message.candidates) > 1:
            parts.append(f"*candidate {message.picked + 1} of {len(message.candidates)}*")
        blocks.append("\n\n".join(parts))
    return "\n\n".join(blocks) + "\n"


def to_json(session: Session) -> str:
    return utf8_json(session.to_document(), indent=1).decode("utf-8") + "\n"


def default_file_name(session: Session) -> str:
    """A file name from the title: lower-case words joined by dashes, `.md`."""
    words = re.findall(r"[^\W_]+", (session.title or "").lower())
    stem = "-".join(words)[:60].strip("-") or f"chat-{session.id}"
    return f"{stem}.md"
