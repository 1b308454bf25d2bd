"""The table of saved sessions and the paths in it, rendered in-process at given widths.

Widths are always passed in, never taken from the terminal running the tests; times are
shown in UTC so the dates do not depend on the machine's zone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from claudechat.chat.store import SessionSummary
from claudechat.paths import short_path
from claudechat.render.sessions import session_table
from claudechat.textwidth import cell_width, fit_words

T0 = 1_704_164_640.0  # 2024-01-02 03:04:00 UTC
HOME = "/home/ann"
SESSIONS = f"{HOME}/.local/share/claudechat/sessions"


@pytest.fixture(autouse=True)
def _in_utc(utc: None) -> None:
    """Every table here shows times in UTC."""


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


# --- the table ---------------------------------------------------------------------------------

LONG_TITLE = "How do I stream server-sent events through an nginx reverse proxy without buffering"


def summaries() -> list[SessionSummary]:
    return [
        SessionSummary("3fa2b1c4", Path(f"{SESSIONS}/3fa2b1c4.jsonl"), T0 + 3600, LONG_TITLE, T0, 12, "claude-sonnet-4-5-20250929"),
        SessionSummary("0b1c2d3e", Path(f"{SESSIONS}/0b1c2d3e.jsonl"), T0, "pipes", T0, 1, "claude-opus-4-6"),
        SessionSummary(
            "deadbeef",
            Path(f"{SESSIONS}/deadbeef.jsonl"),
            T0 - 60,
            error=f"{SESSIONS}/deadbeef.jsonl, line 3: not valid JSON; the session is damaged",
        ),
    ]


def test_the_table_has_a_header_and_leaves_whole_rows_unfitted() -> None:
    lines = session_table(summaries(), home=HOME).splitlines()
    assert lines[0].split() == ["ID", "LAST", "USED", "TURNS", "MODEL", "TITLE"]
    assert lines[1].split()[:5] == ["3fa2b1c4", "2024-01-02", "04:04", "12", "claude-sonnet-4-5-20250929"]
    assert lines[1].endswith(LONG_TITLE)
    assert lines[2].endswith("claude-opus-4-6".ljust(len("claude-sonnet-4-5-20250929")) + "  pipes")
    assert lines[3].endswith("unreadable: ~/.local/share/claudechat/sessions/deadbeef.jsonl, line 3: not valid JSON; the session is damaged")
    header = lines[0]
    for row in lines[1:3]:  # the columns line up under their names
        for name in ("LAST USED", "MODEL", "TITLE"):
            assert row[header.index(name) - 2 : header.index(name)] == "  "
        assert row[header.index("TURNS") + len("TURNS")] == " "


@pytest.mark.parametrize("width", range(20, 131))
@pytest.mark.parametrize("current", [None, "0b1c2d3e"])
def test_the_table_fits_any_width_without_cutting_a_word(width: int, current: str | None) -> None:
    lines = session_table(summaries(), current, width=width, home=HOME).splitlines()
    assert len(lines) == 4  # a header and one line a session: nothing folded
    assert all(cell_width(line) <= width for line in lines), lines
    mark = 2 if current else 0
    assert [line[mark:].split()[0] for line in lines] == ["ID", "3fa2b1c4", "0b1c2d3e", "deadbeef"]
    first = lines[1]
    if first.endswith("…") and width >= 60:
        title = first[first.rindex("  ") + 2 : -1]
        assert LONG_TITLE.startswith(title) and LONG_TITLE[len(title)] == " ", title  # cut between words
    if width >= 83 + mark:
        assert "claude-sonnet-4-5-20250929" in first  # the model whole while the title has 20 cells
    elif width >= 65 + mark:
        assert "How do I stream…" in first  # the title keeps 20 cells; the model narrows first


def test_the_model_column_narrows_once_the_title_is_short_then_goes() -> None:
    wide, narrow, narrower = (session_table(summaries(), width=width, home=HOME).splitlines() for width in (100, 66, 52))
    assert "claude-sonnet-4-5-20250929  How do I stream server-sent events…" in wide[1]
    assert narrow[1].endswith("claude-sonn…  How do I stream…")
    assert narrow[2].endswith("claude-opus…  pipes")
    assert narrower[0].endswith("TURNS  TITLE")  # no room left for both: the title stays
    assert narrower[1].endswith("12  How do I stream…") and "claude" not in "".join(narrower)


def test_an_unreadable_session_shows_a_short_path_and_fits() -> None:
    line = session_table(summaries(), width=80, home=HOME).splitlines()[3]
    assert cell_width(line) <= 80
    assert "unreadable: " in line and "deadbeef.jsonl" in line and "/home/ann" not in line
    assert "…/deadbeef.jsonl, line 3:" in line


def test_the_mark_shows_the_session_in_use() -> None:
    lines = session_table(summaries(), "0b1c2d3e", width=100, home=HOME).splitlines()
    assert lines[0].startswith("  ID ")
    assert lines[1].startswith("  3fa2b1c4") and lines[2].startswith("▸ 0b1c2d3e")


def test_hostile_titles_models_and_ids_are_shown_literally() -> None:
    hostile = [SessionSummary("abc\x1b[2J", Path("/x/abc.jsonl"), T0, "title\n\x1b]52;c;AAAA\x07", T0, 1, "m\x1b[31m")]
    text = session_table(hostile, width=80)
    assert "\x1b" not in text and "\x07" not in text
    assert len(text.splitlines()) == 2
