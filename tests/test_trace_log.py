"""The `--debug` exchange log, in-process: its exact layout, what it hides, how it is created."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from claudechat import __version__
from claudechat.api.trace import REDACTED, ExchangeLog

HEADING = r"\n---  +\d+\.\d{3} s  "


def written(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def test_the_log_records_each_part_of_an_exchange_in_order(tmp_path):
    path = tmp_path / "exchange.log"
    log = ExchangeLog(path)
    log.request("POST", "http://h/v1/chat/completions", [("accept", "text/event-stream")], b'{"a":1}')
    log.response(200, [("content-type", "text/event-stream")])
    log.received(b"data: x\n\n")
    log.note("transport error: ReadError: boom")
    log.request("POST", "http://h/v1/chat/completions", [], b"{}")
    log.close()

    text = written(path)

    pattern = (
        rf"claudechat {re.escape(__version__)} exchange log, started \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{{4}}\n"
        rf"{HEADING}request 1: POST http://h/v1/chat/completions\n"
        r"accept: text/event-stream\n\n"
        r'\{"a":1\}\n'
        rf"{HEADING}response: 200\n"
        r"content-type: text/event-stream\n"
        rf"{HEADING}9 bytes\n"
        r"data: x\n\n"
        rf"{HEADING}transport error: ReadError: boom\n"
        rf"{HEADING}request 2: POST http://h/v1/chat/completions\n\n"
        r"\{\}\n"
    )
    assert re.fullmatch(pattern, text), text
    times = [float(found) for found in re.findall(r"\n--- +(\d+\.\d{3}) s  ", text)]
    assert times == sorted(times) and times[-1] < 60  # seconds since the log began


def test_every_write_reaches_the_file_at_once(tmp_path):
    """A crash must still leave what came before it."""
    path = tmp_path / "exchange.log"
    log = ExchangeLog(path)
    log.received(b"first bytes")

    assert written(path).endswith("11 bytes\nfirst bytes")
    log.close()


@pytest.mark.parametrize("name", ["Authorization", "proxy-authorization", "X-Api-Key", "api-key", "Cookie"])
def test_secret_headers_are_never_written(tmp_path, name):
    path = tmp_path / "exchange.log"
    log = ExchangeLog(path)
    log.request("POST", "http://h/", [(name, "secret-value"), ("x-other", "shown")], b"")
    log.response(401, [(name, "secret-value")])
    log.close()

    text = written(path)

    assert "secret-value" not in text
    assert text.count(f"{name}: {REDACTED}\n") == 2
    assert "x-other: shown\n" in text
    assert REDACTED == "[redacted]"


def test_the_log_is_private_and_appended_to(tmp_path):
    path = tmp_path / "exchange.log"
    path.write_bytes(b"earlier\n")
    os.chmod(path, 0o644)

    log = ExchangeLog(path)
    log.note("one")
    log.close()

    assert log.path == path  # where the program says the log is
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert written(path).startswith("earlier\nclaudechat ")


def test_the_log_refuses_to_write_through_a_symbolic_link(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"")
    link = tmp_path / "exchange.log"
    link.symlink_to(target)

    with pytest.raises(OSError):
        ExchangeLog(link)
    assert target.read_bytes() == b""


def test_text_that_is_not_utf_8_is_written_escaped(tmp_path):
    path = tmp_path / "exchange.log"
    log = ExchangeLog(path)
    log.note("half a character: \udc80")
    log.close()

    assert written(path).endswith("half a character: \\udc80\n")
