"""What answers cost, end to end: the status line and /usage in a pseudo-terminal, one-shot
JSON, price overrides in the config, and `claudechat usage` over sessions the program saved.

The double reports usage with the service's cache fields; the figures expected are worked out
by hand from Anthropic's prices for claude-sonnet-4-6 ($3 input, $15 output, $3.75 cache
write, $0.30 cache read a million tokens).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from claudechat.chat import Session, SessionSettings, SessionStore, UsageEntry
from tests.cli_helpers import CLI, require_script
from tests.double import Reply, ServiceDouble
from tests.test_commands import notice_rows
from tests.test_paste import status_lines, turn
from tests.terminal import CLAUDECHAT, Terminal, isolated_env, STATUS_LINE

pytestmark = pytest.mark.e2e  # every test here starts the program

MODEL = "claude-sonnet-4-6"
STATUS = STATUS_LINE
# 1,200 prompt tokens: 200 read from the cache, 60 + 40 written to it, 900 uncached; 34 out.
CACHED_USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 34,
    "total_tokens": 1234,
    "prompt_tokens_details": {"cached_tokens": 200, "text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
    "completion_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "reasoning_tokens": 0},
    "input_tokens": 0,
    "output_tokens": 0,
    "input_tokens_details": None,
    "claude_cache_creation_5_m_tokens": 60,
    "claude_cache_creation_1_h_tokens": 40,
}
# 900 x $3 + 34 x $15 + 100 x $3.75 + 200 x $0.30 = $3,645 a million tokens.
CACHED_COST = 0.003645
PLAIN_USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def usage_command(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`claudechat usage ARGS` in the environment the terminal's chat ran in."""
    env = isolated_env(home, base_url=None, api_key=None)
    return subprocess.run([CLAUDECHAT, "usage", *args], check=False, env=env, cwd=home, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=20)


def test_the_chat_shows_each_answers_cost_and_usage_sums_it_per_model(tmp_path, terminal, double):
    double.enqueue(Reply(content="cached answer", usage=CACHED_USAGE), Reply(content="local answer", usage=PLAIN_USAGE))
    term = terminal(cols=160)
    turn(term, "first")
    [first] = status_lines(term)
    assert first.startswith(f"{MODEL} · 1,200 → 34 tokens · $0.0036 · ")

    term.type_line("/model local-model")
    term.wait_for("model is now local-model")
    term.wait_for_prompt()
    turn(term, "second")
    second = status_lines(term)[-1]
    assert second.startswith("local-model · 10 → 5 tokens · cost unknown · ")  # never $0

    term.type_line("/usage")
    term.wait_for("cache-write")
    term.wait_for_prompt()
    rows = [row.split() for row in notice_rows(term, "model ")]
    assert rows == [
        ["model", "requests", "prompt", "completion", "cached", "cache-write", "cost"],
        [MODEL, "1", "1,200", "34", "200", "100", "$0.0036"],
        ["local-model", "1", "10", "5", "0", "0", "cost", "unknown"],
        ["total", "2", "1,210", "39", "200", "100", "$0.0036", "+", "unknown"],
    ]
    assert term.close() == 0

    # The session the chat saved is what `claudechat usage` sums.
    done = usage_command(tmp_path)
    assert done.returncode == 0, done.stderr
    *table, last = done.stdout.splitlines()
    assert [row.split() for row in table] == rows
    assert last == "1 session read"
    assert done.stderr == ""
    report = json.loads(usage_command(tmp_path, "--output", "json").stdout)
    assert report["sessions"] == 1 and report["skipped"] == [] and report["since"] is None
    [sonnet, local] = report["models"]
    assert (sonnet["model"], sonnet["cached_tokens"], sonnet["cache_creation_tokens"]) == (MODEL, 200, 100)
    assert sonnet["cost"] == {"usd": pytest.approx(CACHED_COST), "known_usd": pytest.approx(CACHED_COST),
                              "unknown_requests": 0}
    assert local["cost"] == {"usd": None, "known_usd": 0.0, "unknown_requests": 1}
    assert report["total"]["cost"]["usd"] is None
    assert report["total"]["cost"]["known_usd"] == pytest.approx(CACHED_COST)


def test_a_one_shot_answer_on_a_terminal_shows_its_cost_too(tmp_path, double):
    double.enqueue(Reply(content="cached answer", usage=CACHED_USAGE))
    with Terminal(tmp_path, base_url=double.url, args=("hi",), cols=120) as term:
        term.wait_for(lambda t: status_lines(t))
        assert term.wait_exit() == 0
        [status] = status_lines(term)
        assert status.startswith(f"{MODEL} · 1,200 → 34 tokens · $0.0036 · ")


# --- one-shot ------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def console_script() -> Path:
    return require_script()


@pytest.fixture
def cli(tmp_path: Path, double: ServiceDouble) -> CLI:
    return CLI(root=tmp_path, token="test-token", base_url=double.url)  # the token the double asks for


