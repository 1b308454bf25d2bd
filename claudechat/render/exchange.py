"""Drawing what is not streamed live: saved messages, the other candidates, the JSON verdict.

Text here may come from a session file written by anyone, so it is sanitised like a live
answer.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from claudechat.sanitize import one_line, sanitize

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["user_message", "attached_names", "saved_answer", "other_candidates", "json_verdict"]


def _folded(labels: list[str]) -> list[str]:
    """The labels with a folder's files folded into it: `folder: src/ (12 files)`."""
    from claudechat.chat.attachments import in_folder

    shown: list[str] = []
    folder: str | None = None
    count = 0
    for label in labels:
        kind, _, name = label.partition(": ")
        if folder is not None and kind == "file" and in_folder(folder, name):
            count += 1
            shown[-1] = f"folder: {folder} ({count} file{'s' if count != 1 else ''})"
            continue
        folder = name if kind == "folder" else None
        count = 0
        shown.append(label)
    return shown


def _attached(labels: list[str]) -> str:
    return "".join(f"\n[{one_line(label, 200)}]" for label in _folded(labels))


def user_message(text: str, labels: list[str]) -> RenderableType:
    """A message as it looked when typed at the prompt, with what went with it (`image: a.png`)."""
    from rich.text import Text

    return Text("› " + sanitize(text).replace("\n", "\n  ") + _attached(labels), style="prompt")


def attached_names(labels: list[str]) -> RenderableType:
    """Under a message just sent (the prompt shows its text): what went with it."""
    from rich.text import Text

    return Text(_attached(labels).lstrip("\n"), style="prompt")


def saved_answer(text: str, *, interrupted: bool, code_theme: str) -> list[RenderableType]:
    from claudechat.render.answer import interrupted_text
    from claudechat.render.markdown import SafeMarkdown

    shown: list[RenderableType] = [SafeMarkdown(sanitize(text), code_theme=code_theme)]
    if interrupted:
        shown.append(interrupted_text())
    return shown


def other_candidates(contents: list[str], *, code_theme: str) -> list[RenderableType]:
    """With n > 1: the answers after the first, one after another, then how to keep one."""
    from rich.text import Text

    from claudechat.render.markdown import SafeMarkdown

    if len(contents) < 2:
        return []
    shown: list[RenderableType] = []
    for number, content in enumerate(contents[1:], 2):
        shown.append(Text(f"candidate {number} of {len(contents)}", style="notice"))
        shown.append(SafeMarkdown(sanitize(content), code_theme=code_theme))
    shown.append(Text("candidate 1 is in the history; /pick N keeps another", style="notice"))
    return shown


def json_verdict(text: str) -> RenderableType:
    """Under an answer asked for as JSON: whether it is."""
    from rich.text import Text

    body = text.strip()
    if body.startswith("```"):  # a model may still fence it
        body = body.split("\n", 1)[-1].rsplit("```", 1)[0]
    try:
        json.loads(body)
    except (ValueError, RecursionError) as exc:
        return Text(f"⚠ not valid JSON: {one_line(str(exc), 200)}", style="warning")
    return Text("✓ valid JSON", style="status")
