"""Shell completion: the scripts `claudechat completion SHELL` prints, driven in real shells.

bash is driven through its completion function with COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT
set as bash sets them on a Tab; zsh through a pseudo-terminal (zpty) in which Tab is pressed;
fish through `complete -C`. Each shell finds `claudechat` on its PATH, as a user's does, and
runs it in the test's own directories, so the session ids offered are the test's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from claudechat.chat import Message, SessionSettings, SessionStore
from claudechat.chat.keeper import SessionKeeper
from claudechat.models import MODELS
from claudechat.shell_completion import words
from claudechat.shell_completion.script import completion_parser, completion_script, option_action
from claudechat.shell_completion.table import FILES, NOT_YET_IN_PARSER, OPTION_WORDS
from tests.cli_helpers import CLI, SCRIPT, assert_one_line

SHELL_TIMEOUT = 30.0


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(root=tmp_path, token="sk-test-completion", base_url=None)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CLI:
    """The same directories as `cli`, for code run in this process."""
    user = CLI(root=tmp_path, token="sk-test-completion", base_url=None)
    for name, value in user.environ().items():
        if name.startswith("XDG_") or name == "HOME":
            monkeypatch.setenv(name, value)
    return user


def saved_sessions(cli: CLI, count: int) -> list[str]:
    """`count` sessions saved with the real session API, the last one used most recently;
    their ids, the most recently used first."""
    directory = cli.data_home / "claudechat" / "sessions"
    ids = []
    for number in range(count):
        keeper = SessionKeeper(SessionStore(directory), SessionSettings(model="claude-sonnet-4-6"))
        keeper.session.add_turn(Message("user", f"question {number}"), Message("assistant", "ok"))
        keeper.save()
        keeper.close()
        ids.append(keeper.session.id)
    for age, session_id in enumerate(reversed(ids)):  # explicit times: no reliance on the clock's grain
        stamp = 1_700_000_000 - age * 60
        os.utime(directory / f"{session_id}.jsonl", (stamp, stamp))
    return list(reversed(ids))


# --- the table of which option completes what ----------------------------------------------


def test_every_table_entry_names_an_option_of_the_parser_or_one_still_to_come() -> None:
    parser = completion_parser()
    missing = [option for option in OPTION_WORDS if option_action(parser, option) is None]
    unexpected = sorted(set(missing) - NOT_YET_IN_PARSER)
    assert not unexpected, (
        f"the completion table names {unexpected}, which the parser (claudechat.cli._build_parser) lacks: "
        "fix the name in claudechat/shell_completion/table.py, or list the option in NOT_YET_IN_PARSER"
    )
    assert all(kind == FILES or kind in words.KINDS for kind in OPTION_WORDS.values())


def test_the_options_that_exist_get_their_completion_in_every_shell() -> None:
    scripts = {shell: completion_script(shell) for shell in ("bash", "zsh", "fish")}
    for option, kind in OPTION_WORDS.items():
        if option in NOT_YET_IN_PARSER:
            continue
        if kind == FILES:
            assert f"_{option.lstrip('-')}_COMPGEN=_shtab_compgen_files" in scripts["bash"]
            continue
        assert f"_{option.lstrip('-')}_COMPGEN=_claudechat_words_{kind}" in scripts["bash"]
        assert f"_claudechat_words_{kind}() {{\n  _claudechat_words {kind}\n}}" in scripts["zsh"]
        assert f"-l {option[2:]} -xka \"(claudechat completion --words {kind} 2>/dev/null)\"" in scripts["fish"]


def test_scripts_complete_subcommands_and_choices() -> None:
    bash = completion_script("bash")
    assert "_shtab_claudechat_subparsers=(config auth sessions search export roles usage completion)" in bash
    assert "_shtab_claudechat_search___output_choices=(text json)" in bash
    assert "_shtab_claudechat___output_choices=(text json)" in bash
    assert "_shtab_claudechat___response_format_choices=(json text)" in bash
    assert "_shtab_claudechat_config_subparsers=(show set unset path)" in bash
    assert "_shtab_claudechat_export_pos_0_COMPGEN=_claudechat_words_sessions" in bash
    assert "_shtab_claudechat_export___format_choices=(md json html)" in bash
    assert "complete -o bashdefault -F _shtab_claudechat claudechat" in bash
    zsh = completion_script("zsh")
    assert zsh.startswith("#compdef claudechat\n")
    assert '"--response-format[' in zsh and ":(json text)" in zsh
    fish = completion_script("fish")
    assert "-a config " in fish and "-a completion " in fish
    assert "-l output -xka \"text json\"" in fish


def test_config_keys_are_offered_after_set_and_unset_but_not_the_token() -> None:
    bash = completion_script("bash")
    for action in ("set", "unset"):
        line = next(line for line in bash.splitlines() if line.startswith(f"_shtab_claudechat_config_{action}_pos_0_choices="))
        assert "model" in line and "theme" in line and "editing_mode" in line
        assert "api_key" not in line


# --- the words asked for at Tab time -------------------------------------------------------


def test_models_are_the_catalogue_in_its_order() -> None:
    assert words.words("models") == [model.id for model in MODELS]


def test_sessions_are_the_file_names_newest_first_without_reading_the_logs(isolated: CLI) -> None:
    ids = saved_sessions(isolated, 3)
    damaged = isolated.data_home / "claudechat" / "sessions" / f"{ids[1]}.jsonl"
    used = damaged.stat().st_mtime
    damaged.write_bytes(b"\x00 not a log at all")  # listed all the same: no log is read
    os.utime(damaged, (used, used))
    assert words.words("sessions") == ids


def test_no_sessions_directory_is_no_sessions(isolated: CLI) -> None:
    assert words.words("sessions") == []


def test_roles_are_the_built_ins_and_the_markdown_files(isolated: CLI) -> None:
    roles = isolated.config_dir / "roles"
    roles.mkdir(parents=True)
    for name in ("reviewer.md", "code.md", "notes.txt", ".hidden.md", "with space.md"):
        (roles / name).write_text("x", encoding="utf-8")
    assert words.words("roles") == ["shell", "code", "explain", "reviewer"]


def test_profiles_are_the_profile_tables_of_the_config_file(isolated: CLI) -> None:
    isolated.write_config('model = "x"\n[profiles.work]\nmodel = "a"\n[profiles.local]\nbase_url = "http://h"\n'
                          '[profiles]\nodd = 3\n')
    assert words.words("profiles") == ["work", "local"]


def test_a_broken_config_file_offers_no_profiles_and_no_error(isolated: CLI) -> None:
    isolated.write_config("[profiles.work\n")
    assert words.words("profiles") == []


def test_themes_are_the_built_in_and_user_themes(isolated: CLI) -> None:
    themes = isolated.config_dir / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text('inherits = "dark"\n', encoding="utf-8")
    found = words.words("themes")
    assert {"dark", "light", "monochrome", "mine"} <= set(found)
    assert found == sorted(found)


def test_names_a_shell_would_split_or_show_raw_are_left_out() -> None:
    assert words.safe_words(["ok", "two words", "new\nline", "esc\x1b[31m", "", "tab\t", "é-ü"]) == ["ok", "é-ü"]


def test_an_unknown_kind_is_a_usage_error() -> None:
    from claudechat.errors import UsageError

    with pytest.raises(UsageError, match="takes one of models, sessions, roles, profiles, themes"):
        words.words_main(["colours"])


# --- the program -----------------------------------------------------------------------------


@pytest.mark.e2e
def test_words_are_printed_one_a_line(cli: CLI) -> None:
    ids = saved_sessions(cli, 2)
    result = cli.run("completion", "--words", "sessions")
    assert (result.returncode, result.stdout, result.stderr) == (0, "".join(f"{i}\n" for i in ids), "")
    models = cli.run("completion", "--words", "models")
    assert models.stdout.splitlines() == [model.id for model in MODELS]


@pytest.mark.e2e
@pytest.mark.parametrize("args", [["completion"], ["completion", "tcsh"], ["completion", "--words"],
                                  ["completion", "--words", "nope"]])
def test_completion_usage_errors_are_one_line(cli: CLI, args: list[str]) -> None:
    result = cli.run(*args)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert assert_one_line(result.stderr, result).startswith("claudechat: error: ")


@pytest.mark.e2e
def test_neither_version_nor_the_words_load_argparse_or_shtab(cli: CLI) -> None:
    code = (
        "import sys, io, contextlib\n"
        "from claudechat.cli import main, _parse\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    assert main(sys.argv[1:]) == 0\n"
        "_parse([])\n"  # what bare `claudechat` parses
        "assert out.getvalue(), 'nothing printed'\n"
        "print(sorted(m for m in ('argparse', 'shtab', 'claudechat.subcommands') if m in sys.modules))\n"
    )
    python = sys.executable
    for args in (["--version"], ["completion", "--words", "models"]):
        result = subprocess.run([python, "-c", code, *args], capture_output=True, text=True,
                                env=cli.environ(), cwd=cli.root, timeout=SHELL_TIMEOUT, check=False)
        assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", ""), (args, result)


# --- real shells -----------------------------------------------------------------------------


def shell_environment(cli: CLI) -> dict[str, str]:
    """The test's user, with the installed `claudechat` first on the PATH."""
    env = cli.environ()
    env["PATH"] = f"{SCRIPT.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def script_file(cli: CLI, shell: str, name: str) -> Path:
    result = cli.run("completion", shell)
    assert result.returncode == 0 and result.stderr == "", result
    path = cli.root / "completions" / shell / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(result.stdout, encoding="utf-8")
    return path


