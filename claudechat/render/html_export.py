"""A session as one self-contained HTML page: to read in any browser, offline, on any screen.

The page holds everything it shows: the stylesheet (the theme's colours, see html_theme.py)
and the images the user sent, as the data: URLs they were stored as. It loads nothing and runs
nothing: a Content-Security-Policy forbids every script and every fetch, and everything a
user, a model or a file name says is escaped, with Markdown rendered with raw HTML off (see
html_markdown.py). That holds for a page opened from a mail or a shared folder too.

What it shows follows the Markdown transcript (chat/transcript.py): each message under who
said it and when (local time), reasoning folded in a closed `<details>`, attached files folded
with their size and hash, where the system prompt changed, and where a compaction stood in for
the turns above it. `to_html` puts the page together; `message_html` draws one message, so
that a page can be made of another sequence of them.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claudechat.chat.attachments import ImageAttachment, TextAttachment
    from claudechat.chat.compaction import Compaction
    from claudechat.chat.conversation import Content, Message
    from claudechat.chat.session import Session
    from claudechat.render.theme import Theme

__all__ = ["CONTENT_SECURITY_POLICY", "message_html", "to_html"]

# No script of any kind, nothing fetched; only the page's own <style> and images inside it.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# Images a browser shows in <img> without running anything; base64 as the chat stores them.
_INLINE_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*\Z")
USER_SHIFT = 2  # a user's `#` is an h3 under the page's h1 and the turn's h2
ANSWER_SHIFT = 3


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _time(timestamp: float, *, with_date: bool = True) -> str:
    moment = datetime.fromtimestamp(timestamp).astimezone()
    shown = moment.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M")
    return f'<time datetime="{moment.isoformat(timespec="seconds")}">{shown}</time>'


def _markdown(text: str, code_theme: str, shift: int) -> str:
    from claudechat.render.html_markdown import markdown_html

    return markdown_html(text, code_theme, shift=shift)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _size(size: int) -> str:
    if size < 1024:
        return _plural(size, "byte")
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _image_html(image: ImageAttachment) -> str:
    name = _escape(image.name)
    if _INLINE_IMAGE.match(image.url):
        size = "".join(f' {side}="{value}"' for side, value in (("width", image.width), ("height", image.height))
                       if value)
        return f'<figure><img src="{_escape(image.url)}" alt="{name}"{size}><figcaption class="mark">image: {name}' \
               f"</figcaption></figure>"
    # A URL (or a kind a browser might not draw safely) is named, not fetched: the page loads nothing.
    return f'<p class="image-name">image: {name}</p>'


def _text_attachment_html(attachment: TextAttachment) -> str:
    facts = [f"{attachment.kind}: {attachment.name}", _size(attachment.size)]
    if attachment.sha256:
        facts.append(f"sha256 {attachment.sha256[:12]}")
    return (f'<details class="attachment"><summary>{_escape(" · ".join(facts))}</summary>'
            f"<pre>{_escape(attachment.text.rstrip())}</pre></details>")


def _attachments_html(content: Content) -> str:
    """Images inline, files folded: what went with a message, after its text."""
    from claudechat.chat.attachments import ImageAttachment, attachment_from_part

    if isinstance(content, str):
        return ""
    shown = []
    for part in content:
        attachment = attachment_from_part(part)
        if isinstance(attachment, ImageAttachment):
            shown.append(_image_html(attachment))
        elif attachment is not None:
            shown.append(_text_attachment_html(attachment))
    return f'<div class="attachments">{"".join(shown)}</div>' if shown else ""


def message_html(message: Message, *, model: str, code_theme: str, anchor: str = "", compacted: bool = False) -> str:
    """One message as an `<article>`: who and when, then what was said.

    `model` names an answer that does not say which model gave it; `anchor` is its id on the
    page; `compacted` marks a message a later summary stood in for.
    """
    mark = ' <span class="mark">· compacted</span>' if compacted else ""
    where = f' id="{_escape(anchor)}"' if anchor else ""
    if message.role == "user":
        head = f'<h2 class="who"><span class="you">You</span> · {_time(message.created)}{mark}</h2>'
        text = message.text.rstrip()
        body = f'<div class="text">{_markdown(text, code_theme, USER_SHIFT)}</div>' if text else ""
        return f'<article class="message user"{where}>\n{head}\n{body}{_attachments_html(message.content)}\n</article>'
    who = _escape(message.model or model)
    parts = [f'<h3 class="who"><span class="model">{who}</span> · {_time(message.created, with_date=False)}{mark}</h3>']
    if message.reasoning.strip():
        parts.append(f'<details class="reasoning"><summary>Reasoning</summary>'
                     f'<div class="text">{_markdown(message.reasoning, code_theme, ANSWER_SHIFT)}</div></details>')
    text = message.text.rstrip()
    parts.append(f'<div class="text">{_markdown(text, code_theme, ANSWER_SHIFT)}</div>' if text
                 else '<p class="mark">(no text)</p>')
    if message.interrupted:
        parts.append('<p class="interrupted">⏹ interrupted: the answer was stopped here</p>')
    if len(message.candidates) > 1:
        parts.append(f'<p class="mark">candidate {message.picked + 1} of {len(message.candidates)}</p>')
    return '<article class="message assistant"' + where + ">\n" + "\n".join(parts) + "\n</article>"


def _system_html(label: str, prompt: str | None) -> str:
    if prompt is None:
        return f'<div class="system"><p class="label">{label}</p></div>'
    return f'<div class="system"><p class="label">{label}</p><pre>{_escape(prompt.rstrip())}</pre></div>'


def _system_change_html(before: str | None, after: str | None) -> str:
    if after is None:
        return _system_html("System prompt cleared", None)
    return _system_html("System prompt set" if before is None else "System prompt changed", after)


def _compaction_html(compaction: Compaction, turns: int, code_theme: str) -> str:
    said = (f"<strong>Compacted</strong> · {_time(compaction.created)} · the {_plural(turns, 'turn')} above "
            f"{'were' if turns != 1 else 'was'} sent as this summary from here on")
    if compaction.instructions:
        said += f" (asked to focus on: {_escape(' '.join(compaction.instructions.split()))})"
    summary = _markdown(compaction.summary, code_theme, ANSWER_SHIFT)
    return (f'<section class="compaction"><p>{said}</p><details><summary>Summary</summary>'
            f'<div class="text">{summary}</div></details></section>')


def _header_html(session: Session) -> str:
    from claudechat.chat.transcript import models_used

    title = _escape(session.title or "Untitled chat")
    facts = f"{_escape(', '.join(models_used(session)))} · {_time(session.created)} · " \
            f"{_plural(session.turns, 'turn')} · session {_escape(session.id)}"
    return f'<header class="chat">\n<h1>{title}</h1>\n<p class="meta">{facts}</p>\n</header>'


def _conversation_html(session: Session, code_theme: str, *, start: int = 0, anchors: str = "m") -> list[str]:
    """The messages from `start` on, with the system prompt's changes and the compactions where
    they happened; each message's anchor is `anchors` and its number."""
    changes = dict(session.system_changes)
    prompt = None  # the one in use at `start`
    for position, value in session.system_changes:
        if position <= start:
            prompt = value
    blocks = [_system_html("System prompt", prompt)] if prompt and not start else []
    compacted = {compaction.covers: compaction for compaction in session.compactions}
    covered = session.compactions[-1].covers if session.compactions else 0
    turns = session.turns_before(start)
    for position in range(start, len(session.messages) + 1):
        if position > start and position in changes:
            blocks.append(_system_change_html(prompt, changes[position]))
            prompt = changes[position]
        if position and position in compacted:
            blocks.append(_compaction_html(compacted[position], turns, code_theme))
        if position == len(session.messages):
            break
        message = session.messages[position]
        turns += message.role == "user"
        blocks.append(message_html(message, model=session.settings.model, code_theme=code_theme,
                                   anchor=f"{anchors}{position + 1}", compacted=position < covered))
    return blocks


