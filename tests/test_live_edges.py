"""Edges of the live region's diff: where a changed row starts and ends being written, in which
style, and when a frame is a full one or shown at once."""

from __future__ import annotations

import pytest

from claudechat.render.live import ERASE_DOWN, SYNC_END, SYNC_START, LiveRegion, row_change, without_padding

ZWJ = "\u200d"
ACUTE = "\u0301"


class Terminal:
    def __init__(self, columns: int = 20) -> None:
        self.columns = columns
        self.writes: list[str] = []
        self.region = LiveRegion(self.writes.append, lambda: self.columns)

    def frame(self, committed: str = "", live: list[str] | None = None) -> str:
        before = len(self.writes)
        self.region.update(committed, live)
        return "".join(self.writes[before:])


def full(frame: str) -> bool:
    return frame.startswith(SYNC_START) and ERASE_DOWN in frame.split("\n")[0]


# --- one row: the cells written ----------------------------------------------------------------


def test_a_mark_after_the_changed_character_is_written_with_it():
    assert row_change("ae" + ACUTE + "z", "bf" + ACUTE + "z") == (0, "bf" + ACUTE, False)
    assert row_change("a" + ACUTE, "b" + ACUTE) == (0, "b" + ACUTE, False)  # the mark ends the row


def test_a_joined_emoji_after_the_change_is_written_whole():
    assert row_change("a" + ZWJ + "👩b", "c" + ZWJ + "👩b") == (0, "c" + ZWJ + "👩", False)


def test_a_change_inside_a_joined_emoji_rewrites_it_from_its_start():
    assert row_change("👨" + ZWJ + "👩x", "👨" + ZWJ + "👧x") == (0, "👨" + ZWJ + "👧", False)


def test_a_row_that_starts_with_a_mark_is_written_from_its_start():
    assert row_change("ab", ACUTE + "b") == (0, ACUTE + "b", True)


def test_a_change_inside_an_escape_writes_the_escape_whole_not_before_it():
    assert row_change("ab\x1b[1mX\x1b[0m", "ab\x1b[2mX\x1b[0m") == (2, "\x1b[2mX\x1b[0m", False)


def test_an_unchanged_end_that_starts_inside_a_changed_escape_is_written():
    assert row_change("\x1b[31mX\x1b[0m", "\x1b[41mX\x1b[0m") == (0, "\x1b[41mX\x1b[0m", False)


def test_an_unchanged_end_that_starts_with_an_escape_keeps_it():
    assert row_change("a\x1b[1mX\x1b[0m", "b\x1b[1mX\x1b[0m") == (0, "b", False)


def test_a_row_that_differs_only_in_codes_that_change_nothing_writes_nothing():
    assert row_change("\x1b[0m\x1b[1mab", "\x1b[1mab") == (0, "", False)


def test_only_the_changed_middle_of_a_row_is_written():
    assert row_change("abcXYZ", "abdXYZ") == (2, "d", False)
    assert row_change("ab", "\x1b[0mab") == (0, "\x1b[0m", False)  # a new code before all of it


def test_the_unchanged_end_is_kept_only_when_its_style_is_the_same():
    assert row_change("a\x1b[1mb", "c\x1b[1mb") == (0, "c", False)  # both enter the end unstyled
    # Italic before, bold after: the same characters are written again in their new style.
    assert row_change("\x1b[3mab", "\x1b[1mab") == (0, "\x1b[1mab", False)


def test_the_style_in_force_is_named_before_the_new_text_and_closed_after_it():
    # A reset that sets a style again, then more: only what follows the last reset counts.
    old = "\x1b[3ma\x1b[0;1mbc\x1b[0m"
    new = "\x1b[3ma\x1b[0;1mbd\x1b[0m"
    assert row_change(old, new) == (2, "\x1b[0;1md\x1b[0m", False)
    assert row_change("\x1b[1m\x1b[31mab\x1b[0m", "\x1b[1m\x1b[31mac\x1b[0m") == (1, "\x1b[1m\x1b[31mc\x1b[0m", False)
    assert row_change("x", "\x1b[1mab") == (0, "\x1b[1mab", False)  # written to its end: nothing to close


def test_padding_is_dropped_only_when_it_has_no_style():
    assert without_padding("ab   ") == "ab"
    assert without_padding("aXX  ") == "aXX"
    assert without_padding("a\tb  ") == "a\tb"
    assert without_padding("\x1b[44mab  ") == "\x1b[44mab  "  # a background shows on spaces
    assert without_padding("ab") == "ab"


# --- a frame: full, changes only, shown at once ------------------------------------------------


def test_a_row_drawn_wider_than_the_terminal_gets_a_full_frame():
    terminal = Terminal(20)
    terminal.frame(live=["x" * 30])
    assert full(terminal.frame(live=["x" * 30 + "y"]))


@pytest.mark.parametrize("columns", [0, -1])
def test_an_unknown_width_gets_full_frames(columns):
    terminal = Terminal(columns)
    terminal.frame(live=[""])
    assert full(terminal.frame(live=["", ""]))


def test_one_column_is_still_a_width():
    terminal = Terminal(1)
    terminal.frame(live=["a"])
    assert terminal.frame(live=["b"]) == "\x1b[1A\rb\n"


def test_a_new_row_as_wide_as_the_terminal_is_added_without_a_full_frame():
    terminal = Terminal(5)
    terminal.frame(live=["ab"])
    assert terminal.frame(live=["ab", "12345"]) == "12345\n"


def test_committed_rows_up_to_eight_more_than_are_on_screen_are_written_as_changes():
    terminal = Terminal(20)
    terminal.frame(live=["a", "b"])
    new_rows = [f"row {n}" for n in range(9)]
    frame = terminal.frame("a\n" + "\n".join(new_rows) + "\n", ["live"])
    assert not full(frame) and frame.startswith(SYNC_START)
    terminal.frame(live=["a", "b"])
    assert full(terminal.frame("a\n" + "\n".join(new_rows + ["one more"]) + "\n", ["live"]))


@pytest.mark.parametrize(
    ("before", "after", "shown_at_once"),
    [
        (["a"], ["a", "new"], False),  # one row added
        (["a"], ["a", "new", "newer"], True),  # two rows added
        (["a", "b"], ["a", "c"], False),  # one row changed
        (["a", "b"], ["c", "d"], True),  # two rows changed
        (["a", "b"], ["a"], False),  # only rows taken away
        (["a", "b", "c"], ["a", "x"], True),  # a row changed and one taken away
        (["a", "b", "c"], ["x", "b", "y"], True),
    ],
)
def test_a_frame_is_shown_at_once_when_it_changes_more_than_one_row(before, after, shown_at_once):
    terminal = Terminal(20)
    terminal.frame(live=before)
    frame = terminal.frame(live=after)
    assert not full(frame)
    assert frame.startswith(SYNC_START) == shown_at_once and frame.endswith(SYNC_END) == shown_at_once


def test_a_row_rewritten_from_its_start_begins_with_a_carriage_return():
    terminal = Terminal(20)
    terminal.frame(live=["abc", "z"])
    assert terminal.frame(live=["xyz", "z"]) == "\x1b[2A\rxyz\n\n"


def test_after_a_resize_the_next_frame_is_full_even_at_the_same_width():
    terminal = Terminal(20)
    terminal.frame(live=["a"])
    terminal.region.resized()
    assert full(terminal.frame(live=["a"]))
    assert terminal.frame(live=["a"]) == ""  # and the one after it draws changes again
