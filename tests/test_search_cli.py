"""Search end to end: sessions made by real chats and one-shots at the service double, then
`claudechat search` (on a terminal, piped, as JSON, filtered, a bad query), `/search` and
`/resume N` in the chat, and `claudechat sessions reindex` over a damaged log."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from claudechat.chat import Message, SessionSettings, SessionStore
from claudechat.chat.keeper import SessionKeeper
from tests.cli_helpers import CLI, assert_one_line
from tests.double import Reply
from tests.terminal import Terminal

pytestmark = pytest.mark.e2e

OPUS = "claude-opus-4-6"


@pytest.fixture
def cli(tmp_path: Path, double) -> CLI:
    return CLI(root=tmp_path / "cli", token="test-token", base_url=double.url)


def run(cli: CLI, tmp_path: Path, *args: str):
    """The CLI with the data and config directories of the chats the terminal fixture starts."""
    return cli.run(*args, env={"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")})


def sessions_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "claudechat" / "sessions"


def chat_once(tmp_path: Path, terminal, double, question: str, answer: str, *args: str) -> str:
    """One real chat of one turn; the id of the session it saved."""
    before = set(sessions_dir(tmp_path).glob("*.jsonl"))
    double.enqueue(Reply(content=answer))
    term = terminal(*args)
    term.type_line(question)
    term.wait_for(answer.split()[-1].rstrip("."))
    term.wait_for_prompt()
    term.ctrl_d()
    assert term.wait_exit() == 0
    [log] = set(sessions_dir(tmp_path).glob("*.jsonl")) - before
    return log.stem


def test_search_finds_chats_and_one_shots_piped_as_json_and_filtered(tmp_path, terminal, double, cli):
    nginx = chat_once(tmp_path, terminal, double, "how do we fix the nginx redirect loop?",
                      "Add return 301 to the server-block of nginx.")
    double.enqueue(Reply(content="Use mod_rewrite for apache."))
    oneshot = run(cli, tmp_path, "-c", "and for apache?")
    assert oneshot.returncode == 0, oneshot
    postgres = chat_once(tmp_path, terminal, double, "postgres is slow", "Tune autovacuum for postgres.", "-m", OPUS)

    piped = run(cli, tmp_path, "search", "nginx")
    assert piped.returncode == 0, piped
    fields = assert_one_line(piped.stdout, piped).split("\t")
    assert fields[0] == nginx and fields[2] == "claude-sonnet-4-6" and fields[4] == "turn 1"
    assert fields[3] == "how do we fix the nginx redirect loop?" and "nginx" in fields[5]
    assert "\x1b" not in piped.stdout + piped.stderr

    apache = run(cli, tmp_path, "search", "mod_rewrite")  # the one-shot's turn, saved into the chat's session
    assert apache.stdout.split("\t")[0] == nginx and apache.stdout.split("\t")[4] == "turn 2"

    [hit] = json.loads(run(cli, tmp_path, "search", "--output", "json", '"redirect loop"').stdout)
    assert (hit["session"], hit["turn"], hit["model"]) == (nginx, 1, "claude-sonnet-4-6")
    [[start, end]] = hit["highlights"]
    assert hit["snippet"][start:end] == "redirect loop"
    assert Path(hit["path"]) == sessions_dir(tmp_path) / f"{nginx}.jsonl"

    assert run(cli, tmp_path, "search", "postgres", "model:opus").stdout.split("\t")[0] == postgres
    missed = run(cli, tmp_path, "search", "nginx", "model:opus")
    assert (missed.returncode, missed.stdout) == (0, "")
    assert "no session matches" in assert_one_line(missed.stderr)
    assert run(cli, tmp_path, "search", "server-block", "since:2000-01-01").stdout.startswith(nginx)
    assert run(cli, tmp_path, "search", "server-block", "until:2000-01-01").stdout == ""
    assert run(cli, tmp_path, "search", "--output", "json", "nginx", "until:1d").stdout == "[]\n"
    both = run(cli, tmp_path, "search", "--limit", "1", "for")  # in both sessions: the best one only
    assert both.stdout.count("\n") == 1

    for bad in (['nginx "redirect'], ["ngi\"nx"], ["since:yesterday", "nginx"], ["--limit", "0", "nginx"]):
        refused = run(cli, tmp_path, "search", *bad)
        assert refused.returncode == 2 and refused.stdout == "", refused
        assert assert_one_line(refused.stderr).startswith("claudechat: error: ")
        assert "Traceback" not in refused.stderr


def test_search_on_a_terminal_highlights_and_fits_its_width(tmp_path, terminal, double):
    long_answer = "The nginx redirect comes back " + "because the proxy keeps rewriting the location header " * 6
    session = chat_once(tmp_path, terminal, double, "why does it loop?", long_answer)
    term = Terminal(tmp_path, base_url=None, args=["search", "nginx"], cols=80, rows=20)
    try:
        assert term.wait_exit() == 0
        lines = [line for line in term.screen_lines() if line.strip()]
        head, snippet = lines[0], lines[1]
        assert head.split()[:4] == [session, *head.split()[1:3], "turn"] and head.endswith("why does it loop?")
        assert "nginx" in snippet and snippet.rstrip().endswith("…")  # cut to the width, not folded
        assert len(lines) == 2
        assert re.search(rb"\x1b\[1m(\x1b\[[0-9;]*m)*nginx", term.raw)  # the hit is drawn bold
    finally:
        term.kill()


def _saved(sessions: Path, *turns: tuple[str, str], title: str | None = None) -> str:
    keeper = SessionKeeper(SessionStore(sessions), SessionSettings(model="claude-sonnet-4-6"))
    for question, answer in turns:
        keeper.session.add_turn(Message("user", question), Message("assistant", answer))
        keeper.save()
    if title:
        keeper.session.rename(title)
        keeper.save()
    keeper.close()
    return keeper.session.id


def test_slash_search_lists_hits_and_resume_n_opens_one_at_its_turn(tmp_path, terminal, double):
    sessions = sessions_dir(tmp_path)
    wanted = _saved(sessions, ("set up the kubernetes ingress", "Write an Ingress with a TLS section."),
                    ("now the service", "A ClusterIP service."), ("and the deployment", "Three replicas."),
                    title="cluster work")
    other = _saved(sessions, ("bake bread", "Flour, water, salt, time."))
    term = terminal()
    term.type_line("/search ingress")
    term.wait_for("/resume N opens hit N")
    rows = term.screen_lines()
    [hit] = [row for row in rows if wanted in row]
    assert hit.lstrip().startswith("1  ") and "cluster work" in hit and other not in term.text()
    term.wait_for_prompt()
    term.type_line("/resume 1")
    term.wait_for("the turn that matched, turn 1 of 3")
    term.wait_for("Write an Ingress with a TLS section.")
    term.wait_for_prompt()
    double.enqueue(Reply(content="Done."))
    term.type_line("thanks")
    term.wait_for("Done.")
    term.wait_for_prompt()
    sent = double.requests[-1].json["messages"]
    assert sent[0]["content"] == "set up the kubernetes ingress" and sent[-1]["content"] == "thanks"
    term.type_line("/search nothing-like-this")
    term.wait_for("no session matches the search")
    term.wait_for_prompt()
    term.type_line('/search "unclosed')
    term.wait_for("quote that is not closed")


def test_reindex_says_what_it_read_and_skips_a_damaged_log(tmp_path, cli):
    sessions = sessions_dir(tmp_path)
    _saved(sessions, ("first", "alpha"), ("second", "beta"))
    kept = _saved(sessions, ("third", "gamma"))
    damaged = sessions / "0badf00d.jsonl"
    damaged.write_text('{"format": "claudechat-session", "version": 1, "id": "0badf00d"}\n{not json\n')
    result = run(cli, tmp_path, "sessions", "reindex")
    assert result.returncode == 0, result
    assert result.stdout == "indexed 2 sessions, 3 turns; skipped 1 damaged log\n"
    warning = assert_one_line(result.stderr)
    assert warning.startswith("claudechat: warning: skipped a damaged session log") and str(damaged) in warning
    assert run(cli, tmp_path, "search", "gamma").stdout.startswith(kept)

    term = Terminal(tmp_path, base_url=None, args=["sessions", "reindex"], cols=80, rows=10)
    try:
        assert term.wait_exit() == 0
        assert b"indexing sessions" in term.raw  # rich's progress bar, gone once done
        assert "indexed 2 sessions, 3 turns; skipped 1 damaged log" in term.text()
    finally:
        term.kill()