def test_one_shot_json_has_the_cost_of_each_kind_of_token(cli: CLI, double: ServiceDouble):
    double.enqueue(Reply(content="ok", usage=CACHED_USAGE))
    done = cli.run("--output", "json", "hi")
    assert done.returncode == 0, done
    cost = done.json()["cost"]
    assert cost == {
        "usd": pytest.approx(CACHED_COST),
        "input": pytest.approx(0.0027),
        "output": pytest.approx(0.00051),
        "cache_write": pytest.approx(0.000375),
        "cache_read": pytest.approx(0.00006),
    }


def test_a_price_in_the_config_changes_the_figure_and_a_bad_one_is_named(cli: CLI, double: ServiceDouble):
    cli.write_config('[prices."claude-sonnet-4-6"]\ninput = 30\ncache_read = "free"\n')
    double.enqueue(Reply(content="ok", usage=CACHED_USAGE))
    done = cli.run("--output", "json", "hi")
    assert done.returncode == 0, done
    cost = done.json()["cost"]
    assert cost["input"] == pytest.approx(900 * 30 / 1e6)  # the config's price
    assert cost["cache_read"] == pytest.approx(0.00006)  # the bad value left the built-in price
    assert cost["usd"] == pytest.approx(0.027 + 0.00051 + 0.000375 + 0.00006)
    [warning] = done.stderr.splitlines()
    assert warning.startswith("claudechat: warning: config file ")
    assert 'prices."claude-sonnet-4-6".cache_read must be US dollars per million tokens' in warning


def test_a_model_added_in_the_config_is_priced_and_an_unknown_one_is_null(cli: CLI, double: ServiceDouble):
    cli.write_config('[prices."llama3"]\ninput = 1\noutput = 2\n')
    double.enqueue(Reply(content="ok", usage=PLAIN_USAGE), Reply(content="ok", usage=PLAIN_USAGE))
    priced = cli.run("--output", "json", "-m", "llama3", "hi").json()["cost"]
    assert priced["usd"] == pytest.approx((10 * 1 + 5 * 2) / 1e6)
    unknown = cli.run("--output", "json", "-m", "mystery-model", "hi").json()["cost"]
    assert unknown == {"usd": None, "input": None, "output": None, "cache_write": 0.0, "cache_read": 0.0}


def test_no_usage_from_the_server_is_an_unknown_cost_not_zero(cli: CLI, double: ServiceDouble):
    double.enqueue(Reply(content="ok", send_usage=False))
    obj = cli.run("--output", "json", "hi").json()
    assert obj["usage"] is None
    assert obj["cost"]["usd"] is None


# --- claudechat usage over saved sessions ----------------------------------------------------------


def _old_session(cli: CLI, when: float) -> None:
    """A session saved long ago, through the session store."""
    session = Session(SessionSettings(model=MODEL), created=when)
    session.record_usage(UsageEntry(MODEL, 1_000_000, 0, time=when))  # $3.00
    saved = SessionStore(cli.data_home / "claudechat" / "sessions").create(session)
    saved.save(session)
    saved.close()


def test_usage_since_a_date_skipping_a_damaged_session(cli: CLI, double: ServiceDouble):
    sessions = cli.data_home / "claudechat" / "sessions"
    _old_session(cli, when=1_600_000_000)  # September 2020
    # A real session: a chat continued with -c from one-shot mode costs what the double says.
    double.enqueue(Reply(content="ok", usage=CACHED_USAGE))
    assert cli.run("-c", "more").returncode == 0
    (sessions / "broken.jsonl").write_bytes(b'{"format": "claudechat-session", "version": 1}\n')
    os.chmod(sessions / "broken.jsonl", 0o600)

    everything = cli.run("usage")
    assert everything.returncode == 0, everything
    *table, last = everything.stdout.splitlines()
    assert table[1].split() == [MODEL, "2", "1,001,200", "34", "200", "100", "$3.00"]  # $3.003645
    assert last == "1 session read, 1 unreadable skipped"
    [warning] = everything.stderr.splitlines()
    assert warning.startswith("claudechat: warning: skipped ") and "broken.jsonl" in warning

    for since in ("30d", "2021-01-01"):
        recent = cli.run("usage", "--since", since)
        assert recent.returncode == 0, recent
        *table, last = recent.stdout.splitlines()
        assert table[1].split() == [MODEL, "1", "1,200", "34", "200", "100", "$0.0036"]
        assert last.startswith("1 session read, 1 unreadable skipped; requests since ")

    report = cli.run("usage", "--since", "2021-01-01", "--output", "json")
    obj = json.loads(report.stdout)
    assert (obj["sessions"], len(obj["skipped"]), obj["total"]["requests"]) == (1, 1, 1)
    assert obj["total"]["cost"]["usd"] == pytest.approx(CACHED_COST)

    nothing = cli.run("usage", "--since", "2999-01-01")
    assert nothing.stdout.startswith("no requests since 2999-01-01 00:00; 1 session read")

    bad = cli.run("usage", "--since", "last week")
    assert bad.returncode == 2
    assert bad.stdout == "" and len(bad.stderr.splitlines()) == 1 and "--since" in bad.stderr
