"""Live Markdown: streamed block by block, the answer renders exactly as it would whole."""

from __future__ import annotations

import io
import re

import pyte
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from claudechat.render.markdown import SafeMarkdown, open_fence, split_finished
from claudechat.render.stream import MarkdownStream
from claudechat.repl.report_commands import code_blocks
from tests.bench.corpus import markdown_answer

BLOCKS = [
    "# Heading one\n",
    "## Heading *two*\n",
    "Setext heading\n===\n",
    "A paragraph with **bold**, `code`, a [link](https://example.com) and <b>raw html</b>.\n",
    "A paragraph\nover two lines.\n",
    "- item one\n- item two\n  - nested\n    1. deeper\n",
    "1. first\n2. second\n",
    "- loose item\n\n- second loose item\n",
    "> a quote\n> that continues\n",
    "> quote with a list\n> - inside\n",
    "```python\ndef f():\n    return 1\n```\n",
    "~~~\ntilde fence\n~~~\n",
    "    indented code\n",
    "- a list with code\n\n  ```sh\n  echo nested\n  ```\n",
    "> ```\n> quoted code\n> ```\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "---\n",
    "<div>html block</div>\n",
    "~~struck~~ text\n",
]


def make_console(width: int = 80) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor")


def renderer(console: Console):
    def render(renderable: object) -> str:
        with console.capture() as capture:
            console.print(renderable)
        return capture.get()

    return render


def stream_render(text: str, cuts: list[int], frames: set[int], width: int = 80) -> str:
    render = renderer(make_console(width))
    stream = MarkdownStream(render)
    out: list[str] = []
    for number, (start, end) in enumerate(zip([0, *cuts], [*cuts, len(text)], strict=True)):
        stream.feed(text[start:end])
        if number in frames:
            out.append(stream.commit_finished())
            stream.live_lines(20)  # drawing the tail must not disturb what is committed
    out.append(stream.finish())
    return "".join(out)


def whole_render(text: str, width: int = 80) -> str:
    return renderer(make_console(width))(SafeMarkdown(text))


@settings(max_examples=60, deadline=None)
@given(
    blocks=st.lists(st.sampled_from(BLOCKS), min_size=1, max_size=10),
    blank_lines=st.lists(st.integers(1, 2), min_size=10, max_size=10),
    data=st.data(),
)
def test_streamed_render_equals_whole_render(blocks, blank_lines, data):
    text = "".join(block + "\n" * gap for block, gap in zip(blocks, blank_lines, strict=False))
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, len(text) - 1)), max_size=30))))
    frames = set(data.draw(st.lists(st.integers(0, len(cuts)), max_size=30)))
    assert stream_render(text, cuts, frames) == whole_render(text)


def test_long_realistic_answer_in_four_character_deltas_equals_whole_render():
    text = markdown_answer(20_000)
    cuts = list(range(4, len(text), 4))
    frames = set(range(0, len(cuts), 7))
    assert stream_render(text, cuts, frames, width=100) == whole_render(text, width=100)


def test_finished_blocks_are_committed_before_the_answer_ends():
    stream = MarkdownStream(renderer(make_console()))
    stream.feed("# Title\n\nFirst paragraph.\n\nSecond para")
    committed = stream.commit_finished()
    # The heading is followed by a block on a complete line: finished. The paragraph is the
    # last block on a complete line, so it stays live with the unfinished line after it.
    assert "Title" in committed and "First paragraph" not in committed
    live = "\n".join(stream.live_lines(10))
    assert "First paragraph" in live and "Second para" in live
    stream.feed("graph continues\n")
    committed = stream.commit_finished()
    assert "First paragraph" in committed and "Second" not in committed


def test_raw_html_is_shown_literally_and_links_show_their_target():
    out = whole_render("Hello <script>alert(1)</script> [site](https://example.com/x)\n")
    assert "<script>alert(1)</script>" in out
    assert "https://example.com/x" in out
    assert "\x1b]8;" not in out  # no terminal hyperlink hiding its target


