"""Roles in-process: built-ins, role files and their warnings, placeholders, `/role` in the chat.

The end-to-end tests (the request the double gets, the shell role's choices on a terminal) are
in test_roles_cli.py and test_roles_chat.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from claudechat.chat import SessionKeeper, SessionSettings, SessionStore
from claudechat.config import Settings
from claudechat.config.markdown_files import MAX_MARKDOWN_FILE_BYTES
from claudechat.errors import UsageError
from claudechat.repl.app import Repl
from claudechat.repl.commands import COMMANDS, CommandError
from claudechat.repl.completion import SlashCompleter
from claudechat.repl.toolbar import ToolbarState, toolbar_fragments
from claudechat.roles import (
    BUILTIN,
    Role,
    builtin_roles,
    check_role_name,
    check_variables,
    extract_command,
    fill,
    find_role,
    load_roles,
    parse_variables,
    placeholders,
    roles_dir,
    session_changes,
)

UNFOLDED_WIDTH = 10_000


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    """An empty config directory; its roles directory, made."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SHELL", "/bin/bash")
    directory = roles_dir()
    directory.mkdir(parents=True)
    return directory


def write_role(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / f"{name}.md"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


# --- built-in roles ---------------------------------------------------------------------------


def test_three_roles_are_built_in(config):
    roles, warnings = load_roles()
    assert list(roles) == ["code", "explain", "shell"] and warnings == []
    assert all(role.source == BUILTIN and role.description for role in roles.values())
    assert "code only" in roles["code"].prompt.lower() or "code block" in roles["code"].prompt
    assert "explain" in roles["explain"].prompt.lower()


@pytest.mark.parametrize("shell, named", [("/usr/bin/fish", "fish"), ("/bin/zsh", "zsh"), ("", "sh")])
def test_the_shell_role_names_the_users_shell_and_system(monkeypatch, shell, named):
    import platform

    monkeypatch.setenv("SHELL", shell)
    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    prompt = builtin_roles()["shell"].prompt
    assert f"for {named} on macOS" in prompt
    assert "no code fence" in prompt and "nothing else" in prompt


def test_a_file_replaces_a_built_in_role(config):
    path = write_role(config, "shell", "+++\ndescription = \"mine\"\n+++\nPowerShell only.\n")
    roles, warnings = load_roles()
    assert warnings == []
    assert roles["shell"] == Role("shell", "PowerShell only.", "mine", source=str(path), scope="user")
    assert roles["shell"].runs_commands  # still offers to run what it answers
    assert find_role("shell").prompt == "PowerShell only."


def test_a_project_role_wins_over_the_users_and_both_over_a_built_in(config, tmp_path, monkeypatch):
    project = tmp_path / "work" / ".claudechat" / "roles"
    project.mkdir(parents=True)
    (tmp_path / "work" / "src").mkdir()
    monkeypatch.chdir(tmp_path / "work" / "src")  # the nearest parent with .claudechat/ is the project
    write_role(config, "review", "The user's.\n")
    write_role(config, "mine", "Only the user's.\n")
    write_role(project, "review", "The project's.\n")
    write_role(project, "code", "The project's code.\n")
    roles, warnings = load_roles()
    assert warnings == []
    assert (roles["review"].prompt, roles["review"].scope) == ("The project's.", "project")
    assert (roles["mine"].prompt, roles["mine"].scope) == ("Only the user's.", "user")
    assert (roles["code"].prompt, roles["code"].scope) == ("The project's code.", "project")
    assert roles["shell"].scope == BUILTIN
    assert find_role("review").prompt == "The project's."
    assert find_role("mine").prompt == "Only the user's."


# --- role files --------------------------------------------------------------------------------


def test_front_matter_sets_the_role_settings(config):
    write_role(config, "review", '+++\nmodel = "claude-opus-4-6"\ntemperature = 0.2\nmax_tokens = 900\n'
               'reasoning = "hidden"\nresponse_format = "json"\ndescription = "review a diff"\n+++\n\nReview it.\n')
    role = find_role("review")
    assert role.warnings == ()
    assert role.settings() == {"model": "claude-opus-4-6", "temperature": 0.2, "max_tokens": 900,
                               "reasoning": "hidden", "response_format": "json"}
    assert (role.prompt, role.description) == ("Review it.", "review a diff")


def test_flat_front_matter_values_are_converted_like_the_config(config):
    write_role(config, "flat", "---\ntemperature: 0.3\nmax-tokens: 100\nreasoning: Expanded\n"
               "response_format: TEXT\ndescription: \"a flat one\"\n---\nBody\n")
    role = find_role("flat")
    assert role.warnings == ()
    assert (role.temperature, role.max_tokens, role.reasoning, role.response_format) == (0.3, 100, "expanded", "text")
    assert role.description == "a flat one"


def test_bad_values_and_unknown_keys_each_give_one_warning_naming_file_and_line(config):
    path = write_role(config, "odd", '+++\ndescription = "odd"\ntemperature = 5\ncolour = "red"\n'
                      'max_tokens = 0\nresponse_format = "xml"\nmodel = "two words"\n+++\nStill works.\n')
    role = find_role("odd")
    assert role.prompt == "Still works." and role.description == "odd"
    assert role.settings() == {}
    assert list(role.warnings) == [
        f"{path}:3: temperature must be a number from 0 to 2, got 5; ignored",
        f"{path}:4: unknown key 'colour' ignored (role keys: model, temperature, max_tokens, reasoning, "
        "response_format, description)",
        f"{path}:5: max_tokens must be a whole number of at least 1, got 0; ignored",
        f"{path}:6: response_format must be json or text, got 'xml'; ignored",
        f"{path}:7: model must be a model id without spaces, got 'two words'; ignored",
    ]


def test_a_model_id_too_long_for_a_session_is_refused(config):
    path = write_role(config, "long", f'+++\nmodel = "{"m" * 201}"\n+++\nBody\n')
    role = find_role("long")
    assert role.model is None
    assert role.warnings[0].startswith(f"{path}:2: model must be a model id without spaces of at most 200 characters")


def test_a_flat_bad_value_names_its_line_too(config):
    path = write_role(config, "flat", "---\n\ndescription: x\ntemperature: hot\n---\nBody\n")
    [warning] = find_role("flat").warnings
    assert warning == f"{path}:4: temperature must be a number from 0 to 2, got 'hot'; ignored"


def test_broken_files_give_one_warning_each_and_the_others_load(config):
    write_role(config, "good", "Be good.\n")
    toml = write_role(config, "toml", "+++\nmodel = \n+++\nbody\n")
    big = write_role(config, "big", "x" * (MAX_MARKDOWN_FILE_BYTES + 1))
    named = write_role(config, "two words", "body\n")
    binary = write_role(config, "binary", b"abc\0def")
    roles, warnings = load_roles()
    assert list(roles) == ["code", "explain", "good", "shell"]
    assert roles["good"].prompt == "Be good."
    assert len(warnings) == 4
    assert f"{big}: it is over 256 KB; keep it smaller" in warnings
    assert any(warning.startswith(f"{toml}:2: bad front matter") for warning in warnings)
    assert f"{named}: 'two words' is not a usable name" in warnings
    assert any(warning.startswith(f"{binary}:1: it is not text") for warning in warnings)


def test_a_broken_file_asked_for_by_name_is_one_usage_error(config):
    write_role(config, "big", "x" * (MAX_MARKDOWN_FILE_BYTES + 1))
    with pytest.raises(UsageError, match=r"role 'big' cannot be used: .*big\.md: it is over 256 KB") as caught:
        find_role("big")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "a\\b", "a\x1bb", "tab\there", "..", "", "x" * 65, "new\nline"])
