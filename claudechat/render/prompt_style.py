"""rich style strings converted to prompt_toolkit's, so the prompt wears the theme's colours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import prompt_toolkit.styles
    import rich.color

__all__ = ["prompt_toolkit_style"]

# Theme key -> the prompt_toolkit class names it styles. prompt_toolkit applies the rules for a
# dotted class name from its least to its most specific part ("completion-menu", then
# "completion-menu.completion", ...), so a child's rule wins over its parent's.
_PROMPT_TOOLKIT_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # PromptSession draws the continuation with "prompt-continuation"; "continuation" is kept
    # for text the application styles itself.
    ("prompt", ("prompt",)),
    ("banner", ("banner",)),
    ("prompt.continuation", ("continuation", "prompt-continuation")),
    ("toolbar", ("bottom-toolbar",)),
    ("toolbar.key", ("toolbar.key",)),
    ("toolbar.value", ("toolbar.value",)),
    ("toolbar.context", ("toolbar.context",)),
    ("toolbar.context.warn", ("toolbar.context.warn",)),
    ("toolbar.context.full", ("toolbar.context.full",)),
    ("completion.menu", ("completion-menu", "completion-menu.completion", "scrollbar.background")),
    (
        "completion.menu.current",
        ("completion-menu.completion.current", "completion-menu.meta.completion.current", "scrollbar.button"),
    ),
    ("completion.meta", ("completion-menu.meta.completion", "completion-menu.multi-column-meta")),
    ("auto_suggestion", ("auto-suggestion",)),
)

# prompt_toolkit's built-in style gives these classes colours and attributes of its own (a grey
# menu, a reversed toolbar and current completion). Whatever the theme leaves unset is reset
# here, so that what the theme says is what is seen, and monochrome stays free of colour.
_RESET_CLASSES = frozenset(
    {
        "bottom-toolbar",
        "completion-menu",
        "completion-menu.completion",
        "completion-menu.completion.current",
        "completion-menu.meta.completion",
        "completion-menu.meta.completion.current",
        "completion-menu.multi-column-meta",
        "scrollbar.background",
        "scrollbar.button",
        "auto-suggestion",
    }
)

# rich's standard colours 0..15 in order, as prompt_toolkit names them. Named ANSI colours stay
# named so that they follow the terminal's palette, as they do in rich's output.
_ANSI_NAMES = (
    "ansiblack",
    "ansired",
    "ansigreen",
    "ansiyellow",
    "ansiblue",
    "ansimagenta",
    "ansicyan",
    "ansigray",
    "ansibrightblack",
    "ansibrightred",
    "ansibrightgreen",
    "ansibrightyellow",
    "ansibrightblue",
    "ansibrightmagenta",
    "ansibrightcyan",
    "ansiwhite",
)


def prompt_toolkit_style(styles: Mapping[str, str]) -> prompt_toolkit.styles.Style:
    """prompt_toolkit rules for the prompt, toolbar, completion menu and auto-suggestion."""
    from prompt_toolkit.styles import Style as PromptToolkitStyle

    rules: list[tuple[str, str]] = []
    for key, class_names in _PROMPT_TOOLKIT_CLASSES:
        for class_name in class_names:
            rules.append((class_name, _to_prompt_toolkit(styles[key], reset=class_name in _RESET_CLASSES)))
    return PromptToolkitStyle(rules)


def _to_prompt_toolkit(style_text: str, *, reset: bool) -> str:
    """Translate a rich style string into prompt_toolkit's style syntax.

    With `reset`, everything the rich style leaves unset is spelled out as "off" or the
    terminal's default colour, which overrides prompt_toolkit's built-in look for the class.
    Attributes prompt_toolkit cannot show (overline, frame, encircle, links) are dropped.
    """
    from rich.style import Style as RichStyle

    style = RichStyle.parse(style_text)
    parts: list[str] = []
    attributes = (
        ("bold", style.bold),
        ("dim", style.dim),
        ("italic", style.italic),
        # prompt_toolkit has one underline and one blink; the doubled/fast variants map onto them.
        ("underline", _either(style.underline, style.underline2)),
        ("blink", _either(style.blink, style.blink2)),
        ("reverse", style.reverse),
        ("hidden", style.conceal),
        ("strike", style.strike),
    )
    for attribute, value in attributes:
        if value is True:
            parts.append(attribute)
        elif value is False or reset:
            parts.append("no" + attribute)
    if style.color is not None:
        parts.append("fg:" + _prompt_toolkit_color(style.color))
    elif reset:
        parts.append("fg:default")
    if style.bgcolor is not None:
        parts.append("bg:" + _prompt_toolkit_color(style.bgcolor))
    elif reset:
        parts.append("bg:default")
    return " ".join(parts)


def _either(first: bool | None, second: bool | None) -> bool | None:
    if first or second:
        return True
    if first is None and second is None:
        return None
    return False


def _prompt_toolkit_color(color: rich.color.Color) -> str:
    from rich.color import ColorType

    if color.type is ColorType.DEFAULT:
        return "default"
    if color.type in (ColorType.STANDARD, ColorType.WINDOWS) and color.number is not None and color.number < 16:
        return _ANSI_NAMES[color.number]
    # 256-colour and true-colour values become hex; prompt_toolkit maps hex back down to the
    # terminal's colour depth, and the xterm 256-colour values round-trip exactly.
    return color.get_truecolor().hex
