"""Markdown as HTML for an exported page: what a model or a user wrote, made safe to open.

The text is untrusted, so the parser is the terminal's (CommonMark with tables and
strikethrough) with raw HTML off: a `<script>` in an answer is shown as the text it is. Links
are kept only for schemes that navigate somewhere harmless (http, https, mailto, a `#` on the
page); any other target (`javascript:`, `data:`, `file:`, a relative path) leaves the Markdown
as written, as text. Images a model names are not fetched (the page loads nothing): they become
links to where they are. Attribute values are escaped by the renderer.

Code blocks are highlighted by Pygments into spans with its short class names (`k`, `s`, ...),
coloured by the stylesheet `code_css` makes from the theme's code style; the code wraps rather
than scrolling the page sideways. Headings go `shift` levels deeper, under the page's own.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

__all__ = ["CODE_CLASS", "code_css", "highlight", "markdown_html", "safe_link"]

CODE_CLASS = "hl"  # the class of a highlighted block; Pygments' rules are scoped under it
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
_LANGUAGE_LIMIT = 40  # characters of a fence's language shown above its code


def safe_link(url: str) -> bool:
    """Whether `url` may be a link in the page: http(s), mailto, or a place on the page itself."""
    target = "".join(url.split()).lower()  # "java\tscript:" is javascript: to a browser
    return target.startswith(_SAFE_SCHEMES) or (url.startswith("#") and ":" not in url)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")
    parser.validateLink = safe_link  # type: ignore[method-assign]
    parser.add_render_rule("fence", _fence)
    parser.add_render_rule("code_block", _code_block)
    parser.add_render_rule("image", _image)
    parser.add_render_rule("link_open", _link_open)
    parser.add_render_rule("table_open", _table_open)
    parser.add_render_rule("table_close", _table_close)
    return parser


def markdown_html(text: str, code_theme: str, *, shift: int = 0) -> str:
    """`text` rendered as HTML, its code highlighted with the Pygments style `code_theme`."""
    parser = _parser()
    tokens = parser.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and shift:
            token.tag = f"h{min(6, int(token.tag[1:]) + shift)}"
    return parser.renderer.render(tokens, parser.options, {"code_theme": code_theme})


def highlight(code: str, language: str, code_theme: str) -> str:
    """`code` as a highlighted block: its language named above it, Pygments' spans inside."""
    # Pygments is imported here, when a page is written: a chat that never exports never pays for it.
    from pygments import highlight as pygments_highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False) if language else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    body = pygments_highlight(code.rstrip("\n"), lexer, HtmlFormatter(style=code_theme, nowrap=True))
    label = html.escape(language[:_LANGUAGE_LIMIT] + ("…" if len(language) > _LANGUAGE_LIMIT else ""))
    title = f'<div class="code-title">{label}</div>' if language else ""
    return f'<div class="code">{title}<pre class="{CODE_CLASS}"><code>{body}</code></pre></div>\n'


def code_css(code_theme: str) -> str:
    """Pygments' colours for `code_theme`, under `.hl`."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style=code_theme).get_style_defs(f".{CODE_CLASS}")


def _fence(renderer: Any, tokens: list[Any], index: int, options: Any, env: dict[str, Any]) -> str:
    token = tokens[index]
    words = (token.info or "").split(maxsplit=1)
    return highlight(token.content, words[0] if words else "", env["code_theme"])


def _code_block(renderer: Any, tokens: list[Any], index: int, options: Any, env: dict[str, Any]) -> str:
    return highlight(tokens[index].content, "", env["code_theme"])


def _image(renderer: Any, tokens: list[Any], index: int, options: Any, env: dict[str, Any]) -> str:
    """An image the text names, as a link to it: the page loads nothing from anywhere."""
    token = tokens[index]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    source = html.escape(str(token.attrGet("src") or ""))
    return f'<a class="image-link" href="{source}" rel="noopener noreferrer">🖼 {html.escape(alt)}</a>'


def _link_open(renderer: Any, tokens: list[Any], index: int, options: Any, env: dict[str, Any]) -> str:
    # The page it leads to learns nothing of this one, and cannot reach back into it.
    tokens[index].attrSet("rel", "noopener noreferrer")
    return renderer.renderToken(tokens, index, options, env)


def _table_open(renderer: Any, tokens: list[Any], index: int, options: Any, env: dict[str, Any]) -> str:
    # A wide table scrolls inside its own box, never the page.
    return '<div class="table">' + renderer.renderToken(tokens, index, options, env)


def _table_close(renderer: Any, tokens: list[Any], index: int, options: Any, env: dict[str, Any]) -> str:
    return renderer.renderToken(tokens, index, options, env) + "</div>\n"