def _branches_html(session: Session, code_theme: str) -> list[str]:
    """Every branch but the one in use, each from where it leaves the one it came from."""
    from claudechat.chat.transcript import branch_heading

    blocks = []
    for index in range(len(session.lines())):
        if index == session.branch:
            continue
        blocks.append(f'<section class="branch" id="b{index + 1}">\n<h2>{_escape(branch_heading(session, index))}</h2>')
        blocks += _conversation_html(session.branch_view(index), code_theme, start=session.shared_start(index),
                                     anchors=f"b{index + 1}m")
        blocks.append("</section>")
    return blocks


def to_html(session: Session, theme: Theme, *, all_branches: bool = False) -> str:
    """The whole page for `session` (the branch in use, or with `all_branches` every one), in
    the colours of `theme`."""
    from claudechat import __version__
    from claudechat.render.html_theme import page_css

    title = _escape(session.title or "Untitled chat")
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f'<meta name="generator" content="claudechat {_escape(__version__)}">',
        f"<title>{title}</title>",
        f"<style>\n{page_css(theme)}</style>",
        "</head>",
        "<body>",
        "<main>",
        _header_html(session),
    ]
    tail = ["</main>", "</body>", "</html>"]
    body = _conversation_html(session, theme.code_theme)
    if all_branches:
        body += _branches_html(session, theme.code_theme)
    return "\n".join(head + body + tail) + "\n"