def test_names_with_separators_or_controls_are_refused_in_one_line(config, name):
    with pytest.raises(UsageError, match="is not a role name") as caught:
        find_role(name)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_usable_name_is_returned_as_it_is():
    assert check_role_name("my-role_2.1") == "my-role_2.1"


def test_an_unknown_role_says_which_there_are(config):
    write_role(config, "review", "Review.\n")
    with pytest.raises(UsageError) as caught:
        find_role("nope")
    assert str(caught.value).startswith("no role 'nope' (roles: code, explain, review, shell;")
    with pytest.raises(UsageError, match="did you mean 'review'"):
        find_role("reveiw")


# --- placeholders -------------------------------------------------------------------------------


def test_placeholders_are_found_once_in_order():
    assert placeholders("{{b}} {{ input }} {{a}} {{b}} {{not a name}} {single}") == ["b", "input", "a"]
    role = Role("t", "Translate to {{lang}}: {{input}} ({{lang}})")
    assert role.is_template and role.variables == ["lang"]
    assert not Role("s", "Speak {{lang}}").is_template


def test_fill_is_one_pass_and_leaves_unknown_placeholders():
    assert fill("{{a}} {{input}} {{b}}", {"a": "{{input}}", "input": "X"}) == "{{input}} X {{b}}"


