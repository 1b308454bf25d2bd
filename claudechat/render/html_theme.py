"""The stylesheet of an exported page, in the colours of a claudechat theme.

A theme gives rich style strings, some with named terminal colours ("cyan") whose shade is
the terminal's; on a page they take the shades of a dark or a light terminal palette, chosen by
how dark the page's background is. The background is the theme's code block background (the
colour its author picked to write on), else that of its Pygments style. Code is coloured by
the Pygments style itself, as in the terminal.

The layout is for any screen down to a phone's: one column at most about 50 characters of
reading width wide, code and long words that wrap, tables that scroll inside their own box, so
the page itself never scrolls sideways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.terminal_theme import TerminalTheme

    from claudechat.render.theme import Theme

__all__ = ["page_css"]

# Which theme style colours which part of the page: CSS selector -> style key.
_RULES: tuple[tuple[str, str], ...] = (
    (".who .you", "prompt"),
    (".who .model", "banner"),
    (".who time, .meta, .mark", "status"),
    (".system .label, .compaction", "notice"),
    (".interrupted", "interrupted"),
    ("details.reasoning", "reasoning.text"),
    ("details.reasoning > summary", "reasoning.title"),
    ("details.attachment > summary", "reasoning.summary"),
    (".text code", "markdown.code"),
    (".code-title", "markdown.code_block.title"),
    (".text blockquote", "markdown.block_quote"),
    (".text a", "markdown.link"),
    (".text del, .text s", "markdown.s"),
    (".text th", "markdown.table.header"),
    (".text li::marker", "markdown.item.bullet"),
    (".text h1", "markdown.h1"),
    (".text h2", "markdown.h2"),
    (".text h3", "markdown.h3"),
    (".text h4", "markdown.h4"),
    (".text h5", "markdown.h5"),
    (".text h6", "markdown.h6"),
)
# Lines around things, from the style's colour alone.
_BORDERS: tuple[tuple[str, str], ...] = (
    (".code, .system pre", "markdown.code_block.border"),
    ("details.reasoning, details.attachment, .compaction details", "reasoning.border"),
    (".text th, .text td", "markdown.table.border"),
    ("hr, .message + .message, .compaction", "markdown.hr"),
)

_LAYOUT = """\
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: var(--background); color: var(--foreground);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 50rem; margin: 0 auto; padding: 1rem; overflow-wrap: anywhere; }
header.chat h1 { margin: 0.5rem 0 0.25rem; font-size: 1.5rem; line-height: 1.25; }
.meta { margin: 0 0 1rem; font-size: 0.9rem; }
.message { padding: 0.75rem 0; }
.message + .message { border-top: 1px solid; }
.who { margin: 0 0 0.5rem; font-size: 1rem; font-weight: 600; }
.who time { font-weight: normal; font-size: 0.9rem; }
.text > :first-child { margin-top: 0; }
.text > :last-child { margin-bottom: 0; }
.text h1, .text h2, .text h3, .text h4, .text h5, .text h6 { line-height: 1.3; margin: 1rem 0 0.5rem; }
.text h1 { font-size: 1.35rem; } .text h2 { font-size: 1.25rem; } .text h3 { font-size: 1.15rem; }
.text h4, .text h5, .text h6 { font-size: 1rem; }
.text blockquote { margin: 0.5rem 0; padding-left: 0.75rem; border-left: 3px solid; }
.text img, .attachments img { max-width: 100%; height: auto; }
.attachments img { display: block; max-height: 32rem; margin: 0.5rem 0; border-radius: 4px; }
code, pre { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.9em; }
.text code { padding: 0.05em 0.3em; border-radius: 3px; }
.code { margin: 0.75rem 0; border: 1px solid; border-radius: 6px; overflow: hidden; }
.code-title { padding: 0.2rem 0.75rem; font-size: 0.8rem; font-family: ui-monospace, Menlo, Consolas, monospace; }
pre { margin: 0; padding: 0.6rem 0.75rem; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.4; }
.text pre code { padding: 0; background: none; font-size: inherit; color: inherit; font-weight: inherit; }
.table { max-width: 100%; overflow-x: auto; margin: 0.75rem 0; }
.text table { border-collapse: collapse; }
.text th, .text td { border: 1px solid; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
details { margin: 0.5rem 0; padding: 0.25rem 0.75rem; border: 1px solid; border-radius: 6px; }
details > summary { cursor: pointer; }
details[open] > summary { margin-bottom: 0.5rem; }
details pre { padding: 0.25rem 0; }
.system { margin: 0.75rem 0; }
.system pre { border: 1px solid; border-radius: 6px; padding: 0.5rem 0.75rem; }
.compaction { margin: 1rem 0; padding: 0.75rem 0; border-top: 1px dashed; border-bottom: 1px dashed; }
.mark, .interrupted { font-size: 0.9rem; font-style: italic; }
.image-name { font-style: italic; }
"""


def _is_dark(hex_colour: str) -> bool:
    red, green, blue = (int(hex_colour[at : at + 2], 16) for at in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 128


def _page_colours(theme: Theme) -> tuple[str, str, TerminalTheme]:
    """The page's background and text colours, and the palette named colours take on it."""
    from pygments.styles import get_style_by_name
    from pygments.util import ClassNotFound
    from rich.style import Style
    from rich.terminal_theme import DEFAULT_TERMINAL_THEME, MONOKAI

    code = Style.parse(theme.styles["markdown.code_block"])
    try:
        pygments_background = get_style_by_name(theme.code_theme).background_color or "#ffffff"
    except ClassNotFound:
        pygments_background = "#ffffff"
    if code.bgcolor is not None and code.bgcolor.triplet is not None:
        background = code.bgcolor.triplet.hex
    else:
        background = pygments_background if len(pygments_background) == 7 else "#ffffff"
    palette = MONOKAI if _is_dark(background) else DEFAULT_TERMINAL_THEME
    foreground = code.color.get_truecolor(palette).hex if code.color is not None else palette.foreground_color.hex
    return background, foreground, palette


def page_css(theme: Theme) -> str:
    """The whole stylesheet of a page in `theme`: layout, the theme's colours, Pygments' code colours."""
    from rich.style import Style

    from claudechat.render.html_markdown import CODE_CLASS, code_css

    background, foreground, palette = _page_colours(theme)
    rules = [f":root {{ --background: {background}; --foreground: {foreground}; color-scheme: "
             f"{'dark' if _is_dark(background) else 'light'}; }}", _LAYOUT]
    for selector, key in _RULES:
        css = Style.parse(theme.styles[key]).get_html_style(palette)
        if css:
            rules.append(f"{selector} {{ {css} }}")
    for selector, key in _BORDERS:
        colour = Style.parse(theme.styles[key]).color
        if colour is not None:
            rules.append(f"{selector} {{ border-color: {colour.get_truecolor(palette).hex}; }}")
    pygments = [line for line in code_css(theme.code_theme).splitlines() if line.startswith(f".{CODE_CLASS}")]
    rules += pygments
    block = Style.parse(theme.styles["markdown.code_block"])
    if block.bgcolor is not None:  # the theme's own code background wins over Pygments'
        rules.append(f".{CODE_CLASS}, .code-title {{ background: {block.bgcolor.get_truecolor(palette).hex}; }}")
    return "\n".join(rules) + "\n"
