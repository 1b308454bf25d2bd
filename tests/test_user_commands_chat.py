"""The user's own slash-commands end to end: Markdown files in the user's and the project's
`commands/` folders, run in the chat in a pseudo-terminal against the service double.

The chat's home and working directory are the test's tmp_path, so the user's folder is
`config/claudechat/commands` under it (XDG_CONFIG_HOME) and the project's `.claudechat/commands`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.double import ErrorReply, ServiceDouble
from tests.terminal import Terminal

pytestmark = pytest.mark.e2e  # every test here starts the program

DEFAULT_MODEL = "claude-sonnet-4-6"
STATUS = re.compile(r"^\S+ · (?:[\d,]+ → [\d,]+ tokens · )?\d+\.\d s\b")
WIDE = 220  # no warning or help row is folded, whatever the temporary directory's length


def user_dir(home: Path) -> Path:
    return home / "config" / "claudechat" / "commands"


def project_dir(home: Path) -> Path:
    return home / ".claudechat" / "commands"


def write(directory: Path, name: str, content: str | bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def turn(term: Terminal, line: str) -> None:
    """Type `line` and wait for one more answer's status line and the empty prompt."""
    before = sum(bool(STATUS.match(row)) for row in term.all_lines())
    term.type_line(line)
    term.wait_for(lambda t: sum(bool(STATUS.match(row)) for row in t.all_lines()) > before)
    term.wait_for_prompt()


def sent(double: ServiceDouble, number: int) -> dict:
    """The `number`-th request's body (1-based), once it has arrived."""
    assert double.wait_for_requests(number)
    return double.requests[number - 1].json


def warnings(term: Terminal) -> list[str]:
    return [line for line in term.all_lines() if line.startswith("warning:")]


def command(term: Terminal, line: str, expect: str) -> None:
    """Type a command, wait for a new row containing `expect`, then for the empty prompt."""
    before = sum(expect in row for row in term.all_lines())
    term.type_line(line)
    term.wait_for(lambda t: sum(expect in row for row in t.all_lines()) > before)
    term.wait_for_prompt()


def test_the_filled_body_is_sent_as_the_users_message_and_stays_in_the_history(tmp_path, terminal, double):
    write(user_dir(tmp_path), "cmp.md", "---\ndescription: compare two things\n---\n"
          "Compare $1 with $2 ($3).\nAll of it: $ARGUMENTS\n")
    term = terminal()
    turn(term, '/cmp "red apple" pear')
    first = sent(double, 1)
    body = "Compare red apple with pear ().\nAll of it: \"red apple\" pear"
    assert first["messages"] == [{"role": "user", "content": body}]
    assert first["model"] == DEFAULT_MODEL
    turn(term, "and then?")
    roles = [(message["role"], message["content"]) for message in sent(double, 2)["messages"]]
    assert roles[0] == ("user", body) and roles[1][0] == "assistant" and roles[2] == ("user", "and then?")
    assert warnings(term) == []