@pytest.mark.parametrize(
    "text, expected",
    [
        ("# T\n\npara", 0),  # the paragraph's line is not complete yet
        ("# T\n\npara\n", len("# T\n\n")),
        ("para\nmore\n", 0),
        ("- a\n\n- b\n", 0),  # one loose list, still open
        ("- a\n\nb\n", len("- a\n\n")),
        ("```py\ncode\n\nmore code\n", 0),  # inside an open fence nothing is finished
        ("```py\ncode\n```\n\nx\n", len("```py\ncode\n```\n\n")),
        ("Title\n", 0),  # might still become a setext heading
        ("```py\ncode\n```\n", len("```py\ncode\n```\n")),  # a closed fence is finished at once
        ("para\n\n~~~~\ncode\n~~~\n", len("para\n\n")),  # a shorter marker does not close it
        ("para\n\n```\ncode\n```\n", len("para\n\n```\ncode\n```\n")),
    ],
)
def test_finished_prefix_length(text, expected):
    cut, tokens = split_finished(text)
    assert cut == expected
    assert bool(tokens) == bool(cut)  # the tokens of the finished part come along with it


def test_open_fence_detection():
    assert open_fence("```py\nx = 1\ny") == ("```py", "```")
    assert open_fence("\n~~~~\nx\n~~~\n") == ("~~~~", "~~~~")  # a shorter marker does not close it
    assert open_fence("```\nx\n```\n") is None
    assert open_fence("``` not `a` fence\n") is None
    assert open_fence("text\n```\n") is None


def test_tail_of_a_long_open_code_block_is_its_last_lines_only():
    stream = MarkdownStream(renderer(make_console()))
    body = "".join(f"line {n}\n" for n in range(5000))
    stream.feed("```\n" + body)
    lines = stream.live_lines(10)
    assert len(lines) <= 10
    assert any("line 4999" in line for line in lines)
    assert not any("line 4000" in line for line in lines)


# --- code blocks: a frame with the language and the number /copy N takes -------------------

CODE_BLOCKS = [block for block in BLOCKS if code_blocks(block)]
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_TOP = re.compile(r"╭─.*? #(\d+) ─$")


def plain_render(width: int = 40):
    """Render to text without colour codes, each row right-stripped."""
    return renderer(Console(file=io.StringIO(), width=width, color_system=None))


def rows(rendered: str) -> list[str]:
    return [line.rstrip() for line in _SGR.sub("", rendered).split("\n")][:-1]


def frame_numbers(rendered: str) -> list[int]:
    return [int(match.group(1)) for line in rows(rendered) if (match := _TOP.search(line))]


def test_a_code_block_is_framed_by_a_top_line_with_language_and_number_and_a_bottom_line():
    text = "Before.\n\n```python\ndef f():\n    return 1\n```\n\nAfter.\n"
    assert rows(plain_render(40)(SafeMarkdown(text))) == [
        "Before.",
        "",
        "╭─ python " + "─" * 25 + " #1 ─",
        "def f():",  # no border, no padding: selecting the rows gives the code
        "    return 1",
        "╰" + "─" * 39,
        "",
        "After.",
    ]


def test_a_block_without_a_language_gets_the_frame_and_its_number():
    assert rows(plain_render(30)(SafeMarkdown("    indented\n"))) == ["╭" + "─" * 24 + " #1 ─", "indented", "╰" + "─" * 29]


def test_code_blocks_are_numbered_as_copy_counts_them_nested_ones_included():
    text = (
        "Intro.\n\n```python\nfirst()\n```\n\n    second()\n\n- a list\n\n  ```sh\n  third\n  ```\n\n"
        "> ```js\n> fourth()\n> ```\n\n~~~\nfifth\n~~~\n"
    )
    lines = rows(plain_render(60)(SafeMarkdown(text)))
    tops = [index for index, line in enumerate(lines) if _TOP.search(line)]
    blocks = code_blocks(text)
    assert len(blocks) == 5
    assert [int(_TOP.search(lines[index]).group(1)) for index in tops] == [1, 2, 3, 4, 5]
    for index, block in zip(tops, blocks, strict=True):
        assert lines[index + 1].endswith(block.split("\n")[0]), (lines[index : index + 2], block)
    assert ["python" in lines[tops[0]], "sh" in lines[tops[2]], "js" in lines[tops[3]]] == [True] * 3