def test_variables_are_name_value_pairs():
    assert parse_variables(["lang=go", "empty=", "eq=a=b", "lang=rust"]) == {"lang": "rust", "empty": "", "eq": "a=b"}
    for bad in ("novalue", "=x", "1x=y", "a b=c"):
        with pytest.raises(UsageError, match="--var takes NAME=VALUE"):
            parse_variables([bad])
    with pytest.raises(UsageError, match="cannot set input"):
        parse_variables(["input=x"])


def test_missing_variables_are_named():
    role = Role("r", "{{a}} {{b}} {{input}}")
    check_variables(role, {"a": "1", "b": "2"})
    with pytest.raises(UsageError) as caught:
        check_variables(role, {"a": "1"})
    assert str(caught.value) == "role 'r' needs the variable b (give --var b=VALUE)"
    with pytest.raises(UsageError, match=r"needs the variables a, b \(give --var a=VALUE --var b=VALUE\)"):
        check_variables(role, {})


# --- what a role changes ----------------------------------------------------------------------------


def test_session_changes_are_the_prompt_and_the_settings_the_role_sets():
    role = Role("r", "Answer in {{lang}}.", model="claude-opus-4-6", temperature=0.1, max_tokens=5,
                reasoning="hidden", response_format="json")
    assert session_changes(role, {"lang": "Go"}) == {"role": "r", "system": "Answer in Go.", "model": "claude-opus-4-6",
                                                     "temperature": 0.1, "max_tokens": 5, "json": True}
    assert session_changes(Role("t", "{{input}}", response_format="text"), {}) == {"role": "t", "json": False}
    assert session_changes(Role("e", ""), {}) == {"role": "e", "system": None}


@pytest.mark.parametrize(
    "answer, command",
    [
        ("ls -la\n", "ls -la"),
        ("```bash\nfind . -name '*.py'\n```", "find . -name '*.py'"),
        ("~~~\nls\n~~~\n", "ls"),
        ("`du -sh *`", "du -sh *"),
        ("$ git status", "git status"),
        ("```python\ndef f():\n    return 1\n```", "def f():\n    return 1"),
        ("Run this:\n```sh\nls\n```\nthen that.", "Run this:\n```sh\nls\n```\nthen that."),  # nothing dropped
    ],
)
def test_the_command_is_taken_out_of_what_the_model_wrapped_it_in(answer, command):
    assert extract_command(answer) == command


# --- /role in the chat ----------------------------------------------------------------------------


@pytest.fixture
def app(config, tmp_path, monkeypatch) -> Repl:
    monkeypatch.chdir(tmp_path)
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(base_url="http://127.0.0.1:9/v1", system="configured", temperature=0.5, reasoning="collapsed")
    keeper = SessionKeeper(SessionStore(tmp_path / "sessions"),
                           SessionSettings(model="claude-sonnet-4-6", system="configured", temperature=0.5))
    app = Repl(settings, keeper)
    app.console.size = (UNFOLDED_WIDTH, 25)
    return app


def run(app: Repl, line: str) -> None:
    asyncio.run(COMMANDS.dispatch(app, line))


