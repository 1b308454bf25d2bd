"""Transcripts: a session as Markdown to read anywhere, or as JSON to load again.

The Markdown keeps answers as the model wrote them (they are Markdown already), puts each
turn under a heading saying who and when, folds reasoning into a `<details>` block, names
images instead of pasting their base64, and folds each attached file into a `<details>` block
naming it with its size and hash. Turns a compaction covers are kept and marked as
compacted, with the summary sent in their place folded in where the compaction happened.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from claudechat.chat.compaction import Compaction
from claudechat.chat.conversation import Content, Message
from claudechat.chat.session import Session
from claudechat.jsontext import utf8_json

if TYPE_CHECKING:
    from claudechat.chat.attachments import TextAttachment

__all__ = ["branch_heading", "to_markdown", "to_json", "default_file_name", "models_used", "shift_headings"]


def _when(timestamp: float, with_date: bool = True) -> str:
    return time.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M", time.localtime(timestamp))


def _fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks in `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


# A turn is `## You` and `### model`: what a message says goes below that in the outline.
USER_SHIFT = 2
ANSWER_SHIFT = 3


def shift_headings(text: str, by: int) -> str:
    """`text` with each Markdown heading `by` levels deeper (at most `######`).

    Headings are found with the renderer's parser, so a `#` line in a fenced or indented code
    block, or anything else that only looks like a heading, is left alone. A setext heading
    (`Title` over `===` or `---`) becomes an ATX one, the only kind that goes below level 2.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # the parser's own line breaks
    if by <= 0 or not any(mark in text for mark in ("#", "=", "-")):
        return text
    from claudechat.render.markdown import markdown_parser

    tokens = markdown_parser().parse(text)
    lines = text.split("\n")
    for index in range(len(tokens) - 1, -1, -1):  # from the bottom: a setext edit removes lines
        token = tokens[index]
        if token.type != "heading_open" or token.map is None:
            continue
        start, end = token.map
        level = min(6, int(token.tag[1:]) + by)
        if token.markup.startswith("#"):
            line = lines[start]
            at = line.index("#")  # what comes before is container markup (`> `, `- `), never a #
            lines[start] = line[:at] + "#" * level + line[at + len(token.markup) :]
        else:
            lines[start:end] = [_atx_from_setext(lines[start], tokens[index + 1].content, level)]
    return "\n".join(lines)


def _atx_from_setext(first_line: str, content: str, level: int) -> str:
    """One ATX heading line for a setext heading, keeping the container markup before it."""
    parts = content.split("\n")
    head = parts[0].rstrip()
    line = first_line.rstrip()
    prefix = line[: len(line) - len(head)] if head and line.endswith(head) else ""
    words = " ".join(part.strip() for part in parts)
    if words.endswith("#"):
        words += " #"  # a closing sequence, so the text's own trailing # is kept
    return f"{prefix}{'#' * level} {words}"


def _user_block(message: Message) -> str:
    text = shift_headings(message.text.rstrip(), USER_SHIFT)
    lines = []
    if text:
        lines.append(text)
    lines += _attachment_blocks(message.content)
    return "\n\n".join(lines)


def _attachment_blocks(content: Content) -> list[str]:
    """Images by name; files, PDFs and folder lists named with size and hash, their text folded."""
    from claudechat.chat.attachments import ImageAttachment, attachment_from_part

    if isinstance(content, str):
        return []
    blocks = []
    for part in content:
        attachment = attachment_from_part(part)
        if isinstance(attachment, ImageAttachment):
            blocks.append(f"*image: {attachment.name}*")
        elif attachment is not None:
            blocks.append(_text_attachment_block(attachment))
    return blocks


def _text_attachment_block(attachment: TextAttachment) -> str:
    import html

    facts = [f"{attachment.kind}: {attachment.name}", _size(attachment.size)]
    if attachment.sha256:
        facts.append(f"sha256 {attachment.sha256[:12]}")
    summary = html.escape(" · ".join(facts))
    # All of it in a fence longer than any backtick run in it: whatever the file holds (a
    # `</details>` line, say) is code to a Markdown reader, and cannot close the block early.
    fence = _fence_for(attachment.text)
    return f"<details>\n<summary>{summary}</summary>\n\n{fence}\n{attachment.text.rstrip()}\n{fence}\n\n</details>"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _details(title: str, text: str) -> str:
    # Inside <details> the text must not be able to close the block early.
    safe = re.sub(r"<(/?details)", r"&lt;\1", text.strip(), flags=re.IGNORECASE)
    return f"<details>\n<summary>{title}</summary>\n\n{safe}\n\n</details>"


def _reasoning_block(reasoning: str) -> str:
    return _details("Reasoning", reasoning)


