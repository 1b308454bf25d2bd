"""The session picker end to end: `/resume` in the chat and `claudechat --resume` on a terminal,
over sessions saved in the data directory, against the service double; `--resume` from a pipe.

The picker draws on the alternate screen (tests/terminal.py emulates it as xterm and tmux do),
so the chat's screen must be found as it was once the picker is left.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from claudechat.chat import Message, SessionSettings, SessionStore
from claudechat.chat.index import SearchIndex
from claudechat.chat.keeper import SessionKeeper
from tests.cli_helpers import CLI, assert_one_line
from tests.double import Reply
from tests.terminal import Keys, Terminal

pytestmark = pytest.mark.e2e

BASE = 1_700_000_000.0  # the sessions' last-used times are this plus hours the tests give
PICKER = "Resume a session"
CTRL_U = "\x15"


def sessions_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "claudechat" / "sessions"


def _saved(tmp_path: Path, *turns: tuple[str, str], title: str, hours: int, indexed: bool = True) -> str:
    """A session of `turns` saved as a chat saves it, last used `hours` after BASE; the index
    told of that time too (as it is after a chat's save), unless not `indexed` at all."""
    sessions = sessions_dir(tmp_path)
    keeper = SessionKeeper(SessionStore(sessions), SessionSettings(model="claude-sonnet-4-6"), indexed=indexed)
    for question, answer in turns:
        keeper.session.add_turn(Message("user", question), Message("assistant", answer))
        keeper.save()
    keeper.session.rename(title)
    keeper.save()
    keeper.close()
    when = BASE + hours * 3600
    os.utime(sessions / f"{keeper.session.id}.jsonl", (when, when))
    if indexed:
        index = SearchIndex(sessions=sessions)
        index.sync()
        index.close()
    return keeper.session.id


def _three(tmp_path: Path) -> dict[str, str]:
    """Three sessions, the web one used last, the cluster one first."""
    return {
        "cluster": _saved(tmp_path, ("set up the kubernetes ingress", "Write an Ingress with a TLS section."),
                          ("now the service", "A ClusterIP service."), ("and the deployment", "Three replicas."),
                          title="cluster work", hours=1),
        "baking": _saved(tmp_path, ("bake bread", "Flour, water, salt and time."), title="baking", hours=2),
        "web": _saved(tmp_path, ("why does nginx loop", "The redirect loop comes from the proxy."),
                      title="web server trouble", hours=3),
    }


def _row_of(term: Terminal, title: str) -> int | None:
    """The screen row showing the session titled `title`, if one does."""
    return next((y for y, line in enumerate(term.screen_lines()) if line.endswith(f"  {title}")), None)


def _only_rows(term: Terminal, *titles: str) -> bool:
    rows = {title: _row_of(term, title) for title in ("cluster work", "baking", "web server trouble")}
    return all((rows[title] is not None) == (title in titles) for title in rows)


def test_slash_resume_lists_newest_first_filters_previews_and_opens_at_the_matching_turn(tmp_path, terminal, double):
    ids = _three(tmp_path)
    term = terminal()
    term.type_line("/resume")
    term.wait_for(PICKER)
    term.wait_for(lambda t: _only_rows(t, "cluster work", "baking", "web server trouble"))
    web, baking, cluster = (_row_of(term, title) for title in ("web server trouble", "baking", "cluster work"))
    assert web < baking < cluster  # the most recently used first
    assert term.screen_lines()[web].startswith("▸ ")
    term.wait_for("› why does nginx loop")  # the preview: the selected session's last exchange
    term.wait_for("The redirect loop comes from the proxy.")

    term.send(Keys.DOWN)
    term.wait_for(lambda t: t.screen_lines()[baking].startswith("▸ "))
    term.wait_for("Flour, water, salt and time.")
    assert "The redirect loop comes from the proxy." not in term.text()

    term.send("CLUSTER")  # a word of a title
    term.wait_for(lambda t: _only_rows(t, "cluster work"))
    term.wait_for("› and the deployment")

    term.send(CTRL_U + "proxy")  # a word said only in the web session
    term.wait_for(lambda t: _only_rows(t, "web server trouble"))
    term.wait_for("found in turn 1: The redirect loop comes from the proxy.")

    term.send(CTRL_U + "tls")  # said in the first turn of three of the cluster session
    term.wait_for(lambda t: _only_rows(t, "cluster work") and "found in turn 1" in t.text())
    term.enter()
    term.wait_for(f"session {ids['cluster']} · cluster work · 3 turns")
    term.wait_for("the turn that matched, turn 1 of 3:")
    term.wait_for_prompt()
    assert PICKER not in term.text()
    double.enqueue(Reply(content="Glad it helped."))
    term.type_line("thanks")
    term.wait_for("Glad it helped.")
    sent = double.requests[-1].json["messages"]
    assert [message["content"] for message in sent][:2] == ["set up the kubernetes ingress",
                                                           "Write an Ingress with a TLS section."]
    assert sent[-1]["content"] == "thanks" and len(sent) == 7


def test_esc_and_ctrl_c_leave_the_chat_as_it_was(tmp_path, terminal, double):
    _saved(tmp_path, ("bake bread", "Flour, water, salt and time."), title="baking", hours=1)
    term = terminal()
    double.enqueue(Reply(content="Hello there."))
    term.type_line("hello")
    term.wait_for("Hello there.")
    term.wait_for_prompt()
    before = term.screen_lines()
    prompt_row = term.screen.cursor.y
    for leave in (Keys.ESC, Keys.CTRL_C):
        term.type_line("/resume")
        term.wait_for(lambda t: t.screen.alternate and PICKER in t.text())
        term.wait_for(lambda t: _row_of(t, "baking") is not None)
        term.send("bre")
        term.wait_for("› bre")
        term.send(leave)
        term.wait_for(lambda t: not t.screen.alternate)
        term.wait_for_prompt()
        after = term.screen_lines()
        assert after[:prompt_row] == before[:prompt_row]  # what was there, untouched
        assert after[prompt_row] == "› /resume"
        assert after[prompt_row + 1] == "›" and after[prompt_row + 2:] == before[prompt_row + 1:-1]  # the prompt, a row down
        assert PICKER not in term.text() and "baking" not in term.text()
        before, prompt_row = after, prompt_row + 1
    double.enqueue(Reply(content="Still here."))
    term.type_line("again")
    term.wait_for("Still here.")
    assert [message["content"] for message in double.requests[-1].json["messages"]] == ["hello", "Hello there.", "again"]


def test_claudechat_resume_without_an_id_chooses_the_session_the_chat_continues(tmp_path, double):
    ids = _three(tmp_path)
    _saved(tmp_path, ("plant tomatoes", "In May."), title="garden", hours=0, indexed=False)
    term = Terminal(tmp_path, base_url=double.url, args=["--resume"])
    try:
        term.wait_for(PICKER)
        # The rows come from the index first; the session it has not read yet, once it has.
        term.wait_for(lambda t: _row_of(t, "garden") is not None)
        term.wait_for(lambda t: _only_rows(t, "cluster work", "baking", "web server trouble"))
        assert _row_of(term, "garden") > _row_of(term, "cluster work")  # used before the others
        term.send(Keys.DOWN)
        term.wait_for("Flour, water, salt and time.")
        term.enter()
        term.wait_for("/help for commands")
        term.wait_for(f"session {ids['baking']} · baking · 1 turn")
        term.wait_for_prompt()
        double.enqueue(Reply(content="Knead it."))
        term.type_line("and then?")
        term.wait_for("Knead it.")
        assert [message["content"] for message in double.requests[-1].json["messages"]] == [
            "bake bread", "Flour, water, salt and time.", "and then?"]
        term.wait_for_prompt()
        assert term.close() == 0
    finally:
        term.kill()

    term = Terminal(tmp_path, base_url=double.url, args=["--resume"])
    try:
        term.wait_for(PICKER)
        term.send("proxy")
        term.wait_for("found in turn 1: The redirect loop comes from the proxy.")
        term.send(Keys.ESC)  # nothing chosen: no chat
        assert term.wait_exit() == 0
        assert PICKER not in term.text() and "/help for commands" not in term.text()
    finally:
        term.kill()


def test_untrusted_titles_are_shown_harmless_and_cut_to_the_width(tmp_path, double):
    _saved(tmp_path, ("hi", "hello"), title="\x1b]0;pwned\x07 " + "日本語のとても長いタイトル " * 6, hours=1)
    term = Terminal(tmp_path, base_url=double.url, args=["--resume"], cols=70)
    try:
        term.wait_for(PICKER)
        row = term.wait_for(lambda t: next((line for line in t.screen_lines() if "␛]0;pwned" in line), None))
        assert row.startswith("▸ ") and row.rstrip().endswith("…")
        assert b"\x1b]0;pwned" not in term.raw
        term.send(Keys.ESC)
        assert term.wait_exit() == 0
    finally:
        term.kill()


def test_no_saved_session_says_so_in_one_line(tmp_path, terminal, double):
    term = Terminal(tmp_path, base_url=double.url, args=["--resume"], cols=140)  # the line, unfolded
    try:
        assert term.wait_exit() == 2
        lines = [line for line in term.all_lines() if line.strip()]
        assert lines == ["claudechat: error: there is no saved session to resume yet "
                         "(each chat is saved after its first answer)"]
    finally:
        term.kill()
    chat = terminal()
    chat.type_line("/resume")
    chat.wait_for("no other saved session to resume")
    chat.wait_for_prompt()
    assert PICKER not in chat.text()


@pytest.fixture
def cli(tmp_path: Path, double) -> CLI:
    return CLI(root=tmp_path / "cli", token="test-token", base_url=double.url)


def test_resume_without_an_id_from_a_pipe_is_a_usage_error(tmp_path, cli, double):
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    session = _saved(tmp_path, ("bake bread", "Flour, water, salt and time."), title="baking", hours=1)
    for args, input in ((["--resume"], "a question"), (["--resume"], None), (["a question", "--resume"], None)):
        refused = cli.run(*args, input=input, env=env)
        assert refused.returncode == 2 and refused.stdout == "", refused
        line = assert_one_line(refused.stderr, refused)
        assert line.startswith("claudechat: error: --resume without an id needs a terminal to choose the session on")
        assert "claudechat sessions" in line
    both = cli.run("-c", "--resume", env=env)
    assert both.returncode == 2 and "give either -c or --resume, not both" in assert_one_line(both.stderr)
    assert not double.requests
    double.enqueue(Reply(content="Knead it."))
    continued = cli.run("--resume", session, "and then?", env=env)  # with an id, as before
    assert (continued.returncode, continued.stdout) == (0, "Knead it.\n"), continued
    assert double.requests[-1].json["messages"][0]["content"] == "bake bread"
