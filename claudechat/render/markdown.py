"""Markdown as claudechat renders it, and where its finished top-level blocks end.

One parser serves both jobs, so a block boundary is decided with exactly the settings used to
draw it: CommonMark with tables and strikethrough, raw HTML off (a model's `<tags>` are text,
shown literally, never dropped), and links drawn with their target next to the text rather
than as terminal hyperlinks whose target the reader cannot see.

A code block is drawn between two lines: the top one names its language and its number, the
bottom one closes it. Nothing is drawn beside the code, so the rows of a block selected with
the mouse are the code itself. The number is the one `/copy N` takes: code blocks (fenced and
indented, nested ones included) are counted in the order of the parser's tokens, which is the
order `code_blocks` in repl/report_commands.py counts them in.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.markdown import CodeBlock, Markdown
from rich.syntax import Syntax
from rich.text import Text

from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from rich.console import Console, ConsoleOptions, RenderResult

__all__ = [
    "SafeMarkdown",
    "markdown_parser",
    "split_finished",
    "open_fence",
    "CODE_BLOCK_TOKENS",
    "count_code_blocks",
    "CodeTop",
    "CodeBottom",
    "code_syntax",
    "fence_language",
    "LANGUAGE_LIMIT",
]

# The tokens drawn as code blocks, wherever they are nested: the blocks `/copy N` counts.
CODE_BLOCK_TOKENS = frozenset({"fence", "code_block"})
LANGUAGE_LIMIT = 40  # characters of a fence's language shown in its frame

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")


def count_code_blocks(tokens: list[Any]) -> int:
    """How many code blocks `tokens` draw (fenced or indented, at any depth)."""
    return sum(1 for token in tokens if token.type in CODE_BLOCK_TOKENS)


def fence_language(token: Any) -> str:
    """The language a fence token names: the first word of its info string ("" if none)."""
    words = (token.info or "").split(maxsplit=1)
    return words[0] if words else ""


class _CodeBlock(CodeBlock):
    """A code block between a top line (language, number) and a bottom line.

    The code is on the terminal's own background: the Pygments style gives the colours, not a
    slab of its background (white for `bw`, grey for others) across the screen. It has no
    padding either, so a selected row holds the code and nothing else; long lines wrap.
    """

    def __init__(self, lexer_name: str, theme: str, language: str, number: int | None) -> None:
        super().__init__(lexer_name, theme)
        self.language = language
        self.number = number

    @classmethod
    def create(cls, markdown: Markdown, token: Any) -> _CodeBlock:
        language = fence_language(token)
        number = markdown.next_code_number() if isinstance(markdown, SafeMarkdown) else None
        # The language comes from the model: shown as plain text, sanitised, never as markup.
        return cls(language or "text", markdown.code_theme, one_line(language, LANGUAGE_LIMIT), number)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield CodeTop(self.language, self.number)
        yield code_syntax(str(self.text).rstrip(), self.lexer_name, self.theme)
        yield CodeBottom()


class CodeBottom:
    """The line that closes a code block."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        line, corner = ("-", "+") if options.ascii_only else ("─", "╰")
        yield Text(corner + line * (options.max_width - 1), style="markdown.code_block.border", no_wrap=True)


def code_syntax(code: str, lexer: Any, theme: str) -> Syntax:
    """The code of a code block as rich draws it, whole or (an open block) line by line."""
    return Syntax(code, lexer, theme=theme, word_wrap=True, padding=0, background_color="default")


class CodeTop:
    """The top line of a code block: its language, the number `/copy N` takes, a line to the end."""

    def __init__(self, language: str, number: int | None) -> None:
        self.language = language
        self.number = number

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        line, corner = ("-", "+") if options.ascii_only else ("─", "╭")
        border, title = "markdown.code_block.border", "markdown.code_block.title"
        number = f" #{self.number}" if self.number is not None else ""
        if width < len(number) + 4:
            number = ""
        right = len(number) + 2 if number else 0  # " #N ─"
        top = Text(no_wrap=True)
        top.append(corner + line, style=border)
        room = width - 2 - right - 3  # a space each side of the language, then at least one line
        if self.language and room >= min(cell_len(self.language), 4):  # never a lone "…"
            label = Text(self.language, style=title)
            label.truncate(room, overflow="ellipsis")
            top.append(" ")
            top.append_text(label)
            top.append(" ")
        top.append(line * max(0, width - top.cell_len - right), style=border)
        if number:
            top.append(number, style=title)
            top.append(" " + line, style=border)
        top.truncate(width)
        yield top


