"""Fixtures shared by the end-to-end tests: the service double and the program in a terminal.

A test file that needs them started differently (a token, --retries 0, a width) defines its
own fixture of the same name, which takes precedence.

The suite is split in two by the `e2e` marker: tests that start Python processes (the program
in a pipe or a pseudo-terminal, the double as a script, a fresh interpreter) are marked, the
rest run in this process, in under a minute (`pytest -m "not e2e"`). A test that is not marked
and starts one anyway fails, saying so, so that the split stays true. Tests that get a
temporary directory are marked `temp_dir` here: CI runs the in-process ones again with
directories of other lengths, since a path that folds on screen folds where its length says.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

from tests.cli_helpers import SCRIPT
from tests.double import ServiceDouble
from tests.terminal import Terminal

_PYTHON_PROGRAMS = {os.path.realpath(sys.executable), os.path.realpath(SCRIPT)}
_running: pytest.Item | None = None  # the test being set up, run or torn down


def _starts_python(event: str, args: tuple) -> bool:
    if event == "os.forkpty":  # how pexpect starts the program in a pseudo-terminal
        return True
    return event == "subprocess.Popen" and os.path.realpath(args[0]) in _PYTHON_PROGRAMS


def _only_e2e_tests_start_python(event: str, args: tuple) -> None:
    if _running is not None and _starts_python(event, args) and _running.get_closest_marker("e2e") is None:
        raise RuntimeError(f"{_running.nodeid} starts a process: mark it with @pytest.mark.e2e")


sys.addaudithook(_only_e2e_tests_start_python)


_TEMPORARY_DIRECTORY_FIXTURES = {"tmp_path", "tmp_path_factory", "tmpdir", "tmpdir_factory"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `temp_dir` the tests that get pytest's temporary directory, directly or through a fixture."""
    for item in items:
        if _TEMPORARY_DIRECTORY_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.temp_dir)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    global _running
    _running = item
    try:
        return (yield)
    finally:
        _running = None


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    """httpx, in the tests and in the client, trusts the environment: a proxy set where pytest
    runs must not reroute the requests to the double on 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


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


@pytest.fixture
def utc(monkeypatch):
    """Local time is UTC for the test (times shown in transcripts and tables), then as it was."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
