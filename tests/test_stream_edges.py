"""The edges of the live region: how many rows of an unfinished answer are drawn, and the
escape sequences one frame writes to replace the rows of the frame before.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from claudechat.render.live import ERASE_DOWN, SYNC_END, SYNC_START, LiveRegion, row_change, visible_width
from claudechat.render.markdown import SafeMarkdown, markdown_parser
from claudechat.render.stream import MarkdownStream, _batches

CODE_LINES = "".join(f"line {n}\n" for n in range(1, 31))


def console_and_renderer(width: int = 50, color_system: str | None = None):
    """A console, and a render function drawing on it (at its width, which a test may change)."""
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system=color_system)

    def render(renderable: object) -> str:
        with console.capture() as capture:
            console.print(renderable)
        return capture.get()

    return console, render


def plain(width: int = 50):
    return console_and_renderer(width)[1]


def texts(rows: list[str]) -> list[str]:
    return [row.strip() for row in rows]


def fed(text: str) -> MarkdownStream:
    stream = MarkdownStream(plain())
    stream.feed(text)
    return stream


# --------------------------------------------------------------------------------------
# MarkdownStream.live_lines
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [0, -1, -5])
def test_no_rows_asked_for_draws_none(rows):
    stream = fed("A paragraph still being written")

    assert stream.live_lines(rows) == []
    assert texts(stream.live_lines(1)) == ["A paragraph still being written"]  # there was a tail to draw


@pytest.mark.parametrize("tail", ["", " ", "\n\n", " \t\n"])
def test_a_tail_of_blanks_draws_nothing(tail):
    assert fed(tail).live_lines(10) == []


def test_a_short_tail_is_drawn_whole_and_a_tall_one_by_its_end():
    stream = fed("- one\n- two\n- three")

    assert texts(stream.live_lines(10)) == ["", "• one", "• two", "• three"]
    assert texts(stream.live_lines(4)) == ["", "• one", "• two", "• three"]
    assert texts(stream.live_lines(2)) == ["• two", "• three"]
    assert texts(stream.live_lines(1)) == ["• three"]


@pytest.mark.parametrize("end", ["", "partial line"], ids=["at-a-line-end", "mid-line"])
@pytest.mark.parametrize("fence", ["```python", "~~~", "````"])
def test_an_open_code_block_shows_exactly_the_rows_asked_for(fence, end):
    """Only its end is rendered, and that end looks as the end of the whole block does."""
    text = f"Intro.\n\n{fence}\n{CODE_LINES}{end}"
    whole = fed(text).live_lines(1000)  # no cut: the block has fewer lines than that
    assert whole[0].startswith("Intro.") and whole[-1].startswith("╰")

    for rows in range(1, 15):
        assert fed(text).live_lines(rows) == whole[-rows:], rows
    assert whole[-2] == (end or "line 30")


def test_an_open_code_block_shorter_than_asked_shows_its_top():
    stream = fed("```sh\necho one\necho two\n")

    live = stream.live_lines(10)

    assert live[0].startswith("╭─ sh")
    assert texts(live[1:]) == ["echo one", "echo two"]  # no bottom line while it is open


def test_the_live_tail_after_a_committed_block_is_separated_as_it_will_be():
    stream = MarkdownStream(plain())
    stream.feed("First paragraph.\n\nSecond, unfinished\n\nThird")
    committed = stream.commit_finished()

    assert texts(committed.split("\n")) == ["First paragraph.", ""]
    assert texts(stream.live_lines(5)) == ["", "Second, unfinished", "", "Third"]
    assert texts(stream.finish().split("\n")) == ["", "Second, unfinished", "", "Third", ""]


def test_the_tail_after_a_rule_has_no_blank_line_before_it():
    stream = MarkdownStream(plain())
    stream.feed("---\n\nAfter the rule\n\nmore")

    assert texts(stream.commit_finished().split("\n")) == ["-" * 50, "", ""]
    assert texts(stream.live_lines(5)) == ["After the rule", "", "more"]


# --------------------------------------------------------------------------------------
# LiveRegion
# --------------------------------------------------------------------------------------


class Screen:
    """What the region writes, and a terminal width that a test can change."""

    def __init__(self, columns: int = 80) -> None:
        self.columns = columns
        self.writes: list[str] = []

    def region(self) -> LiveRegion:
        return LiveRegion(self.writes.append, lambda: self.columns)


def test_the_first_frame_erases_below_the_cursor_and_draws_each_row_on_its_own_line():
    screen = Screen()
    region = screen.region()

    region.update(live=["one", "two"])

    assert screen.writes == [f"{SYNC_START}\r{ERASE_DOWN}one\ntwo\n{SYNC_END}"]


def test_the_next_frame_goes_up_over_the_rows_drawn_before():
    screen = Screen()
    region = screen.region()
    region.update(live=["one", "two", "three"])

    region.update("committed text", ["four"])
    region.update()
    region.update()

    assert screen.writes[1:] == [
        f"{SYNC_START}\x1b[3A\r{ERASE_DOWN}committed text\nfour\n{SYNC_END}",
        f"\x1b[1A{ERASE_DOWN}",  # only rows to take away: up over them, erase
        f"{SYNC_START}\r{ERASE_DOWN}{SYNC_END}",
    ]


def test_committed_text_ending_in_a_newline_gets_no_second_one():
    screen = Screen()

    screen.region().update("done\n", ["live"])

    assert screen.writes == [f"{SYNC_START}\r{ERASE_DOWN}done\nlive\n{SYNC_END}"]


def test_after_narrowing_a_wrapped_row_counts_as_the_rows_it_now_takes():
    screen = Screen(100)
    region = screen.region()
    region.update(live=["x" * 100, "y" * 60, "z" * 61, ""])

    screen.columns = 60
    region.update()

    # 100 cells take 2 rows at 60 columns, 60 take 1, 61 take 2, an empty row still 1.
    assert screen.writes[-1].startswith(f"{SYNC_START}\x1b[6A\r")


def test_widening_or_an_unknown_width_leaves_the_count_of_rows():
    screen = Screen(60)
    region = screen.region()
    region.update(live=["x" * 60, "y" * 10])

    screen.columns = 200
    region.update(live=["x" * 150])
    screen.columns = 0
    region.update()

    assert screen.writes[1].startswith(f"{SYNC_START}\x1b[2A\r")
    assert screen.writes[2].startswith(f"{SYNC_START}\x1b[1A\r")


def test_the_width_of_the_last_frame_is_the_one_compared():
    screen = Screen(100)
    region = screen.region()
    region.update(live=["x" * 100])
    screen.columns = 50
    region.update(live=["y" * 50])  # drawn at 50: fits one row

    region.update()

    assert screen.writes[-1] == f"\x1b[1A{ERASE_DOWN}"


def test_a_frame_with_nothing_new_writes_nothing():
    screen = Screen()
    region = screen.region()
    region.update(live=["one", "two"])

    region.update(live=["one", "two"])

    assert len(screen.writes) == 1


def test_a_word_added_to_the_last_row_writes_only_that_word():
    screen = Screen(20)
    region = screen.region()
    region.update(live=["hello" + " " * 15, "⠋ status"])

    region.update(live=["hello wor" + " " * 11, "⠋ status"])

    # Up two rows, to the column after "hello ", the new letters, down past the unchanged row.
    assert screen.writes[-1] == "\x1b[2A\x1b[6G wor\n\n"


def test_a_grown_styled_row_writes_its_new_end_in_its_style():
    assert row_change("\x1b[1mab\x1b[0m   ", "\x1b[1mabc\x1b[0m  ") == (2, "\x1b[1mc\x1b[0m", False)
    assert row_change("same", "same") is None
    assert row_change("longer row", "short") == (0, "short", True)  # the rest of the old row is erased


def test_a_change_of_style_alone_rewrites_the_cells_it_styles():
    # Same characters, a different style for all of them: nothing after the change is kept.
    column, text, erase = row_change("\x1b[1mab  cd\x1b[0m", "\x1b[3mab  cd\x1b[0m")
    assert (column, erase) == (0, False) and text == "\x1b[3mab  cd\x1b[0m"


def test_a_row_is_never_cut_inside_a_character_or_an_escape():
    assert row_change("e" + " " * 3, "e\u0301" + " " * 3)[0:2] == (0, "e\u0301")  # the accent joins the e
    assert row_change("👨 ", "👨\u200d👩")[0] == 0  # a joined emoji is rewritten whole
    assert row_change("\x1b[31mx\x1b[0m", "\x1b[32mx\x1b[0m")[1].startswith("\x1b[32m")


def test_committed_rows_already_on_screen_are_left_where_they_are():
    screen = Screen(20)
    region = screen.region()
    region.update(live=["para one", "", "para tw", "⠋"])

    region.update("para one\n", ["", "para two", "⠋"])

    assert screen.writes[-1] == "\x1b[2A\x1b[8Go\n\n"


def test_committed_text_not_on_screen_gets_a_full_frame():
    screen = Screen(20)
    region = screen.region()
    region.update(live=["para one", "⠋"])

    region.update("something else\n", ["⠋"])

    assert screen.writes[-1] == f"{SYNC_START}\x1b[2A\r{ERASE_DOWN}something else\n⠋\n{SYNC_END}"


def test_a_new_width_gets_a_full_frame():
    screen = Screen(20)
    region = screen.region()
    region.update(live=["row"])

    screen.columns = 30
    region.update(live=["row"])

    assert screen.writes[-1] == f"{SYNC_START}\x1b[1A\r{ERASE_DOWN}row\n{SYNC_END}"


@pytest.mark.parametrize(
    ("line", "cells"),
    [("plain", 5), ("\x1b[1;31mred\x1b[0m", 3), ("\x1b[38;2;1;2;3m世界\x1b[m", 4), ("", 0)],
)
def test_visible_width_counts_cells_without_colour_codes(line, cells):
    assert visible_width(line) == cells


def test_narrowed_to_a_single_column_each_cell_is_a_row():
    screen = Screen(10)
    region = screen.region()
    region.update(live=["abc", "", "de"])

    screen.columns = 1
    region.update()

    assert screen.writes[-1].startswith(f"{SYNC_START}\x1b[6A\r")  # 3 + 1 (an empty row) + 2


# --------------------------------------------------------------------------------------
# MarkdownStream: what is committed when, and what is rendered
# --------------------------------------------------------------------------------------

ANSWER = (
    "# Title\n\nA paragraph\nover two lines.\n\n- one\n- two\n\n```py\nx = 1\n```\n\n---\n\n"
    "> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nEnd.\n"
)


def test_what_is_committed_never_depends_on_how_the_text_was_split_into_frames():
    """Fed a character a frame, the stream has committed at each frame what it would commit
    had the text so far come at once: no block waits for a later frame to be seen finished."""
    stream = MarkdownStream(plain())
    committed = ""
    for end in range(1, len(ANSWER) + 1):
        stream.feed(ANSWER[end - 1])
        committed += stream.commit_finished()
        fresh = MarkdownStream(plain())
        fresh.feed(ANSWER[:end])
        assert committed == fresh.commit_finished(), repr(ANSWER[:end])
    assert committed + stream.finish() == plain()(SafeMarkdown(ANSWER))


def test_a_frame_with_nothing_finished_commits_nothing():
    stream = fed("A paragraph\n")

    assert stream.commit_finished() == ""
    stream.feed("still the same paragraph\n")
    assert stream.commit_finished() == ""
    assert texts(stream.live_lines(5)) == ["A paragraph still the same paragraph"]


def test_after_finishing_nothing_is_left_to_draw_or_finish():
    stream = fed("Some text")

    assert stream.finish().startswith("Some text")
    assert stream.live_lines(5) == []
    assert stream.commit_finished() == ""
    assert stream.finish() == ""


class Spy:
    """A render function that notes the code it was asked to draw."""

    def __init__(self) -> None:
        self.drawn: list[str] = []
        self._render = plain()

    def __call__(self, renderable: object) -> str:
        self.drawn.append(getattr(renderable, "code", getattr(renderable, "markup", type(renderable).__name__)))
        return self._render(renderable)


@pytest.mark.parametrize("rows", [1, 5, 12])
def test_only_the_visible_end_of_a_long_open_code_block_is_rendered(rows):
    spy = Spy()
    stream = MarkdownStream(spy)
    body = "".join(f"line {n}\n" for n in range(1, 1001))
    stream.feed("```python\n" + body)

    live = stream.live_lines(rows)

    # The top line once, when the block opens; then the last lines, the last first, one at a time.
    assert spy.drawn == ["CodeTop"] + [f"line {n}" for n in range(1000, 1000 - rows, -1)]
    # Open, the block has no bottom line yet: that comes when it closes.
    assert texts(live) == [f"line {n}" for n in range(1001 - rows, 1001)]


def test_each_finished_line_of_an_open_code_block_is_drawn_once():
    spy = Spy()
    stream = MarkdownStream(spy)
    stream.feed("```python\nx = 1\ny = 2\nz")
    stream.live_lines(10)
    spy.drawn.clear()

    stream.feed(" = 3\nw = ")
    stream.live_lines(10)
    stream.feed("4")
    live = stream.live_lines(10)

    # The line just finished once, the line still growing (the last) each frame, the top line
    # never again.
    assert spy.drawn == ["w =", "z = 3", "w = 4"]
    assert texts(live)[1:] == ["x = 1", "y = 2", "z = 3", "w = 4"]


@pytest.mark.parametrize("lines", [1, 2, 3, 4])
def test_an_open_code_block_shorter_than_the_rows_is_drawn_whole_at_any_height(lines):
    text = "```sh\n" + "".join(f"echo {n}\n" for n in range(lines))
    whole = fed(text).live_lines(1000)

    for rows in range(1, 12):
        assert fed(text).live_lines(rows) == whole[-rows:], rows


def test_an_open_code_block_after_a_closed_one_with_the_same_fence_keeps_the_one_above():
    live = texts(fed("```\nabove\n```\n\n```\nbelow\n").live_lines(20))

    assert "above" in live
    assert live[-2:] == ["below", "╰" + "─" * 49]


def test_code_blocks_are_coloured_with_the_theme_asked_for():
    console, render = console_and_renderer(50, "truecolor")

    text = "```python\ndef f(x):\n    return 'text' + 1\n```\n"
    drawn = {}
    for theme in ("monokai", "solarized-light"):
        stream = MarkdownStream(render, code_theme=theme)
        stream.feed(text)
        drawn[theme] = stream.finish()

    assert drawn["solarized-light"] == render(SafeMarkdown(text, code_theme="solarized-light"))
    assert drawn["solarized-light"] != drawn["monokai"]


def test_an_open_code_block_whose_body_repeats_its_opening_line_is_drawn_from_its_top():
    text = "```md\nline 1\n    ```md\nline 3\n"

    live = texts(fed(text).live_lines(20))

    assert live[1:4] == ["line 1", "```md", "line 3"]


# --------------------------------------------------------------------------------------
# MarkdownStream: finished blocks drawn over several frames, in order
# --------------------------------------------------------------------------------------


# Paragraphs and fences (a block that opens and closes in one token) of 1,000 characters.
PARAGRAPH = "p" * 998 + "\n\n"
FENCE = "```\n" + "c" * 990 + "\n```\n\n"


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ((PARAGRAPH + FENCE) * 4 + PARAGRAPH, [2000, 2000, 2000, 2000, 1000]),
        ((FENCE + PARAGRAPH) * 4 + FENCE, [2000, 2000, 2000, 2000, 1000]),  # a fence starts a run too
        ("q" * 1998 + "\n\n" + PARAGRAPH * 3, [2000, 2000, 1000]),  # the first block alone is a run
    ],
)
def test_finished_blocks_are_cut_into_runs_of_whole_blocks_of_about_two_thousand_characters(text, runs):
    batches = _batches(text, markdown_parser().parse(text))

    assert [len(part) for part, _tokens in batches] == runs
    for part, tokens in batches:  # each run's tokens are those of its own text
        assert [(t.type, t.content) for t in tokens] == [(t.type, t.content) for t in markdown_parser().parse(part)]


def test_blocks_finished_after_some_are_left_behind_come_after_them():
    render = plain()
    first = "".join(f"Paragraph {n} " + "x" * 200 + "\n\n" for n in range(30))
    second = "".join(f"Later {n}\n\n" for n in range(3))
    whole = MarkdownStream(render)
    whole.feed(first + second + "tail")
    expected = whole.commit_finished()

    stream = MarkdownStream(render)
    stream.feed(first)
    drawn = stream.commit_finished(deadline=0.0, clock=lambda: 1.0)
    assert stream.behind
    stream.feed(second + "tail")
    drawn += stream.commit_finished()  # no deadline: what was left behind, all of it, first
    drawn += stream.commit_finished()
    assert drawn == expected


def test_a_frame_stops_drawing_blocks_when_its_deadline_comes_and_not_before():
    text = "".join(f"Paragraph {n} " + "x" * 990 + "\n\n" for n in range(12)) + "tail"
    whole = MarkdownStream(plain())
    whole.feed(text)
    finished = text[: text.rindex("\n") + 1]
    runs = [part for part, _tokens in _batches(finished, markdown_parser().parse(finished))]
    assert len(runs) >= 4

    stream = MarkdownStream(plain())
    stream.feed(text)
    readings = iter([0.0, 1.0, 5.0])  # the clock reaches the deadline (1.0) after the second run
    first = stream.commit_finished(deadline=1.0, clock=lambda: next(readings))
    assert first == plain()(SafeMarkdown(runs[0] + runs[1]))
    assert stream.commit_finished(deadline=1.0, clock=lambda: 1.0) == "\n" + plain()(SafeMarkdown(runs[2]))


def test_finishing_with_only_blank_lines_left_adds_nothing():
    stream = fed("A paragraph.\n\n   \n  ")
    assert stream.finish() == plain()(SafeMarkdown("A paragraph.\n"))


def test_a_paragraph_is_finished_once_the_first_line_of_the_next_block_is():
    stream = fed("A paragraph.\n")
    assert stream.commit_finished() == ""
    stream.feed("\n")
    assert stream.commit_finished() == ""  # the next line may still be a setext underline or a table's
    stream.feed("Next")
    assert stream.commit_finished() == ""
    stream.feed("\n")
    assert texts(stream.commit_finished().splitlines()) == ["A paragraph."]
    assert texts(stream.live_lines(5)) == ["", "Next"]


class Kinds:
    """A render function that notes the kind of each thing it draws."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self._render = plain()

    def __call__(self, renderable: object) -> str:
        self.kinds.append(type(renderable).__name__)
        return self._render(renderable)


