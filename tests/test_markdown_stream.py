"""Live Markdown: streamed block by block, the answer renders exactly as it would whole."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from claudechat.render.markdown import SafeMarkdown, open_fence, split_finished
from claudechat.render.stream import MarkdownStream
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


@settings(max_examples=150, deadline=None)
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
