"""An open code block drawn line by line: which rows, how little is lexed and drawn again, and
that what it keeps is what the whole block draws."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from claudechat.render import open_code
from claudechat.render.open_code import OpenCodeBlock


class Renders:
    """A render function at a fixed width, counting what it draws."""

    def __init__(self, width: int = 40, colour: bool = False) -> None:
        self.console = Console(
            file=io.StringIO(), width=width, force_terminal=colour, color_system="truecolor" if colour else None
        )
        self.count = 0

    def __call__(self, renderable: object) -> str:
        self.count += 1
        with self.console.capture() as capture:
            self.console.print(renderable)
        return capture.get()


@pytest.fixture
def lexed(monkeypatch) -> list[str]:
    """The texts the blocks made in the test hand their lexers."""
    texts: list[str] = []
    real = open_code._lexer_for

    class Recording:
        def __init__(self, lexer) -> None:
            self._lexer = lexer

        def get_tokens(self, text: str):
            texts.append(text)
            return self._lexer.get_tokens(text)

    monkeypatch.setattr(open_code, "_lexer_for", lambda language: Recording(real(language)))
    return texts


def block(language: str = "python", width: int = 40, colour: bool = False) -> tuple[OpenCodeBlock, Renders]:
    renders = Renders(width, colour)
    return OpenCodeBlock(language, renders, "monokai"), renders


def test_before_any_code_there_are_no_rows():
    code, _ = block()
    assert code.rows(10) == []


@pytest.mark.parametrize("limit", [0, -3])
def test_no_rows_asked_for_draws_none(limit):
    code, _ = block()
    code.update("x = 1\ny = 2\n")
    assert code.rows(limit) == []


def test_the_last_rows_asked_for_are_the_code_s_end():
    code, _ = block()
    code.update("a = 1\nb = 2\nc = 3")
    assert code.rows(1) == ["c = 3"]
    assert code.rows(2) == ["b = 2", "c = 3"]
    assert code.rows(9) == ["a = 1", "b = 2", "c = 3"]


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        ("a = 1\nb = 2\n", ["a = 1", "b = 2"]),
        ("a = 1\nb = 2\n\n\n", ["a = 1", "b = 2"]),  # blank lines at the end are not drawn
        ("a = 1\nb = 2   \n  ", ["a = 1", "b = 2"]),  # nor spaces after the last character
        ("a = 1\n\nb = 2\n\n", ["a = 1", "", "b = 2"]),  # blank lines between are
        ("a\n", ["a"]),
    ],
)
def test_rows_end_where_the_closed_block_will_end(body, rows):
    code, _ = block()
    code.update(body)
    assert [row.rstrip() for row in code.rows(10)] == rows


def test_a_line_longer_than_the_width_takes_the_rows_it_wraps_to():
    code, _ = block(width=20)
    code.update("x = 'a long string that wraps'\ny = 2\n")
    assert len(code.rows(10)) == 3


def test_each_finished_line_is_drawn_once_and_the_last_each_time():
    code, renders = block()
    code.update("".join(f"v{n} = {n}\n" for n in range(100)))
    code.rows(5)
    assert renders.count == 5  # the last line, then the four before it: no more than shown
    code.update(code_text := "".join(f"v{n} = {n}\n" for n in range(100)) + "w = ")
    renders.count = 0
    code.rows(5)
    assert renders.count == 1  # the growing line; v99's row, drawn as the last line once complete, is kept
    code.update(code_text + "1")
    renders.count = 0
    code.rows(5)
    assert renders.count == 1


def test_new_lines_lex_only_the_lines_before_them_that_may_have_changed(lexed):
    code, _ = block()
    body = "".join(f"v{n} = {n}\n" for n in range(200))
    code.update(body)
    lexed.clear()
    code.update(body + "last = 1\n")
    assert lexed and lexed[0].count("\n") == 33  # the 32 lines before it, and the new one
    assert lexed[0].startswith("v168 = 168\n")
    lexed.clear()
    code.update(body + "last = 1\nmore = 2\n")  # lines lexed again stay places to start from
    assert lexed[0].startswith("v169 = 169\n")


def test_lines_inside_a_string_opened_above_lex_again_from_where_it_opened(lexed):
    code, _ = block(colour=True)
    body = '"""\n' + "".join(f"if {n} while\n" for n in range(60))
    code.update(body)
    lexed.clear()
    code.update(body + "return\n")
    assert lexed[0].startswith('"""\n')  # from the line that opened it, 61 lines up
    rows = code.rows(3)
    assert all("\x1b[38;2;230;219;116" in row for row in rows)  # all in the string's colour
    assert not any("\x1b[38;2;102;217;239" in row for row in rows)  # none as keywords


def test_offsets_stay_right_across_lexing_again_with_tabs_and_blank_lines():
    code, _ = block()
    body = "".join(f"\tv{n} = {n}\n" for n in range(50))
    code.update(body)
    code.update(body + "\n\n")
    assert [row.rstrip() for row in code.rows(2)] == ["    v48 = 48", "    v49 = 49"]
    code.update(body + "\n\nw = 1\n\n")
    assert [row.rstrip() for row in code.rows(3)] == ["", "", "w = 1"]


