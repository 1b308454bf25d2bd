"""The exported page in a real browser: headless Chromium reads it, runs what it would run, and
shows it on a phone-sized screen.

`--dump-dom` prints the document as it is once the page has loaded, after any script in it
ran: what a model's text did to the page, if it could do anything, shows there. A control page
without the Content-Security-Policy proves that the same text would act there, so the test of
the real page cannot pass for want of a browser that runs scripts at all.

Skipped where there is no Chromium; nothing here needs the network (the browser is told to
resolve no host), and every run gets its own profile directory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from claudechat.chat.conversation import Message
from claudechat.chat.session import Session, SessionSettings
from claudechat.render.html_export import to_html
from claudechat.render.theme import load_theme
from tests.test_html_export import HOSTILE, Page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_TIMEOUT = 100.0  # seconds for one run: a slow machine waits, a hung browser fails

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (chromium or chromium-browser) on the PATH"),
    pytest.mark.timeout(4 * BROWSER_TIMEOUT),
]

TITLE = "Exported chat in a browser"
LONG_CODE = "x = " + "+".join(f"value_{number}" for number in range(60))
LONG_URL = "https://example.com/" + "a-very-long-path-segment-" * 12
WIDE_TABLE = "| " + " | ".join(f"column {n}" for n in range(14)) + " |\n|" + "---|" * 14 + "\n| " + \
             " | ".join(f"cell{n}" * 3 for n in range(14)) + " |"
TURNS = 3


def session() -> Session:
    conversation = Session(settings=SessionSettings(model="claude-sonnet-4-6"), created=1_704_164_640.0)
    answers = [
        "Here:\n\n```python\ndef greet(name):\n    return f'hi {name}'\n```\n\n" + HOSTILE,
        f"A long line:\n\n```python\n{LONG_CODE}\n```\n\nSee {LONG_URL} and {'unbroken' * 30}.\n\n{WIDE_TABLE}",
        "The end.",
    ]
    for number, answer in enumerate(answers):
        conversation.add_turn(Message("user", f"question {number + 1}", created=1_704_164_700.0 + number),
                              Message("assistant", answer, reasoning=f"thinking about {number + 1}",
                                      created=1_704_164_710.0 + number))
    conversation.rename(TITLE)
    return conversation


def chromium(tmp_path: Path, page: Path, *args: str) -> str:
    """Run headless Chromium on `page` with `args`; its standard output."""
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
        "--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-sync",
        "--disable-component-update", "--disable-extensions", "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing reaches the network, whatever asks
        *args, page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False,
                            cwd=tmp_path, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert result.returncode == 0, f"chromium exited {result.returncode}\n{result.stderr[-3000:]}"
    return result.stdout


def exported(tmp_path: Path) -> tuple[Path, str]:
    text = to_html(session(), load_theme("dark", no_color=False)[0])
    path = tmp_path / "chat.html"
    path.write_text(text, encoding="utf-8")
    return path, text


def without_policy(text: str, script: str) -> str:
    """The page with its Content-Security-Policy taken out and `script` added at its end."""
    policy = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n')
    assert policy.search(text)
    return policy.sub("", text).replace("</body>", f"<script>{script}</script>\n</body>")


def test_in_chromium_the_page_shows_the_turns_and_nothing_from_the_model_runs(tmp_path: Path) -> None:
    path, _ = exported(tmp_path)
    dom = chromium(tmp_path, path, "--dump-dom")
    page = Page(dom)
    assert re.search(rf"<title>{TITLE}</title>", dom), dom[:2000]
    assert "pwned" not in dom.split("</head>")[0]  # the title is the chat's
    assert "data-pwned" not in "".join(f"{element.attrs}" for element in page.elements)
    assert len(page.all("article", "user")) == TURNS and len(page.all("article", "assistant")) == TURNS
    assert page.all("script") == [] and page.all("iframe") == []
    assert not [name for element in page.elements for name in element.attrs if name.startswith("on")]
    assert [element.attrs.get("href") for element in page.all("a")] == [] or all(
        (element.attrs.get("href") or "").startswith(("https:", "http:")) for element in page.all("a"))
    assert page.all("pre", "hl") and page.all("span", "k") and page.all("span", "nf")
    reasoning = page.all("details", "reasoning")
    assert len(reasoning) == TURNS and not [details for details in reasoning if "open" in details.attrs]
    assert "<script>document.title='pwned'</script>" in page.words  # shown as text


def test_the_same_text_would_run_in_this_browser_without_the_policy(tmp_path: Path) -> None:
    _, text = exported(tmp_path)
    hostile = tmp_path / "control.html"
    escaped = "&lt;script&gt;document.title='pwned'&lt;/script&gt;"
    assert escaped in text
    hostile.write_text(text.replace(escaped, "<script>document.title='pwned'</script>", 1)
                       .replace('<meta http-equiv="Content-Security-Policy"', '<meta name="was-the-policy"'),
                       encoding="utf-8")
    assert "<title>pwned</title>" in chromium(tmp_path, hostile, "--dump-dom")


def test_on_a_phone_s_width_nothing_scrolls_the_page_sideways(tmp_path: Path) -> None:
    # A headless window is never narrower than 500 pixels, so the page is laid out in 360 (a
    # small phone's width) by a rule of its own, and the widest thing in it measured.
    _, text = exported(tmp_path)
    measured = tmp_path / "measured.html"
    script = ("document.documentElement.style.width = '360px';"
              "document.title = 'width ' + document.body.scrollWidth + ' of ' + document.body.clientWidth;")
    measured.write_text(without_policy(text, script), encoding="utf-8")
    dom = chromium(tmp_path, measured, "--dump-dom")
    found = re.search(r"<title>width (\d+) of (\d+)</title>", dom)
    assert found is not None, dom[:2000]
    scroll, width = map(int, found.groups())
    assert width == 360 and scroll <= width, (scroll, width)
    plain = tmp_path / "plain.html"  # the same measure sees a page that does scroll sideways
    plain.write_text(without_policy(text.replace("overflow-wrap: anywhere", "overflow-wrap: normal"), script), encoding="utf-8")
    scroll, width = map(int, re.findall(r"<title>width (\d+) of (\d+)</title>", chromium(tmp_path, plain, "--dump-dom"))[0])
    assert scroll > width


def test_a_phone_sized_screenshot_shows_the_page_in_the_theme_s_colours(tmp_path: Path) -> None:
    from PIL import Image

    path, _ = exported(tmp_path)
    shot = tmp_path / "phone.png"
    chromium(tmp_path, path, f"--screenshot={shot}", "--window-size=412,900", "--hide-scrollbars")
    with Image.open(shot) as image:
        assert image.size == (412, 900)
        pixels = image.convert("RGB")
        assert pixels.getpixel((2, 2)) == (0x27, 0x28, 0x22)  # the dark theme's background: the style applied
        colours = pixels.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, code colours and borders, not a blank page
