"""A fenced code block still being written, drawn row by row as the whole block will be.

Redrawing the visible end of an open block from scratch each frame means highlighting and
wrapping a screenful of code 25 times a second, the slowest frames there are. Lines of the
block that are complete no longer change, so each is highlighted and rendered once, kept, and
only the line still growing is rendered per frame.

Highlighting a line needs the lexer's state at its start (inside a docstring or a block
comment, say). Pygments does not hand that state out, so lexing restarts at a line start where
it is known to be the initial one: after a line whose newline the lexer read as plain text or
whitespace, which for the lexers of common languages means no string, comment or heredoc is
open across it. A line that opens one (`\"\"\"`) makes the lines after it lex again from before
it until it closes, so they are coloured as the string they are in. Some constructs a lexer
only recognises once they are closed (a heredoc, a string matched whole): the last lines are
lexed again whenever lines finish, so the line that opened one is coloured right once it
closes, if that is within a screenful. Where a guess is still wrong, a line may be coloured
differently while the block is open; when it closes the block is lexed again whole, exactly as
if rendered at once (over several frames if it is long, showing as it was meanwhile), and only
the lines whose tokens changed are drawn again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from claudechat.render.markdown import code_syntax

__all__ = ["ClosingCode", "OpenCodeBlock"]

_Token = tuple[Any, str]  # (pygments token type, text)
# Lines lexed again, before the new ones, each time lines are finished. Some constructs are
# recognised only once they close (a heredoc, a string some lexers match whole): the lines they
# began on are coloured as they will be once the close arrives within this many lines.
_RELEX_LINES = 32
# Tokens lexed between two looks at the clock while a closed block is lexed again whole.
_TOKENS_PER_SLICE = 200


def _lexer_for(language: str) -> Any:
    """The lexer rich's Syntax would use for `language`, so the colours are the same."""
    from rich.syntax import Syntax

    syntax = Syntax("", language)
    return syntax.lexer or syntax.default_lexer


def _replay_lexer(tokens: list[_Token]) -> Any:
    """A lexer that hands rich the tokens already found for a line instead of lexing it."""
    from pygments.lexer import Lexer

    class Replay(Lexer):
        def get_tokens(self, text: str, unfiltered: bool = False) -> Any:
            return iter(tokens)

    return Replay()


def _split_lines(tokens: list[_Token]) -> tuple[list[list[_Token]], list[bool]]:
    """Tokens (of text ending with a newline) cut into lines, each ending with its newline, and
    whether lexing may restart after each line."""
    from pygments.token import Text

    lines: list[list[_Token]] = []
    restartable: list[bool] = []
    current: list[_Token] = []
    for kind, value in tokens:
        while value:
            part, newline, value = value.partition("\n")
            if not newline:
                current.append((kind, part))
                break
            current.append((kind, part + "\n"))
            lines.append(current)
            restartable.append(kind in Text)
            current = []
    return lines, restartable  # the lexers end the text with a newline (ensurenl): nothing is left over


