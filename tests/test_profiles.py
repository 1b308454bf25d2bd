"""Profiles in the config file, in-process: choosing one, precedence, tokens per server,
broken tables, and `config set/show` and `auth --profile` on them."""

from __future__ import annotations

import io
import json
import sys
import tomllib
from pathlib import Path

import pytest

from claudechat import config
from claudechat.config.profiles import profile_key
from claudechat.errors import ConfigError, UsageError
from claudechat.subcommands import auth_main, config_main

WORK_TOKEN = "sk-work-0123456789abcdefWXYZ"
SERVICE_TOKEN = "sk-service-0123456789abcdefQRST"
PROFILES = """\
model = "claude-sonnet-4-6"
timeout = 50

[tokens]
"api.acedata.cloud" = "{service}"

[profiles.work]
base_url = "https://gateway.example.com/v1"
model = "claude-opus-4-6"
retries = 5

[profiles.work.tokens]
"gateway.example.com" = "{work}"

[profiles.local]
base_url = "http://127.0.0.1:8080/v1"
model = "qwen2.5-7b"
context_window = 32768

[profiles.opus]
model = "claude-opus-4-6"
""".format(service=SERVICE_TOKEN, work=WORK_TOKEN)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    for variable in (config.ENV_API_KEY, config.ENV_BASE_URL, config.ENV_MODEL, config.ENV_PROFILE):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def write(text: str) -> Path:
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def load(env: dict[str, str] | None = None, **options) -> config.LoadedConfig:
    return config.load_config(env or {}, **options)


# --- choosing a profile and precedence --------------------------------------------------------


def test_no_profile_chosen_leaves_the_top_level_settings():
    write(PROFILES)
    loaded = load()
    assert loaded.settings.profile is None
    assert (loaded.settings.base_url, loaded.settings.model, loaded.settings.api_key) == (
        config.DEFAULT_BASE_URL, "claude-sonnet-4-6", SERVICE_TOKEN)
    assert set(loaded.profiles) == {"work", "local", "opus"}


def test_the_flag_the_environment_and_default_profile_choose_in_that_order():
    write('default_profile = "local"\n' + PROFILES)
    assert load().settings.profile == "local"
    assert load({config.ENV_PROFILE: "work"}).settings.profile == "work"
    assert load({config.ENV_PROFILE: "work"}, profile="opus").settings.profile == "opus"
    assert load().sources["default_profile"] == "file"
    assert load({config.ENV_PROFILE: "work"}).sources["default_profile"] == "env"


def test_a_profile_sits_between_the_top_level_keys_and_the_environment():
    write(PROFILES)
    work = load(profile="work")
    assert work.settings.base_url == "https://gateway.example.com/v1"
    assert work.settings.model == "claude-opus-4-6"
    assert work.settings.retries == 5
    assert work.settings.timeout == 50  # the top level's, the profile does not set it
    assert work.sources["model"] == "profile work" and work.sources["timeout"] == "file"
    overridden = load({config.ENV_MODEL: "claude-haiku-4-5-20251001"}, profile="work")
    assert overridden.settings.model == "claude-haiku-4-5-20251001" and overridden.sources["model"] == "env"
    flagged = load(profile="work", base_url="http://127.0.0.1:9/v1")
    assert flagged.settings.base_url == "http://127.0.0.1:9/v1" and flagged.sources["base_url"] == "flag"


def test_a_profile_token_goes_only_to_its_own_server():
    write(PROFILES)
    assert load(profile="work").settings.api_key == WORK_TOKEN
    assert load(profile="work").sources["api_key"] == "profile work"
    # Another server, by flag or environment: neither the profile's token nor the service's.
    assert load(profile="work", base_url="http://127.0.0.1:9/v1").settings.api_key is None
    assert load({config.ENV_BASE_URL: "https://api.acedata.cloud/v1"}, profile="work").settings.api_key == SERVICE_TOKEN
    # A profile on the service's server uses the file's token for it; no other profile's.
    assert load(profile="opus").settings.api_key == SERVICE_TOKEN
    assert load(profile="local").settings.api_key is None
    assert load({config.ENV_API_KEY: "sk-env-token-123456"}, profile="work").settings.api_key == "sk-env-token-123456"


def test_an_unknown_profile_is_a_usage_error_naming_the_profiles():
    write(PROFILES)
    with pytest.raises(UsageError) as raised:
        load(profile="wrok")
    assert "no profile 'wrok' (--profile); profiles are work, local, opus" in str(raised.value)
    with pytest.raises(UsageError, match="CLAUDECHAT_PROFILE"):
        load({config.ENV_PROFILE: "nope"})
    write('default_profile = "gone"\n')
    with pytest.raises(UsageError, match="no profile 'gone' .*default_profile.*no profiles are defined"):
        load()