@pytest.mark.parametrize("resized", [False, True])
def test_a_code_block_drawn_open_is_committed_from_its_rows_not_drawn_again_whole(resized):
    kinds = Kinds()
    width = [50]
    stream = MarkdownStream(kinds, width=lambda: width[0])
    stream.feed("```python\nx = 1\ny = 2\n")
    stream.live_lines(10)
    if resized:  # drawn again at another width while open: its rows are those of that width
        width[0] = 40
        stream.live_lines(10)
    kinds.kinds.clear()

    stream.feed("z = 3\n```\n\nAfter.")
    committed = stream.commit_finished()

    assert "SafeMarkdown" not in kinds.kinds  # the block as a whole is never drawn again
    assert kinds.kinds.count("Syntax") == 1  # "z = 3", never drawn; "x = 1" and "y = 2" are kept
    assert texts(committed.splitlines())[1:4] == ["x = 1", "y = 2", "z = 3"]


@pytest.mark.parametrize(("language", "shown"), [("XML", "XML"), ("~weird", "~weird"), ("x" * 60, "x" * 39 + "…")])
def test_the_language_shown_on_an_open_block_and_on_it_closed_is_the_fences_cut_to_forty(language, shown):
    console, render = console_and_renderer(120)

    stream = MarkdownStream(render, width=lambda: 120)
    stream.feed(f"```{language}\nbody\n")
    open_top = stream.live_lines(5)[0]
    stream.feed("```\n\nAfter.")
    closed_top = stream.commit_finished().splitlines()[0]

    assert open_top == closed_top == render(SafeMarkdown(f"```{language}\nbody\n```\n")).splitlines()[0]
    assert open_top.startswith(f"╭─ {shown} ─")


