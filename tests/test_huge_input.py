"""Huge inputs in the chat: a 1 MB paste, a 200 KB single delta, a 5,000-line code block and a
2,000-turn session all go through whole, and the chat stays usable.

Memory and time for the same inputs are measured by tests/bench/bench_huge.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from claudechat.chat import Message, SessionKeeper, SessionSettings, SessionStore, read_session_file
from tests.double import Reply, ServiceDouble
from tests.terminal import Keys, Terminal

pytestmark = pytest.mark.e2e  # every test here starts the program

TOKEN = "test-token"


@pytest.fixture
def double():
    with ServiceDouble(token=TOKEN) as service:
        yield service


@pytest.fixture
def terminal(tmp_path, double):
    started: list[Terminal] = []

    def start(*args: str, rows: int = 30, cols: int = 100) -> Terminal:
        term = Terminal(tmp_path, base_url=double.url, api_key=TOKEN, args=args, rows=rows, cols=cols)
        started.append(term)
        term.wait_for_prompt(timeout=30)
        return term

    yield start
    for term in started:
        term.close()


def saved_session(tmp_path: Path) -> Path:
    [path] = (tmp_path / "data" / "claudechat" / "sessions").glob("*.jsonl")
    return path


def test_a_1_mb_paste_is_sent_as_one_message(terminal, double):
    text = "\n".join(f"line {number:06d} " + "x" * 40 for number in range(20_000))
    assert len(text) > 1_000_000
    double.enqueue(Reply(content="got all of it"))
    term = terminal()
    term.send(Keys.paste(text))
    term.wait_for("line 019999", timeout=60)
    term.enter()
    term.wait_for("got all of it", timeout=60)
    term.wait_for_prompt()
    assert double.requests[0].json["messages"][-1] == {"role": "user", "content": text}


def test_a_200_kb_single_delta_is_shown_and_kept(tmp_path, terminal, double):
    words = " ".join(f"w{number}" for number in range(40_000))
    content = f"{words} THE-END"
    assert len(content) > 200_000
    double.enqueue(Reply(content=content, delta_size=len(content)))
    term = terminal()
    term.type_line("go")
    term.wait_for("THE-END", timeout=60)
    term.wait_for_prompt()
    assert read_session_file(saved_session(tmp_path)).messages[-1].text == content


def test_a_5000_line_code_block_is_shown_to_its_end(tmp_path, terminal, double):
    body = "\n".join(f"value_{number} = {number}" for number in range(5_000))
    content = f"Here:\n\n```python\n{body}\n```\n\nDone with the block."
    double.enqueue(Reply(content=content, delta_size=64))
    term = terminal()
    term.type_line("code please")
    term.wait_for("Done with the block.", timeout=60)
    term.wait_for_prompt()
    lines = term.all_lines()
    last = [line for line in lines if "value_4999 = 4999" in line]
    assert len(last) == 1  # drawn once, not once per frame
    assert read_session_file(saved_session(tmp_path)).messages[-1].text == content


def test_a_2000_turn_session_resumes_and_sends_its_whole_history(tmp_path, terminal, double):
    store = SessionStore(tmp_path / "data" / "claudechat" / "sessions")
    keeper = SessionKeeper(store, SessionSettings(model="claude-sonnet-4-6"))
    for number in range(2_000):
        keeper.session.add_turn(Message("user", f"question {number}"), Message("assistant", f"answer {number} " * 50))
        if number % 100 == 99:
            keeper.save()
    keeper.close()
    double.enqueue(Reply(content="still here"))
    term = terminal("-c")
    assert any("2,000 turns" in line for line in term.all_lines())
    term.type_line("and now?")
    term.wait_for("still here", timeout=30)
    messages = double.requests[0].json["messages"]
    assert len(messages) == 4_001
    assert messages[0] == {"role": "user", "content": "question 0"}
    assert messages[-2]["content"] == "answer 1999 " * 50
    assert len(json.dumps(messages)) > 1_000_000