class OpenCodeBlock:
    """The code rows of one open block: `update` with its text so far, then `rows`."""

    def __init__(self, language: str, render: Callable[[object], str], code_theme: str) -> None:
        from rich.syntax import Syntax

        self._lexer = _lexer_for(language)
        self._render = render
        self._theme = code_theme
        self._style_of = Syntax.get_theme(code_theme).get_style_for_token
        self._body = ""
        self._starts: list[int] = [0]  # offset of each complete line, then of the line after them
        self._tokens: list[list[_Token]] = []  # of each complete line
        self._restartable: list[bool] = []  # lexing may start again after that line
        self._rows: list[list[str] | None] = []  # each complete line as drawn; None: not yet

    def _restart_line(self, line: int) -> int:
        """The latest line at or before `line` where lexing can start afresh."""
        while line > 0 and not self._restartable[line - 1]:
            line -= 1
        return line

    def update(self, body: str) -> None:
        """The code so far (the text after the opening fence's line); it only ever grows."""
        self._body = body
        complete = body.rfind("\n") + 1
        if complete <= self._starts[-1]:
            return
        first = self._restart_line(max(0, len(self._tokens) - _RELEX_LINES))
        start = self._starts[first]
        tokens, restartable = _split_lines(list(self._lexer.get_tokens(body[start:complete])))
        del self._starts[first + 1 :]
        # Offsets from the text itself: the lexer expands tabs, so its tokens are not as long.
        newline = body.find("\n", start)
        while newline != -1 and newline < complete:
            self._starts.append(newline + 1)
            newline = body.find("\n", newline + 1)
        for index, line_tokens in enumerate(tokens, first):
            if index < len(self._tokens):
                # A row that looks the same is kept with the tokens it was drawn from.
                if not self._looks_the_same(self._tokens[index], line_tokens):
                    self._tokens[index], self._rows[index] = line_tokens, None
                self._restartable[index] = restartable[index - first]
            else:
                self._tokens.append(line_tokens)
                self._rows.append(None)
                self._restartable.append(restartable[index - first])

    def _looks_the_same(self, drawn: list[_Token], tokens: list[_Token]) -> bool:
        """Whether `tokens` draw the row `drawn` drew: the same text in the same styles. A
        docstring's lines change when it closes (from a string's pieces to one docstring) but
        seldom look different."""
        return drawn == tokens or self._look(drawn) == self._look(tokens)

    def _look(self, tokens: list[_Token]) -> list[tuple[object, str]]:
        """Runs of text in one style each, as the row draws them."""
        runs: list[tuple[object, str]] = []
        for kind, text in tokens:
            style = self._style_of(kind)
            if runs and runs[-1][0] == style:
                runs[-1] = (style, runs[-1][1] + text)
            elif text:
                runs.append((style, text))
        return runs

    def clear_rows(self) -> None:
        """Forget the rows drawn (the width changed): each line is drawn again when next shown."""
        self._rows = [None] * len(self._rows)

    def _draw(self, tokens: list[_Token]) -> list[str]:
        code = "".join(value for _, value in tokens).removesuffix("\n")
        return self._render(code_syntax(code, _replay_lexer(tokens), self._theme)).split("\n")[:-1]

    def rows(self, limit: int) -> list[str]:
        """The last `limit` rows of the code so far, as the whole block draws them.

        Trailing blank lines are not drawn and the last line drawn has no trailing spaces, as
        a closed block's code is stripped at its end.
        """
        body = self._body.rstrip()
        if not body or limit <= 0:
            return []
        if len(body) > self._starts[-1]:
            last_line = len(self._tokens)  # the line still growing
        else:
            from bisect import bisect_right

            last_line = bisect_right(self._starts, len(body) - 1) - 1
        first = self._restart_line(last_line)
        lexed = _split_lines(list(self._lexer.get_tokens(body[self._starts[first] :] + "\n")))[0]
        last = self._draw(lexed[-1])
        if last_line < len(self._tokens) and self._tokens[last_line] == lexed[-1]:
            self._rows[last_line] = last  # a complete line: kept for the frames after this one
        rows = list(last)
        line = last_line - 1
        while len(rows) < limit and line >= 0:
            drawn = self._rows[line]
            if drawn is None:
                drawn = self._rows[line] = self._draw(self._tokens[line])
            rows[:0] = drawn
            line -= 1
        return rows[-limit:]

    def closing(self, code: str) -> ClosingCode:
        """The block has closed with `code`: lex it once more as a whole, a slice at a time."""
        return ClosingCode(self, iter(self._lexer.get_tokens(code + "\n")) if code else iter(()))

    def closed_rows(self, code: str) -> list[str]:
        """The rows of the block's whole `code` (it has closed), as a closed block draws them."""
        closing = self.closing(code)
        closing.work()
        return closing.rows()

    def _closed_row(self, index: int, tokens: list[_Token]) -> tuple[list[str], bool]:
        """Line `index` of the closed block, lexed to `tokens`: its rows, and whether they were drawn
        now (its rows drawn open are kept only when drawn from the very same tokens: the bytes
        must be those of rendering the block whole)."""
        if index < len(self._tokens) and self._tokens[index] == tokens and self._rows[index] is not None:
            return self._rows[index], False  # type: ignore[return-value]
        return self._draw(tokens), True


class ClosingCode:
    """A closed block drawn as rendering it at once would, in steps that fit a frame's budget
    (lexing a 5 KB block alone takes longer than a frame has): its code lexed again whole, a
    slice of tokens at a time, then each line whose tokens are not as they were while it was
    open drawn again."""

    def __init__(self, block: OpenCodeBlock, tokens: Iterator[_Token]) -> None:
        self._block = block
        self._tokens: list[_Token] = []
        self._lexing: Iterator[_Token] | None = tokens  # None once all are read
        self._lines: list[list[_Token]] | None = None
        self._rows: list[str] = []
        self._drawn_lines = 0

    def work(self, deadline: float | None = None, clock: Callable[[], float] = time.perf_counter) -> bool:
        """Go on until done (True) or, with a `deadline` (a time of `clock`), until it passes."""
        while self._lexing is not None:
            before = len(self._tokens)
            self._tokens.extend(islice(self._lexing, _TOKENS_PER_SLICE))
            if len(self._tokens) - before < _TOKENS_PER_SLICE:
                self._lexing = None
            elif deadline is not None and clock() >= deadline:
                return False
        if self._lines is None:
            self._lines = _split_lines(self._tokens)[0]
        while self._drawn_lines < len(self._lines):
            rows, drawn = self._block._closed_row(self._drawn_lines, self._lines[self._drawn_lines])
            self._rows += rows
            self._drawn_lines += 1
            if drawn and deadline is not None and clock() >= deadline and self._drawn_lines < len(self._lines):
                return False
        return True

    def rows(self) -> list[str]:
        """The block's rows, once `work` is done."""
        assert self._lines is not None and self._drawn_lines == len(self._lines), "work() first"
        return self._rows
