"""Fixtures shared by the end-to-end tests: the service double and the program in a terminal.

A test file that needs them started differently (a token, --retries 0, a width) defines its
own fixture of the same name, which takes precedence.
"""

from __future__ import annotations

import pytest

from tests.double import ServiceDouble
from tests.terminal import Terminal


@pytest.fixture
def double():
    with ServiceDouble() as service:
        yield service


@pytest.fixture
def terminal(tmp_path, double):
    """Start claudechat (its cwd and HOME are tmp_path); every terminal started is killed at the end."""
    started: list[Terminal] = []

    def start(*args: str, base_url: str | None = None, **options) -> Terminal:
        term = Terminal(tmp_path, base_url=base_url or double.url, args=args, **options)
        started.append(term)
        term.wait_for("/help for commands")
        term.wait_for_prompt()
        return term

    yield start
    for term in started:
        term.kill()