def test_an_open_block_drawn_again_at_a_new_width_has_its_top_line_at_that_width():
    console, render = console_and_renderer(50)

    stream = MarkdownStream(render, width=lambda: console.width)
    stream.feed("```sh\necho 1\n")
    assert len(stream.live_lines(5)[0]) == 50
    console.width = 30
    top = stream.live_lines(5)[0]
    assert top.startswith("╭─ sh ─") and top.endswith(" #1 ─") and len(top) == 30


def test_a_frame_asks_its_own_clock_whether_its_deadline_has_passed():
    # Far past the deadline by the frame's clock, long before it by the system's.
    text = "".join(f"Paragraph {n} " + "x" * 990 + "\n\n" for n in range(12)) + "tail"
    stream = MarkdownStream(plain())
    stream.feed(text)
    stream.commit_finished(deadline=1e12, clock=lambda: 1e13)
    assert stream.behind

    stream = MarkdownStream(plain(), width=lambda: 50)
    stream.feed("```python\n" + "x = [1, 2, 3]\n" * 300)
    stream.live_lines(10)
    stream.feed("```\n\nAfter.")
    for _ in range(2):  # the closed block: a slice as it closes, and a slice the next frame
        assert stream.commit_finished(deadline=1e12, clock=lambda: 1e13) == ""
        assert stream.behind


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The texts the Markdown parser (one, shared) is given while the test runs."""
    parser = markdown_parser()
    texts: list[str] = []
    real = parser.parse

    def parse(text: str, env=None):
        texts.append(text)
        return real(text, env)

    monkeypatch.setattr(parser, "parse", parse)
    return texts


def test_finished_blocks_are_parsed_once_to_find_them_and_not_again_to_draw_them(parses):
    stream = fed("One.\n\nTwo.\n\n- a list\n\nthe tail")
    committed = stream.commit_finished()
    assert texts(committed.splitlines())[:3] == ["One.", "", "Two."]
    assert parses == ["One.\n\nTwo.\n\n- a list\n\n"]
    parses.clear()
    stream.live_lines(5)
    assert parses == ["- a list\n\nthe tail"]  # the tail (the list waits for a complete line) once


def test_a_closed_block_drawn_again_at_a_new_width_is_not_parsed_again(parses):
    console, render = console_and_renderer(50)

    stream = MarkdownStream(render, width=lambda: console.width)
    stream.feed("```python\n" + "x = 1\n" * 400)
    stream.live_lines(10)
    stream.feed("```\n\nAfter.")
    assert stream.commit_finished(deadline=0.0, clock=lambda: 1.0) == ""
    console.width = 40
    parses.clear()
    assert "x = 1" in stream.commit_finished(deadline=0.0, clock=lambda: 1.0)
    assert parses == []


def test_the_tail_is_split_again_only_when_a_new_line_has_come(monkeypatch):
    from claudechat.render import stream as stream_module

    calls: list[str] = []
    real = stream_module.split_finished
    monkeypatch.setattr(stream_module, "split_finished", lambda text: calls.append(text) or real(text))
    stream = fed("A first line\nand a second\nand a thi")
    stream.commit_finished()
    assert len(calls) == 1
    for word in ["rd", " line", " still", " going"]:  # no new line: nothing new can be finished
        stream.feed(word)
        assert stream.commit_finished() == ""
    assert len(calls) == 1
    stream.feed("\n\nNext paragraph\n")  # the next block has begun: the paragraph is done
    assert " ".join(texts(stream.commit_finished().splitlines())) == "A first line and a second and a third line still going"
    assert len(calls) == 2
    stream.feed("more of it")  # after a cut the tail is new: still no split without a new line
    stream.commit_finished()
    assert len(calls) == 2
