"""Compaction in-process: what requests send after it, its records in session logs and documents
(format 2, and files without it staying format 1), transcripts, and /compact, /undo, /context
and auto_compact run by the chat against the service double."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from claudechat.chat import records as records_module
from claudechat.chat.compaction import SUMMARY_HEADING, Compaction
from claudechat.chat.conversation import Message
from claudechat.chat.keeper import SessionKeeper
from claudechat.chat.records import session_from_document
from claudechat.chat.session import Session, SessionError, SessionSettings
from claudechat.chat.store import SessionFile, SessionStore, read_session_file
from claudechat.chat.transcript import to_json, to_markdown
from claudechat.config import Settings
from claudechat.repl.app import Repl
from claudechat.repl.commands import COMMANDS, CommandError
from tests.double import Reply, ServiceDouble

T0 = 1_704_164_640.0
TOKEN = "test-token"
CONSOLE_VARIABLES = ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "COLUMNS")


def conversation(turns: int = 2, system: str | None = "Be brief.") -> Session:
    session = Session(settings=SessionSettings(model="claude-sonnet-4-6", system=system), created=T0)
    for number in range(1, turns + 1):
        session.add_turn(Message("user", f"question {number}", created=T0 + number),
                         Message("assistant", f"answer {number}", created=T0 + number))
    return session


def summary(covers: int, text: str = "We spoke of two things.") -> Compaction:
    return Compaction(covers=covers, summary=text, created=T0 + 100, model="claude-sonnet-4-6", tokens=7)


def texts(messages: list[dict]) -> list[tuple[str, str]]:
    return [(message["role"], message["content"]) for message in messages]


# --- what is sent -----------------------------------------------------------------------------------


def test_after_a_compaction_requests_send_the_summary_not_the_turns():
    session = conversation()
    session.compact(summary(4))
    sent = session.request_messages("question 3")
    assert sent[0]["role"] == "system"
    assert sent[0]["content"].startswith("Be brief.\n\n" + SUMMARY_HEADING)
    assert "We spoke of two things." in sent[0]["content"]
    assert texts(sent[1:]) == [("user", "question 3")]
    session.add_turn(Message("user", "question 3"), Message("assistant", "answer 3"))
    assert texts(session.request_messages("question 4")[1:]) == [
        ("user", "question 3"), ("assistant", "answer 3"), ("user", "question 4")]


def test_without_a_system_prompt_the_summary_is_the_system_message():
    session = conversation(system=None)
    session.compact(summary(4))
    assert session.request_messages()[0]["content"].startswith(SUMMARY_HEADING)


def test_replacing_a_summarised_exchange_drops_the_summary_and_undoing_later_ones_keeps_it():
    session = conversation()
    session.compact(summary(4))
    session.add_turn(Message("user", "question 3"), Message("assistant", "answer 3"))
    session.undo()  # an exchange after the summary
    assert session.compaction() is not None
    # A retry of the last summarised exchange sends what the summary stood for, without it.
    assert texts(session.request_messages("question 2", drop_last=2)[1:]) == [
        ("user", "question 1"), ("assistant", "answer 1"), ("user", "question 2")]
    session.replace_turn(Message("user", "question 2"), Message("assistant", "another answer 2"))
    assert session.compactions == []


def test_uncompact_brings_the_turns_back():
    session = conversation()
    session.compact(summary(4))
    session.uncompact()
    assert len(session.request_messages()) == 5 and SUMMARY_HEADING not in session.request_messages()[0]["content"]
    with pytest.raises(ValueError):
        session.uncompact()


def test_a_compaction_must_cover_more_than_the_last():
    session = conversation()
    session.compact(summary(2))
    with pytest.raises(ValueError):
        session.compact(summary(2))
    with pytest.raises(ValueError):
        session.compact(summary(6))
    session.compact(summary(4))
    assert session.compaction().covers == 4 and session.compaction(3).covers == 2


# --- session files ------------------------------------------------------------------------------------


def header_of(path: Path) -> dict:
    return json.loads(path.read_bytes().split(b"\n", 1)[0])


def test_a_log_stays_format_1_until_its_first_compaction_then_is_marked_2_in_place(tmp_path):
    session = conversation()
    log = SessionFile.create(tmp_path, session)
    log.save(session)
    before = log.path.read_bytes()
    assert header_of(log.path)["version"] == 1
    session.compact(summary(4))
    log.save(session)
    log.close()
    after = log.path.read_bytes()
    assert header_of(log.path)["version"] == 2
    # Only the version digit changed; everything else was appended.
    changed = [index for index, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(changed) == 1 and after[changed[0]:changed[0] + 1] == b"2"
    back = read_session_file(log.path)
    assert back.compactions == session.compactions
    assert back.request_messages() == session.request_messages()


def test_an_older_claudechat_refuses_a_compacted_log_in_one_line(tmp_path, monkeypatch):
    session = conversation()
    log = SessionFile.create(tmp_path, session)
    session.compact(summary(4))
    log.save(session)  # a new file: its header says 2 from the start
    log.close()
    assert header_of(log.path)["version"] == 2
    monkeypatch.setattr(records_module, "VERSION", 1)  # as a claudechat that reads format 1 only
    with pytest.raises(SessionError, match=r"written by a newer claudechat \(format 2; this one reads 1\)"):
        read_session_file(log.path)


def test_compact_and_uncompact_replay_from_the_log(tmp_path):
    session = conversation()
    log = SessionFile.create(tmp_path, session)
    session.compact(summary(2))
    session.compact(summary(4, "Everything so far."))
    session.uncompact()
    log.save(session)
    log.close()
    back = read_session_file(log.path)
    assert [c.covers for c in back.compactions] == [2]
    assert [json.loads(line)["op"] for line in log.path.read_text().splitlines()[1:]][-3:] == [
        "compact", "compact", "uncompact"]


@pytest.mark.parametrize(
    ("record", "words"),
    [({"op": "compact", "covers": 9, "summary": "s", "created": T0}, "'covers' is out of range"),
     ({"op": "compact", "covers": 2, "created": T0}, "missing 'summary'"),
     ({"op": "compact", "covers": 2, "summary": "s", "created": T0, "tokens": -1}, "'tokens' is negative"),
     ({"op": "uncompact"}, "no compaction to undo")],
)
def test_broken_compaction_records_are_refused_with_their_line(tmp_path, record, words):
    session = conversation()
    log = SessionFile.create(tmp_path, session)
    log.save(session)
    log.close()
    with log.path.open("ab") as handle:
        handle.write(json.dumps(record).encode() + b"\n")
    with pytest.raises(SessionError, match=words):
        read_session_file(log.path)


def test_documents_and_copies_keep_compactions(tmp_path):
    session = conversation()
    session.compact(summary(4))
    document = json.loads(to_json(session))
    assert document["version"] == 2 and document["compactions"][0]["covers"] == 4
    back = session_from_document(document, where="x")
    assert back.compactions == session.compactions
    twin = session.copy()
    assert twin.request_messages() == session.request_messages()
    assert json.loads(to_json(conversation()))["version"] == 1 and "compactions" not in json.loads(to_json(conversation()))


def test_transcripts_keep_the_turns_marked_and_the_summary_folded():
    session = conversation()
    session.compact(Compaction(covers=4, summary="# Notes\nWe spoke </details> of two things.", created=T0 + 100,
                               instructions="keep the numbers"))
    session.add_turn(Message("user", "question 3", created=T0 + 200), Message("assistant", "answer 3", created=T0 + 200))
    markdown = to_markdown(session)
    assert markdown.count("· compacted") == 4  # both exchanges, question and answer
    assert "question 1" in markdown and "answer 2" in markdown
    block = markdown[markdown.index("**Compacted**"):]
    assert "the 2 turns above were sent as this summary from here on (asked to focus on: keep the numbers)" in block
    assert "<summary>Summary</summary>" in block and "#### Notes" in block and "&lt;/details>" in block
    assert block.index("</details>") < block.index("## You")  # the summary before the turn after it
    assert "question 3" in block and "question 3 · compacted" not in markdown


# --- the commands, against the double -----------------------------------------------------------------


@pytest.fixture
def double():
    with ServiceDouble(token=TOKEN, count_tokens=True) as service:
        yield service


@pytest.fixture
def app(tmp_path, monkeypatch, double) -> Repl:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in CONSOLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    keeper = SessionKeeper(SessionStore(tmp_path / "sessions"), SessionSettings(model="claude-sonnet-4-6"))
    app = Repl(Settings(base_url=double.url, api_key=TOKEN, retries=0), keeper)
    app.console.size = (10_000, 25)  # nothing is folded: the printed text is read as lines
    return app


def run(app: Repl, line: str) -> None:
    asyncio.run(COMMANDS.dispatch(app, line))


def say(app: Repl, text: str) -> bool:
    async def turn() -> bool:
        before = len(app.session.messages)
        await app.send(text)
        return len(app.session.messages) > before

    return asyncio.run(turn())


def test_compact_summarises_and_the_next_request_carries_the_summary(app, double, capsys):
    double.enqueue(Reply(content="Paris."), Reply(content="About two million."), Reply(content="- France: Paris"))
    assert say(app, "capital of France?") and say(app, "population?")
    run(app, "/compact keep the numbers")
    out = capsys.readouterr().out
    assert "Summary of 2 turns" in out and "France: Paris" in out and "/undo brings the turns back" in out
    summarising = double.requests[-1].json["messages"]
    assert summarising[-1]["role"] == "user" and summarising[-1]["content"].endswith("In particular: keep the numbers")
    assert app.session.compaction().summary == "- France: Paris"
    assert app.session.compaction().tokens == 6  # what the server counted for the summary
    assert say(app, "and Germany?")
    sent = double.requests[-1].json["messages"]
    assert "- France: Paris" in sent[0]["content"]
    assert [message["content"] for message in sent[1:]] == ["and Germany?"]
    run(app, "/undo")  # drops that last exchange: the summary stays
    assert app.session.compaction() is not None
    run(app, "/undo")  # right after the compaction: takes it back
    assert app.session.compactions == [] and "compaction undone: the 2 turns it summarised are sent again" in capsys.readouterr().out
    assert say(app, "and Italy?")
    assert [m["content"] for m in double.requests[-1].json["messages"]][:2] == ["capital of France?", "Paris."]


def test_compact_needs_something_new_to_summarise(app, double):
    with pytest.raises(CommandError, match="nothing to compact"):
        run(app, "/compact")
    double.enqueue(Reply(content="hi"), Reply(content="summary"))
    say(app, "hello")
    run(app, "/compact")
    with pytest.raises(CommandError, match="compacted already"):
        run(app, "/compact")


def test_a_failed_compaction_changes_nothing(app, double, capsys):
    from tests.double import ErrorReply

    double.enqueue(Reply(content="hi"), ErrorReply(500, "api_error", "fetch failed"))
    say(app, "hello")
    run(app, "/compact")
    assert app.session.compactions == [] and "fetch failed" in capsys.readouterr().out


def test_a_summary_cut_off_at_max_tokens_is_not_used(app, double, capsys):
    double.enqueue(Reply(content="hi"), Reply(content="- the user said", finish_reason="length"))
    say(app, "hello")
    run(app, "/compact")
    assert app.session.compactions == []
    assert "the summary was cut off at the max_tokens limit" in capsys.readouterr().out


def test_context_lists_the_parts_biggest_first(app, double, capsys):
    double.enqueue(Reply(content="A short answer."), Reply(content="word " * 300))
    say(app, "first question")
    say(app, "second question, please answer at length")
    capsys.readouterr()
    run(app, "/context")
    lines = [line for line in capsys.readouterr().out.splitlines() if "\x1b" not in line]
    head = next(line for line in lines if line.startswith("context ▕"))
    last = app.session.messages[-1].usage  # the server's last count is the meter's total
    assert head.endswith(f"▏ 0% · ~{last['prompt_tokens'] + last['completion_tokens']:,} of 200,000 tokens · claude-sonnet-4-6")
    rows = [line for line in lines if line.startswith("turn ")]
    assert rows[0].startswith("turn 2 · second question") and rows[1].startswith("turn 1 · first question")
    assert "█" in rows[0] and rows[0].split()[-2].endswith("%")


def test_auto_compact_compacts_before_a_request_that_would_pass_its_share(app, double, capsys):
    app.settings = dataclasses.replace(app.settings, auto_compact=0.9, context_window=1000)
    app.session.change_settings(model="local-model")
    double.enqueue(Reply(content="ok " * 700), Reply(content="Summary: they said ok."), Reply(content="fine"))
    assert say(app, "say ok many times")
    assert say(app, "word " * 150)  # ~700 + ~200 tokens: past 900 of 1,000
    out = capsys.readouterr().out
    assert "past auto_compact = 0.9: compacting the conversation first" in out
    assert len(double.requests) == 3
    assert double.requests[1].json["messages"][-1]["content"].startswith("Summarise our conversation")
    last = double.requests[2].json["messages"]
    assert "Summary: they said ok." in last[0]["content"] and len(last) == 2


def test_auto_compact_that_fails_sends_nothing_and_keeps_the_message(app, double, capsys):
    from tests.double import ErrorReply

    app.settings = dataclasses.replace(app.settings, auto_compact=0.9, context_window=1000)
    app.session.change_settings(model="local-model")
    double.enqueue(Reply(content="ok " * 700), ErrorReply(500, "api_error", "fetch failed"))
    say(app, "say ok many times")
    assert not say(app, "word " * 150)
    assert len(double.requests) == 2 and app._unsent.startswith("word word")
    assert "your message was not sent: it is back in the input" in capsys.readouterr().out
