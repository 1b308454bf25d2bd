"""The user's own slash-commands in-process: reading a command file, filling in its arguments,
and keeping one chat's commands up to date with their folders.

The chat itself runs them in tests/test_user_commands_chat.py, against the service double.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from claudechat.folders import project_dir, user_and_project_folders
from claudechat.config.markdown_files import MarkdownFileError
from claudechat.repl.commands import CommandError, split_command
from claudechat.repl.user_commands import (
    UserCommands,
    apply_role,
    expand,
    read_user_command,
)


def write(directory, name: str, content: str | bytes):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


BUILTIN = {"help", "model", "quit", "exit"}


def commands(tmp_path, start=None) -> UserCommands:
    return UserCommands(BUILTIN.__contains__, user_dir=tmp_path / "user", start=start or tmp_path / "work")


# --- filling in the arguments ----------------------------------------------------------------


def test_arguments_whole_and_as_words_quotes_kept_together():
    body = "Compare $1 with $2.\nAll of it: $ARGUMENTS"
    assert expand("cmp", body, "a.py 'my notes.md'") == "Compare a.py with my notes.md.\nAll of it: a.py 'my notes.md'"


def test_a_missing_word_is_empty_and_ten_is_one_then_zero():
    assert expand("c", "[$1] [$3] [$10]", "x") == "[x] [] [x0]"


def test_filled_in_one_pass_so_an_argument_holding_a_placeholder_stays():
    assert expand("c", "$1 / $ARGUMENTS", "$2 $ARGUMENTS") == "$2 / $2 $ARGUMENTS"


def test_a_body_without_placeholders_gets_the_arguments_appended_never_dropped():
    assert expand("c", "Review this.\n\n", "carefully please") == "Review this.\n\nARGUMENTS: carefully please"
    assert expand("c", "Review this.\n", "") == "Review this."
    assert expand("c", "", "just this") == "just this"


def test_unbalanced_quotes_are_refused_only_when_words_are_needed():
    assert expand("c", "say $ARGUMENTS", "what's up") == "say what's up"
    with pytest.raises(CommandError, match=r"cannot split the arguments of /c into words: no closing quotation") as caught:
        expand("c", "say $1", "what's up")
    assert "\n" not in str(caught.value)


def test_the_name_ends_at_any_white_space_and_arguments_may_start_on_the_next_line():
    assert split_command("/review\nline one\nline two") == ("review", "line one\nline two")
    assert split_command("  / model   x  ") == ("model", "x")
    assert split_command("/help") == ("help", "")


# --- one file ----------------------------------------------------------------------------------


def test_claude_code_front_matter_is_read_and_its_tool_keys_ignored(tmp_path):
    path = write(tmp_path, "review.md", "---\ndescription: Review a file\nargument-hint: FILE [FOCUS]\n"
                 "allowed-tools: Bash(git diff:*)\nmodel: claude-opus-4-6\n---\nReview $1.\n")
    command, warnings = read_user_command(path, "user")
    assert (command.name, command.description, command.model, command.role) == ("review", "Review a file", "claude-opus-4-6", None)
    assert (command.usage, command.summary, command.body) == ("/review FILE [FOCUS]", "Review a file", "Review $1.\n")
    assert warnings == []


def test_toml_front_matter_with_a_role(tmp_path):
    path = write(tmp_path, "t.md", '+++\nrole = "editor"\n+++\nTighten this: $ARGUMENTS\n')
    command, _ = read_user_command(path, "project")
    assert (command.role, command.scope, command.usage) == ("editor", "project", "/t [ARGS]")


def test_without_a_description_the_first_line_of_the_body_is_the_summary(tmp_path):
    command, _ = read_user_command(write(tmp_path, "fix.md", "\n\n  Fix the failing test.  \nMore.\n"), "user")
    assert (command.summary, command.usage) == ("Fix the failing test.", "/fix")


def test_an_unknown_key_is_named_with_its_line_and_the_command_still_loads(tmp_path):
    path = write(tmp_path, "t.md", "---\ndescription: x\nmodle: claude-opus-4-6\n---\nbody\n")
    command, warnings = read_user_command(path, "user")
    assert command.model is None
    assert len(warnings) == 1
    assert warnings[0].endswith("t.md:3: ignoring the unknown key 'modle' (known: description, model, role, argument-hint)")


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("model: two words", r"t\.md:2: model 'two words' is not a model id"),
        ("role: ../etc", r"t\.md:2: role '\.\./etc' is not a role name"),
        ("description = 3", r"t\.md:2: description must be text"),
    ],
)
def test_bad_values_name_the_file_and_line(tmp_path, front, message):
    path = write(tmp_path, "t.md", f"---\n{front}\n---\nbody\n")
    with pytest.raises(MarkdownFileError, match=message):
        read_user_command(path, "user")


def test_a_role_that_does_not_exist_stops_the_command_before_anything_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError, match=r"^no role 'editor'"):
        apply_role(None, "editor")  # type: ignore[arg-type]  (refused before the chat is touched)


# --- the folders ---------------------------------------------------------------------------------


def test_the_project_is_the_nearest_folder_holding_claudechat(tmp_path):
    (tmp_path / "repo" / ".claudechat").mkdir(parents=True)
    deep = tmp_path / "repo" / "src" / "pkg"
    deep.mkdir(parents=True)
    assert project_dir(deep) == tmp_path / "repo" / ".claudechat"
    (tmp_path / "repo" / "src" / ".claudechat").mkdir()
    assert user_and_project_folders("commands", user_dir=tmp_path / "u", start=deep) == [
        ("user", tmp_path / "u"),
        ("project", tmp_path / "repo" / "src" / ".claudechat" / "commands"),
    ]


def test_the_users_folder_is_not_also_a_project(tmp_path):
    (tmp_path / ".claudechat" / "commands").mkdir(parents=True)
    same = tmp_path / ".claudechat" / "commands"
    assert user_and_project_folders("commands", user_dir=same, start=tmp_path) == [("user", same)]


def test_the_projects_file_wins_over_the_users_and_both_are_listed(tmp_path):
    write(tmp_path / "user", "review.md", "user review")
    write(tmp_path / "user", "mine.md", "only mine")
    write(tmp_path / "work" / ".claudechat" / "commands", "review.md", "project review")
    found = commands(tmp_path)
    review = found.find("review")
    assert review is not None and review.scope == "project" and review.source == tmp_path / "work/.claudechat/commands/review.md"
    assert [(command.name, command.scope) for command in found] == [("mine", "user"), ("review", "project")]
    assert found.take_warnings() == []


def test_a_file_shadowing_a_builtin_command_or_alias_is_refused_with_one_warning(tmp_path):
    write(tmp_path / "user", "help.md", "x")
    write(tmp_path / "user", "quit.md", "x")
    write(tmp_path / "user", "ok.md", "x")
    found = commands(tmp_path)
    assert [command.name for command in found] == ["ok"]
    warnings = found.take_warnings()
    assert len(warnings) == 2
    assert warnings[0].endswith("help.md: /help is a built-in command; this file is not used (rename it)")
    assert "quit.md: /quit is a built-in command" in warnings[1]
    found.refresh(deep=True)
    assert found.take_warnings() == []  # said once


def test_broken_files_are_one_warning_each_and_the_others_work(tmp_path):
    user = tmp_path / "user"
    write(user, "bad-toml.md", "+++\nmodel = \n+++\nbody\n")
    write(user, "latin.md", b"caf\xe9\n")
    write(user, "huge.md", "x" * (256 * 1024 + 1))
    write(user, "has space.md", "x")
    write(user, "good.md", "good body")
    found = commands(tmp_path)
    assert [command.name for command in found] == ["good"]
    warnings = sorted(found.take_warnings())
    assert [warning.rsplit("/user/", 1)[1] for warning in warnings] == [
        "bad-toml.md:2: bad front matter: Invalid value; /bad-toml is not available",
        "has space.md: 'has space' is not a usable name; /has space is not available",
        "huge.md: it is over 256 KB; keep it smaller; /huge is not available",
        "latin.md:1: it is not UTF-8 text; /latin is not available",
    ]
    assert found.take_warnings() == []


def test_a_file_added_or_edited_later_is_found_and_a_fixed_then_broken_one_warned_again(tmp_path):
    user = tmp_path / "user"
    found = commands(tmp_path)
    assert list(found) == [] and found.take_warnings() == []  # the folder does not exist yet
    write(user, "later.md", "---\ndescription: first\n---\nx\n")
    assert [command.summary for command in found] == ["first"]
    path = write(user, "later.md", "---\ndescription: second\n---\nx\n")
    os.utime(path, ns=(1, 1))  # an edit in place, at a time the folder's own does not follow
    assert found.find("later").summary == "second"
    path.write_text("---\nmodel = \n---\n")
    assert found.find("later") is None and len(found.take_warnings()) == 1
    path.write_text("fixed")
    assert found.find("later") is not None and found.take_warnings() == []
    path.write_text("---\nmodel = \n---\n")
    assert found.find("later") is None and len(found.take_warnings()) == 1


def test_an_unchanged_folder_is_not_read_again(tmp_path, monkeypatch):
    user = tmp_path / "user"
    write(user, "a.md", "x")
    old = 1_000_000_000_000_000_000  # long ago: not within the clock's granularity of now
    os.utime(user / "a.md", ns=(old, old))
    os.utime(user, ns=(old, old))
    found = commands(tmp_path)
    assert [command.name for command in found] == ["a"]
    reads = []
    import claudechat.repl.user_commands as module

    monkeypatch.setattr(module, "markdown_files", lambda directory: reads.append(directory) or iter(()))
    list(found)
    list(found)
    assert reads == []
    write(user, "b.md", "y")  # the folder's time moves on
    list(found)
    assert reads != []


@pytest.mark.e2e
def test_importing_the_commands_does_not_import_the_chat_loop():
    code = "import sys, claudechat.repl.commands, claudechat.repl.user_commands, claudechat.repl.completion;" \
           "print(sorted(m for m in sys.modules if m.startswith('claudechat.repl')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "claudechat.repl.app" not in out and "claudechat.repl.commands" in out


def test_a_command_sends_its_filled_body_with_its_model_and_puts_the_typed_line_back(tmp_path):
    write(tmp_path / "user", "ask.md", "---\nmodel: claude-opus-4-6\n---\nAnswer $1 about $2\n")
    command = commands(tmp_path).find("ask")
    sent = []

    class App:
        async def send(self, text, *, model=None, typed=None):
            sent.append((text, model, typed))

    asyncio.run(command.run(App(), '"the question" code'))  # type: ignore[arg-type]
    assert sent == [("Answer the question about code", "claude-opus-4-6", '/ask "the question" code')]


def test_no_module_of_the_chat_imports_back_into_a_loop_not_even_for_types():
    import ast
    from pathlib import Path

    import claudechat.repl

    package = Path(claudechat.repl.__file__).parent
    imports: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        found = imports.setdefault(path.stem, set())
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "claudechat.repl":
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("claudechat.repl."):
                found.add(node.module.split(".")[2])
    assert "app" not in imports["commands"] and "app" not in imports["interface"]

    def loop_from(module: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        for imported in sorted(imports.get(module, ())):
            if imported in path:
                return path[path.index(imported):] + (imported,)
            found = loop_from(imported, path + (imported,))
            if found:
                return found
        return None

    assert [loop for module in sorted(imports) if (loop := loop_from(module, (module,)))] == []
