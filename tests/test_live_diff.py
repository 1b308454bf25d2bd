"""The live region may redraw only the rows that changed, but the screen must stay exactly what
a full redraw of every row gives.

`FullRedraw` below is `LiveRegion.update` as it was when every frame redrew all the live rows
(commit 512547d), copied byte for byte: it is the reference. Each test drives the real region
and, with the same arguments at the same moment, the reference. Both byte streams go to a pyte
terminal of the same size, and after every frame the two terminals must agree: the visible
rows, each cell's character and attributes (colours, bold, italics, underline, reverse...), the
cursor and its pen, the modes, and the scrollback. The region is driven three ways:
- an `AnswerView` streaming random Markdown in random deltas, at 80 and 100 columns, resized
  between frames, on a fake clock;
- random edits of styled rows, straight into the region: the cases of a rows diff (a row
  grown, cut, restyled, filled to the last column, rows inserted or gone, rows committed as
  they stand) far more often than an answer makes them;
- chosen frames, one case each.

What pyte does not model, so what these tests cannot see:
- It does not reflow on a resize: narrower, it cuts every row at the new width; it never
  rewraps. A real terminal rewraps soft-wrapped rows, which is why the region counts a row
  wider than the new width as several rows to erase; in pyte that count goes further up than
  the rows the region had, into what was above it. The test still holds both renderers to the
  same count, since both run on the same emulator, but it cannot check that count against a
  reflowing terminal.
- Its pending-wrap state is a cursor at x == columns: an erase-to-end-of-line there erases
  nothing, where xterm would erase the last cell; a full row then erased "to its end" looks
  right here and loses its last character in xterm.
- A wide character drawn from the last column is drawn in that column, cut in half; xterm
  wraps it to the next row first.
- A narrow character over the first half of a wide one leaves the second half behind (an
  empty "stub" cell; `screen.display` then fails). Real terminals blank both halves.
- A zero-width character that does not combine (U+200D, U+FE0F) stops pyte drawing the rest
  of that run of text; the documents here avoid them, and emoji whose widths rich and pyte's
  wcwidth count differently (skin tones, flags).
- It only records synchronized output (mode 2026) as a mode: a frame that leaves it on is
  caught (the modes are compared), but not one that should have been wrapped in it and was
  not, nor one split over several writes (`Rig` asserts at most one write per update, as
  live.py promises one write per frame).
- There is no tty: a "\\n" is fed to pyte as "\\r\\n", as the tty's ONLCR turns it.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable, Sequence

import pyte
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from claudechat.render.answer import AnswerView, status_text
from claudechat.render.screen import Screen
from claudechat.render.theme import load_theme

_THEME = load_theme("dark", no_color=False)[0]

# --------------------------------------------------------------------------------------
# The reference: today's full redraw, copied byte for byte
# --------------------------------------------------------------------------------------

_SYNC_START = "\x1b[?2026h"
_SYNC_END = "\x1b[?2026l"
_ERASE_DOWN = "\x1b[2K\x1b[C\x1b[J\r"
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _visible_width(line: str) -> int:
    return cell_len(_SGR.sub("", line))


class FullRedraw:
    """`LiveRegion.update` redrawing every live row each frame; `update` returns what it writes."""

    def __init__(self, columns: Callable[[], int]) -> None:
        self._columns = columns
        self._widths: list[int] = []
        self._drawn_columns = 0

    def _rows_to_erase(self) -> int:
        columns = self._columns()
        if columns >= self._drawn_columns or columns <= 0:
            return len(self._widths)
        return sum(max(1, -(-width // columns)) for width in self._widths)

    def update(self, committed: str = "", live: list[str] | None = None) -> str:
        live = live or []
        parts = [_SYNC_START]
        rows = self._rows_to_erase()
        parts.append(f"\x1b[{rows}A\r{_ERASE_DOWN}" if rows else f"\r{_ERASE_DOWN}")
        if committed:
            parts.append(committed if committed.endswith("\n") else committed + "\n")
        for line in live:
            parts.append(line)
            parts.append("\n")
        parts.append(_SYNC_END)
        self._widths = [_visible_width(line) for line in live]
        self._drawn_columns = self._columns()
        return "".join(parts)


# --------------------------------------------------------------------------------------
# Two terminals, one per renderer, compared after every frame
# --------------------------------------------------------------------------------------


class _TerminalFile(io.TextIOBase):
    """The console's file: keeps each write apart, so a frame's writes can be counted."""

    encoding = "utf-8"

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True

    def take(self) -> list[str]:
        writes, self.writes = self.writes, []
        return writes


class Emulator:
    """A pyte terminal with a long scrollback, fed as a pty would feed it."""

    def __init__(self, columns: int, lines: int) -> None:
        self.screen = pyte.HistoryScreen(columns, lines, history=100_000)
        self._stream = pyte.Stream(self.screen)

    def feed(self, text: str) -> None:
        self._stream.feed(text.replace("\n", "\r\n"))  # the tty's ONLCR

    def resize(self, columns: int) -> None:
        self.screen.resize(self.screen.lines, columns)


def _cells(line, width: int) -> list:
    return [line[x] for x in range(width)]


def _history_width(line, columns: int) -> int:
    return max(columns, max(line.keys(), default=-1) + 1)


def _history_text(line, columns: int) -> str:
    return "".join(char.data for char in _cells(line, _history_width(line, columns))).rstrip()


def _shown(screen: pyte.Screen) -> list[str]:
    """`screen.display`, or cell by cell (a stub shown as "¤") where a stub without its wide
    character makes pyte's `display` fail."""
    try:
        return screen.display
    except (AssertionError, IndexError):
        return ["".join(line[x].data or "¤" for x in range(screen.columns))
                for line in (screen.buffer[y] for y in range(screen.lines))]