@settings(max_examples=60, deadline=None)
@given(
    code=st.lists(st.sampled_from(CODE_BLOCKS), min_size=2, max_size=6),
    prose=st.lists(st.sampled_from([*BLOCKS, ""]), min_size=6, max_size=6),
    unclosed=st.sampled_from(["", "```js\nlet open = 1\n"]),
    data=st.data(),
)
def test_several_code_blocks_streamed_are_numbered_as_rendered_whole_and_as_copy_counts(code, prose, unclosed, data):
    text = "".join(before + "\n" + block + "\n" for before, block in zip(prose, code, strict=False)) + unclosed
    cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, len(text) - 1)), max_size=30))))
    frames = set(data.draw(st.lists(st.integers(0, len(cuts)), max_size=30)))
    streamed = stream_render(text, cuts, frames)
    assert streamed == whole_render(text)
    assert frame_numbers(streamed) == list(range(1, len(code_blocks(text)) + 1))


def test_a_blocks_number_is_fixed_when_it_is_committed_and_live_it_looks_the_same():
    stream = MarkdownStream(plain_render(40))
    body = "".join(f"line {n}\n" for n in range(100))
    stream.feed("```sh\necho one\n```\n\nText.\n\n```python\n")
    first = stream.commit_finished()
    assert frame_numbers(first) == [1] and "Text." in first
    stream.feed("line 0\n")
    assert stream.live_lines(10)[:2] == ["", "╭─ python " + "─" * 25 + " #2 ─"]  # short: its top line shows
    stream.feed(body[len("line 0\n") :])
    live = stream.live_lines(10)
    assert live[-2:] == ["line 98", "line 99"]  # long: only its end; the bottom line comes when it closes
    stream.feed("```\n\nAfter.\n")
    closed = rows(stream.commit_finished())
    assert closed[1] == "╭─ python " + "─" * 25 + " #2 ─"
    assert closed[-11:-1] == live and closed[-1] == "╰" + "─" * 39  # committed whole, it ends as it looked live


def test_the_language_is_sanitised_shortened_and_never_markup():
    info = "[red]evil[/red]\x1b]0;title\x07" + "x" * 100
    out = plain_render(40)(SafeMarkdown(f"```{info} more words\ncode\n```\n"))
    top = rows(out)[0]
    assert top.startswith("╭─ [red]evil[/red]␛]0;title␇x") and top.endswith("… ─ #1 ─")
    assert len(top) == 40
    assert "\x1b" not in out and "\x07" not in out


def test_long_lines_wrap_inside_the_frame_and_nothing_is_cut():
    words = [f"word{n}" for n in range(40)]
    out = rows(plain_render(40)(SafeMarkdown("```\n" + " ".join(words) + "\n```\n")))
    assert all(len(line) <= 40 for line in out)
    assert " ".join(out[1:-1]).split() == words


@pytest.mark.parametrize("name", ["dark", "light", "solarized-dark", "gruvbox", "high-contrast", "monochrome"])
def test_the_frame_takes_the_themes_styles(name):
    from claudechat.render.theme import load_theme

    theme, _ = load_theme(name, no_color=False)
    console = Console(file=io.StringIO(), width=40, force_terminal=True, color_system="truecolor",
                      theme=theme.rich_theme())
    segments = list(console.render(SafeMarkdown("```python\nx\n```\n")))
    for text, key in (("python", "markdown.code_block.title"), ("╰", "markdown.code_block.border")):
        style = next(segment.style for segment in segments if segment.text.startswith(text))
        expected = console.get_style(key)
        assert (style.color, style.bold, style.dim) == (expected.color, expected.bold, expected.dim), key


