"""`claudechat export` and `/save FILE.html`: the installed program writing a saved session out.

Sessions are made with the real session API in the test's own data directory; the program
reads them as a user's. Ids made here are words no random hex id can start with.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from claudechat.chat import Message, Session, SessionSettings, SessionStore, read_session_file
from claudechat.chat.keeper import SessionKeeper
from claudechat.chat.transcript import to_markdown
from tests.cli_helpers import CLI, assert_one_line
from tests.double import Reply, ServiceDouble
from tests.test_commands import run, turn
from tests.test_html_export import HOSTILE, Page

pytestmark = pytest.mark.e2e  # every test here starts the program

MODEL = "claude-sonnet-4-6"
ANSWER = "Like this:\n\n```python\ndef greet(name):\n    return f'hi {name}'\n```\n\n" + HOSTILE


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(root=tmp_path, token="sk-test-export", base_url=None)


def sessions_dir(cli: CLI) -> Path:
    return cli.data_home / "claudechat" / "sessions"


def saved(cli: CLI, *turns: tuple[str, str], session_id: str | None = None, reasoning: str = "") -> Session:
    """A session saved as the chat saves one; `session_id` chooses its id."""
    keeper = SessionKeeper(SessionStore(sessions_dir(cli)), SessionSettings(model=MODEL))
    if session_id is not None:
        keeper.session.id = session_id
    for question, answer in turns:
        keeper.session.add_turn(Message("user", question), Message("assistant", answer, reasoning=reasoning, model=MODEL))
    keeper.save()
    keeper.close()
    return read_session_file(sessions_dir(cli) / f"{keeper.session.id}.jsonl")


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".tmp"))


def test_markdown_goes_to_standard_output_by_default(cli: CLI) -> None:
    session = saved(cli, ("first question", "first answer"), ("second", "second answer"))
    saved(cli, ("another chat", "ok"))
    result = cli.run("export", session.id[:6])
    assert (result.returncode, result.stderr) == (0, ""), result
    assert result.stdout == to_markdown(session)
    assert "## You" in result.stdout and "second answer" in result.stdout and "another chat" not in result.stdout


def test_json_is_the_whole_session_and_loads_again(cli: CLI) -> None:
    session = saved(cli, ("what is 6×7?", "42"), reasoning="multiply")
    result = cli.run("export", session.id, "--format", "json")
    assert result.returncode == 0, result
    document = json.loads(result.stdout)
    assert document["id"] == session.id
    assert [(message["role"], message["content"]) for message in document["messages"]] == [
        ("user", "what is 6×7?"), ("assistant", "42")]
    assert document["messages"][1]["reasoning"] == "multiply"


def test_html_to_a_file_takes_the_format_from_its_name_and_says_what_it_wrote(cli: CLI) -> None:
    session = saved(cli, ("show me", ANSWER), ("and again", "done"), reasoning="first I think")
    target = cli.root / "page.html"
    result = cli.run("export", session.id, "-o", "page.html")
    assert result.returncode == 0 and result.stderr == "", result
    line = assert_one_line(result.stdout, result)
    data = target.read_bytes()
    assert line == f"Saved the page (HTML) of session {session.id} to page.html: 2 turns, {len(data):,} bytes"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # a conversation is private
    page = Page(data.decode("utf-8"))
    assert len(page.all("article", "user")) == 2
    assert page.all("script") == [] and page.all("span", "k")
    [reasoning, *_] = page.all("details", "reasoning")
    assert "open" not in reasoning.attrs
    assert leftovers(cli.root) == []


def test_html_on_standard_output_and_the_theme_asked_for(cli: CLI) -> None:
    session = saved(cli, ("hi", "hello"))
    result = cli.run("export", session.id, "--format", "html", "--theme", "light")
    assert result.returncode == 0, result
    assert result.stdout.startswith("<!DOCTYPE html>") and "--background: #ffffff;" in result.stdout
    configured = cli.run("export", session.id, "--format", "html")
    cli.write_config('theme = "solarized-dark"\n')
    solarized = cli.run("export", session.id, "--format", "html")
    assert "--background: #272822;" in configured.stdout  # the default theme, dark
    assert "--background: #002b36;" in solarized.stdout


def test_a_name_that_says_no_format_is_markdown_and_an_existing_file_is_replaced_whole(cli: CLI) -> None:
    session = saved(cli, ("q", "a"))
    target = cli.root / "notes.txt"
    target.write_text("old notes, much longer than the transcript will be " * 100)
    result = cli.run("export", session.id, "-o", str(target))
    assert result.returncode == 0, result
    assert target.read_text() == to_markdown(session)
    assert leftovers(cli.root) == []


@pytest.mark.parametrize("key, said", [("nosuch", "no session nosuch"), ("export-", "export- is the start of 2 session ids"),
                                       ("no/such", "'no/such' is not a session id")])
def test_an_id_that_names_no_one_session_is_a_usage_error_on_one_line(cli: CLI, key: str, said: str) -> None:
    saved(cli, ("one", "a"), session_id="export-one")
    saved(cli, ("two", "b"), session_id="export-two")
    result = cli.run("export", key, "-o", "out.md")
    assert (result.returncode, result.stdout) == (2, ""), result
    assert said in assert_one_line(result.stderr, result)
    assert not (cli.root / "out.md").exists()
    assert cli.run("export", "export-tw").stdout == to_markdown(read_session_file(sessions_dir(cli) / "export-two.jsonl"))


def test_a_directory_is_refused_and_left_as_it_is(cli: CLI) -> None:
    session = saved(cli, ("q", "a"))
    folder = cli.root / "out"
    folder.mkdir()
    for target in (str(folder), f"{folder}/", "missing-folder/"):
        result = cli.run("export", session.id, "-o", target)
        assert (result.returncode, result.stdout) == (2, ""), result
        assert "is a directory" in assert_one_line(result.stderr, result)
    assert list(folder.iterdir()) == [] and not (cli.root / "missing-folder").exists()


def test_a_file_that_cannot_be_written_fails_on_one_line_and_leaves_nothing(cli: CLI) -> None:
    session = saved(cli, ("q", "a"))
    blocker = cli.root / "plain-file"
    blocker.write_text("a file, not a folder")
    for target in (blocker / "page.html", cli.root / "no-folder" / "page.html"):
        result = cli.run("export", session.id, "-o", str(target))
        assert (result.returncode, result.stdout) == (1, ""), result
        line = assert_one_line(result.stderr, result)
        assert line.startswith("claudechat: error: cannot write ") and "nothing was written" in line
    assert blocker.read_text() == "a file, not a folder" and leftovers(cli.root) == []


def test_arguments_missing_or_wrong_are_usage_errors(cli: CLI) -> None:
    session = saved(cli, ("q", "a"))
    for args in (["export"], ["export", session.id, "--format", "pdf"]):
        result = cli.run(*args)
        assert (result.returncode, result.stdout) == (2, ""), result
        assert "claudechat export --help" in assert_one_line(result.stderr, result)


def test_on_a_terminal_control_characters_are_shown_not_obeyed(tmp_path: Path, cli: CLI) -> None:
    from tests.terminal import Terminal

    pasted = "before\x1b]0;pwned\x07\x1b[2Jafter"
    keeper = SessionKeeper(SessionStore(tmp_path / "data" / "claudechat" / "sessions"), SessionSettings(model=MODEL))
    keeper.session.add_turn(Message("user", pasted), Message("assistant", "ok"))
    keeper.save()
    keeper.close()
    term = Terminal(tmp_path, base_url=None, args=["export", keeper.session.id], cols=100, rows=30)
    try:
        assert term.wait_exit() == 0
        shown = term.all_lines()
    finally:
        term.kill()
    assert "before␛]0;pwned␇␛[2Jafter" in shown, term.dump()
    piped = saved(cli, ("x", pasted))
    assert pasted in cli.run("export", piped.id).stdout  # into a pipe, exactly as stored


# --- /save FILE.html in the chat -------------------------------------------------------------


def test_save_html_in_the_chat_writes_the_page_of_the_conversation(tmp_path: Path, terminal, double: ServiceDouble) -> None:
    double.enqueue(Reply(content=ANSWER, reasoning="The user wants **code**."), Reply(content="Second answer."))
    term = terminal()
    turn(term, "show me a function")
    turn(term, "and once more")
    run(term, "/save chat.html", "saved the page (HTML) to chat.html: 2 turns")
    text = (tmp_path / "chat.html").read_text(encoding="utf-8")
    page = Page(text)
    assert len(page.all("article", "user")) == 2 and len(page.all("article", "assistant")) == 2
    assert "show me a function" in page.words and "Second answer." in page.words
    [reasoning] = page.all("details", "reasoning")
    assert "open" not in reasoning.attrs and "<strong>code</strong>" in text
    assert '<span class="k">def</span>' in text
    assert page.all("script") == [] and not any(name.startswith("on") for e in page.elements for name in e.attrs)
    assert "<script>document.title='pwned'</script>" in page.words
    assert stat.S_IMODE(os.stat(tmp_path / "chat.html").st_mode) == 0o600
    run(term, "/save chat.pdf", "end the name with .md, .html or .json")
    assert not (tmp_path / "chat.pdf").exists()
