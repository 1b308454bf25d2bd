"""The table `sanitize` translates with, and the exact bounds of `one_line` and `json_line`."""

from __future__ import annotations

import json

import pytest

from claudechat import sanitize as sanitize_module
from claudechat.sanitize import json_line, one_line, sanitize

BIDI_CONTROLS = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x061C, 0x200E, 0x200F]


def expected_table() -> dict[int, str | None]:
    """The rules, spelled out one by one."""
    table: dict[int, str | None] = {code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)}
    table[0x0D] = None
    table[0x7F] = "\u2421"
    for code in [*range(0x80, 0xA0), *BIDI_CONTROLS, *range(0xD800, 0xE000)]:
        table[code] = "\ufffd"
    return table


def test_the_table_maps_exactly_the_controls_and_nothing_else():
    # The module builds its table once, at import: built again here, the build itself is checked.
    assert sanitize_module._build_table() == expected_table()
    assert sanitize_module._TABLE == expected_table()


def test_every_character_the_table_leaves_alone_survives():
    kept = "".join(chr(code) for code in range(0x20, 0x7F)) + "\n\té世界🎉\u00a0\u200b\u2029"

    assert sanitize(kept) == kept


@pytest.mark.parametrize(("length", "shown"), [(299, 299), (300, 300), (301, 300), (1000, 300)])
def test_one_line_is_at_most_300_characters_by_default(length, shown):
    folded = one_line("x" * length)

    assert len(folded) == shown
    assert folded.endswith("…") == (length > 300)


@pytest.mark.parametrize(
    ("text", "limit", "folded"),
    [
        ("abcdef", 6, "abcdef"),
        ("abcdefg", 6, "abcde…"),
        ("abcd efgh", 6, "abcd…"),
        ("  spaced   out\n\tline  ", 300, "spaced out line"),
        ("\x1b[2J", 10, "␛[2J"),
    ],
)
def test_one_line_folds_whitespace_and_cuts_at_the_limit(text, limit, folded):
    assert one_line(text, limit) == folded


def test_json_line_escapes_what_a_terminal_would_act_on_and_keeps_the_meaning():
    value = {"text": "\x1b]0;title\x07 \x7f \x85 \u202e é 世界", "n": [1, None]}

    line = json_line(value)

    assert line == (
        '{"text": "\\u001b]0;title\\u0007 \\u007f \\u0085 \\u202e é 世界", "n": [1, null]}'
    )
    assert json.loads(line) == value


def test_json_line_in_ascii_escapes_every_other_character_too():
    line = json_line({"text": "é\u2066"}, ascii_only=True)

    assert line == '{"text": "\\u00e9\\u2066"}'