_BASH_DRIVER = r"""
source "$1"; shift
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
complete -p claudechat >/dev/null || exit 3
_shtab_claudechat claudechat "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


@pytest.fixture
def bash_complete(cli: CLI):
    """Completions bash offers for a command line whose last word is being completed."""
    script = script_file(cli, "bash", "claudechat")

    def complete(*words: str) -> list[str]:
        result = subprocess.run(["bash", "--norc", "--noprofile", "-c", _BASH_DRIVER, "driver", str(script), *words],
                                capture_output=True, text=True, env=shell_environment(cli), cwd=cli.root,
                                timeout=SHELL_TIMEOUT, check=False)
        assert result.returncode == 0 and result.stderr == "", result
        return [line for line in result.stdout.splitlines() if line]

    return complete


@pytest.mark.e2e
def test_bash_completes_subcommands_and_their_words(bash_complete) -> None:
    assert bash_complete("claudechat", "con") == ["config"]
    assert bash_complete("claudechat", "") == ["config", "auth", "sessions", "search", "export", "roles", "usage", "completion"]
    assert bash_complete("claudechat", "config", "") == ["show", "set", "unset", "path"]
    assert bash_complete("claudechat", "config", "set", "edi") == ["editing_mode"]
    assert bash_complete("claudechat", "completion", "") == ["bash", "zsh", "fish"]
    assert bash_complete("claudechat", "sessions", "--") == ["--help", "--all", "--output"]


@pytest.mark.e2e
def test_bash_completes_options_and_their_choices(bash_complete) -> None:
    assert bash_complete("claudechat", "--respo") == ["--response-format"]
    assert bash_complete("claudechat", "--output", "") == ["text", "json"]
    assert bash_complete("claudechat", "-m", "x", "--response-format", "j") == ["json"]
    assert bash_complete("claudechat", "sessions", "--output", "j") == ["json"]


@pytest.mark.e2e
def test_bash_completes_model_ids_by_prefix(bash_complete) -> None:
    expected = [model.id for model in MODELS if model.id.startswith("claude-opus-4-2")]
    assert len(expected) == 2
    assert bash_complete("claudechat", "-m", "claude-opus-4-2") == expected
    assert bash_complete("claudechat", "--model", "") == [model.id for model in MODELS]


@pytest.mark.e2e
def test_bash_completes_session_ids_of_this_user_newest_first(cli: CLI, bash_complete) -> None:
    ids = saved_sessions(cli, 4)
    assert bash_complete("claudechat", "--resume", "") == ids
    prefix = ids[2][:2]
    assert bash_complete("claudechat", "--resume", prefix) == [i for i in ids if i.startswith(prefix)]


@pytest.mark.e2e
def test_bash_completes_export_s_session_ids_formats_files_and_themes(cli: CLI, bash_complete) -> None:
    ids = saved_sessions(cli, 3)
    (cli.root / "notes-page.html").write_text("")
    assert bash_complete("claudechat", "export", "") == ids
    assert bash_complete("claudechat", "export", ids[1], "--format", "h") == ["html"]
    assert bash_complete("claudechat", "export", ids[1], "-o", "notes-") == ["notes-page.html"]
    assert bash_complete("claudechat", "export", ids[1], "--theme", "solar") == ["solarized-dark"]


@pytest.mark.e2e
def test_bash_completes_the_sessions_actions_and_the_ids_rm_takes(cli: CLI, bash_complete) -> None:
    ids = saved_sessions(cli, 3)
    assert bash_complete("claudechat", "sessions", "") == ["reindex", "rm", "prune"]
    assert bash_complete("claudechat", "sessions", "pr") == ["prune"]
    assert bash_complete("claudechat", "sessions", "rm", "") == ids
    assert bash_complete("claudechat", "sessions", "rm", ids[0], "") == ids  # as many as wanted
    assert bash_complete("claudechat", "sessions", "prune", "--") == ["--help", "--older-than", "--yes", "--output"]


@pytest.mark.e2e
def test_bash_completes_profiles_of_the_config_file(cli: CLI, bash_complete) -> None:
    cli.write_config('[profiles.work]\nmodel = "claude-opus-4-6"\n\n[profiles.local]\nbase_url = "http://127.0.0.1:9/v1"\n')
    assert bash_complete("claudechat", "--profile", "") == ["work", "local"]
    assert bash_complete("claudechat", "-p", "lo") == ["local"]


@pytest.mark.e2e
def test_bash_completes_roles_built_in_and_the_users(cli: CLI, bash_complete) -> None:
    roles = cli.config_dir / "roles"
    roles.mkdir(parents=True)
    (roles / "review.md").write_text("Review this.\n", encoding="utf-8")
    assert bash_complete("claudechat", "-r", "") == ["shell", "code", "explain", "review"]
    assert bash_complete("claudechat", "--role", "re") == ["review"]


@pytest.mark.e2e
def test_bash_completes_themes(bash_complete) -> None:
    assert bash_complete("claudechat", "--theme", "solar") == ["solarized-dark"]


@pytest.mark.e2e
def test_bash_completes_files_after_f_and_i(cli: CLI, bash_complete) -> None:
    (cli.root / "notes-a.md").write_text("a", encoding="utf-8")
    (cli.root / "notes-b.txt").write_text("b", encoding="utf-8")
    (cli.root / "notebook").mkdir()
    assert sorted(bash_complete("claudechat", "-f", "note")) == ["notebook", "notes-a.md", "notes-b.txt"]
    assert sorted(bash_complete("claudechat", "--image", "notes-a")) == ["notes-a.md"]
    assert bash_complete("claudechat", "-m", "note") == []  # a model is not a file


@pytest.mark.e2e
def test_bash_never_expands_a_name_it_is_offered(cli: CLI, bash_complete) -> None:
    roles = cli.config_dir / "roles"
    roles.mkdir(parents=True)
    (roles / "$(touch pwned).md").write_text("x", encoding="utf-8")
    (cli.root / "$(touch pwned2)").write_text("x", encoding="utf-8")
    assert bash_complete("claudechat", "-f", "$") == ["$(touch pwned2)"]
    assert not (cli.root / "pwned").exists() and not (cli.root / "pwned2").exists()


# zsh reads what the terminal shows, so the words offered are captured where they are added:
# a wrapper around compadd (as zsh-capture-completion does) writes each match to a file.
_ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT='%% ' RPROMPT=; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D; bindkey '^I' complete-word"
zpty -w z 'compadd () { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi; local -a m; builtin compadd -A m "$@"; print -rl -- ${^m} >> '${(q)3}'; builtin compadd "$@" }'
zpty -w z "print -r -- '<'ready'>'"
zpty -r -m z line '*<ready>*'
zpty -n -w z "$2"$'\t'
# Keys typed while a completion runs make zsh abandon it: wait until it has offered its words
# (every line the tests complete offers some), for at most 20 s.
for i in {1..400}; do [[ -s $3 ]] && break; sleep 0.05; done
zpty -w z $'\C-u'"print -r -- '<'done'>'"
zpty -r -m z line '*<done>*'
zpty -d z
"""