def _pen(char) -> tuple:
    return (char.fg, char.bg, char.bold, char.italics, char.underscore, char.strikethrough, char.reverse, char.blink)


class Rig:
    """A Screen whose region is the real one, a FullRedraw beside it, and a terminal for each.

    Every `screen.region.update` call goes to both renderers with the same arguments, then the
    two terminals are compared.
    """

    EARLIER = "earlier output, row one\nearlier output, row two\n› the question\n"

    def __init__(self, columns: int, lines: int) -> None:
        self.console = Console(
            file=_TerminalFile(),
            width=columns,
            height=lines,
            force_terminal=True,
            color_system="truecolor",
            legacy_windows=False,
            theme=_THEME.rich_theme(),
            highlight=False,
            _environ={},  # neither COLUMNS nor NO_COLOR nor FORCE_COLOR from where the tests run
        )
        self.screen = Screen(self.console)
        self.reference = FullRedraw(lambda: self.console.size.width)
        self.real = Emulator(columns, lines)
        self.expected = Emulator(columns, lines)
        # What was on the terminal before: rows that will scroll away, the cursor at the start
        # of an empty row, and a toolbar below it that the first frame must erase.
        for emulator in (self.real, self.expected):
            emulator.feed(self.EARLIER + "\n  a toolbar below the cursor\x1b[A\r")
        self.frames = 0
        self._history_checked = 0
        self._last_call = ""
        real_update = self.screen.region.update

        def update(*args, **kwargs) -> None:
            args = tuple(list(arg) if isinstance(arg, list) else arg for arg in args)
            self.frames += 1
            self._last_call = f"update #{self.frames} at {self.console.size.width} columns: {args!r} {kwargs!r}"
            for text in self.console.file.take():  # written outside a frame: the terminal gets it too
                self.real.feed(text)
            real_update(*args, **kwargs)
            writes = self.console.file.take()
            assert len(writes) <= 1, f"a frame is one write, got {len(writes)}: {self._last_call}"
            for text in writes:
                self.real.feed(text)
            self.expected.feed(self.reference.update(*args, **kwargs))
            self.check()

        self.screen.region.update = update

    def update(self, committed: str = "", live: list[str] | None = None) -> None:
        self.screen.region.update(committed, live)

    def resize(self, columns: int) -> None:
        self.console.width = columns
        self.screen.region.resized()  # as the SIGWINCH the terminal sends does
        self.real.resize(columns)
        self.expected.resize(columns)
        self.check()

    def _where(self) -> str:
        real, expected = _shown(self.real.screen), _shown(self.expected.screen)
        rows = [
            f"{'!' if a != b else ' '} {y:2} |{a}|\n     |{b}|"
            for y, (a, b) in enumerate(zip(real, expected, strict=True))
        ]
        return (
            f"after {self._last_call}\n(rows: real renderer above, full redraw below)\n" + "\n".join(rows)
            + f"\ncursors: real {self._cursor(self.real)}, full redraw {self._cursor(self.expected)}"
        )

    @staticmethod
    def _cursor(emulator: Emulator) -> tuple[int, int]:
        return emulator.screen.cursor.x, emulator.screen.cursor.y

    def check(self) -> None:
        """The two terminals agree: every visible cell, the cursor, its pen, the modes, the scrollback.

        Equal cells mean an equal `screen.display` (it is drawn from them), which is compared
        outright only when a row differs, for a readable failure, and in `check_end`.
        """
        real, expected = self.real.screen, self.expected.screen
        assert (real.columns, real.lines) == (expected.columns, expected.lines)
        for y in range(real.lines):
            if real.buffer[y] == expected.buffer[y]:  # the same cells, set the same way
                continue
            ours, theirs = _cells(real.buffer[y], real.columns), _cells(expected.buffer[y], expected.columns)
            if ours != theirs:
                assert _shown(real) == _shown(expected), self._where()
                x = next(x for x, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
                raise AssertionError(f"row {y}, column {x}: {ours[x]} != {theirs[x]}\n{self._where()}")
        assert self._cursor(self.real) == self._cursor(self.expected), self._where()
        assert _pen(real.cursor.attrs) == _pen(expected.cursor.attrs), "the pen after the frame\n" + self._where()
        # Modes include synchronized output (2026): a frame must not leave it on.
        assert real.mode == expected.mode, f"modes {real.mode} != {expected.mode}\n{self._where()}"
        # Rows in the scrollback never change again: compare each once, as it arrives.
        ours, theirs = real.history.top, expected.history.top
        assert len(ours) == len(theirs), f"scrollback of {len(ours)} rows, expected {len(theirs)}\n{self._where()}"
        for index in range(self._history_checked, len(ours)):
            a, b = ours[index], theirs[index]
            if a == b:
                continue
            assert _history_text(a, real.columns) == _history_text(b, expected.columns), (
                f"scrollback row {index}\n{self._where()}"
            )
            width = max(_history_width(a, real.columns), _history_width(b, expected.columns))
            assert _cells(a, width) == _cells(b, width), f"scrollback row {index}: attributes\n{self._where()}"
        self._history_checked = len(ours)

    def check_end(self) -> None:
        """After the last frame: the displays and the whole scrollback, as text, once more."""
        self.check()
        real, expected = self.real.screen, self.expected.screen
        assert real.display == expected.display
        columns = real.columns
        assert [_history_text(line, columns) for line in real.history.top] == [
            _history_text(line, columns) for line in expected.history.top
        ]


# --------------------------------------------------------------------------------------
# Random answers streamed through an AnswerView
# --------------------------------------------------------------------------------------

WORDS = [
    "the", "answer", "streams", "row", "by", "row,", "and", "wraps", "at", "width.",
    "**bold**", "*italic*", "`inline code`", "[a link](https://example.com)", "~~struck~~",
    "中文字符", "漢字", "テスト", "한국어", "Ｗｉｄｅ", "😀", "🚀", "✅",
    "café", "naïve", "re\u0301sume\u0301",
    "supercalifragilisticexpialidocious", "x" * 45, "→", "•", "½",
]
LANGUAGES = ["python", "rust", "json", "sh", "javascript", "", "text", "nosuchlanguage"]
CODE_LINES = [
    "def f(x):",
    "    return x * 2  # 中文注释",
    'let s = "😀 emoji";',
    '{"key": [1, 2, 3], "nested": {"a": null}}',
    "echo \"$HOME\" && ls -la | grep '^d'",
    "x = " + "1 + " * 40 + "1",
    "\tindented with a tab",
    "",
    "// " + "中" * 40,
    *("a" * width for width in (59, 60, 79, 80, 81, 99, 100, 101)),
]
# Paragraphs that fill a row exactly (or miss by one), at the widths the tests use.
EXACT = [
    *("w" * width for width in (59, 60, 79, 80, 81, 99, 100, 101)),
    *("中" * half for half in (30, 40, 50)),
    "a" + "中" * 40,
    " ".join(["word"] * 16),  # 79 cells
    " ".join(["word"] * 16) + "s",  # 80 cells
    " ".join(["words"] * 16) + "!!!!",  # 99 cells
    " ".join(["words"] * 16) + "!!!!!",  # 100 cells
]
WIDTHS = [60, 79, 80, 81, 100, 120]


def _words(minimum: int = 1, maximum: int = 30):
    return st.lists(st.sampled_from(WORDS), min_size=minimum, max_size=maximum).map(" ".join)


@st.composite
def paragraphs(draw) -> str:
    lines = draw(st.lists(_words(), min_size=1, max_size=3))
    return "\n".join(lines) + "\n"


@st.composite
def headings(draw) -> str:
    level = draw(st.integers(1, 3))
    return "#" * level + " " + draw(_words(1, 8)) + "\n"


@st.composite
def lists(draw) -> str:
    marker = draw(st.sampled_from(["- ", "* ", "1. "]))
    items = draw(st.lists(st.tuples(st.booleans(), _words(1, 20)), min_size=1, max_size=5))
    return "".join(("   " + "- " if nested else marker) + text + "\n" for nested, text in items)


@st.composite
def quotes(draw) -> str:
    lines = draw(st.lists(st.tuples(st.booleans(), _words(1, 20)), min_size=1, max_size=3))
    return "".join(("> > " if deeper else "> ") + text + "\n" for deeper, text in lines)


@st.composite
def code_blocks(draw, closed: bool = True) -> str:
    fence = draw(st.sampled_from(["```", "~~~", "````"]))
    language = draw(st.sampled_from(LANGUAGES))
    body = draw(st.lists(st.sampled_from(CODE_LINES), min_size=0, max_size=8))
    text = f"{fence}{language}\n" + "".join(line + "\n" for line in body)
    return text + f"{fence}\n" if closed else text


@st.composite
def tables(draw) -> str:
    columns = draw(st.integers(2, 3))
    cell = st.sampled_from(WORDS[:20] + ["中文", "😀", "1", "a longer cell with several words"])
    rows = draw(st.lists(st.lists(cell, min_size=columns, max_size=columns), min_size=1, max_size=4))
    header = "| " + " | ".join(f"h{n}" for n in range(columns)) + " |\n"
    rule = "|" + "---|" * columns + "\n"
    return header + rule + "".join("| " + " | ".join(row) + " |\n" for row in rows)


BLOCKS = st.one_of(
    paragraphs(),
    headings(),
    lists(),
    quotes(),
    code_blocks(),
    tables(),
    st.sampled_from(EXACT).map(lambda line: line + "\n"),
    st.just("---\n"),
)


@st.composite
def documents(draw) -> str:
    blocks = draw(st.lists(BLOCKS, min_size=1, max_size=7))
    if draw(st.booleans()):
        blocks.append(draw(code_blocks(closed=False)))  # the answer ends inside a code block
    gaps = draw(st.lists(st.sampled_from(["\n", "", "\n\n"]), min_size=len(blocks), max_size=len(blocks)))
    return "".join(block + gap for block, gap in zip(blocks, gaps, strict=True))


def _pieces(draw, text: str, most: int) -> list[str]:
    """`text` cut in pieces: anywhere, and often just after a newline (a block finishes there)."""
    if len(text) < 2:
        return [text] if text else []
    anywhere = st.integers(1, len(text) - 1)
    line_ends = [n + 1 for n, char in enumerate(text[:-1]) if char == "\n"]
    cut = st.one_of(anywhere, st.sampled_from(line_ends)) if line_ends else anywhere
    cuts = sorted(set(draw(st.lists(cut, max_size=most))))
    return [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# The same examples on any machine, as many as a fixed budget allows. No shrinking: a failing
# answer takes minutes to shrink, and the failure already names the frame, its arguments and
# the rows that differ. Add Phase.shrink for a smaller example.
PROPERTY_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def stream_an_answer(draw, columns: int) -> Rig:
    """Draw an answer and play it, frame by frame, through an AnswerView; the rig compares."""
    lines = draw(st.sampled_from([10, 20]))
    rig = Rig(columns, lines)
    rig.screen.print(Text("› " + draw(_words(1, 12)), style="prompt"))  # a committed-only update
    mode = draw(st.sampled_from(["collapsed", "expanded", "hidden"]))
    reasoning = draw(st.one_of(st.just(""), paragraphs(), st.lists(paragraphs(), max_size=3).map("\n".join)))
    deltas = [(True, piece) for piece in _pieces(draw, reasoning, 6)]
    deltas += [(False, piece) for piece in _pieces(draw, draw(documents()), 30)]
    clock = Clock()
    # The frame budget on a clock of its own that moves 5 ms each time it is read: a frame
    # draws a run or two of finished blocks, leaving the rest for the next, on any machine.
    work = itertools.count(step=0.005)
    view = AnswerView(
        rig.screen, model="claude-test", reasoning_mode=mode, clock=clock, work_clock=lambda: next(work)
    )
    typed = ""
    while True:
        batch = draw(st.sampled_from([1, 1, 2, 4]))
        for is_reasoning, piece in deltas[:batch]:
            (view.reasoning if is_reasoning else view.content)(piece)
        del deltas[:batch]
        if draw(st.integers(0, 5)) == 0:  # a frame with no new text: the spinner's tick, or nothing
            clock.now += draw(st.sampled_from([0.0, 0.04, 0.1, 3.2]))
            view.frame()
        for _ in range(draw(st.sampled_from([0, 0, 0, 0, 0, 0, 0, 1, 2]))):  # resized, perhaps twice between frames
            rig.resize(draw(st.sampled_from([w for w in WIDTHS if w != rig.console.width])))
        if draw(st.integers(0, 5)) == 0:  # typed meanwhile: the indicator's row grows, or shrinks
            if typed and draw(st.booleans()):
                typed = typed[: -draw(st.integers(1, 4))]
            else:
                typed += draw(_words(1, 2)) + " "
            view.typed(typed)
        clock.now += draw(st.sampled_from([0.0, 0.04, 0.1, 0.25, 3.2]))
        view.frame()
        if not deltas:
            break
    if draw(st.booleans()):
        rig.resize(draw(st.sampled_from([w for w in WIDTHS if w != rig.console.width])))
    view.finish(Text(status_text("claude-test", seconds=clock.now - view.started), style="status"))
    rig.check_end()
    return rig


@pytest.mark.parametrize("columns", [80, 100])
@settings(max_examples=36, **PROPERTY_SETTINGS)
@given(data=st.data())
def test_a_streamed_answer_leaves_the_screen_a_full_redraw_leaves(columns, data):
    rig = stream_an_answer(data.draw, columns)
    assert rig.frames >= 3  # the prompt, at least one frame, the end


# --------------------------------------------------------------------------------------
# Random edits of the rows, straight into the region
# --------------------------------------------------------------------------------------

# Rows are built as rich builds them: styled runs, each between its SGR and a reset.
STYLES = [None, None, "1", "3", "4", "7", "2;9", "38;2;255;0;0", "1;38;2;0;200;0;48;2;30;30;30",
          "48;2;0;0;200"]
PIECES = ["word", " ", "  ", "the", "中文", "漢", "😀", "🚀", "re\u0301sume\u0301", "cafe\u0300", "—", "•",
          "x" * 12, "Ｗ", "?"]
Row = list[tuple[str, str | None]]


def _ansi(row: Row) -> str:
    return "".join(f"\x1b[{style}m{text}\x1b[0m" if style else text for text, style in row)


def _width(row: Row) -> int:
    return sum(cell_len(text) for text, _style in row)


def _fit(row: Row, columns: int) -> Row:
    """`row` cut to `columns` cells, as rich would never draw it wider."""
    fitted: Row = []
    room = columns
    for text, style in row:
        kept = ""
        for char in text:
            if cell_len(char) > room:
                break
            kept += char
            room -= cell_len(char)
        if kept:
            fitted.append((kept, style))
        if len(kept) < len(text):
            break
    return fitted


@st.composite
def runs(draw) -> tuple[str, str | None]:
    return "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=4))), draw(st.sampled_from(STYLES))


def _edit(draw, rows: list[Row], columns: int, most: int) -> tuple[str, list[Row]]:
    """One random change to the rows on screen: what to commit, and the new live rows.

    Rows are never wider than `columns` and never more than `most`: the region is always
    shorter than the screen, as the answer keeps it.
    """
    rows = [list(row) for row in rows]
    kind = draw(st.sampled_from([
        "grow", "grow", "shrink", "restyle", "replace", "accent", "insert", "delete", "fill",
        "commit", "commit", "same",
    ]))
    where = draw(st.integers(0, max(0, len(rows) - 1)))
    committed = ""
    if kind == "grow" or (not rows and kind not in ("insert", "commit", "same")):
        if not rows:
            rows.append([])
        where = len(rows) - 1 if draw(st.booleans()) else where
        rows[where].append(draw(runs()))
    elif kind == "shrink" and rows[where]:
        keep = draw(st.integers(0, _width(rows[where]) - 1))
        rows[where] = _fit(rows[where], keep)
    elif kind == "restyle" and rows[where]:
        run = draw(st.integers(0, len(rows[where]) - 1))
        rows[where][run] = (rows[where][run][0], draw(st.sampled_from(STYLES)))
    elif kind == "replace" and rows[where]:
        run = draw(st.integers(0, len(rows[where]) - 1))
        text, style = rows[where][run]
        rows[where][run] = ((draw(st.sampled_from("abc中")) + text[1:]) if text else text, style)
    elif kind == "accent" and rows[where]:  # one combining mark for another: the cell changes, not the width
        run = draw(st.integers(0, len(rows[where]) - 1))
        text, style = rows[where][run]
        rows[where][run] = (text.translate({0x301: 0x300, 0x300: 0x301}), style)
    elif kind == "insert":
        rows.insert(draw(st.integers(0, len(rows))), [draw(runs())])
    elif kind == "delete" and rows:
        del rows[where : where + draw(st.integers(1, 3))]
    elif kind == "fill" and rows:
        filler = draw(st.sampled_from(["-", "中", " "]))
        row = rows[where] + [(filler * columns, draw(st.sampled_from(STYLES)))]
        rows[where] = _fit(row, columns)  # exactly full (or one short, a wide filler at an odd width)
    elif kind == "commit":
        kept = draw(st.integers(0, len(rows)))
        extra = draw(st.lists(runs(), max_size=2))
        committed = "".join(_ansi(row) + "\n" for row in rows[:kept]) + "".join(_ansi([run]) + "\n" for run in extra)
        rows = rows[kept:]
        if committed and draw(st.booleans()):
            committed = committed[:-1]  # the region adds the newline itself
    return committed, [_fit(row, columns) for row in rows][:most]


@pytest.mark.parametrize("columns", [80, 100])
@settings(max_examples=40, **PROPERTY_SETTINGS)
@given(data=st.data())
def test_random_edits_of_the_rows_leave_the_screen_a_full_redraw_leaves(columns, data):
    draw = data.draw
    lines = draw(st.sampled_from([8, 16]))
    rig = Rig(columns, lines)
    rows: list[Row] = []
    for _ in range(draw(st.integers(1, 25))):
        for _ in range(draw(st.sampled_from([0, 0, 0, 0, 0, 1, 2]))):  # resized, perhaps twice between frames
            rig.resize(draw(st.sampled_from([w for w in WIDTHS if w != rig.console.width])))
        rows = [_fit(row, rig.console.width) for row in rows]
        committed, rows = _edit(draw, rows, rig.console.width, lines - 2)
        rig.update(committed, [_ansi(row) for row in rows])
    rig.update("the end\n", [])
    rig.check_end()


# --------------------------------------------------------------------------------------
# Chosen frames, straight into the region
# --------------------------------------------------------------------------------------


def red(text: str) -> str:
    return f"\x1b[38;2;255;0;0m{text}\x1b[0m"


def bold(text: str) -> str:
    return f"\x1b[1m{text}\x1b[0m"


def on_blue(text: str) -> str:
    return f"\x1b[48;2;0;0;200m{text}\x1b[0m"


Step = tuple[str, list[str] | None] | int  # a frame (committed, live), or a resize to that many columns

EXAMPLES: dict[str, Sequence[Step]] = {
    "one word appended to the last row": [
        ("", ["first row", "the last row"]),
        ("", ["first row", "the last row grows"]),
        ("", ["first row", "the last row grows" + red(" red")]),
        ("", ["first row", "the last row grows" + red(" red") + bold(" bold")]),
    ],
    "a word appended to a row in the middle": [
        ("", ["one", "two", "three"]),
        ("", ["one", "two and more", "three"]),
    ],
    "a row that shrinks": [
        ("", ["a long row of words here", on_blue("a long blue row of words"), "tail"]),
        ("", ["a long", on_blue("a long"), "tail"]),
        ("", ["", "", "tail"]),
        ("", ["a", "b", "tail"]),
    ],
    "a row that changes its colour only": [
        ("", ["same text", "tail"]),
        ("", [red("same text"), "tail"]),
        ("", [on_blue("same text"), "tail"]),
    ],
    "a new row appearing": [
        ("", ["one"]),
        ("", ["one", "two"]),
        ("", ["one", "inserted", "two"]),
        ("", ["zero", "one", "inserted", "two"]),
    ],
    "rows disappearing": [
        ("", ["one", "two", "three", "four"]),
        ("", ["one", "two"]),
        ("", ["two"]),
        ("", []),
        ("", None),
        ("", ["back"]),
    ],
    "a committed block whose rows are the live rows drawn just before": [
        ("", ["para line 1", bold("para line 2"), "⠋ 0.1 s"]),
        ("para line 1\n" + bold("para line 2") + "\n", ["⠙ 0.2 s"]),
        ("", ["next line", "⠹ 0.3 s"]),
        ("next line\n", []),
    ],
    "a committed block that repeats the live rows only in part": [
        ("", ["para line 1", "para line 2", "para line 3", "⠋"]),
        ("para line 1\npara line 2 changed\n", ["para line 3", "⠙"]),
    ],
    "committed text without a final newline": [
        ("", ["x", "y"]),
        ("no newline at its end", ["y"]),
        ("two\nrows", None),
    ],
    "the same frame twice": [
        ("", ["one", red("two")]),
        ("", ["one", red("two")]),
    ],
    "a row exactly the terminal width": [
        ("", ["a" * 79, "end"]),
        ("", ["a" * 80, "end"]),
        ("", ["a" * 80, "end", red("b" * 80)]),
        ("", ["a" * 80, "end", red("b" * 80), "c" * 80]),
        ("", ["a" * 79, "end", red("b" * 79)]),
        ("", ["c" * 80]),
        ("c" * 80 + "\n", ["d" * 80]),
    ],
    "a wide character ending a full row": [
        ("", ["a" * 78]),
        ("", ["a" * 78 + "中"]),
        ("", ["a" * 76 + "中中"]),
        ("", ["中" * 40]),
        ("", ["中" * 39 + "ab"]),
        ("", ["a" + "中" * 39 + "b"]),
    ],
    # Wider than the terminal by one cell, which rich never draws: pyte puts the wide character
    # in the last column, where a real terminal would wrap it to the next row.
    "a wide character straddling the last column": [
        ("", ["a" * 79, "below"]),
        ("", ["a" * 79 + "中", "below"]),
        ("", ["a" * 79 + red("中"), "below"]),
        ("", ["a" * 79, "below"]),
        ("", ["b" + "中" * 39 + "c"]),
    ],
    "a combining mark arriving, then changing": [
        ("", ["cafe", "tail"]),
        ("", ["cafe\u0301", "tail"]),
        ("", ["cafe\u0301s", "tail"]),
        ("", ["cafe\u0300s", "tail"]),
        ("", [red("cafe\u0300s"), "tail"]),
    ],
    "a wide character replaced by narrow ones": [
        ("", ["ab中cd", "tail"]),
        ("", ["abxycd", "tail"]),
        ("", ["abx中d", "tail"]),
        ("", ["中中中", "tail"]),
        ("", ["a中中", "tail"]),
    ],
    "a narrowing resize": [
        ("", ["x" * 80, "y" * 50, "z"]),
        60,
        ("", ["x" * 60, "x" * 20, "y" * 50, "z"]),
        40,
        ("", ["x" * 40, "x" * 20, "y" * 40, "z"]),
        ("done\n", []),
    ],
    "a narrowing resize, then the rows committed": [
        ("", ["x" * 70, red("y" * 70), "indicator"]),
        50,
        ("x" * 50 + "\n" + "x" * 20 + "\n", ["indicator"]),
    ],
    "a widening resize": [
        ("", ["x" * 60, "y" * 20]),
        100,
        ("", ["x" * 60, "y" * 20]),
        ("", ["x" * 100, "y" * 20]),
        120,
        ("", ["x" * 120]),
    ],
    "a resize both ways between two frames": [
        ("", ["x" * 80, "tail"]),
        40,
        100,
        ("", ["x" * 80, "tail"]),
    ],
    "a commit taller than the screen": [
        ("", ["live 1", "live 2"]),
        ("".join(f"committed row {n}\n" for n in range(30)), ["live 1", "live 2", "live 3"]),
        ("", ["live 1"]),
    ],
    "a region reaching the bottom of the screen": [
        ("", [f"row {n}" for n in range(9)]),
        ("", [f"row {n}" for n in range(10)]),  # as tall as it gets: the screen's rows but two
        ("first\n", [f"row {n}" for n in range(1, 11)]),
        ("", [f"row {n}!" for n in range(1, 11)]),
        ("row 1!\nrow 2!\n", [f"row {n}!" for n in range(3, 13)]),
    ],
}


@pytest.mark.parametrize("steps", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_chosen_frames_leave_the_screen_a_full_redraw_leaves(steps):
    rig = Rig(80, 12)
    for step in steps:
        if isinstance(step, int):
            rig.resize(step)
        else:
            rig.update(*step)
    rig.check_end()
