"""The toolbar's one row: what matters most stays, whatever the width; names, never paths."""

from __future__ import annotations

import pytest

from claudechat.repl.toolbar import ToolbarState, toolbar_fragments


def row(state: ToolbarState, columns: int) -> str:
    return "".join(text for _, text in toolbar_fragments(state, columns))


FULL = ToolbarState(
    model="claude-sonnet-4-6",
    attachments=("/home/someone/projects/a-rather-long-directory-name/screenshots/login-error.png",),
    system="You are a careful reviewer of Python code; answer briefly.",
    n=3,
    json=True,
    editing=True,
    tokens_used=12_345,
)


@pytest.mark.parametrize("columns", [20, 40, 60, 80, 100, 120, 200])
def test_the_row_fits_any_width_and_keeps_the_model(columns):
    text = row(FULL, columns)
    assert len(text) <= columns
    assert "claude-sonnet-4-6" in text or columns < len(" model claude-sonnet-4-6")


def test_attachments_show_names_not_paths():
    text = row(FULL, 200)
    assert "login-error.png" in text and "/home/someone" not in text
    assert "editing your last message" in text and " system You are a careful" in text
    assert " n 3" in text and " json on" in text and " spent 12,345 tokens" in text
    assert text.endswith("/help · Ctrl-D exits ")


def test_the_least_important_fields_go_first():
    at_80 = row(FULL, 80)
    assert "/help" not in at_80 and "spent" not in at_80  # hints and spending go first
    assert "model claude-sonnet-4-6" in at_80 and "editing" in at_80 and "login-error.png" in at_80
    narrow = row(FULL, 40)
    assert narrow.startswith(" model claude-sonnet-4-6") and "system" not in narrow


def test_several_attachments_are_counted():
    text = row(ToolbarState(model="m", attachments=("a.png", "https://example.com/pics/b.jpg")), 120)
    assert " 2 attached a.png, b.jpg" in text


def test_a_quiet_toolbar_has_no_empty_fields():
    text = row(ToolbarState(model="m"), 120)
    assert text == " model m   /help · Ctrl-D exits "


def test_the_server_of_a_profile_comes_right_after_the_model():
    state = ToolbarState(model="qwen2.5-7b", server="127.0.0.1:8080 (local)", editing=True, tokens_used=5)
    assert row(state, 200).startswith(" model qwen2.5-7b  server 127.0.0.1:8080 (local)  editing")
    assert row(state, 50) == " model qwen2.5-7b  server 127.0.0.1:8080 (local)"  # kept before the rest