def test_an_ascii_only_terminal_gets_an_ascii_frame():
    class AsciiFile(io.StringIO):
        encoding = "ascii"

    console = Console(file=AsciiFile(), width=20, color_system=None)
    console.print(SafeMarkdown("```py\nx\n```\n"))
    assert console.file.getvalue().split("\n")[:3] == ["+- py --------- #1 -", "x", "+" + "-" * 19]


def test_an_answer_asked_for_as_json_is_one_framed_block_without_a_number():
    from claudechat.render.answer import AnswerView
    from claudechat.render.screen import Screen

    console = Console(file=io.StringIO(), width=40, height=20, color_system=None)
    view = AnswerView(Screen(console), model="m", code_language="json")
    view.content('{"a": 1}')
    view.frame()
    view.finish()
    out = console.file.getvalue()
    screen = pyte.Screen(40, 20)
    pyte.Stream(screen).feed(out.replace("\n", "\r\n"))
    assert [row.rstrip() for row in screen.display[:3]] == ["╭─ json " + "─" * 32, '{"a": 1}', "╰" + "─" * 39]
    assert "#1" not in out


def test_saved_answers_and_other_candidates_are_drawn_as_streamed():
    from claudechat.render.exchange import other_candidates, saved_answer

    text = "Two:\n\n```python\nprint(1)\n```\n\n```sh\necho 2\n```\n"
    streamed = stream_render(text, [5, 20, 30], {0, 1, 2}, width=40)
    assert frame_numbers(streamed) == [1, 2]
    [saved] = saved_answer(text, interrupted=False, code_theme="monokai")
    assert renderer(make_console(40))(saved) == streamed
    shown = other_candidates(["first", text], code_theme="monokai")
    assert renderer(make_console(40))(shown[1]) == streamed  # each candidate counts from 1


def test_the_reasoning_panel_frames_code_without_numbers():
    from claudechat.render.reasoning import full_panel
    from claudechat.render.theme import load_theme

    theme = load_theme("dark", no_color=False)[0].rich_theme()
    console = Console(file=io.StringIO(), width=40, color_system=None, theme=theme)
    out = rows(renderer(console)(full_panel("Plan:\n\n```py\nx = 1\n```\n", "monokai")))
    assert any("╭─ py ──" in line for line in out) and any("x = 1" in line for line in out)
    assert not any("#1" in line for line in out)  # /copy takes blocks of the answer, not these


def test_blocks_that_arrive_faster_than_a_frame_can_draw_are_drawn_over_several_frames():
    render = renderer(make_console(80))
    text = markdown_answer(30_000) + "A last paragraph, still being written"
    whole = MarkdownStream(render)
    whole.feed(text)
    expected = whole.commit_finished() + whole.finish()

    stream = MarkdownStream(render)
    stream.feed(text)
    parts = [stream.commit_finished(deadline=0.0)]  # a deadline already past: one run of blocks
    assert stream.behind and 0 < len(parts[0]) < len(expected) // 4
    assert stream.live_lines(10) == []  # the tail waits below the blocks still to be drawn
    while stream.behind:
        parts.append(stream.commit_finished(deadline=0.0))
    assert len(parts) > 5
    assert "A last paragraph" in stream.live_lines(10)[-1]
    assert "".join(parts) + stream.finish() == expected


def test_finishing_while_behind_draws_the_waiting_blocks_first():
    render = renderer(make_console(80))
    text = markdown_answer(10_000) + "Tail."
    whole = MarkdownStream(render)
    whole.feed(text)
    expected = whole.finish()

    stream = MarkdownStream(render)
    stream.feed(text)
    first = stream.commit_finished(deadline=0.0)
    assert stream.behind
    assert first + stream.finish() == expected


CODE_SAMPLES = {
    "python": 'def f(x):\n    """Doc\n    more doc\n    """\n    s = \'\'\'a\n b\'\'\'\n\treturn x  # c\n\nclass A:\n    pass\n' * 3,
    "rust": 'fn main() {\n    /* block\n       comment */\n    let s = "str\\n";\n    println!("{}", s);\n}\n' * 3,
    "json": '{\n  "a": [1, 2, 3],\n  "b": {"c": "d"},\n  "e": null\n}\n',
    "console": '$ ls -la\ntotal 0\n$ echo "hi"\nhi\n',
    # A heredoc is recognised only once it closes, here more lines later than are lexed again.
    "bash": "cat <<EOF\n" + "hello $x\n" * 40 + 'EOF\nfor i in 1 2; do\n  echo "$i"\ndone\n',
}


