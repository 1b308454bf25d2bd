"""Markdown that arrives in pieces: finished blocks are drawn once, only the tail is redrawn.

Feeding a delta only appends it to a list. Once per frame the text received since the last
frame joins the unfinished tail; top-level blocks that are finished are rendered once and
handed back for the scrollback; the tail (a single block, however long the answer) is
rendered for the live region. So the cost of a frame depends on the tail, not the answer.

Rendered block by block, the answer is identical to rendering it whole. That takes knowing
how rich separates top-level blocks: it emits a blank line before a block when the element
closed last "wants" one (every element but a horizontal rule). A block with nested elements
(a list, a quote, a table) closes one of its own first, so it brings its blank line along
even at the top of a render; a flat block (paragraph, heading, code, rule) gets it only from
the block before, which a separately rendered group does not have, so we add it.

Code blocks are numbered as `/copy N` counts them, from 1 for each answer. A block's number
is drawn when the block is, so it must never depend on what comes later: every code block
gets one, the first included, even when it stays the only one. The stream counts the blocks
it has committed, and each rendered piece numbers its own from the next one on.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from claudechat.render.markdown import (
    LANGUAGE_LIMIT,
    CodeBottom,
    CodeTop,
    SafeMarkdown,
    count_code_blocks,
    fence_language,
    markdown_parser,
    open_fence,
    split_finished,
)
from claudechat.render.open_code import ClosingCode, OpenCodeBlock
from claudechat.sanitize import one_line

__all__ = ["MarkdownStream"]

# Finished blocks arriving faster than frames can draw them are rendered in runs of about this
# many characters, a frame taking as many runs as fit in its budget.
_BATCH_CHARS = 2_000
# Top-level blocks that close no element of their own before their end.
_FLAT_BLOCKS = frozenset({"paragraph_open", "heading_open", "fence", "code_block", "hr", "html_block"})


@dataclass
class _OpenCode:
    """A code block drawn while open."""

    language: str
    width: int  # the rows kept were drawn at this width
    block: OpenCodeBlock
    top: list[str]  # the rows above its code: a blank one if the block before wants one, its top line


def _batches(text: str, tokens: list) -> list[tuple[str, list]]:  # type: ignore[type-arg]
    """Finished blocks cut into runs of whole top-level blocks of about _BATCH_CHARS each."""
    starts = [index for index, token in enumerate(tokens) if token.level == 0 and token.nesting >= 0]
    line_offsets = [0]
    newline = text.find("\n")
    while newline != -1:
        line_offsets.append(newline + 1)
        newline = text.find("\n", newline + 1)
    batches: list[tuple[str, list]] = []  # type: ignore[type-arg]
    first_token, first_offset = 0, 0
    for index in starts[1:]:
        offset = line_offsets[tokens[index].map[0]]
        if offset - first_offset >= _BATCH_CHARS:
            batches.append((text[first_offset:offset], tokens[first_token:index]))
            first_token, first_offset = index, offset
    batches.append((text[first_offset:], tokens[first_token:]))
    return batches


class MarkdownStream:
    def __init__(
        self,
        render: Callable[[object], str],
        *,
        code_theme: str = "monokai",
        number_code_blocks: bool = True,
        width: Callable[[], int] | None = None,
    ) -> None:
        self._render = render  # renderable -> the ANSI text rich draws for it, ending in "\n"
        self._width = width or (lambda: 0)  # what `render` draws at; rows kept are drawn again when it changes
        self._open_code: _OpenCode | None = None
        self._code_theme = code_theme
        self._number_code_blocks = number_code_blocks
        self._code_blocks = 0  # code blocks committed so far
        self._pending: list[str] = []
        self._tail = ""
        self._unchecked_from = 0  # the tail before this offset had no new complete line to split at
        self._last_block_type: str | None = None  # type of the last top-level block committed
        self._backlog: deque[tuple[str, list]] = deque()  # type: ignore[type-arg]  # finished, not yet drawn
        # A code block drawn while open that has closed, being drawn whole: (its text and tokens,
        # the block as it was open, the work of drawing it whole). Until done it shows as it did.
        self._closing: tuple[str, list, _OpenCode, ClosingCode] | None = None  # type: ignore[type-arg]

    def feed(self, text: str) -> None:
        if text:
            self._pending.append(text)

    def _absorb(self) -> None:
        if self._pending:
            self._tail += "".join(self._pending)
            self._pending.clear()

    def commit_finished(self, deadline: float | None = None, clock: Callable[[], float] = time.perf_counter) -> str:
        """Render and hand over the blocks that can no longer change ("" if none).

        With a `deadline` (a time of `clock`), rendering stops at the first batch of
        blocks that ends past it; the rest waits for the next call, and until it is all handed
        over the tail is not drawn (it would show below blocks that come before it).
        """
        self._absorb()
        if self._closing is not None:
            return self._commit_closed_code(deadline, clock)
        if not self._backlog and "\n" in self._tail[self._unchecked_from :]:
            self._unchecked_from = self._tail.rfind("\n") + 1
            cut, tokens = split_finished(self._tail)
            if cut:
                done, self._tail = self._tail[:cut], self._tail[cut:]
                closing, self._open_code = self._open_code, None
                self._unchecked_from = max(0, self._unchecked_from - cut)
                if closing is not None and closing.width == self._width() and len(tokens) == 1 and tokens[0].type == "fence":
                    self._closing = (done, tokens, closing, closing.block.closing(tokens[0].content.rstrip()))
                    return self._commit_closed_code(deadline, clock)
                if deadline is None:
                    return self._commit(done, tokens)
                self._backlog.extend(_batches(done, tokens))
        parts = []
        while self._backlog:
            parts.append(self._commit(*self._backlog.popleft()))
            if deadline is not None and clock() >= deadline:
                break
        return "".join(parts)

    @property
    def behind(self) -> bool:
        """Whether finished blocks are still waiting to be handed over."""
        return bool(self._backlog) or self._closing is not None

    def finish(self) -> str:
        """Render what is left: the answer is complete (or was interrupted)."""
        self._absorb()
        waiting = self._commit_closed_code() if self._closing is not None else ""
        waiting += "".join(self._commit(*batch) for batch in self._backlog)
        self._backlog.clear()
        rest, self._tail = self._tail, ""
        self._open_code = None
        return waiting + (self._commit(rest) if rest.strip() else "")

    def _separator(self, tokens: list) -> str:  # type: ignore[type-arg]
        """The blank line rich would have put here had it rendered the answer whole."""
        if self._last_block_type in (None, "hr"):
            return ""
        first = next((token.type for token in tokens if token.level == 0), None)
        return "\n" if first in _FLAT_BLOCKS else ""

    def _markdown(self, text: str, tokens: list) -> SafeMarkdown:  # type: ignore[type-arg]
        """`text` as the answer's next piece: its code blocks numbered on from those committed."""
        first = self._code_blocks + 1 if self._number_code_blocks else None
        return SafeMarkdown(text, code_theme=self._code_theme, tokens=tokens, first_code_number=first)

    def _commit(self, text: str, tokens: list | None = None) -> str:  # type: ignore[type-arg]
        if tokens is None:
            tokens = markdown_parser().parse(text)
        rendered = self._separator(tokens) + self._render(self._markdown(text, tokens))
        self._code_blocks += count_code_blocks(tokens)
        for token in tokens:
            if token.level == 0 and token.nesting >= 0:
                self._last_block_type = token.type
        return rendered

    def _commit_closed_code(self, deadline: float | None = None, clock: Callable[[], float] = time.perf_counter) -> str:
        """The code block that closed, once lexed whole ("" until then): its lines drawn while
        it was open are kept. Drawn again whole if the width changed meanwhile."""
        assert self._closing is not None
        text, tokens, drawn, closing = self._closing
        if drawn.width != self._width():
            self._closing = None
            return self._commit(text, tokens)
        if not closing.work(deadline, clock):
            return ""
        self._closing = None
        number = self._code_blocks + 1 if self._number_code_blocks else None
        rendered = (
            self._separator(tokens)
            + self._render(CodeTop(one_line(drawn.language, LANGUAGE_LIMIT), number))
            + "".join(row + "\n" for row in closing.rows())
            + self._render(CodeBottom())
        )
        self._code_blocks += 1
        self._last_block_type = "fence"
        return rendered

    def live_lines(self, max_lines: int) -> list[str]:
        """The unfinished tail as rendered rows, at most `max_lines` (its end, if taller)."""
        self._absorb()
        if self._closing is not None:  # as it was last drawn, until it is committed
            drawn = self._closing[2]
            return self._open_code_rows(drawn, max_lines) if drawn.width == self._width() else []
        if self._backlog or not self._tail.strip() or max_lines <= 0:
            return []
        text = self._tail
        fence = open_fence(text)
        if fence is not None:
            return self._open_code_lines(text, fence[0], max_lines)
        tokens = markdown_parser().parse(text)
        rendered = self._separator(tokens) + self._render(self._markdown(text, tokens))
        lines = rendered.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return lines[-max_lines:]

    def _open_code_lines(self, text: str, opening: str, max_lines: int) -> list[str]:
        """An open code block's last rows: its finished lines drawn once each, kept until it closes."""
        width = self._width()
        drawn = self._open_code
        if drawn is None or drawn.width != width:
            tokens = markdown_parser().parse(opening + "\n")
            language = fence_language(tokens[0])  # as the closed block will name it
            if drawn is None:
                block = OpenCodeBlock(language or "text", self._render, self._code_theme)
            else:
                block = drawn.block
                block.clear_rows()
            number = self._code_blocks + 1 if self._number_code_blocks else None
            top = self._separator(tokens) + self._render(CodeTop(one_line(language, LANGUAGE_LIMIT), number))
            drawn = self._open_code = _OpenCode(language, width, block, top.split("\n")[:-1])
        drawn.block.update(text[text.index(opening) + len(opening) + 1 :])
        return self._open_code_rows(drawn, max_lines)

    @staticmethod
    def _open_code_rows(drawn: _OpenCode, max_lines: int) -> list[str]:
        """The last `max_lines` rows of an open code block, its top line included if they reach it."""
        rows = drawn.block.rows(max_lines)
        if len(rows) < max_lines:
            rows = drawn.top + rows
        return rows[-max_lines:]
