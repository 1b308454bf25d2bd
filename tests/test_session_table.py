"""Paths and text as the session table shows them, at given widths.

Widths are always passed in, never taken from the terminal running the tests; times are
shown in UTC so the dates do not depend on the machine's zone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from claudechat.render.paths import short_path
from claudechat.render.textwidth import cell_width, fit_words

T0 = 1_704_164_640.0  # 2024-01-02 03:04:00 UTC
HOME = "/home/ann"
SESSIONS = f"{HOME}/.local/share/claudechat/sessions"


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# --- short_path -----------------------------------------------------------------------------


def test_short_path_shows_home_as_a_tilde() -> None:
    assert short_path(f"{SESSIONS}/3fa2b1c4.jsonl", home=HOME) == "~/.local/share/claudechat/sessions/3fa2b1c4.jsonl"
    assert short_path(HOME, home=HOME) == "~"
    assert short_path(f"{HOME}/", home=HOME) == "~/"
    assert short_path("/home/annabel/x.md", home=HOME) == "/home/annabel/x.md"  # not under /home/ann
    assert short_path("/etc/hosts", home="/") == "/etc/hosts"  # a home of / stands for nothing
    assert short_path(Path("relative/notes.md"), home=HOME) == "relative/notes.md"


def test_short_path_uses_the_home_directory_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", HOME)
    assert short_path(Path(SESSIONS) / "a.jsonl") == "~/.local/share/claudechat/sessions/a.jsonl"


@pytest.mark.parametrize(
    "width, expected",
    [
        (200, "~/.local/share/claudechat/sessions/3fa2b1c4.jsonl"),
        (49, "~/.local/share/claudechat/sessions/3fa2b1c4.jsonl"),
        (48, "~/…/share/claudechat/sessions/3fa2b1c4.jsonl"),
        (38, "~/…/claudechat/sessions/3fa2b1c4.jsonl"),
        (37, "~/…/sessions/3fa2b1c4.jsonl"),
        (20, "~/…/3fa2b1c4.jsonl"),
        (17, "…/3fa2b1c4.jsonl"),
        (5, "…/3fa2b1c4.jsonl"),  # the file name is never cut
    ],
)
def test_short_path_cuts_the_middle_and_keeps_the_file_name(width: int, expected: str) -> None:
    shown = short_path(f"{SESSIONS}/3fa2b1c4.jsonl", width, home=HOME)
    assert shown == expected
    assert cell_width(shown) <= width or shown == "…/3fa2b1c4.jsonl"


def test_short_path_outside_home_and_relative() -> None:
    assert short_path("/var/lib/claudechat/sessions/a.jsonl", 24, home=HOME) == "/…/sessions/a.jsonl"
    assert short_path("one/two/three/notes.md", 18, home=HOME) == "one/…/notes.md"
    assert short_path("a-very-long-file-name.md", 5, home=HOME) == "a-very-long-file-name.md"


def test_short_path_counts_terminal_cells_and_shows_controls() -> None:
    wide = f"{HOME}/文書/会議のメモ/議事録.md"  # 2 cells a character
    assert short_path(wide, home=HOME) == "~/文書/会議のメモ/議事録.md"
    assert short_path(wide, 20, home=HOME) == "~/…/議事録.md"
    hostile = short_path(f"{HOME}/x\x1b[2J\n/y\t.md", home=HOME)
    assert "\x1b" not in hostile and "\n" not in hostile and "\t" not in hostile
    assert hostile == "~/x␛[2J␊/y␉.md"


# --- fitting text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, width, expected",
    [
        ("pipes and threads", 40, "pipes and threads"),
        ("pipes and threads", 17, "pipes and threads"),
        ("pipes and threads", 16, "pipes and…"),
        ("pipes and threads", 11, "pipes and…"),
        ("pipes and threads", 10, "pipes and…"),
        ("pipes and threads", 9, "pipes…"),
        ("pipes, and threads", 9, "pipes…"),  # no dangling comma before the ellipsis
        ("pipes and threads", 4, "pip…"),  # one word wider than the room: the only cut inside a word
        ("pipes", 1, "…"),
        ("pipes", 0, ""),
        ("猫と犬の話 です", 8, "猫と犬…"),
    ],
)
def test_fit_words_cuts_at_a_word_boundary(text: str, width: int, expected: str) -> None:
    assert fit_words(text, width) == expected
    assert cell_width(fit_words(text, width)) <= width