@pytest.mark.parametrize("language", sorted(CODE_SAMPLES))
def test_a_streamed_code_block_closes_exactly_as_rendered_whole(language):
    code = CODE_SAMPLES[language]
    text = f"Intro.\n\n```{language}\n{code}```\n\nAfter.\n"
    render = renderer(make_console(60))
    whole = MarkdownStream(render)
    whole.feed(text)
    expected = whole.finish()

    stream = MarkdownStream(render, width=lambda: 60)
    out = []
    for start in range(0, len(text), 3):  # three characters a frame, each frame drawn
        stream.feed(text[start : start + 3])
        out.append(stream.commit_finished())
        stream.live_lines(30)
    assert "".join(out) + stream.finish() == expected


def _stream_up_to_the_closing_fence(language: str, console: Console):
    """A stream drawing on `console`, fed an answer with a code block of over a thousand
    tokens up to its closing fence, every line drawn; then the rest. Returns (the stream, what
    it committed, the rows last drawn, the whole answer)."""
    code = CODE_SAMPLES[language] * 10
    text = f"Intro.\n\n```{language}\n{code}```\n\nAfter.\n"
    stream = MarkdownStream(renderer(console), width=lambda: console.width)
    close = text.index("```\n\nAfter")
    committed = []
    for start in range(0, close, 40):
        stream.feed(text[start : min(start + 40, close)])
        committed.append(stream.commit_finished())
        drawn = stream.live_lines(30)
    stream.feed(text[close:])
    return stream, committed, drawn, text


@pytest.mark.parametrize("language", ["python", "rust"])
def test_a_closed_block_too_long_for_one_frame_is_lexed_over_several_and_shown_as_it_was(language):
    stream, committed, drawn, text = _stream_up_to_the_closing_fence(language, make_console(60))
    parts = []
    while True:  # each look at the clock is past the deadline: one slice of tokens a frame
        parts.append(stream.commit_finished(deadline=0.0, clock=lambda: 1.0))
        if not stream.behind:
            break
        assert parts[-1] == ""
        assert stream.live_lines(30) == drawn  # the block stays on screen as it was drawn open
    assert len(parts) > 3
    assert "".join(committed + parts) + stream.finish() == whole_render(text, 60)


def test_finishing_while_a_closed_block_is_lexed_commits_it_whole():
    stream, committed, _drawn, text = _stream_up_to_the_closing_fence("python", make_console(60))
    assert stream.commit_finished(deadline=0.0, clock=lambda: 1.0) == ""
    assert stream.behind
    assert "".join(committed) + stream.finish() == whole_render(text, 60)


def test_a_width_change_while_a_closed_block_is_lexed_draws_it_whole_at_the_new_width():
    console = make_console(60)
    stream, committed, _drawn, text = _stream_up_to_the_closing_fence("rust", console)
    assert stream.commit_finished(deadline=0.0, clock=lambda: 1.0) == ""
    console.width = 50
    assert stream.live_lines(30) == []  # its rows were drawn for 60 columns
    block = stream.commit_finished(deadline=0.0, clock=lambda: 1.0)
    assert not stream.behind
    assert "\n╰" + "─" * 49 + "\n" in block and "╰" + "─" * 50 not in block
    assert block + stream.finish() == "\n" + whole_render(text[text.index("```") :], 50)  # after "Intro."