def test_a_closed_block_draws_again_only_the_lines_whose_tokens_changed():
    code, renders = block(colour=True)
    body = "x = 1\n" + "".join(f"y{n} = {n}\n" for n in range(20))
    code.update(body)
    drawn = code.rows(100)
    renders.count = 0
    assert code.closed_rows(body.rstrip()) == drawn
    assert renders.count == 0  # every line as drawn open, the last (complete when drawn) too


def test_a_closed_block_of_no_code_has_no_rows():
    code, _ = block()
    code.update("\n")
    assert code.closed_rows("") == []


def test_lines_of_a_docstring_that_look_the_same_once_it_closes_are_not_drawn_again():
    code, renders = block(colour=True)
    body = 'def f():\n    """Sum {the} parts, %d of them.\n' + "".join(f"    line {n} {{x}} of it\n" for n in range(8))
    code.update(body)
    before = code.rows(20)
    renders.count = 0
    code.update(body + '    """\n')  # the string is now a docstring: other tokens, the same colours
    rows = code.rows(20)
    assert renders.count == 1  # the closing line: none of the lines above it
    assert rows[:-1] == before
    closed = code.closed_rows((body + '    """').rstrip())
    # Closed, the block is drawn exactly as whole: the lines whose tokens differ are drawn again.
    whole = Renders(40, colour=True)
    from claudechat.render.markdown import code_syntax

    assert closed == whole(code_syntax((body + '    """').rstrip(), "python", "monokai")).split("\n")[:-1]


def test_a_closing_block_draws_its_changed_lines_a_few_at_a_time_within_the_deadline():
    code, renders = block(colour=True)
    body = 'def f():\n    """Sum {the} parts.\n' + "".join(f"    line {n} {{x}}\n" for n in range(12))
    code.update(body)
    code.rows(40)
    body += '    """\n'
    code.update(body)  # a docstring now: its lines look as they did, and are kept as drawn
    code.rows(40)
    closing = code.closing(body.rstrip())
    renders.count = steps = 0
    while not closing.work(deadline=0.0, clock=lambda: 1.0):  # past the deadline at every look
        steps += 1
    # The lexing fits one slice; then each step draws one line again, and a line kept takes
    # no step: the first and the last (the closing quotes, drawn as they are now).
    assert renders.count == 13  # the docstring's lines drawn while it was a string
    assert steps == 13
    assert closing.rows() == code.closed_rows(body.rstrip())


def test_a_closing_block_stops_as_its_deadline_comes_not_only_after_it():
    code, renders = block(colour=True)
    body = "".join(f"x{n} = [{n}, {n + 1}]\n" for n in range(60))  # more tokens than a slice
    code.update(body)
    closing = code.closing(body.rstrip() + "\ny = 1")  # a line drawn open for none of it
    assert not closing.work(deadline=1.0, clock=lambda: 1.0)  # a slice, then the deadline: now
    renders.count = 0
    while True:
        before = renders.count
        done = closing.work(deadline=1.0, clock=lambda: 1.0)
        assert renders.count - before <= 1  # a line, then the deadline (now) ends the call
        if renders.count == 61:  # none drawn open: each line drawn now...
            break
        assert not done
    assert done  # ...and the call that draws the last is the last call


def look(rows: list[str]) -> list[list[tuple[str, str, bool]]]:
    """Each row as a terminal shows it: each cell's character, colour and boldness."""
    import pyte

    screen = pyte.Screen(60, len(rows))
    pyte.Stream(screen).feed("\r\n".join(rows))
    return [[(cell.data, cell.fg, cell.bold) for cell in screen.buffer[line].values()] for line in range(len(rows))]


GROWN = {
    "python": 'def f(x):\n    """Doc {x}\n    more %s doc\n    """\n    return x  # c\n',
    "rust": 'fn main() {\n    /* block\n       comment */\n    let s = "str\\n";\n}\n',
    # Recognised only once closed, within the lines lexed again: coloured as a heredoc then.
    "bash": "cat <<EOF\n" + "hello $x\n" * 5 + 'EOF\nfor i in 1 2; do\n  echo "$i"\ndone\n',
}


@pytest.mark.parametrize("language", sorted(GROWN))
def test_grown_line_by_line_a_block_looks_as_the_same_code_given_at_once(language):
    """Lines whose colours change when a later line closes something (a heredoc, a docstring)
    are drawn again; lines that only change tokens may keep their rows."""
    body = GROWN[language]
    grown, _ = block(language, width=60, colour=True)
    for end in range(1, len(body) + 1):
        if body[end - 1] == "\n":
            grown.update(body[:end])
            grown.rows(30)
    whole, _ = block(language, width=60, colour=True)
    whole.update(body)
    assert look(grown.rows(30)) == look(whole.rows(30))