def test_a_profile_name_that_cannot_be_one_is_refused_without_a_traceback():
    write(PROFILES)
    with pytest.raises(UsageError, match="cannot name a profile"):
        load(profile="a b")
    with pytest.raises(ConfigError, match="CLAUDECHAT_PROFILE"):
        load({config.ENV_PROFILE: "x\x1by"})


# --- broken profile tables ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('[profiles.bad]\ntimeout = "soon"\n', 1, "profile 'bad': timeout must be a number greater than 0"),
        ('[profiles]\nbad = 3\n', 2, "profile 'bad' must be a table"),
        ('[profiles.bad]\nretries = 99\n', 1, "retries must be a whole number from 0 to 10, got 99"),
        ('\n\n[profiles.bad]\nbase_url = "ftp://x"\n', 3, "base_url must be an http:// or https:// URL"),
        ('[profiles."b a d"]\nmodel = "m"\n', 1, "a profile's name is made of letters"),
    ],
)
def test_a_broken_profile_is_one_warning_and_the_rest_still_works(text, line, fragment):
    path = write('model = "claude-opus-4-6"\n' + text + '[profiles.good]\nretries = 1\n')
    loaded = load()
    [warning] = loaded.warnings
    assert warning.startswith(f"config file {path}, line {line + 1}: ") and fragment in warning, warning
    assert loaded.settings.model == "claude-opus-4-6"
    assert load(profile="good").settings.retries == 1
    name = next(name for name in loaded.profiles if name != "good")
    with pytest.raises((ConfigError, UsageError)):  # said why: the flag's name, or the table
        load(profile=name)


def test_unknown_keys_in_a_profile_are_warned_about_and_ignored():
    path = write('[profiles.p]\nmodel = "m1"\ntheme = "light"\napi_key = "sk-abcdefgh12345678"\n')
    loaded = load(profile="p")
    assert loaded.settings.model == "m1" and loaded.settings.theme == "dark"
    assert len(loaded.warnings) == 2
    assert all(warning.startswith(f"config file {path}, line 1: profile 'p': unknown key") for warning in loaded.warnings)
    assert "claudechat auth --profile" in loaded.warnings[1]
    assert loaded.settings.api_key is None
    assert "sk-abcdefgh12345678" not in " ".join(loaded.warnings)


def test_profiles_that_are_not_tables_are_one_warning():
    path = write('profiles = "none"\nmodel = "m2"\n')
    loaded = load()
    assert loaded.warnings == (f"config file {path}, line 1: profiles must be tables ([profiles.NAME]), got 'none'; ignored",)
    assert loaded.settings.model == "m2"


def test_a_bad_profile_token_is_reported_without_it():
    write('[profiles.p.tokens]\n"h.example" = "bad token with spaces"\n')
    loaded = load()
    [warning] = loaded.warnings
    assert "the token for 'h.example' must be" in warning and "bad token" not in warning
    assert "bad token" not in repr(loaded)


def test_the_repr_of_a_profile_holds_no_token():
    write(PROFILES)
    assert WORK_TOKEN not in repr(load().profiles["work"])


# --- changing profiles ------------------------------------------------------------------------


def test_config_set_and_unset_take_a_profile_key(capsys):
    path = write('model = "m"\n')
    assert config_main(["set", "profiles.local.base_url", "http://127.0.0.1:8080/v1/"]) == 0
    assert config_main(["set", "profiles.local.context-window", "32768"]) == 0
    assert capsys.readouterr().out == (
        "set profiles.local.base_url = http://127.0.0.1:8080/v1\nset profiles.local.context-window = 32768\n"
    )
    data = tomllib.loads(path.read_text())
    assert data == {"model": "m", "profiles": {"local": {"base_url": "http://127.0.0.1:8080/v1", "context_window": 32768}}}
    assert config_main(["unset", "profiles.local.context_window"]) == 0
    assert tomllib.loads(path.read_text())["profiles"]["local"] == {"base_url": "http://127.0.0.1:8080/v1"}


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("profiles.local.theme", "light", "a profile has no key 'theme'"),
        ("profiles.local", "x", "names no profile key"),
        ("profiles.a b.model", "x", "cannot name a profile"),
        ("profiles.local.retries", "99", "profile 'local': retries must be a whole number from 0 to 10, got '99'"),
    ],
)
def test_config_set_refuses_a_bad_profile_key_or_value(key, value, fragment):
    path = write('model = "m"\n')
    before = path.read_bytes()
    with pytest.raises((UsageError, ConfigError), match=fragment):
        config_main(["set", key, value])
    assert path.read_bytes() == before


def test_default_profile_must_name_a_profile_of_the_file(capsys):
    write(PROFILES)
    with pytest.raises(ConfigError, match="no profile 'wrok' in the config file"):
        config_main(["set", "default_profile", "wrok"])
    assert config_main(["set", "default_profile", "work"]) == 0
    assert load().settings.profile == "work"


def test_profile_key_parses_dotted_keys():
    assert profile_key("profiles.a-b.model") == ("a-b", "model")
    assert profile_key("model") is None
    assert profile_key("profiles_x.y") is None