def test_lines_inside_a_docstring_opened_above_are_coloured_as_the_string():
    render = renderer(make_console(60))
    stream = MarkdownStream(render, width=lambda: 60)
    stream.feed('```python\nx = 1\n"""\nif while for\n')
    stream.live_lines(10)
    stream.feed("return\n")
    live = stream.live_lines(10)
    string_colour = "\x1b[38;2;230;219;116"  # monokai's strings
    keyword_colour = "\x1b[38;2;102;217;239"  # and its keywords
    assert string_colour in live[-2] and keyword_colour not in live[-2]  # "if while for"
    assert string_colour in live[-1] and keyword_colour not in live[-1]  # "return"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_text_that_trickles_in_is_drawn_a_few_words_at_a_time_and_never_late():
    from claudechat.render import answer
    from claudechat.render.answer import AnswerView
    from claudechat.render.screen import Screen

    console = Console(file=io.StringIO(), width=60, height=20, color_system=None)
    clock = FakeClock()
    view = AnswerView(Screen(console), model="m", clock=clock)

    def drawn_after(text: str, seconds: float) -> bool:
        before = console.file.tell()
        view.content(text)
        clock.now += seconds
        view.frame()
        return console.file.tell() > before

    hold = answer._HOLD
    assert drawn_after("First", 0.04)  # the first words at once
    assert not drawn_after(" word", 0.04)  # then a word alone waits...
    assert not drawn_after(" more", hold - 0.08)
    assert drawn_after(" and more", 0.04)  # ...until the first of them has waited its hold
    assert not drawn_after(" x", 0.01)
    enough = " " + "enough text to draw at once " * (answer._MIN_NEW_CHARS // 28 + 1)
    assert drawn_after(enough, 0.01)  # or enough characters have come
    view.finish()
    screen = pyte.Screen(60, 20)
    pyte.Stream(screen).feed(console.file.getvalue().replace("\n", "\r\n"))
    assert screen.display[0].startswith("First word more and more x enough text to draw")


def open_block_rows(text: str, *, numbered: bool = True, committed_first: bool = True) -> list[str]:
    stream = MarkdownStream(plain_render(40), number_code_blocks=numbered, width=lambda: 40)
    stream.feed(text)
    if committed_first:
        stream.commit_finished()
    return stream.live_lines(20)


def test_an_open_block_is_framed_on_top_as_the_closed_one_will_be():
    assert open_block_rows("```python extra words\nx = 1\n")[0] == "╭─ python " + "─" * 25 + " #1 ─"
    assert open_block_rows("```python\nx = 1\n", numbered=False)[0] == "╭─ python " + "─" * 30
    assert open_block_rows("```\nx = 1\n")[0] == "╭" + "─" * 34 + " #1 ─"  # no language named
    long = "x" * 60
    closed = plain_render(40)(SafeMarkdown(f"```{long}\nx = 1\n```\n")).split("\n")[0]
    assert open_block_rows(f"```{long}\nx = 1\n")[0] == closed


def test_an_open_block_after_a_paragraph_is_separated_by_a_blank_row():
    rows = open_block_rows("Some text.\n\n```sh\necho hi\n")
    assert rows[:3] == ["", "╭─ sh " + "─" * 29 + " #1 ─", "echo hi"]


def test_a_line_like_the_opening_one_inside_the_block_is_code():
    rows = open_block_rows("```python\na = 1\n```python\nb = 2\n")
    assert [row.rstrip() for row in rows[1:]] == ["a = 1", "```python", "b = 2"]


def test_blocks_after_a_streamed_code_block_are_numbered_and_separated_as_whole():
    text = "```python\nx = 1\n```\n\nBetween.\n\n```sh\necho 2\n```\n\nEnd.\n"
    render = renderer(make_console(60))
    whole = MarkdownStream(render)
    whole.feed(text)
    expected = whole.finish()
    for numbered in (True, False):
        stream = MarkdownStream(render, width=lambda: 60, number_code_blocks=numbered)
        out = []
        for start in range(0, len(text), 2):
            stream.feed(text[start : start + 2])
            out.append(stream.commit_finished())
            stream.live_lines(30)
        streamed = "".join(out) + stream.finish()
        if numbered:
            assert streamed == expected
        else:
            assert "#1" not in streamed and "#2" not in streamed and "echo" in streamed
