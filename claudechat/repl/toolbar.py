"""The bottom toolbar: what the next message goes out with, in one row that always fits.

Fields are kept by priority: the model first, the server (while a profile is in use), then an
edit in progress, the attachments, the system prompt, the context meter, the request settings,
the tokens spent, "Alt-Enter sends" when that is the send key, and the key hints last. Long
values are shortened (file names, never paths; the system prompt's first words); when the row
is still too wide for the terminal, the least important fields are dropped whole.

The toolbar is drawn on every keystroke, so nothing here may cost more than formatting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from claudechat.sanitize import one_line

__all__ = ["ToolbarState", "toolbar_fragments", "context_field", "short_count"]

Fragments = list[tuple[str, str]]

_VALUE_WIDTH = 28  # a shortened attachment list or system prompt


@dataclass(frozen=True)
class ToolbarState:
    model: str
    role: str | None = None
    attachments: tuple[str, ...] = ()  # as the user gave them: paths or URLs
    system: str | None = None
    n: int = 1
    json: bool = False
    editing: bool = False
    rewinding: int | None = None  # the turn the next message starts a branch at (/rewind)
    tokens_used: int = 0
    context_tokens: int | None = None  # what the next request would use
    context_window: int | None = None  # of the model; None when unknown
    context_level: str = ""  # how full: "", "warn" (from 70%) or "full" (from 90%)
    send_key: str = "enter"  # the send_key setting
    server: str | None = None  # shown while a profile is in use: "host (profile)"


def _short(text: str, width: int = _VALUE_WIDTH) -> str:
    return one_line(text, width)


def _name(attachment: str) -> str:
    """A file's name, not its path; a URL's last part; a command (`!ls -l`) whole."""
    if attachment.startswith("!"):
        return attachment
    trimmed = attachment.rstrip("/")
    return os.path.basename(trimmed) or trimmed


def _field(key: str, value: str) -> Fragments:
    return [("class:toolbar.key", f" {key} "), ("class:toolbar.value", value)]


def _width(fragments: Fragments) -> int:
    from prompt_toolkit.formatted_text.utils import fragment_list_width

    return fragment_list_width(fragments)


def short_count(tokens: int) -> str:
    """A token count in a few characters: 850, 4.1k, 41k, 1.2M."""
    if tokens < 1000:
        return str(max(0, tokens))
    if tokens < 10_000:
        return f"{tokens / 1000:.1f}k"
    if tokens < 1_000_000:
        return f"{tokens // 1000}k"
    return f"{tokens / 1_000_000:.1f}M"


def context_field(tokens: int, window: int | None, level: str = "") -> Fragments:
    """`ctx 41k/200k`, styled by how full the window is (`ContextUse.level`)."""
    value = short_count(tokens) + (f"/{short_count(window)}" if window else "")
    return [("class:toolbar.key", "  ctx "), ("class:toolbar.context" + (f".{level}" if level else ""), value)]


def toolbar_fragments(state: ToolbarState, columns: int) -> Fragments:
    """The toolbar for a terminal `columns` wide."""
    fields: list[Fragments] = [_field("model", _short(state.model, 60))]
    if state.server:
        fields.append(_field(" server", _short(state.server, 60)))
    if state.role:
        fields.append(_field(" role", _short(state.role, 30)))
    if state.editing:
        fields.append([("class:toolbar.value", "  editing your last message")])
    if state.rewinding is not None:
        fields.append([("class:toolbar.value", f"  new branch at turn {state.rewinding}")])
    if state.attachments:
        names = ", ".join(_name(item) for item in state.attachments)
        count = len(state.attachments)
        label = "attached" if count == 1 else f"{count} attached"
        fields.append(_field(f" {label}", _short(names)))
    if state.system and not state.role:  # a role's prompt is the role: its name says it
        fields.append(_field(" system", _short(state.system, 20)))
    if state.context_tokens is not None:
        fields.append(context_field(state.context_tokens, state.context_window, state.context_level))
    settings: Fragments = []
    if state.n > 1:
        settings += _field(" n", str(state.n))
    if state.json:
        settings += _field(" json", "on")
    if settings:
        fields.append(settings)
    if state.tokens_used:
        fields.append(_field(" spent", f"{state.tokens_used:,} tokens"))
    if state.send_key == "alt-enter":
        # Enter sends everywhere else: where it does not, the row says so as long as it can.
        fields.append([("class:toolbar.key", "   Alt-Enter sends")])
    fields.append([("class:toolbar.key", "   /help · Ctrl-D exits ")])

    # Drop from the end (the least important) until the row fits; the model always stays.
    while len(fields) > 1 and sum(_width(field) for field in fields) > columns:
        fields.pop()
    row = [fragment for field in fields for fragment in field]
    if _width(row) > columns:
        row = [("class:toolbar.value", one_line(" " + state.model, max(1, columns)))]
    return row