def test_mentions_in_the_body_attach_files_as_typed_ones_do(tmp_path, terminal, double):
    (tmp_path / "notes.txt").write_text("the secret word is plum\n")
    write(project_dir(tmp_path), "explain.md", "Explain @notes.txt in $ARGUMENTS words\n")
    term = terminal()
    turn(term, "/explain five")
    content = sent(double, 1)["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "Explain @notes.txt in five words"}
    assert "the secret word is plum" in str(content[1:])


def test_a_command_that_fails_comes_back_to_the_input_as_it_was_typed(tmp_path, terminal, double):
    write(user_dir(tmp_path), "ask.md", "Tell me about $1\n")
    double.enqueue(ErrorReply(500, "api_error", "boom"))
    term = terminal()
    term.type_line("/ask 'deep sea fish'")
    term.wait_for("boom")
    term.wait_for_prompt("/ask 'deep sea fish'")
    assert sent(double, 1)["messages"] == [{"role": "user", "content": "Tell me about deep sea fish"}]


def test_the_model_of_the_front_matter_is_used_for_that_request_only(tmp_path, terminal, double):
    write(user_dir(tmp_path), "deep.md", "---\nmodel: claude-opus-4-6\n---\nThink hard about $ARGUMENTS\n")
    term = terminal()
    turn(term, "/deep cats")
    assert any(line.startswith("claude-opus-4-6 · ") for line in term.all_lines())  # its status line
    turn(term, "and dogs?")
    assert [sent(double, 1)["model"], sent(double, 2)["model"]] == ["claude-opus-4-6", DEFAULT_MODEL]
    assert sent(double, 1)["messages"] == [{"role": "user", "content": "Think hard about cats"}]
    command(term, "/model", f"▸ {DEFAULT_MODEL}")


def test_the_projects_file_beats_the_users_and_help_shows_both_groups_and_the_file(tmp_path, terminal, double):
    write(user_dir(tmp_path), "review.md", "---\ndescription: the user's review\n---\nuser review\n")
    write(user_dir(tmp_path), "mine.md", "---\ndescription: only the user has it\n---\nmine $ARGUMENTS\n")
    write(project_dir(tmp_path), "review.md", "---\ndescription: the project's review\n---\nproject review\n")
    term = terminal(cols=WIDE)
    command(term, "/help", "Enter sends · Alt-Enter")
    lines = term.all_lines()
    assert "your commands (/help NAME shows the file):" in lines, term.dump()
    heading = lines.index("your commands (/help NAME shows the file):")
    assert lines.index(next(line for line in lines if line.startswith("/help [COMMAND]"))) < heading
    own = [line.split() for line in lines[heading + 1 : heading + 3]]
    assert own == [["/mine", "[ARGS]", "(user)", "only", "the", "user", "has", "it"],
                   ["/review", "(project)", "the", "project's", "review"]]

    command(term, "/help review", "/review  the project's review")
    assert "from ~/.claudechat/commands/review.md (project)" in term.all_lines()
    command(term, "/help mine", "/mine [ARGS]  only the user has it")
    assert "from ~/config/claudechat/commands/mine.md (user)" in term.all_lines()

    turn(term, "/review")
    assert sent(double, 1)["messages"] == [{"role": "user", "content": "project review"}]


def test_tab_lists_the_users_commands_marked_as_theirs(tmp_path, terminal, double):
    write(user_dir(tmp_path), "mycheck.md", "---\ndescription: check the thing\n---\ncheck\n")
    write(project_dir(tmp_path), "mydeploy.md", "deploy it\n")
    term = terminal(cols=WIDE)
    term.send("/my")
    term.wait_for_prompt("/my")
    term.tab()

    def menu(t: Terminal) -> list[str]:
        return [" ".join(line.split()) for line in t.screen_lines() if re.match(r"^\s+/my\w+\s", line)]

    assert term.wait_for(lambda t: menu(t) == ["/mycheck (user) check the thing", "/mydeploy (project) deploy it"])
    term.send("\x15")  # Ctrl-U: nothing is sent
    term.wait_for_prompt("")
    assert double.requests == []


def test_a_file_shadowing_a_builtin_is_refused_with_one_warning_naming_it(tmp_path, terminal, double):
    write(user_dir(tmp_path), "help.md", "not the help\n")
    write(project_dir(tmp_path), "quit.md", "not quitting\n")
    term = terminal(cols=WIDE)
    command(term, "/help", "Enter sends · Alt-Enter")
    command(term, "/help help", "/help [COMMAND]  list the commands")
    assert warnings(term) == [
        "warning: ~/config/claudechat/commands/help.md: /help is a built-in command; this file is not used (rename it)",
        "warning: ~/.claudechat/commands/quit.md: /quit is a built-in command; this file is not used (rename it)",
    ]
    assert double.requests == []


def test_broken_files_give_one_warning_each_and_the_others_work(tmp_path, terminal, double):
    directory = user_dir(tmp_path)
    write(directory, "bad.md", "+++\nmodel = \n+++\nbody\n")
    write(directory, "latin.md", b"line one\ncaf\xe9\n")
    write(directory, "big.md", "x" * (256 * 1024 + 1))
    write(directory, "good.md", "all good: $1\n")
    term = terminal(cols=WIDE)
    turn(term, "/good yes")
    assert sent(double, 1)["messages"] == [{"role": "user", "content": "all good: yes"}]
    command(term, "/bad", "error: unknown command /bad")
    assert sorted(warnings(term)) == [
        "warning: ~/config/claudechat/commands/bad.md:2: bad front matter: Invalid value; /bad is not available",
        "warning: ~/config/claudechat/commands/big.md: it is over 256 KB; keep it smaller; /big is not available",
        "warning: ~/config/claudechat/commands/latin.md:2: it is not UTF-8 text; /latin is not available",
    ]


def test_a_file_added_while_the_chat_runs_works_without_a_restart(tmp_path, terminal, double):
    term = terminal(cols=WIDE)
    command(term, "/later now", "error: unknown command /later")
    write(user_dir(tmp_path), "later.md", "---\ndescription: added later\n---\nLater: $ARGUMENTS\n")
    term.send("/lat")
    term.wait_for_prompt("/lat")
    term.tab()
    term.wait_for_prompt("/later")  # the one completion is taken into the line
    turn(term, " now")
    assert sent(double, 1)["messages"] == [{"role": "user", "content": "Later: now"}]

    write(project_dir(tmp_path), "broken.md", "---\nmodel: two words\n---\n")
    command(term, "/help", "Enter sends · Alt-Enter")
    assert warnings(term) == [
        "warning: ~/.claudechat/commands/broken.md:2: model 'two words' is not a model id; /broken is not available"
    ]
    command(term, "/help later", "from ~/config/claudechat/commands/later.md (user)")
    assert len(warnings(term)) == 1  # said once


def test_a_command_naming_a_role_takes_it_on_and_an_unknown_role_sends_nothing(tmp_path, terminal, double):
    write(user_dir(tmp_path), "tighten.md", "---\nrole: editor\ndescription: tighten prose\n---\nTighten: $ARGUMENTS\n")
    write(user_dir(tmp_path), "lost.md", "---\nrole: nobody\n---\nHello\n")
    term = terminal(cols=WIDE)
    command(term, "/help tighten", "role: editor")
    command(term, "/tighten this text", "error: no role 'editor'")
    assert double.requests == [] and warnings(term) == []
    assert term.prompt_input() == ""
    write(tmp_path / "config" / "claudechat" / "roles", "editor.md", "+++\ntemperature = 0.3\n+++\nYou edit prose.\n")
    turn(term, "/tighten this text")
    body = sent(double, 1)
    assert body["messages"][0] == {"role": "system", "content": "You edit prose."}
    assert body["messages"][-1] == {"role": "user", "content": "Tighten: this text"}
    assert body["temperature"] == 0.3
    term.wait_for(lambda t: "role editor" in t.screen_lines()[-1])  # taken on, as /role does: the toolbar says so
    command(term, "/lost", "error: no role 'nobody'")
    assert len(double.requests) == 1