def test_config_show_lists_the_profiles_with_tokens_redacted(capsys):
    write(PROFILES)
    assert config_main(["show"]) == 0
    out = capsys.readouterr().out
    assert WORK_TOKEN not in out and SERVICE_TOKEN not in out
    assert "profiles (in use: none):" in out
    assert "  work: base_url = https://gateway.example.com/v1, model = claude-opus-4-6, retries = 5, " \
           f"token for gateway.example.com …{WORK_TOKEN[-4:]}" in out
    assert config_main(["show", "--profile", "local", "--output", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["profile"] == "local" and shown["base_url"] == "http://127.0.0.1:8080/v1"
    assert shown["profiles"]["work"]["tokens"] == {"gateway.example.com": f"…{WORK_TOKEN[-4:]}"}


def test_config_show_works_with_a_default_profile_that_is_gone(capsys):
    write('default_profile = "gone"\n')
    assert config_main(["show"]) == 0
    captured = capsys.readouterr()
    assert "no profile 'gone'" in captured.err and "no profile used" in captured.err


def test_auth_profile_stores_the_token_for_the_profiles_server(monkeypatch, capsys):
    path = write(PROFILES)
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-local-0123456789abcdef\n"))
    assert auth_main(["--profile", "local"]) == 0
    out = capsys.readouterr().out
    assert out == f"Token for 127.0.0.1:8080 (profile local) saved to {path} (…cdef)\n"
    data = tomllib.loads(path.read_text())
    assert data["profiles"]["local"]["tokens"] == {"127.0.0.1:8080": "sk-local-0123456789abcdef"}
    assert data["tokens"] == {"api.acedata.cloud": SERVICE_TOKEN}  # the file's own table untouched
    assert load(profile="local").settings.api_key == "sk-local-0123456789abcdef"
    assert load().settings.api_key == SERVICE_TOKEN
    assert auth_main(["--profile", "local", "--remove"]) == 0
    assert "tokens" not in tomllib.loads(path.read_text())["profiles"]["local"]
    with pytest.raises(UsageError, match="no profile 'nope'"):
        auth_main(["--profile", "nope", "--remove"])


# --- /profile in the chat, in-process ------------------------------------------------------------


@pytest.fixture
def app(tmp_path, monkeypatch):
    from claudechat.chat import SessionKeeper, SessionSettings, SessionStore
    from claudechat.repl.app import Repl

    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    keeper = SessionKeeper(SessionStore(tmp_path / "sessions"), SessionSettings(model="claude-sonnet-4-6"))
    repl = Repl(config.Settings(theme="light"), keeper)
    repl.console.size = (10_000, 25)
    return repl


def dispatch(app, line: str) -> None:
    import asyncio

    from claudechat.repl.commands import COMMANDS

    asyncio.run(COMMANDS.dispatch(app, line))


def test_profile_without_profiles_says_how_to_make_one(app, capsys):
    dispatch(app, "/profile")
    assert "no profiles; a [profiles.NAME] table in" in capsys.readouterr().out


def test_profile_switches_server_token_and_model_and_records_it(app, capsys):
    write(PROFILES + '[profiles.broken]\nretries = "x"\n')
    dispatch(app, "/profile work")
    assert app.settings.base_url == "https://gateway.example.com/v1"
    assert app.settings.api_key == WORK_TOKEN and app.settings.profile == "work" and app.settings.retries == 5
    assert app.settings.theme == "light"  # not the profile's to change
    assert app.model == "claude-opus-4-6" and app.session.settings.profile == "work"
    assert {"op": "settings", "settings": {"model": "claude-opus-4-6", "profile": "work"}} in app.session.pending
    out = capsys.readouterr().out
    assert "profile work: gateway.example.com · model claude-opus-4-6" in out and WORK_TOKEN not in out
    dispatch(app, "/profile")
    rows = capsys.readouterr().out.splitlines()
    assert "▸ work    gateway.example.com  claude-opus-4-6" in rows
    assert any(row.startswith("  broken  left out: profile 'broken': retries must be") for row in rows)
    from claudechat.repl.profile_commands import _complete

    assert _complete(app, "") == ["work", "local", "opus"]  # the broken one is not offered
    with pytest.raises(UsageError, match="no profile 'nope'"):
        dispatch(app, "/profile nope")
    with pytest.raises(ConfigError, match="retries must be"):
        dispatch(app, "/profile broken")
    assert app.settings.profile == "work"  # a failed switch changes nothing


def test_many_broken_profiles_are_warned_about_up_to_a_limit():
    write("".join(f"[profiles.p{number}]\ntimeout = -1\n" for number in range(30)) + '[profiles.ok]\nretries = 3\n')
    loaded = load()
    assert len(loaded.warnings) == 11 and "more profiles have problems" in loaded.warnings[-1]
    assert len(loaded.profiles) == 31 and load(profile="ok").settings.retries == 3