def _compaction_block(compaction: Compaction, turns: int) -> str:
    """Where a compaction happened: from here on its summary was sent instead of the turns above."""
    said = f"**Compacted** · {_when(compaction.created)} · the {turns} turn{'s' if turns != 1 else ''} above " \
           f"were sent as this summary from here on"
    if compaction.instructions:
        said += f" (asked to focus on: {' '.join(compaction.instructions.split())})"
    summary = _details("Summary", shift_headings(compaction.summary, ANSWER_SHIFT))
    return f"---\n\n{said}\n\n{summary}\n\n---"


def models_used(session: Session) -> list[str]:
    """The models the answers came from, in order of first use; the current one if none."""
    models = [message.model or session.settings.model for message in session.answers()]
    return list(dict.fromkeys(models)) or [session.settings.model]


def to_markdown(session: Session, *, all_branches: bool = False) -> str:
    """The branch in use as Markdown; with `all_branches`, every other branch after it, each
    from where it leaves the one it came from."""
    title = session.title or "Untitled chat"
    models = ", ".join(models_used(session))
    header = [
        f"# {title}",
        "",
        f"*{models} · {_when(session.created)} · {session.turns} turns · session {session.id}*",
    ]
    changes = dict(session.system_changes)
    if changes.get(0):
        header += ["", _system_block("**System prompt**", changes[0])]
    blocks = ["\n".join(header), *_message_blocks(session)]
    lines = session.lines() if all_branches else []
    for index, line in enumerate(lines):
        if index != session.branch:
            blocks.append(f"---\n\n## {branch_heading(session, index)} · {_when(line.created)}")
            blocks += _message_blocks(session.branch_view(index), start=session.shared_start(index))
    return "\n\n".join(blocks) + "\n"


def branch_heading(session: Session, index: int) -> str:
    """What a transcript calls line `index` of the session where it writes it after the line in use."""
    line = session.lines()[index]
    start = session.turns_before(session.shared_start(index)) + 1
    if line.parent is None:
        return f"Branch {index + 1} · the first · from turn {start}"
    leaves = sum(1 for message in line.messages[: line.fork] if message.role == "user") + 1
    return f"Branch {index + 1} · leaves branch {line.parent + 1} at turn {leaves} · from turn {start}"


def _message_blocks(session: Session, start: int = 0) -> list[str]:
    """The blocks of the session's messages from `start` on, with the system prompt changes
    and compactions where they happened."""
    changes = dict(session.system_changes)
    blocks = []
    prompt = None  # the one in use at `start`
    for position, value in session.system_changes:
        if position <= start:
            prompt = value
    compacted = {compaction.covers: compaction for compaction in session.compactions}
    covered = session.compactions[-1].covers if session.compactions else 0
    for position, message in enumerate(session.messages[start:], start):
        if position > start and position in changes:
            blocks.append(_system_change(prompt, changes[position]))
            prompt = changes[position]
        if position and position in compacted:
            blocks.append(_compaction_block(compacted[position], _turns_before(session, position)))
        mark = " · compacted" if position < covered else ""
        if message.role == "user":
            blocks.append(f"## You · {_when(message.created)}{mark}\n\n{_user_block(message)}")
            continue
        when = _when(message.created, with_date=False)
        parts = [f"### {message.model or session.settings.model} · {when}{mark}"]
        if message.reasoning:
            parts.append(_reasoning_block(shift_headings(message.reasoning, ANSWER_SHIFT)))
        parts.append(shift_headings(message.text.rstrip(), ANSWER_SHIFT) or "*(no text)*")
        if message.interrupted:
            parts.append("*⏹ interrupted: the answer was stopped here*")
        if len(message.candidates) > 1:
            parts.append(f"*candidate {message.picked + 1} of {len(message.candidates)}*")
        blocks.append("\n\n".join(parts))
    end = len(session.messages)
    if end and end in changes and end > start:
        blocks.append(_system_change(prompt, changes[end]))
    if end and end in compacted:
        blocks.append(_compaction_block(compacted[end], _turns_before(session, end)))
    return blocks


def _turns_before(session: Session, position: int) -> int:
    return sum(1 for message in session.messages[:position] if message.role == "user")


def _system_block(label: str, prompt: str) -> str:
    fence = _fence_for(prompt)
    return f"{label}\n\n{fence}\n{prompt.rstrip()}\n{fence}"


def _system_change(before: str | None, after: str | None) -> str:
    """Where the system prompt changed in the conversation: what it became."""
    if after is None:
        return "**System prompt cleared**"
    return _system_block("**System prompt set**" if before is None else "**System prompt changed**", after)


def to_json(session: Session) -> str:
    return utf8_json(session.to_document(), indent=1).decode("utf-8") + "\n"


def default_file_name(session: Session) -> str:
    """A file name from the title: lower-case words joined by dashes, `.md`."""
    words = re.findall(r"[^\W_]+", (session.title or "").lower())
    stem = "-".join(words)[:60].strip("-") or f"chat-{session.id}"
    return f"{stem}.md"
