"""The context window end to end: the installed program in a pseudo-terminal against the double,
which counts tokens (not at a fixed ratio) and can refuse a prompt over a window.

The meter in the toolbar, /context, /compact and /undo after it, auto_compact, the refusal of a
prompt too long (one line, the message kept), and `-c` after a compaction, in the chat and in
one-shot mode.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from claudechat.repl.toolbar import short_count
from tests.cli_helpers import as_a_foreground_job
from tests.double import Reply, ServiceDouble, count_tokens
from tests.terminal import CLAUDECHAT, Terminal, isolated_env

pytestmark = pytest.mark.e2e  # every test here starts the program

STATUS = re.compile(r"^\S+ · (?P<prompt>[\d,]+) → (?P<completion>[\d,]+) tokens · ")
METER = re.compile(r" ctx (?P<tokens>[\d.]+[kM]?)/(?P<window>[\d.]+[kM]?) ")


@pytest.fixture
def double():
    with ServiceDouble(count_tokens=True) as service:
        yield service


def toolbar(term: Terminal) -> str:
    return term.screen_lines()[-1] + " "


def meter(term: Terminal) -> str | None:
    found = METER.search(toolbar(term))
    return found["tokens"] if found else None


def counted(term: Terminal, answers: int) -> int:
    """Prompt plus completion tokens of the `answers`-th answer, from its status line."""
    term.wait_for(lambda t: len([line for line in t.all_lines() if STATUS.match(line)]) >= answers)
    found = [STATUS.match(line) for line in term.all_lines() if STATUS.match(line)][answers - 1]
    return int(found["prompt"].replace(",", "")) + int(found["completion"].replace(",", ""))


def turn(term: Terminal, text: str, answers: int) -> int:
    term.type_line(text)
    total = counted(term, answers)
    term.wait_for_prompt()
    return total


def contents(request) -> list[str]:
    return [message["content"] for message in request.json["messages"]]


def run_oneshot(home, double: ServiceDouble, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLAUDECHAT, *args],
        env=isolated_env(home, base_url=double.url, api_key="test-token"),
        cwd=home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=20,
        preexec_fn=as_a_foreground_job,
    )


def test_the_meter_moves_with_typing_and_after_each_turn(terminal, double):
    double.enqueue(Reply(content="Paris is the capital of France."), Reply(content="About two million people live there."))
    term = terminal()
    term.wait_for(lambda t: meter(t) == "0")
    assert "/200k " in toolbar(term)  # the catalogue's window for the model
    term.send("what is the capital of France?")
    term.wait_for(lambda t: meter(t) not in (None, "0"))  # the typed text counts before it is sent
    term.enter()
    first = counted(term, 1)
    term.wait_for_prompt()
    term.wait_for(lambda t: meter(t) == short_count(first))  # the server's count, exactly
    second = turn(term, "and how many people live there?", 2)
    assert second > first
    term.wait_for(lambda t: meter(t) == short_count(second))


def test_context_lists_what_the_next_request_sends_biggest_first(terminal, double):
    double.enqueue(Reply(content="Short."), Reply(content="A much longer answer, " * 20))
    term = terminal("-s", "You answer questions.")
    turn(term, "first question", 1)
    total = turn(term, "second question", 2)
    term.type_line("/context")
    term.wait_for("~ estimated; other counts are the server's")
    lines = term.all_lines()
    head = next(line for line in lines if line.startswith("context ▕"))
    assert f"· ~{total:,} of 200,000 tokens · claude-sonnet-4-6" in head
    start = lines.index(next(line for line in lines if line.startswith("part ")))
    rows = lines[start + 1 : start + 4]
    assert rows[0].startswith("turn 2 · second question") and rows[1].startswith("turn 1 · first question")
    assert rows[2].split()[:3] == ["system", "prompt", "~6"]  # estimated: "You answer questions." is 3.5 chars a token
    assert all(row.split()[-2].endswith("%") for row in rows) and "█" in rows[0]


def test_compact_sends_the_summary_in_place_of_the_turns_and_undo_brings_them_back(terminal, double):
    double.enqueue(
        Reply(content="Paris."),
        Reply(content="About two million."),
        Reply(content="- The user asked about France: capital Paris, two million people."),
        Reply(content="Berlin."),
        Reply(content="Rome."),
    )
    term = terminal()
    turn(term, "capital of France?", 1)
    before = turn(term, "population?", 2)
    term.type_line("/compact keep the numbers")
    term.wait_for("compacted 2 turns")
    assert "Summary of 2 turns, sent instead of them from now on" in term.text()
    assert "capital Paris, two million people." in term.text()
    assert double.requests[2].json["messages"][-1]["content"].endswith("In particular: keep the numbers")
    term.wait_for_prompt()
    term.wait_for(lambda t: meter(t) not in (None, short_count(before)))  # the summary is smaller

    turn(term, "and Germany?", 3)
    sent = double.requests[3].json["messages"]
    assert sent[0]["role"] == "system" and "capital Paris, two million people." in sent[0]["content"]
    assert contents(double.requests[3])[1:] == ["and Germany?"]  # not the old turns

    term.type_line("/undo")  # the exchange after the compaction
    term.wait_for("dropped the last exchange")
    term.type_line("/undo")  # now right after the compaction: it is taken back
    term.wait_for("compaction undone: the 2 turns it summarised are sent again")
    turn(term, "and Italy?", 4)
    assert contents(double.requests[4]) == ["capital of France?", "Paris.", "population?", "About two million.", "and Italy?"]


def test_auto_compact_compacts_before_a_request_that_would_pass_it(tmp_path, terminal, double):
    config = tmp_path / "config" / "claudechat" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("auto_compact = 0.9\ncontext_window = 1000\n")
    config.chmod(0o600)
    double.enqueue(Reply(content="ok " * 700), Reply(content="They said ok, many times."), Reply(content="Fine."))
    term = terminal("-m", "local-model")
    turn(term, "say ok many times", 1)
    term.wait_for(lambda t: "/1.0k " in toolbar(t))  # the configured window of a model the catalogue lacks
    term.type_line("word " * 150)
    term.wait_for("past auto_compact = 0.9: compacting")
    term.wait_for("compacted 1 turn")
    counted(term, 2)
    assert len(double.requests) == 3
    assert double.requests[1].json["messages"][-1]["content"].startswith("Summarise our conversation")
    last = double.requests[2].json["messages"]
    assert "They said ok, many times." in last[0]["content"] and len(last) == 2


def test_a_prompt_too_long_is_one_line_and_the_message_stays_in_the_input(terminal, double):
    double.context_window = 50
    term = terminal(cols=400)  # wide enough that the whole line is one row of the screen
    message = "word " * 59 + "end"
    term.type_line(message)
    term.wait_for("exceeds the model's context window")
    [row] = [line for line in term.all_lines() if "exceeds the model's context window" in line]
    assert row.startswith("error: the conversation exceeds the model's context window by about 10 tokens (60 of 50;")
    assert "/compact summarises it, /undo drops the last exchange, or choose a model with a larger window" in row
    term.wait_for_prompt(message)  # nothing lost: the message is back, to shorten or send after /compact
    assert len(double.requests) == 1


def test_a_prompt_too_long_in_one_shot_is_one_line_and_exit_status_1(tmp_path, double):
    double.context_window = 50
    result = run_oneshot(tmp_path, double, "word " * 60)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "claudechat: error: the conversation exceeds the model's context window by about 10 tokens (60 of 50;"
    )


def test_continuing_after_a_compaction_sends_the_summary(tmp_path, terminal, double):
    double.enqueue(Reply(content="Paris."), Reply(content="Summary: the capital of France is Paris."),
                   Reply(content="Yes, Paris."))
    term = terminal()
    turn(term, "capital of France?", 1)
    term.type_line("/compact")
    term.wait_for("compacted 1 turn")
    term.wait_for_prompt()
    assert term.close() == 0

    result = run_oneshot(tmp_path, double, "-c", "is that right?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Yes, Paris.\n"
    sent = double.requests[-1].json["messages"]
    assert "Summary: the capital of France is Paris." in sent[0]["content"]
    assert contents(double.requests[-1])[1:] == ["is that right?"]

    again = terminal("-c")
    again.wait_for("turn 1 is sent as a summary (/compact)")
    expected = double.requests[-1].json["messages"]
    assert count_tokens(expected[0]["content"]) > 0
    again.wait_for(lambda t: meter(t) not in (None, "0"))
