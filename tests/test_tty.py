"""What only a terminal shows: hidden token input, the first-run token prompt, safe output."""

from __future__ import annotations

import re
import socket
import stat
import sys
import uuid
from pathlib import Path

import pexpect
import pytest

from tests.double import Reply, ServiceDouble
from tests.cli_helpers import as_a_foreground_job
from tests.terminal import isolated_env

pytestmark = pytest.mark.e2e  # every test here starts the program

CLAUDECHAT = str(Path(sys.executable).with_name("claudechat"))


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user with nothing configured; the pseudo-terminal's size is the only size (no COLUMNS)."""
    return isolated_env(tmp_path, base_url=None, api_key=None, extra={"TERM": "xterm", **extra})


def _spawn(args: list[str], env: dict[str, str]) -> pexpect.spawn:
    return pexpect.spawn(CLAUDECHAT, args, env=env, encoding="utf-8", timeout=15, dimensions=(24, 100),
                         preexec_fn=as_a_foreground_job)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_auth_reads_the_token_hidden_and_stores_it_private(tmp_path):
    token = "sk-hidden-" + uuid.uuid4().hex
    child = _spawn(["auth"], _env(tmp_path))
    child.expect("API token for api.acedata.cloud: ")
    child.sendline(token)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert token not in child.before  # not echoed, not printed back
    assert token[-4:] in child.before  # only the redacted form
    config = tmp_path / "config" / "claudechat" / "config.toml"
    assert f'"api.acedata.cloud" = "{token}"' in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700


def test_first_run_without_token_asks_for_it(tmp_path):
    # The default service host is used, so a proxy on a closed local port makes sure the
    # request that follows is refused on this machine and nothing leaves it.
    proxy = f"http://127.0.0.1:{_closed_port()}"
    env = _env(tmp_path, HTTPS_PROXY=proxy, https_proxy=proxy, NO_PROXY="", no_proxy="")
    token = "sk-first-" + uuid.uuid4().hex
    child = _spawn(["--retries", "0", "hello"], env)
    child.expect(r"API token \(or Enter for another server\): ")
    child.sendline(token)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1  # the request itself could not connect
    assert "proxy" in child.before and token not in child.before
    config = tmp_path / "config" / "claudechat" / "config.toml"
    assert token in config.read_text()


def test_first_run_prompt_left_empty_twice_sends_nothing(tmp_path):
    child = _spawn(["hello"], _env(tmp_path))
    child.expect(r"API token \(or Enter for another server\): ")
    child.sendline("")
    child.expect("Base URL of the server")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "no API token is set and no other server was chosen" in child.before
    assert not (tmp_path / "config" / "claudechat" / "config.toml").exists()


def test_first_run_says_where_a_token_comes_from_without_breaking_words(tmp_path):
    child = pexpect.spawn(CLAUDECHAT, ["hello"], env=_env(tmp_path), encoding="utf-8", timeout=15, dimensions=(24, 50),
                          preexec_fn=as_a_foreground_job)
    child.expect(r"API token \(or Enter for another server\): ")
    shown = child.before
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    lines = [line for line in shown.replace("\r", "").split("\n") if line.strip()]
    assert all(len(line) <= 50 for line in lines), lines
    text = " ".join(lines)
    assert "https://platform.acedata.cloud:" in lines[1] + " ".join(lines) and "Acquire" in text
    for word in ("https://platform.acedata.cloud:", "api.acedata.cloud,", "OpenAI-compatible"):
        assert any(word in line for line in lines), (word, lines)  # whole on one line


def test_first_run_can_choose_another_server_and_keeps_it(tmp_path):
    with ServiceDouble(token=None) as double:
        child = _spawn(["hello"], _env(tmp_path))
        child.expect(r"API token \(or Enter for another server\): ")
        child.sendline("")
        child.expect("Base URL of the server")
        child.sendline("not a url")
        child.expect("base_url must be")  # said, and asked again
        child.expect("Base URL of the server")
        child.sendline(double.url)
        child.expect(r"API token for 127\.0\.0\.1:\d+ \(Enter if it needs none\): ")
        child.sendline("")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
        assert "echo: hello" in child.before
        assert "authorization" not in double.requests[0].headers
        again = _spawn(["again"], _env(tmp_path))  # saved: no question the second time
        again.expect(pexpect.EOF)
        again.close()
        assert again.exitstatus == 0 and "echo: again" in again.before and "API token" not in again.before


def test_escape_sequences_in_an_answer_never_reach_the_terminal(tmp_path):
    hostile = "safe \x1b]52;c;SGVsbG8=\x07 \x1b[2J\x1b]0;pwned\x07 \u202eevil [bold]markup[/bold] end"
    with ServiceDouble(token="t") as double:
        double.enqueue(Reply(content=hostile, reasoning="think \x1b[31mred\x1b[0m"))
        child = _spawn(
            ["--reasoning", "hi"], _env(tmp_path, CLAUDECHAT_BASE_URL=double.url, CLAUDECHAT_API_KEY="t", NO_COLOR="1")
        )
        child.expect(pexpect.EOF)
        child.close()
    output = child.before
    assert child.exitstatus == 0
    # claudechat draws with colour codes and cursor moves of its own (CSI ... letter); none of
    # the model's sequences get through: no OSC (clipboard, title, hyperlink), no bell, no
    # screen clear, no bidi override.
    assert "\x1b]" not in output and "\x07" not in output and "\x1b[2J" not in output
    assert "\u202e" not in output and "\x1b[31m" not in output
    visible = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    assert "\x1b" not in visible
    # The text is visible literally, control characters as their visible stand-ins.
    assert "␛]52;c;SGVsbG8=␇" in visible and "[bold]markup[/bold]" in visible and "think ␛[31mred" in visible
