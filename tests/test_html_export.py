"""The HTML page of a session: what it shows, that nothing in it runs, and its colours.

The page is read back with the standard library's HTML parser, as a browser's tokenizer reads
it: an element or attribute a model's text smuggled in would show up as one here, whatever
the string looks like.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from claudechat.chat.compaction import Compaction
from claudechat.chat.conversation import Candidate, Message
from claudechat.chat.session import Session, SessionSettings
from claudechat.export import FORMATS, format_of, transcript
from claudechat.render.html_export import CONTENT_SECURITY_POLICY, message_html, to_html
from claudechat.render.html_markdown import safe_link
from claudechat.render.theme import load_theme
from tests.images import tiny_png

T0 = 1_704_164_640.0  # 2024-01-02 03:04:00 UTC
PNG_URL = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()

# Model text that would run script, or change the page, if it were HTML to the browser.
HOSTILE = """\
<script>document.title='pwned'</script>

<img src=x onerror="document.body.setAttribute('data-pwned','1')">

<a href="javascript:document.title='pwned'">raw link</a> and <iframe src="https://example.com"></iframe>

[click](javascript:document.title='pwned') [shout](JAVASCRIPT:alert(1)) [page](data:text/html;base64,PHNjcmlwdD4=)
[vb](vbscript:msgbox) [file](file:///etc/passwd) <javascript:alert(1)> ![pic](javascript:alert(1))
[here](../../.ssh/id_rsa) [fine](https://example.com/ok)

<style>body{display:none}</style>
"""


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    classes: list[str] = field(default_factory=list)


class Page(HTMLParser):
    """Every start tag of a page, with its attributes, and the text, as a browser tokenizes it."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.elements.append(Element(tag, values, (values.get("class") or "").split()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[Element]:
        return [element for element in self.elements if element.tag == tag and (cls is None or cls in element.classes)]

    @property
    def words(self) -> str:
        return "".join(self.text)


def dark():
    return load_theme("dark", no_color=False)[0]


def session_of(*turns: tuple[object, str], system: str | None = None, model: str = "claude-sonnet-4-6") -> Session:
    session = Session(settings=SessionSettings(model=model, system=system), created=T0)
    for number, (question, answer) in enumerate(turns):
        session.add_turn(Message("user", question, created=T0 + 60 * number),  # type: ignore[arg-type]
                         Message("assistant", answer, created=T0 + 60 * number + 5, model=model))
    return session


def page_of(session: Session, theme_name: str = "dark") -> tuple[str, Page]:
    text = to_html(session, load_theme(theme_name, no_color=False)[0])
    return text, Page(text)


# --- nothing a model writes runs ------------------------------------------------------------


def test_model_text_adds_no_script_no_handler_and_no_dangerous_link() -> None:
    session = session_of(("show me", HOSTILE))
    session.messages[1].reasoning = HOSTILE
    text, page = page_of(session)
    assert page.all("script") == [] and page.all("iframe") == []
    assert [element.tag for element in page.elements].count("style") == 1  # the page's own
    assert not [(element.tag, name) for element in page.elements for name in element.attrs if name.startswith("on")]
    links = [element.attrs.get("href") or "" for element in page.all("a")]
    assert links == ["https://example.com/ok"] * 2  # the answer's and the reasoning's
    assert all((element.attrs.get("src") or "").startswith("data:image/") for element in page.all("img"))
    words = page.words
    assert "<script>document.title='pwned'</script>" in words  # shown, as the text it is
    assert "[click](javascript:document.title='pwned')" in words
    assert "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">" in words
    assert "pwned" not in "".join(str(element.attrs) for element in page.elements)


def test_attribute_values_cannot_be_closed_from_inside() -> None:
    name = '" onerror="alert(1)" x="'
    session = session_of(
        ([{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": PNG_URL}, "name": name}],
         '[titled](https://example.com/a "a\\" onmouseover=\\"alert(1)") '
         '[quote](https://example.com/?q="><script>alert(1)</script>)'),
        model='m"><script>alert(1)</script>',
    )
    session.rename("</title><script>alert(1)</script>")
    text, page = page_of(session)
    assert page.all("script") == []
    [image] = page.all("img")
    assert image.attrs["alt"] == name and "onerror" not in image.attrs
    assert not [name for element in page.elements for name in element.attrs if name.startswith("on")]
    titled = next(element for element in page.all("a") if element.attrs.get("title"))
    assert titled.attrs["title"] == 'a" onmouseover="alert(1)'
    assert "<title>&lt;/title&gt;&lt;script&gt;" in text
    assert 'm"><script>alert(1)</script>' in page.words  # the model's name, as text


@pytest.mark.parametrize("url, safe", [
    ("https://example.com", True), ("http://x", True), ("mailto:a@b.c", True), ("#m3", True),
    ("javascript:alert(1)", False), ("JavaScript:alert(1)", False), ("java\tscript:alert(1)", False),
    (" javascript:alert(1)", False), ("vbscript:x", False), ("data:text/html,x", False),
    ("file:///etc/passwd", False), ("../notes.html", False), ("#a:javascript", False),
])
def test_only_links_that_go_somewhere_harmless_are_links(url: str, safe: bool) -> None:
    assert safe_link(url) is safe


def test_the_page_forbids_script_and_fetching_and_loads_nothing_from_elsewhere() -> None:
    text, page = page_of(session_of(("a", "b")))
    [policy] = [element for element in page.all("meta") if element.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert policy.attrs["content"] == CONTENT_SECURITY_POLICY == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert text.index("Content-Security-Policy") < text.index("<style>")  # in force before anything else
    assert page.all("link") == [] and page.all("script") == []
    assert "@import" not in text and "url(" not in text
    [viewport] = [element for element in page.all("meta") if element.attrs.get("name") == "viewport"]
    assert viewport.attrs["content"] == "width=device-width, initial-scale=1"


# --- what it shows --------------------------------------------------------------------------


def test_each_turn_says_who_and_when(utc: None) -> None:
    session = session_of(("one", "first"), ("two", "second"), ("three", "third"))
    session.messages[3].model = "claude-opus-4-6"
    text, page = page_of(session)
    assert len(page.all("article", "user")) == 3 and len(page.all("article", "assistant")) == 3
    assert [element.attrs["id"] for element in page.all("article")] == ["m1", "m2", "m3", "m4", "m5", "m6"]
    assert '<span class="you">You</span> · <time datetime="2024-01-02T03:05:00+00:00">2024-01-02 03:05</time>' in text
    assert '<span class="model">claude-opus-4-6</span> · <time datetime="2024-01-02T03:05:05+00:00">03:05</time>' in text
    assert text.count('<span class="model">claude-sonnet-4-6</span>') == 2
    assert f"3 turns · session {session.id}" in page.words
    assert "claude-sonnet-4-6, claude-opus-4-6 · " in page.words  # every model the answers came from


def test_a_code_block_is_highlighted_and_wraps() -> None:
    text, page = page_of(session_of(("code?", "Here:\n\n```python\ndef f(x):\n    return 'a' * x\n```\n")))
    [block] = page.all("pre", "hl")
    assert '<div class="code-title">python</div>' in text
    assert '<span class="k">def</span><span class="w"> </span><span class="nf">f</span>' in text
    assert ".hl .k { color: #66D9EF }" in text  # monokai, the dark theme's code style
    assert re.search(r"\npre \{[^}]*white-space: pre-wrap", text)
    assert page.all("span", "s1")  # the string, in its own colour


def test_an_unknown_language_is_plain_escaped_text() -> None:
    text, page = page_of(session_of(("x", "```no-such-language <b>\n<b>bold?</b>\n```")))
    assert page.all("b") == []
    assert '<div class="code-title">no-such-language</div>' in text  # its first word only
    assert "&lt;b&gt;bold?&lt;/b&gt;" in text


def test_reasoning_is_folded_and_closed() -> None:
    session = session_of(("why?", "Because."))
    session.messages[1].reasoning = "Think of **this** first."
    text, page = page_of(session)
    [details] = page.all("details", "reasoning")
    assert "open" not in details.attrs
    assert '<summary>Reasoning</summary><div class="text"><p>Think of <strong>this</strong> first.</p>' in text
    assert text.index("Think of") < text.index("Because.")


def test_images_are_inline_data_and_urls_are_named_not_fetched() -> None:
    content = [{"type": "text", "text": "what are these?"},
               {"type": "image_url", "image_url": {"url": PNG_URL}, "name": "shot.png",
                "attachment": {"kind": "image", "name": "shot.png", "size": 70, "width": 1, "height": 1}},
               {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}, "name": "https://example.com/cat.jpg"},
               {"type": "image_url", "image_url": {"url": "data:image/svg+xml;base64,PHN2Zy8+"}, "name": "drawing.svg"}]
    text, page = page_of(session_of((content, "Two images.")))
    [image] = page.all("img")
    assert image.attrs["src"] == PNG_URL and image.attrs["alt"] == "shot.png"
    assert (image.attrs["width"], image.attrs["height"]) == ("1", "1")
    assert "image: https://example.com/cat.jpg" in page.words and "image: drawing.svg" in page.words
    assert 'src="https://' not in text and "svg+xml" not in text


def test_a_model_image_is_a_link_to_it_not_an_image() -> None:
    text, page = page_of(session_of(("x", "![a chart](https://example.com/chart.png)")))
    assert page.all("img") == []
    [link] = page.all("a", "image-link")
    assert link.attrs["href"] == "https://example.com/chart.png" and link.attrs["rel"] == "noopener noreferrer"
    assert "a chart" in page.words


def test_attached_files_are_folded_with_size_and_hash_and_cannot_close_the_fold() -> None:
    content = [{"type": "text", "text": "review"},
               {"type": "text", "text": "# notes.txt\n</details></pre><script>x()</script>",
                "attachment": {"kind": "file", "name": "notes.txt", "size": 2048, "sha256": "ab" * 32}}]
    text, page = page_of(session_of((content, "ok")))
    [fold] = page.all("details", "attachment")
    assert "open" not in fold.attrs
    assert "file: notes.txt · 2.0 KB · sha256 abababababab" in page.words
    assert page.all("script") == [] and "&lt;/details&gt;&lt;/pre&gt;" in text


def test_headings_go_below_the_turns_and_tables_scroll_in_their_box() -> None:
    text, page = page_of(session_of(("# Mine", "# Title\n\n###### deep\n\n| a | b |\n|---|---|\n| 1 | 2 |")))
    assert "<h3>Mine</h3>" in text  # under the page's h1 and the turn's h2
    assert "<h4>Title</h4>" in text and "<h6>deep</h6>" in text
    assert '<div class="table"><table>' in text and re.search(r"\.table \{[^}]*overflow-x: auto", text)


def test_interrupted_candidates_and_an_empty_answer_are_marked() -> None:
    session = session_of(("a", "cut shor"), ("b", "two"), ("c", "  "))
    session.messages[1].interrupted = True
    session.messages[3].candidates = [Candidate("one"), Candidate("two"), Candidate("three")]
    session.messages[3].picked = 1
    text, page = page_of(session)
    assert len(page.all("p", "interrupted")) == 1 and "⏹ interrupted: the answer was stopped here" in page.words
    assert "candidate 2 of 3" in page.words
    assert "(no text)" in page.words


def test_system_prompts_and_compactions_stand_where_the_markdown_has_them(utc: None) -> None:
    session = session_of(("one", "first"), ("two", "second"), system="Be <brief>.")
    session.change_settings(system="Be thorough.")
    session.add_turn(Message("user", "three", created=T0 + 200), Message("assistant", "third", created=T0 + 205))
    session.compact(Compaction(covers=6, summary="## We spoke\nof three things", created=T0 + 300,
                               instructions="keep   the numbers"))
    text, page = page_of(session)
    order = [text.index(marker) for marker in (
        "<pre>Be &lt;brief&gt;.</pre>", "<p>one</p>", "<p>second</p>", "System prompt changed",
        "<pre>Be thorough.</pre>", "<p>three</p>", "<strong>Compacted</strong>")]
    assert order == sorted(order)
    assert "the 3 turns above were sent as this summary from here on (asked to focus on: keep the numbers)" in page.words
    assert "<h5>We spoke</h5>" in text
    [summary] = [element for element in page.all("details") if not element.classes]
    assert "open" not in summary.attrs
    assert text.count('<span class="mark">· compacted</span>') == 6


def test_message_html_draws_one_message_on_its_own() -> None:
    answer = Message("assistant", "**hi**", created=T0, reasoning="hm")
    drawn = message_html(answer, model="claude-haiku-4-5", code_theme="monokai", anchor="m9")
    page = Page(drawn)
    [article] = page.all("article", "assistant")
    assert article.attrs["id"] == "m9"
    assert "claude-haiku-4-5" in page.words and "<strong>hi</strong>" in drawn
    assert drawn.startswith("<article") and drawn.endswith("</article>")


# --- the theme's colours --------------------------------------------------------------------


@pytest.mark.parametrize("name, background, scheme", [
    ("dark", "#272822", "dark"), ("light", "#ffffff", "light"), ("solarized-dark", "#002b36", "dark"),
    ("monochrome", "#ffffff", "light"),
])
def test_the_page_is_in_the_theme_s_colours(name: str, background: str, scheme: str) -> None:
    text, _ = page_of(session_of(("a", "b")), name)
    assert f"--background: {background};" in text and f"color-scheme: {scheme};" in text


def test_named_terminal_colours_become_the_palette_s_shades() -> None:
    text, _ = page_of(session_of(("a", "b")), "dark")
    rule = re.search(r"\.who \.you \{([^}]*)\}", text)  # the prompt's style: "bold cyan"
    assert rule is not None and "font-weight: bold" in rule.group(1)
    assert re.search(r"color: #[0-9a-f]{6}", rule.group(1))
    light, _ = page_of(session_of(("a", "b")), "light")
    assert ".hl .k { color: #A90D91 }" in light  # xcode, the light theme's code style


def test_monochrome_has_no_colour_of_its_own() -> None:
    text, _ = page_of(session_of(("a", "b")), "monochrome")
    assert ".who .you {" in text  # bold, no colour
    assert not re.search(r"\.who \.you \{[^}]*color:", text)


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, form", [
    ("a.md", "md"), ("A.MARKDOWN", "md"), ("x.json", "json"), ("page.html", "html"), ("page.HTM", "html"),
    ("notes.txt", None), ("noext", None),
])
def test_a_file_name_says_its_format(name: str, form: str | None) -> None:
    assert format_of(Path(name)) == form


def test_every_format_is_written_whole_as_utf8() -> None:
    session = session_of(("ünïcödé 🐈", "ok"))
    for form in FORMATS:
        data = transcript(session, form, dark())
        assert "ünïcödé 🐈" in data.decode("utf-8")
    assert transcript(session, "html", None).startswith(b"<!DOCTYPE html>")  # the default theme