@pytest.mark.e2e
def test_zsh_loads_the_script_from_fpath_and_completes(cli: CLI) -> None:
    if shutil.which("zsh") is None:
        script = completion_script("zsh")
        assert "#compdef claudechat" in script and "_claudechat_words models" in script
        pytest.skip("zsh is not installed: only the script's text was checked")
    script = script_file(cli, "zsh", "_claudechat")
    ids = saved_sessions(cli, 2)

    def complete(line: str) -> list[str]:
        found = cli.root / "zsh-completions.txt"
        found.unlink(missing_ok=True)
        result = subprocess.run(["zsh", "-f", "-c", _ZSH_DRIVER, "driver", str(script.parent), line, str(found)],
                                capture_output=True, text=True, env=shell_environment(cli), cwd=cli.root,
                                timeout=SHELL_TIMEOUT, check=False)
        assert result.returncode == 0, result
        return found.read_text(encoding="utf-8").split() if found.exists() else []

    assert complete("claudechat con") == ["config"]
    assert complete("claudechat -m claude-opus-4-2") == [m.id for m in MODELS if m.id.startswith("claude-opus-4-2")]
    assert complete("claudechat --output ") == ["text", "json"]
    assert complete("claudechat --resume ") == ids
    assert complete("claudechat export ") == ids


@pytest.mark.e2e
def test_fish_loads_the_script_and_completes(cli: CLI) -> None:
    if shutil.which("fish") is None:
        script = completion_script("fish")
        assert "complete -c claudechat" in script and "claudechat completion --words models" in script
        pytest.skip("fish is not installed: only the script's text was checked")
    script = script_file(cli, "fish", "claudechat.fish")
    ids = saved_sessions(cli, 2)

    def complete(line: str) -> list[str]:
        result = subprocess.run(["fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", str(script), line],
                                capture_output=True, text=True, env=shell_environment(cli), cwd=cli.root,
                                timeout=SHELL_TIMEOUT, check=False)
        assert result.returncode == 0 and result.stderr == "", result
        return [row.split("\t")[0] for row in result.stdout.splitlines()]

    assert complete("claudechat con") == ["config"]
    assert complete("claudechat -m claude-opus-4-2") == [m.id for m in MODELS if m.id.startswith("claude-opus-4-2")]
    assert complete("claudechat --resume ") == ids
    assert complete("claudechat export ") == ids
    assert sorted(complete("claudechat config ")) == ["path", "set", "show", "unset"]