def test_role_takes_on_the_prompt_and_settings_and_none_puts_them_back(app, config, capsys):
    write_role(config, "terse", '+++\nmodel = "claude-opus-4-6"\ntemperature = 0.1\nreasoning = "hidden"\n'
               'response_format = "json"\n+++\nBe terse.\n')
    run(app, "/role terse")
    settings = app.session.settings
    assert (settings.role, settings.system, settings.model, settings.temperature, settings.json) == (
        "terse", "Be terse.", "claude-opus-4-6", 0.1, True)
    assert app.reasoning_mode == "hidden"
    assert "role is now terse (model claude-opus-4-6" in capsys.readouterr().out
    run(app, "/role none")
    settings = app.session.settings
    assert (settings.role, settings.system, settings.model, settings.temperature, settings.json) == (
        None, "configured", "claude-sonnet-4-6", 0.5, False)
    assert app.reasoning_mode == "collapsed"
    assert "role terse dropped" in capsys.readouterr().out
    assert {"op": "settings", "settings": {"role": None, "system": "configured", "model": "claude-sonnet-4-6",
                                           "temperature": 0.5, "json": False}} in app.session.pending


def test_switching_roles_puts_back_what_the_first_set_and_the_second_does_not(app, config):
    write_role(config, "hot", "+++\ntemperature = 1.9\n+++\nBe wild.\n")
    app.session.change_settings(max_tokens=77)  # set by hand: no role touches it
    run(app, "/role hot")
    assert app.session.settings.temperature == 1.9
    run(app, "/role explain")
    settings = app.session.settings
    assert (settings.role, settings.temperature, settings.max_tokens) == ("explain", 0.5, 77)
    assert settings.system == builtin_roles()["explain"].prompt


def test_role_fills_its_variables_from_the_command(app, config):
    write_role(config, "lang", "Answer in {{lang}}, as {{who}}.\n")
    with pytest.raises(CommandError, match="needs the variables lang, who") as caught:
        run(app, "/role lang")
    assert caught.value.hint == "/role lang lang=VALUE who=VALUE"
    assert app.session.settings.role is None
    run(app, "/role lang lang=Go 'who=a pirate'")
    assert app.session.settings.system == "Answer in Go, as a pirate."


def test_role_refuses_a_template_a_bad_name_and_an_unknown_role(app, config):
    write_role(config, "tr", "Translate: {{input}}\n")
    with pytest.raises(CommandError, match="is a template for one question"):
        run(app, "/role tr")
    with pytest.raises(CommandError, match="is not a role name"):
        run(app, "/role ../x")
    with pytest.raises(CommandError, match="no role 'nope'"):
        run(app, "/role nope")
    assert app.session.settings.role is None and app.session.pending == []


def test_role_without_argument_lists_them_marking_the_current_one(app, config, capsys):
    write_role(config, "mine", "+++\ndescription = \"my own\"\n+++\nx\n")
    write_role(config, "broken", "+++\nx = \n+++\n")
    run(app, "/role")
    out = capsys.readouterr().out
    assert "no role (/role NAME takes one on)" in out
    assert "warning:" in out and "broken.md:2" in out
    run(app, "/role shell")
    capsys.readouterr()
    run(app, "/role")
    lines = capsys.readouterr().out.splitlines()
    assert "role: shell" in lines
    [current] = [line for line in lines if line.startswith("▸")]
    assert current.split()[:2] == ["▸", "shell"] and current.endswith("built-in")
    [mine] = [line for line in lines if "my own" in line]
    assert mine.split()[0] == "mine" and mine.endswith("file")


def test_none_without_a_role_changes_nothing(app, capsys):
    run(app, "/role none")
    assert "no role to drop" in capsys.readouterr().out
    assert app.session.pending == []


def test_tab_after_role_offers_every_role_and_none(app, config):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    write_role(config, "shellish", "x\n")
    completer = SlashCompleter(app)
    found = [c.text for c in completer.get_completions(Document("/role sh"), CompleteEvent(completion_requested=True))]
    assert found == ["shell", "shellish"]
    everything = [c.text for c in completer.get_completions(Document("/role "), CompleteEvent(completion_requested=True))]
    assert everything == ["code", "explain", "shell", "shellish", "none"]


def test_the_toolbar_shows_the_role_in_place_of_its_prompt():
    with_role = "".join(text for _, text in toolbar_fragments(ToolbarState(model="m", role="shell", system="long prompt"), 200))
    assert " role shell" in with_role and "system" not in with_role
    without = "".join(text for _, text in toolbar_fragments(ToolbarState(model="m", system="long prompt"), 200))
    assert "role" not in without and " system long prompt" in without