@lru_cache(maxsize=1)
def _plain_markdown() -> Markdown:
    return Markdown("", hyperlinks=False)


class SafeMarkdown(Markdown):
    """rich's Markdown with claudechat's parser; `tokens` skips parsing when already done.

    `first_code_number` is the number of its first code block (those after it count on from
    there); None draws code blocks without numbers.
    """

    elements = {**Markdown.elements, "fence": _CodeBlock, "code_block": _CodeBlock}

    def __init__(
        self,
        markup: str,
        *,
        code_theme: str = "monokai",
        tokens: list[Any] | None = None,
        first_code_number: int | None = 1,
    ) -> None:
        # rich's __init__ builds a parser of its own to parse `markup`: a tenth of a
        # millisecond per tail drawn. Its other attributes are taken from one made once.
        vars(self).update(vars(_plain_markdown()))
        self.code_theme = self.inline_code_theme = code_theme
        self.markup = markup
        self.parsed = tokens if tokens is not None else markdown_parser().parse(markup)
        self.first_code_number = first_code_number
        self._code_number = first_code_number

    def next_code_number(self) -> int | None:
        """The number of the next code block drawn (called once per block, in token order)."""
        number = self._code_number
        if number is not None:
            self._code_number = number + 1
        return number

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self._code_number = self.first_code_number  # drawn again, it counts from the start again
        yield from super().__rich_console__(console, options)


def open_fence(text: str) -> tuple[str, str] | None:
    """(opening line, fence marker) when `text` starts with a code fence that is not closed yet.

    A long code block is by far the most common huge block; knowing it is one lets the
    caller skip parsing it on every frame and draw only its tail.
    """
    start = 0
    length = len(text)
    while start < length:  # skip leading blank lines
        end = text.find("\n", start)
        if end == -1:
            return None
        if text[start:end].strip():
            break
        start = end + 1
    else:
        return None
    first_end = text.find("\n", start)
    if first_end == -1:
        return None
    match = _FENCE.fullmatch(text[start:first_end])
    if match is None or (match.group(1)[0] == "`" and "`" in match.group(2)):
        return None
    marker = match.group(1)
    closing = re.compile(r" {0,3}" + re.escape(marker[0]) + "{" + str(len(marker)) + r",}[ \t]*")
    position = first_end + 1
    while True:
        end = text.find("\n", position)
        if end == -1:
            return text[start:first_end], marker  # the last line is still being written
        if closing.fullmatch(text[position:end]):
            return None
        position = end + 1


def _closes_fence(token: Any, lines: list[str]) -> bool:
    """Whether a top-level fence token ends with its closing fence (it cannot grow any more)."""
    first, end = token.map
    if end - first < 2 or end > len(lines):
        return False
    closing = lines[end - 1].strip()
    marker = token.markup
    return len(closing) >= len(marker) and closing == marker[0] * len(closing)


def split_finished(text: str) -> tuple[int, list[Any]]:
    """How much of `text` is top-level blocks that later text can no longer change, and their tokens.

    Only complete lines count. Every top-level block but the last is finished: once a new
    block has started on a complete line, CommonMark never reaches back into the one before.
    A fenced code block is finished at its closing fence already: nothing can reopen it, and
    it may be long, so it should not wait in the live region for the next block to begin.
    """
    complete = text.rfind("\n") + 1
    if complete == 0 or open_fence(text) is not None:
        return 0, []
    tokens = markdown_parser().parse(text[:complete])
    starts = [index for index, token in enumerate(tokens) if token.level == 0 and token.nesting >= 0]
    if not starts:
        return 0, []
    last = tokens[starts[-1]]
    if last.type == "fence" and last.map is not None and _closes_fence(last, text[:complete].split("\n")):
        end_line, keep = last.map[1], len(tokens)
    elif len(starts) >= 2 and last.map is not None:
        end_line, keep = last.map[0], starts[-1]
    else:
        return 0, []
    offset = 0
    for _ in range(end_line):
        offset = text.index("\n", offset) + 1
    return offset, tokens[:keep]
