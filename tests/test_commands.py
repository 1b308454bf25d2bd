"""The slash-commands and saved sessions end to end: the installed program in a pseudo-terminal.

Each test drives the chat with key presses against the local service double and asserts on
what a person would see, on what reached the server, and on the files the program leaves
(session logs, transcripts, the clipboard). Tests synchronise on the screen or on the
double's state only, never on time.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from claudechat.chat.store import read_session_file
from tests.double import Reply, ServiceDouble
from tests.images import tiny_png
from tests.terminal import CLAUDECHAT, Terminal, isolated_env

pytestmark = pytest.mark.e2e  # every test here starts the program

MODEL = "claude-sonnet-4-6"
# The line after every answer: model, tokens when known, seconds, then optional parts.
STATUS = re.compile(r"^\S+ · (?:[\d,]+ → [\d,]+ tokens · )?\d+\.\d s\b")




# --- helpers ---------------------------------------------------------------------------------




def status_lines(term: Terminal) -> list[str]:
    return [line for line in term.all_lines() if STATUS.match(line)]


def wait_for_answer(term: Terminal, answers: int = 1, timeout: float = 10) -> None:
    """Until `answers` status lines are in the terminal and the prompt is back, empty."""
    term.wait_for(lambda t: len(status_lines(t)) >= answers, timeout)
    term.wait_for_prompt(timeout=timeout)


def count(term: Terminal, text: str) -> int:
    return sum(text in line for line in term.all_lines())


def wait_for_more(term: Terminal, text: str, before: int) -> None:
    """Until more rows than `before` contain `text`."""
    term.wait_for(lambda t: count(t, text) > before)


def run(term: Terminal, line: str, expect: str) -> None:
    """Type a command, wait for a new row containing `expect`, then for the empty prompt."""
    before = count(term, expect)
    term.type_line(line)
    wait_for_more(term, expect, before)
    term.wait_for_prompt()


def turn(term: Terminal, text: str) -> None:
    """Send a message and wait for its answer and the prompt."""
    before = len(status_lines(term))
    term.type_line(text)
    wait_for_answer(term, before + 1)


def chat_requests(double: ServiceDouble) -> list:
    """The chat requests the double received: /model also asks the server for its list (GET)."""
    return [request for request in double.requests if request.method == "POST"]


def messages(double: ServiceDouble, number: int) -> list[dict]:
    """The messages of the `number`-th request (1-based), once it has arrived."""
    assert double.wait_for_requests(number)
    return double.requests[number - 1].json["messages"]


def pairs(double: ServiceDouble, number: int) -> list[tuple[str, object]]:
    return [(message["role"], message["content"]) for message in messages(double, number)]


def sessions_dir(home: Path) -> Path:
    return home / "data" / "claudechat" / "sessions"


def session_files(home: Path) -> list[Path]:
    directory = sessions_dir(home)
    return sorted(directory.glob("*.jsonl")) if directory.exists() else []


def records(path: Path) -> list[dict]:
    """Every line of a session log, each parsed as JSON (fails on a line that is not)."""
    data = path.read_bytes()
    assert data.endswith(b"\n"), data[-200:]
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def texts(path: Path) -> list[tuple[str, str]]:
    """The session in a file as (role, text) pairs."""
    return [(message.role, message.text) for message in read_session_file(path).messages]


def notice_rows(term: Terminal, first: str) -> list[str]:
    """The rows of the notice starting with the row that starts with `first`, up to a blank row or prompt."""
    lines = term.all_lines()
    start = max(i for i, line in enumerate(lines) if line.startswith(first))
    rows = []
    for line in lines[start:]:
        if not line or line.startswith("›"):
            break
        rows.append(line)
    return rows


def menu(term: Terminal, prefix: str) -> set[str]:
    """Words starting with `prefix` in the completion menu: the rows between the input and the toolbar."""
    rows = term.screen_lines()[term.screen.cursor.y + 1 : -1]
    return {word for line in rows for word in line.split() if word.startswith(prefix)}


# --- /model ----------------------------------------------------------------------------------


def test_model_switches_warns_for_unknown_ids_and_lists_the_catalogue(terminal, double):
    term = terminal()
    run(term, "/model claude-opus-4-6", "model is now claude-opus-4-6")
    assert not any(line.startswith("warning:") for line in term.all_lines())
    turn(term, "one")
    assert chat_requests(double)[0].json["model"] == "claude-opus-4-6"

    run(term, "/model", "claude-opus-4-20250514-thinking")
    listing = notice_rows(term, "  claude-sonnet-4-6")
    ids = [row[2:].split()[0] for row in listing]
    assert "claude-sonnet-4-20250514-thinking" in ids and "claude-opus-4-20250514-thinking" in ids
    assert [row for row in listing if row.startswith("▸")] == [next(r for r in listing if " claude-opus-4-6 " in r)]
    assert next(r for r in listing if "claude-opus-4-20250514-thinking" in r).split()[-1] == "thinking"

    run(term, "/model some-new-model", "model is now some-new-model")
    warning = next(line for line in term.all_lines() if line.startswith("warning:"))
    assert "some-new-model" in warning and "not in the catalogue" in warning
    run(term, "/model", "(not in the list)")
    assert "▸ some-new-model  (not in the list)" in term.all_lines()
    assert not any(row.startswith("▸") for row in notice_rows(term, "  claude-sonnet-4-6")[:-1])
    turn(term, "two")
    assert chat_requests(double)[1].json["model"] == "some-new-model"


# --- /image ----------------------------------------------------------------------------------


def test_image_attaches_files_given_unquoted_quoted_and_with_tilde(tmp_path, terminal, double):
    png = tiny_png()
    (tmp_path / "my pic.png").write_bytes(png)
    term = terminal()
    run(term, "/image my pic.png", "(1 for the next message)")
    run(term, '/image "my pic.png"', "(2 for the next message)")
    run(term, "/image ~/my pic.png", "(3 for the next message)")
    run(term, "/image", "attached to the next message:")
    listed = notice_rows(term, "attached to the next message:")[1:]
    assert [row.split(" (")[0] for row in listed] == ["1. my pic.png", "2. my pic.png", "3. ~/my pic.png"]

    turn(term, "describe these")
    last = messages(double, 1)[-1]
    assert last["role"] == "user"
    content = last["content"]
    assert isinstance(content, list) and content[0] == {"type": "text", "text": "describe these"}
    images = content[1:]
    assert len(images) == 3
    for part in images:
        assert part["type"] == "image_url" and set(part) == {"type", "image_url"}
        url = part["image_url"]["url"]
        assert url.startswith("data:image/png;base64,")
        assert base64.b64decode(url.removeprefix("data:image/png;base64,")) == png
    # Sent once: the next message goes without them.
    turn(term, "and now?")
    assert messages(double, 2)[-1] == {"role": "user", "content": "and now?"}


def test_image_refuses_a_text_file_and_clear_drops_pending_images(tmp_path, terminal, double):
    (tmp_path / "notes.txt").write_text("just some notes\n")
    (tmp_path / "pic.png").write_bytes(tiny_png())
    term = terminal()
    run(term, "/image notes.txt", "error:")
    error = next(line for line in term.all_lines() if line.startswith("error:"))
    assert "notes.txt" in error and "not a PNG, JPEG, GIF or WebP image" in error
    run(term, "/image", "no images attached")
    turn(term, "plain text")
    assert messages(double, 1)[-1] == {"role": "user", "content": "plain text"}

    run(term, "/image pic.png", "(1 for the next message)")
    run(term, "/image clear", "dropped 1 image")
    run(term, "/image", "no images attached")
    turn(term, "still plain")
    assert messages(double, 2)[-1] == {"role": "user", "content": "still plain"}


# --- /retry, /undo, /edit --------------------------------------------------------------------


def test_retry_asks_again_and_the_new_answer_replaces_the_old(tmp_path, terminal, double):
    double.enqueue(Reply(content="first answer"), Reply(content="retried answer"), Reply(content="third"))
    term = terminal()
    turn(term, "the question")
    term.type_line("/retry")
    wait_for_answer(term, 2)
    assert "retried answer" in term.all_lines()
    assert len(double.requests) == 2
    assert messages(double, 2) == messages(double, 1) == [{"role": "user", "content": "the question"}]

    turn(term, "follow up")
    assert pairs(double, 3) == [
        ("user", "the question"),
        ("assistant", "retried answer"),
        ("user", "follow up"),
    ]
    assert term.close() == 0
    [saved] = session_files(tmp_path)
    assert texts(saved) == [
        ("user", "the question"),
        ("assistant", "retried answer"),
        ("user", "follow up"),
        ("assistant", "third"),
    ]


def test_undo_drops_the_last_exchange(terminal, double):
    term = terminal()
    turn(term, "forget this")
    run(term, "/undo", "dropped the last exchange; 0 turns left")
    turn(term, "fresh start")
    assert pairs(double, 2) == [("user", "fresh start")]
    run(term, "/undo", "dropped the last exchange; 0 turns left")
    run(term, "/undo", "error:")
    assert "error: there is nothing to undo" in term.all_lines()


def test_edit_puts_the_last_message_back_and_sending_replaces_the_exchange(terminal, double):
    term = terminal()
    turn(term, "frist question")
    term.type_line("/edit")
    term.wait_for("editing your last message")
    term.wait_for_prompt("frist question")
    term.type_line(", I mean first")
    wait_for_answer(term, 2)
    assert pairs(double, 2) == [("user", "frist question, I mean first")]
    turn(term, "next")
    assert pairs(double, 3) == [
        ("user", "frist question, I mean first"),
        ("assistant", "echo: frist question, I mean first"),
        ("user", "next"),
    ]


# --- /save and /load -------------------------------------------------------------------------


def test_save_writes_markdown_and_json_asks_before_replacing_and_load_opens_a_copy(tmp_path, terminal, double):
    double.enqueue(
        Reply(content="The answer is **42**.", reasoning="Six times seven, surely."),
        Reply(content="Second answer."),
    )
    term = terminal()
    turn(term, "what is the answer")
    run(term, "/save out.md", "saved the transcript (Markdown) to out.md")
    markdown = (tmp_path / "out.md").read_text()
    assert markdown.startswith("# what is the answer\n")
    assert "## You" in markdown and "what is the answer" in markdown
    assert "The answer is **42**." in markdown
    details = markdown[markdown.index("<details>") : markdown.index("</details>")]
    assert "Six times seven, surely." in details
    assert markdown.index("</details>") < markdown.index("The answer is **42**.")

    run(term, "/save out.json", "saved the session (JSON) to out.json")
    with open(tmp_path / "out.json", encoding="utf-8") as handle:
        document = json.load(handle)
    assert [(m["role"], m["content"]) for m in document["messages"]] == [
        ("user", "what is the answer"),
        ("assistant", "The answer is **42**."),
    ]

    turn(term, "and another")
    before = (tmp_path / "out.md").read_bytes()
    term.type_line("/save out.md")
    term.wait_for("out.md exists. Replace it? [y/N]")
    run(term, "n", "not saved")
    assert (tmp_path / "out.md").read_bytes() == before
    asked = count(term, "Replace it? [y/N]")
    term.type_line("/save out.md")
    wait_for_more(term, "Replace it? [y/N]", asked)
    run(term, "y", "saved the transcript (Markdown) to out.md: 2 turns")
    replaced = (tmp_path / "out.md").read_text()
    assert replaced != before.decode() and "Second answer." in replaced and "and another" in replaced

    run(term, "/load out.json", "as a new session")
    notice = next(line for line in term.all_lines() if "as a new session" in line)
    assert notice.startswith("loaded out.json as a new session, ")
    copy_id = notice.rsplit(", ", 1)[1]
    turn(term, "after loading")
    assert pairs(double, 3) == [
        ("user", "what is the answer"),
        ("assistant", "The answer is **42**."),
        ("user", "after loading"),
    ]
    assert (sessions_dir(tmp_path) / f"{copy_id}.jsonl").exists()


# --- saved sessions --------------------------------------------------------------------------


def test_each_turn_is_saved_and_c_continues_the_last_session(tmp_path, terminal, double):
    term = terminal()
    turn(term, "first question")
    turn(term, "second question")
    assert term.close() == 0
    [path] = session_files(tmp_path)
    lines = records(path)
    assert lines[0]["format"] == "claudechat-session" and lines[0]["id"] == path.stem
    assert texts(path) == [
        ("user", "first question"),
        ("assistant", "echo: first question"),
        ("user", "second question"),
        ("assistant", "echo: second question"),
    ]

    again = terminal("-c")
    lines = again.all_lines()
    assert f"session {path.stem} · first question · 2 turns" in lines
    assert lines.index("› second question") < lines.index("echo: second question")
    turn(again, "third question")
    assert pairs(double, 3) == [
        ("user", "first question"),
        ("assistant", "echo: first question"),
        ("user", "second question"),
        ("assistant", "echo: second question"),
        ("user", "third question"),
    ]
    assert again.close() == 0
    assert session_files(tmp_path) == [path]
    assert len(texts(path)) == 6


def test_c_continues_the_session_opened_last_even_without_a_new_turn(tmp_path, terminal, double):
    term = terminal()
    turn(term, "older topic")
    run(term, "/clear", "(/resume ")
    turn(term, "newer topic")
    assert term.close() == 0
    [older] = [path for path in session_files(tmp_path) if texts(path)[0] == ("user", "older topic")]
    [newer] = [path for path in session_files(tmp_path) if path != older]
    past = os.stat(older).st_mtime - 3600  # an order that does not depend on the clock's resolution
    os.utime(older, (past, past))
    os.utime(newer, (past + 60, past + 60))
    before = older.read_bytes()

    resumed = terminal("--resume", older.stem)
    resumed.wait_for(f"session {older.stem} · older topic · 1 turn")
    assert resumed.close() == 0
    assert older.read_bytes() == before  # opened, not written

    env = isolated_env(tmp_path, base_url=double.url, api_key="test-token")
    listed = subprocess.run([CLAUDECHAT, "sessions", "--output", "json"], check=True, env=env, cwd=tmp_path,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=20).stdout
    assert [item["id"] for item in json.loads(listed)] == [older.stem, newer.stem]
    again = terminal("-c")
    again.wait_for(f"session {older.stem} · older topic · 1 turn")
    turn(again, "where were we")
    assert pairs(double, 3) == [("user", "older topic"), ("assistant", "echo: older topic"), ("user", "where were we")]


def test_resume_by_the_start_of_an_id_and_the_sessions_subcommand(tmp_path, terminal, double):
    term = terminal()
    turn(term, "about pipes")
    assert term.close() == 0
    [path] = session_files(tmp_path)
    session_id = path.stem

    again = terminal("--resume", session_id[:4])
    again.wait_for(f"session {session_id} · about pipes · 1 turn")
    turn(again, "more")
    assert pairs(double, 2) == [("user", "about pipes"), ("assistant", "echo: about pipes"), ("user", "more")]
    assert again.close() == 0

    def sessions(*args: str) -> str:
        """`claudechat sessions ARGS` as a plain subprocess in the same environment; its stdout."""
        env = isolated_env(tmp_path, base_url=double.url, api_key="test-token")
        done = subprocess.run([CLAUDECHAT, "sessions", *args], check=False, env=env, cwd=tmp_path,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=20)
        assert done.returncode == 0, done.stderr
        return done.stdout

    header, row = sessions().splitlines()
    assert header.split() == ["ID", "LAST", "USED", "TURNS", "MODEL", "TITLE"]
    assert row.startswith(session_id) and row.endswith(f"  2  {MODEL}  about pipes")
    [item] = json.loads(sessions("--output", "json"))
    assert (item["id"], item["title"], item["turns"]) == (session_id, "about pipes", 2)


def test_sigkill_mid_answer_keeps_every_completed_turn(tmp_path, terminal, double):
    double.enqueue(
        Reply(content="answer one"),
        Reply(content="answer two"),
        Reply(content=["never ", "finished ", "MIDWAY", " rest"], stall_after=3),
    )
    term = terminal()
    turn(term, "q1")
    turn(term, "q2")
    term.type_line("q3")
    term.wait_for("MIDWAY")
    assert double.wait_for_stall()
    term.child.kill(signal.SIGKILL)
    assert term.wait_exit() == -signal.SIGKILL
    [path] = session_files(tmp_path)
    records(path)  # every line is valid JSON
    assert texts(path) == [("user", "q1"), ("assistant", "answer one"), ("user", "q2"), ("assistant", "answer two")]
    # The lock died with the process: -c opens the session itself, not a copy.
    again = terminal("-c")
    assert f"session {path.stem} · q1 · 2 turns" in again.all_lines()
    assert not any("another claudechat" in line for line in again.all_lines())


def test_sigterm_mid_answer_exits_143_and_saves_the_partial_answer_as_interrupted(tmp_path, terminal, double):
    double.enqueue(Reply(content="answer one"), Reply(content=["partial ", "text ", "MIDWAY", " rest"], stall_after=3))
    term = terminal()
    turn(term, "q1")
    term.type_line("q2")
    term.wait_for("MIDWAY")
    assert double.wait_for_stall()
    term.child.kill(signal.SIGTERM)
    assert term.wait_exit() == 128 + signal.SIGTERM
    [path] = session_files(tmp_path)
    last = [record for record in records(path) if record.get("op") == "messages"][-1]
    user, answer = last["add"]
    assert (user["role"], user["content"]) == ("user", "q2")
    assert (answer["role"], answer["content"], answer.get("interrupted")) == ("assistant", "partial text MIDWAY", True)
    # Opened again, the partial answer is shown as interrupted and is part of the history.
    again = terminal("-c")
    lines = again.all_lines()
    assert lines.index("partial text MIDWAY") + 1 == lines.index("⏹ interrupted · the partial answer is kept")
    turn(again, "q3")
    assert pairs(double, 3)[-2:] == [("assistant", "partial text MIDWAY"), ("user", "q3")]


def test_a_session_open_in_another_process_continues_in_a_copy(tmp_path, terminal, double):
    first = terminal()
    turn(first, "shared start")
    assert first.close() == 0
    [original] = session_files(tmp_path)

    one = terminal("-c")
    two = terminal("-c")
    notice = next(line for line in two.all_lines() if "open in another claudechat" in line)
    assert notice.startswith(f"session {original.stem} is open in another claudechat; continuing in a copy, ")
    copy_id = notice.rsplit(", ", 1)[1]
    copy = sessions_dir(tmp_path) / f"{copy_id}.jsonl"
    assert copy.exists() and copy != original

    turn(one, "from one")
    turn(two, "from two")
    start = [("user", "shared start"), ("assistant", "echo: shared start")]
    sent = {request.json["messages"][-1]["content"]: request.json["messages"][:-1] for request in double.requests}
    assert [(m["role"], m["content"]) for m in sent["from one"]] == start
    assert [(m["role"], m["content"]) for m in sent["from two"]] == start
    assert one.close() == 0 and two.close() == 0
    for path in (original, copy):
        records(path)
    assert texts(original) == start + [("user", "from one"), ("assistant", "echo: from one")]
    assert texts(copy) == start + [("user", "from two"), ("assistant", "echo: from two")]
    assert sorted(session_files(tmp_path)) == sorted([original, copy])


# --- /n and /pick, /json ---------------------------------------------------------------------


def test_n_shows_every_candidate_and_pick_keeps_another(terminal, double):
    double.enqueue(Reply(content="a candidate answer", n=2))
    term = terminal()
    run(term, "/n 2", "n is now 2")
    turn(term, "give me two")
    assert double.requests[0].json["n"] == 2
    lines = term.all_lines()
    assert "candidate 1 of 2" in lines and "candidate 2 of 2" in lines
    assert lines.index("[0] a candidate answer") < lines.index("candidate 2 of 2") < lines.index("[1] a candidate answer")
    assert "candidate 1 is in the history; /pick N keeps another" in lines

    run(term, "/pick 2", "candidate 2 of 2 is now in the history")
    run(term, "/n 1", "n is now 1")
    turn(term, "thanks")
    assert "n" not in double.requests[1].json
    assert pairs(double, 2) == [
        ("user", "give me two"),
        ("assistant", "[1] a candidate answer"),
        ("user", "thanks"),
    ]


def test_json_mode_asks_for_json_and_checks_the_answer(terminal, double):
    double.enqueue(Reply(content="certainly not JSON"), Reply(content='{"colours": ["red", "green"]}'))
    term = terminal()
    run(term, "/json on", "json is now on")
    turn(term, "colours?")
    assert double.requests[0].json["response_format"] == {"type": "json_object"}
    term.wait_for("⚠ not valid JSON")
    assert count(term, "✓ valid JSON") == 0
    turn(term, "colours, as JSON")
    assert double.requests[1].json["response_format"] == {"type": "json_object"}
    lines = term.all_lines()
    assert lines.index("✓ valid JSON") > max(i for i, line in enumerate(lines) if "not valid JSON" in line)
    run(term, "/json off", "json is now off")
    turn(term, "free text")
    assert "response_format" not in double.requests[2].json


# --- request settings ------------------------------------------------------------------------


def test_system_temperature_and_max_tokens_go_into_the_request(terminal, double):
    term = terminal()
    run(term, "/system be brief", "system prompt set")
    run(term, "/temperature 0.5", "temperature is now 0.5")
    run(term, "/max-tokens 100", "max-tokens is now 100")
    turn(term, "one")
    body = double.requests[0].json
    assert body["messages"][0] == {"role": "system", "content": "be brief"}
    assert body["messages"][1:] == [{"role": "user", "content": "one"}]
    assert (body["temperature"], body["max_tokens"]) == (0.5, 100)

    run(term, "/temperature 3", "error:")
    assert "error: /temperature takes a number from 0 to 2, got '3'" in term.all_lines()
    run(term, "/system clear", "system prompt cleared")
    turn(term, "two")
    body = double.requests[1].json
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert (body["temperature"], body["max_tokens"]) == (0.5, 100)


# --- /copy -----------------------------------------------------------------------------------


def test_copy_uses_osc52_and_a_clipboard_program(tmp_path, terminal, double):
    clipboard = tmp_path / "clipboard.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    xclip = bin_dir / "xclip"
    xclip.write_text(f'#!/bin/sh\ncat > "{clipboard}"\n')
    xclip.chmod(0o755)
    answer = "Two snippets:\n\n```python\nprint('one')\n```\n\nand\n\n```sh\necho two\n```\n"
    double.enqueue(Reply(content=answer))
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "DISPLAY": ":0", "WAYLAND_DISPLAY": "", "TMUX": ""}
    term = terminal(env=env)
    turn(term, "code please")

    def osc52(text: str) -> bytes:
        return b"\x1b]52;c;" + base64.b64encode(text.encode()) + b"\x07"

    since = len(term.raw)
    run(term, "/copy", "copied the last answer")
    term.wait_for_raw(osc52(answer), since=since)
    assert f"copied the last answer ({len(answer)} characters) via terminal (OSC 52), xclip" in term.all_lines()
    assert clipboard.read_text() == answer

    since = len(term.raw)
    run(term, "/copy 2", "copied code block 2 of 2")
    term.wait_for_raw(osc52("echo two\n"), since=since)
    assert clipboard.read_text() == "echo two\n"
    run(term, "/copy 3", "error:")
    assert clipboard.read_text() == "echo two\n"


# --- sessions from inside the chat -----------------------------------------------------------


def test_clear_starts_afresh_sessions_lists_both_and_resume_goes_back(tmp_path, terminal, double):
    term = terminal()
    turn(term, "old topic")
    [old] = session_files(tmp_path)
    run(term, "/clear", f"(/resume {old.stem})")
    turn(term, "new topic")
    assert pairs(double, 2) == [("user", "new topic")]
    [new] = [path for path in session_files(tmp_path) if path != old]

    run(term, "/sessions", "/resume ID opens one")
    table = notice_rows(term, "▸ ")
    assert len(table) == 3
    assert table[0].startswith(f"▸ {new.stem}") and table[0].endswith("new topic")
    assert table[1].startswith(f"  {old.stem}") and table[1].endswith("old topic")

    run(term, f"/resume {old.stem}", f"session {old.stem} · old topic · 1 turn")
    turn(term, "back again")
    assert pairs(double, 3) == [("user", "old topic"), ("assistant", "echo: old topic"), ("user", "back again")]
    # The start of the id of the session in use is that session, not one "open in another claudechat".
    run(term, f"/resume {old.stem[:4]}", f"session {old.stem} · old topic · 2 turns")
    assert not any("another claudechat" in line for line in term.all_lines())
    assert term.close() == 0
    assert session_files(tmp_path) == sorted([old, new])
    assert len(texts(old)) == 4 and len(texts(new)) == 2


def test_sessions_in_a_narrow_chat_fit_on_one_line_each(tmp_path, terminal, double):
    question = "how do I stream server-sent events through an nginx reverse proxy without buffering"
    term = terminal(cols=80)  # the banner's width; the title needs more than the 24 cells left to it
    turn(term, question)
    [path] = session_files(tmp_path)
    run(term, "/sessions", "/resume ID opens one")
    header, row, footer = notice_rows(term, "  ID ")
    assert header.split() == ["ID", "LAST", "USED", "TURNS", "MODEL", "TITLE"]
    assert row.startswith(f"▸ {path.stem}") and row.endswith("…"), term.dump()
    title = row[header.index("TITLE") : -1]
    assert question.startswith(title) and question[len(title)] == " ", title  # cut between words
    assert footer.startswith("/resume ID opens one")


# --- /usage and /info ------------------------------------------------------------------------


def test_usage_counts_requests_per_model_and_info_shows_the_session_file(tmp_path, terminal, double):
    tokens = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    double.enqueue(*(Reply(content="ok", usage=tokens) for _ in range(3)))
    term = terminal(cols=200)
    run(term, "/info", "session file")
    assert "not saved yet" in next(line for line in term.all_lines() if line.startswith("session file"))
    turn(term, "one")
    turn(term, "two")
    run(term, "/model claude-opus-4-6", "model is now claude-opus-4-6")
    turn(term, "three")
    run(term, "/usage", "requests")
    rows = [row.split() for row in notice_rows(term, "model ")]
    assert rows == [
        ["model", "requests", "prompt", "completion", "cached"],
        [MODEL, "2", "20", "10", "0"],
        ["claude-opus-4-6", "1", "10", "5", "0"],
        ["total", "3", "30", "15", "0"],
    ]

    run(term, "/info", "session file")
    [path] = session_files(tmp_path)
    info = [line for line in term.all_lines() if line.startswith("session file")][-1]
    assert info.split() == ["session", "file", f"~/data/claudechat/sessions/{path.name}"]  # HOME is tmp_path


# --- Tab completion --------------------------------------------------------------------------


def test_tab_completes_model_ids(terminal, double):
    term = terminal()
    term.send("/model claude-opus-4-2")
    term.wait_for_prompt("/model claude-opus-4-2")
    # The menu opens while typing; Tab then takes its first entry.
    term.wait_for(lambda t: menu(t, "claude-") == {"claude-opus-4-20250514", "claude-opus-4-20250514-thinking"})
    term.tab()
    term.wait_for_prompt("/model claude-opus-4-20250514")
    term.enter()  # takes the completion, closes the menu
    term.wait_for(lambda t: not menu(t, "claude-") and t.prompt_input() == "/model claude-opus-4-20250514")
    term.enter()
    term.wait_for("model is now claude-opus-4-20250514")
    term.wait_for_prompt()
    turn(term, "hi")
    assert chat_requests(double)[0].json["model"] == "claude-opus-4-20250514"


def test_tab_completes_a_file_name_for_image(tmp_path, terminal, double):
    (tmp_path / "picture-of-cat.png").write_bytes(tiny_png())
    term = terminal()
    term.send("/image pict")
    term.wait_for_prompt("/image pict")
    term.wait_for(lambda t: menu(t, "pict") == {"picture-of-cat.png"})
    term.tab()
    term.wait_for_prompt("/image picture-of-cat.png")
    term.enter()
    term.wait_for(lambda t: not menu(t, "pict") and t.prompt_input() == "/image picture-of-cat.png")
    term.enter()
    term.wait_for("attached picture-of-cat.png (1 for the next message)")
    term.wait_for_prompt()


def test_tab_completes_a_file_name_with_a_space(tmp_path, terminal, double):
    (tmp_path / "my pic.png").write_bytes(tiny_png())
    term = terminal()
    term.send("/image my")
    term.wait_for_prompt("/image my")
    term.tab()
    term.send("X")  # a marker: the input is read after the Tab has done whatever it does
    typed = term.wait_for(lambda t: (t.prompt_input() or "").endswith("X") and (t.prompt_input(),))[0]
    assert typed == "/image my\\ pic.pngX"
    term.send("\b")
    term.wait_for_prompt("/image my\\ pic.png")
    term.enter()
    term.wait_for("attached my pic.png")


# --- /help -----------------------------------------------------------------------------------


def test_help_for_each_command_shows_its_usage(terminal):
    import claudechat.repl.app  # noqa: F401  (registers every command)
    from claudechat.repl.commands import COMMANDS

    commands = list(COMMANDS)
    assert len(commands) >= 20
    term = terminal(cols=200)
    for command in commands:
        run(term, f"/help {command.name}", f"{command.usage}  {command.summary}")
        assert any(line.startswith(f"{command.usage}  {command.summary}") for line in term.all_lines())
    run(term, "/help quit", "also: /quit")
    run(term, "/help nosuch", "error: no command /nosuch")



def test_undo_while_editing_ends_the_edit(terminal, double):
    term = terminal()
    turn(term, "keep me")
    turn(term, "edit me")
    term.type_line("/edit")
    term.wait_for("editing your last message")
    term.wait_for_prompt("edit me")
    term.send("\x15")  # Ctrl-U empties the input line (Ctrl-C would cancel the edit)
    term.wait_for_prompt("")
    run(term, "/undo", "dropped the last exchange; 1 turn left")
    turn(term, "a new question")
    assert pairs(double, 3) == [("user", "keep me"), ("assistant", "echo: keep me"), ("user", "a new question")]
