"""Settings loading, validation, the config file on disk, and the config/auth subcommands."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from claudechat import config
from claudechat.config import Settings
from claudechat.errors import ConfigError, UsageError
from claudechat.subcommands import auth_main, config_main, run_auth_flow

TOKEN = "sk-live-0123456789abcdefWXYZ"
DEFAULT_URL = "https://api.acedata.cloud/v1"

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    for variable in (config.ENV_API_KEY, config.ENV_BASE_URL, config.ENV_MODEL, config.ENV_PROFILE):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


@pytest.fixture
def cfg() -> Path:
    return config.config_path()


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def piped(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


# --- locations -----------------------------------------------------------------------------


def test_paths_follow_xdg_variables(isolated_dirs: Path) -> None:
    assert config.config_dir() == isolated_dirs / "xdg-config" / "claudechat"
    assert config.config_path() == isolated_dirs / "xdg-config" / "claudechat" / "config.toml"
    assert config.data_dir() == isolated_dirs / "xdg-data" / "claudechat"


@pytest.mark.e2e
def test_importing_does_not_load_expensive_modules() -> None:
    code = (
        "import sys, claudechat.config, claudechat.subcommands; "
        "print(sorted(m for m in ('platformdirs', 'tomli_w', 'tomllib', 'argparse', 'getpass') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"


# --- the option table ----------------------------------------------------------------------


def test_option_table_matches_settings_fields() -> None:
    # Every field but those that never come from the file as such: --debug, the profile in use,
    # and which servers have tokens.
    assert list(config.OPTIONS) + ["debug", "profile", "token_servers"] == [f.name for f in dataclasses.fields(Settings)]


def test_settings_defaults() -> None:
    settings = Settings()
    assert settings.base_url == "https://api.acedata.cloud/v1"
    assert settings.model == "claude-sonnet-4-6"
    assert (settings.timeout, settings.retries) == (120.0, 2)
    assert (settings.reasoning, settings.theme, settings.editing_mode) == ("collapsed", "dark", "emacs")
    assert (settings.api_key, settings.system, settings.temperature, settings.max_tokens) == (None, None, None, None)


def test_settings_repr_hides_token() -> None:
    settings = Settings(api_key=TOKEN)
    assert TOKEN not in repr(settings)
    assert "api_key" not in repr(settings)
    assert "claude-sonnet-4-6" in repr(settings)


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("timeout", "30", 30.0),
        ("timeout", " 0.5 ", 0.5),
        ("timeout", "3600", 3600.0),
        ("retries", "0", 0),
        ("retries", "10", 10),
        ("temperature", "0", 0.0),
        ("temperature", "2", 2.0),
        ("max_tokens", "1", 1),
        ("base_url", "https://example.com/v1/", "https://example.com/v1"),
        ("base_url", "http://localhost:8080", "http://localhost:8080"),
        ("model", " claude-opus-4 ", "claude-opus-4"),
        ("reasoning", "Hidden", "hidden"),
        ("editing_mode", "vi", "vi"),
        ("editing-mode", "vi", "vi"),
        ("theme", "solarized light", "solarized light"),
        ("system", "Be terse.", "Be terse."),
        ("system", "", None),
    ],
)
def test_parse_option_accepts(key: str, raw: str, expected: object) -> None:
    value = config.parse_option(key, raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("key", "raw", "valid"),
    [
        ("timeout", "abc", "a number greater than 0 and at most 3600"),
        ("timeout", "0", "a number greater than 0 and at most 3600"),
        ("timeout", "3601", "a number greater than 0 and at most 3600"),
        ("timeout", "nan", "a number greater than 0 and at most 3600"),
        ("retries", "-1", "a whole number from 0 to 10"),
        ("retries", "11", "a whole number from 0 to 10"),
        ("retries", "2.5", "a whole number from 0 to 10"),
        ("temperature", "3", "a number from 0 to 2"),
        ("temperature", "-0.1", "a number from 0 to 2"),
        ("temperature", "", "a number from 0 to 2"),
        ("max_tokens", "0", "a whole number of at least 1"),
        ("max_tokens", "many", "a whole number of at least 1"),
        ("base_url", "ftp://example.com", "an http:// or https:// URL with a host"),
        ("base_url", "https://", "an http:// or https:// URL with a host"),
        ("base_url", "example.com/v1", "an http:// or https:// URL with a host"),
        ("base_url", "https://example.com/v1?x=1", "an http:// or https:// URL with a host"),
        ("base_url", "https://example.com:99999", "an http:// or https:// URL with a host"),
        ("model", "", "a model id without spaces"),
        ("model", "claude sonnet", "a model id without spaces"),
        ("reasoning", "loud", "one of collapsed, expanded, hidden"),
        ("editing_mode", "nano", "one of emacs, vi"),
        ("theme", "  ", "a non-empty theme name"),
    ],
)
def test_parse_option_rejects_with_key_and_range(key: str, raw: str, valid: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.parse_option(key, raw)
    message = str(caught.value)
    assert message.startswith(key.replace("-", "_") + " must be ")
    assert valid in message
    assert f"got {raw!r}" in message


def test_parse_option_exact_message() -> None:
    with pytest.raises(ConfigError) as caught:
        config.parse_option("temperature", "3")
    assert caught.value.message == "temperature must be a number from 0 to 2, got '3'"
    assert caught.value.exit_code == 2


def test_parse_option_unknown_key_lists_valid_keys() -> None:
    with pytest.raises(ConfigError) as caught:
        config.parse_option("modle", "x")
    message = str(caught.value)
    assert "unknown key 'modle'" in message
    for name in config.OPTIONS:
        assert name in message
    assert caught.value.hint == "did you mean 'model'?"


def test_parse_option_never_echoes_a_token() -> None:
    bad = "sk-secret with-space"
    with pytest.raises(ConfigError) as caught:
        config.parse_option("api_key", bad)
    assert "api_key must be" in str(caught.value)
    assert "sk-secret" not in str(caught.value)


# --- loading -------------------------------------------------------------------------------


def test_defaults_without_file(cfg: Path) -> None:
    loaded = config.load_config(env={})
    assert loaded.settings == Settings()
    assert loaded.file_exists is False
    assert set(loaded.sources.values()) == {"default"}
    assert loaded.warnings == ()
    assert not cfg.exists()


def test_precedence_defaults_file_env(cfg: Path) -> None:
    write(
        cfg,
        'model = "file-model"\nbase_url = "https://file.example/v1/"\ntimeout = 30\ntemperature = 0.5\n'
        'api_key = "file-token-0000"\n',
    )
    env = {"CLAUDECHAT_MODEL": "env-model", "CLAUDECHAT_API_KEY": "env-token-1111", "CLAUDECHAT_BASE_URL": ""}
    loaded = config.load_config(env=env)
    settings = loaded.settings
    assert settings.model == "env-model"
    assert settings.api_key == "env-token-1111"
    assert settings.base_url == "https://file.example/v1"  # empty env value counts as unset
    assert settings.timeout == 30.0 and isinstance(settings.timeout, float)
    assert settings.temperature == 0.5
    assert settings.retries == 2
    assert loaded.sources["model"] == "env"
    assert loaded.sources["api_key"] == "env"
    assert loaded.sources["base_url"] == "file"
    assert loaded.sources["timeout"] == "file"
    assert loaded.sources["retries"] == "default"


def test_load_settings_uses_explicit_path_and_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = write(tmp_path / "elsewhere.toml", 'model = "from-other"\nretries = 5\n')
    assert config.load_settings(env={}, path=other).model == "from-other"
    monkeypatch.setenv("CLAUDECHAT_MODEL", "from-os-environ")
    settings = config.load_settings(path=other)
    assert (settings.model, settings.retries) == ("from-os-environ", 5)


def test_empty_optional_string_in_file_means_unset(cfg: Path) -> None:
    write(cfg, 'system = ""\n')
    assert config.load_settings(env={}).system is None


def test_numeric_string_in_file_is_parsed(cfg: Path) -> None:
    write(cfg, 'timeout = "45"\n')
    assert config.load_settings(env={}).timeout == 45.0


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (
            'model = "ok"\n\n\ntimeout = "abc"\n',
            4,
            "timeout must be a number greater than 0 and at most 3600, got 'abc'",
        ),
        ("retries = 2.5\n", 1, "retries must be a whole number from 0 to 10, got 2.5"),
        ("retries = true\n", 1, "retries must be a whole number from 0 to 10, got true"),
        ("# comment\nmodel = 5\n", 2, "model must be a model id without spaces, got 5"),
        ("temperature = 2.5\n", 1, "temperature must be a number from 0 to 2, got 2.5"),
        ('theme = "x"\n"reasoning" = "loud"\n', 2, "reasoning must be one of collapsed, expanded, hidden, got 'loud'"),
        ('system = """\ntimeout = 1\n"""\ntimeout = 0\n', 4, "timeout must be"),
        ("[model]\nname = 1\n", 1, "model must be a model id without spaces, got a table"),
    ],
)
def test_bad_file_value_names_file_line_and_key(cfg: Path, text: str, line: int, expected: str) -> None:
    write(cfg, text)
    with pytest.raises(ConfigError) as caught:
        config.load_settings(env={})
    message = caught.value.message
    assert message.startswith(f"config file {cfg}, line {line}: ")
    assert expected in message


def test_keys_inside_a_table_are_not_top_level_keys(cfg: Path) -> None:
    write(cfg, "[ui]\ntimeout = 3\n")
    # ui.timeout is not the top-level timeout; 'ui' itself is unknown, hence a warning.
    settings, warnings = config.load_settings_with_warnings(env={})
    assert settings.timeout == 120.0
    assert len(warnings) == 1 and "unknown key 'ui' ignored" in warnings[0]


def test_bad_token_in_file_is_not_echoed(cfg: Path) -> None:
    write(cfg, 'api_key = "sk-has space-1234"\n')
    with pytest.raises(ConfigError) as caught:
        config.load_settings(env={})
    assert "line 1: api_key must be" in str(caught.value)
    assert "sk-has" not in str(caught.value)
    assert "claudechat auth" in str(caught.value)


def test_bad_toml_names_file_and_line(cfg: Path) -> None:
    write(cfg, 'model = "x"\ntimeout = 3\nfoo bar = 1\n')
    with pytest.raises(ConfigError) as caught:
        config.load_settings(env={})
    message = caught.value.message
    assert message.startswith(f"config file {cfg} is not valid TOML: ")
    assert "(at line 3, column" in message
    assert "\n" not in str(caught.value)
    assert caught.value.hint == "fix the file or run `claudechat config path` to find it"


def test_non_utf8_file_names_line(cfg: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(b'model = "x"\ntheme = "\xff"\n')
    with pytest.raises(ConfigError) as caught:
        config.load_settings(env={})
    assert str(cfg) in caught.value.message and "at line 2" in caught.value.message


def test_unreadable_path_is_a_config_error(cfg: Path) -> None:
    cfg.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(ConfigError) as caught:
        config.load_settings(env={})
    assert f"cannot read config file {cfg}" in caught.value.message


def test_unknown_keys_are_warnings(cfg: Path) -> None:
    write(cfg, 'modle = "x"\nmodel = "y"\ncolour = 1\n')
    settings, warnings = config.load_settings_with_warnings(env={})
    assert settings.model == "y"
    assert warnings == [
        f"config file {cfg}: unknown key 'modle' ignored (valid keys: {', '.join(config.OPTIONS)})",
        f"config file {cfg}: unknown key 'colour' ignored (valid keys: {', '.join(config.OPTIONS)})",
    ]


@posix_only
@pytest.mark.parametrize(
    ("mode", "text", "fragment"),
    [
        (0o644, 'api_key = "sk-000000000000"\n', "is readable by other users"),
        (0o640, 'api_key = "sk-000000000000"\n', "is readable by other users"),
        (0o666, 'api_key = "sk-000000000000"\n', "is readable and writable by other users"),
        (0o620, 'model = "x"\n', "is writable by other users"),
    ],
)
def test_loose_permissions_warn(cfg: Path, mode: int, text: str, fragment: str) -> None:
    write(cfg, text, mode=mode)
    _, warnings = config.load_settings_with_warnings(env={})
    assert warnings == [f"config file {cfg} {fragment}; run chmod 600 {cfg}"]


@posix_only
@pytest.mark.parametrize(("mode", "text"), [(0o600, 'api_key = "sk-000000000000"\n'), (0o644, 'model = "x"\n')])
def test_no_permission_warning_when_harmless(cfg: Path, mode: int, text: str) -> None:
    write(cfg, text, mode=mode)
    assert config.load_settings_with_warnings(env={})[1] == []


@posix_only
def test_reading_never_modifies_the_file(cfg: Path) -> None:
    write(cfg, '# my settings\nmodle = "x"\ntimeout = 30\n', mode=0o644)
    before = (cfg.read_bytes(), os.stat(cfg).st_mtime_ns, mode_of(cfg))
    config.load_settings_with_warnings(env={})
    config.load_config(env={"CLAUDECHAT_MODEL": "m"})
    assert (cfg.read_bytes(), os.stat(cfg).st_mtime_ns, mode_of(cfg)) == before


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("CLAUDECHAT_BASE_URL", "ftp://x", "base_url must be an http:// or https:// URL with a host"),
        ("CLAUDECHAT_MODEL", "two words", "model must be a model id without spaces"),
    ],
)
def test_bad_env_value_names_variable(variable: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.load_settings(env={variable: value})
    assert caught.value.message.startswith(f"environment variable {variable}: {fragment}")
    assert repr(value) in caught.value.message


def test_bad_env_token_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        config.load_settings(env={"CLAUDECHAT_API_KEY": "sk-abc\x07defghij"})
    assert "environment variable CLAUDECHAT_API_KEY: api_key must be" in str(caught.value)
    assert "sk-abc" not in str(caught.value)


def test_env_values_are_stripped() -> None:
    settings = config.load_settings(env={"CLAUDECHAT_API_KEY": f"{TOKEN}\n", "CLAUDECHAT_MODEL": "  "})
    assert settings.api_key == TOKEN
    assert settings.model == "claude-sonnet-4-6"


# --- writing -------------------------------------------------------------------------------


@posix_only
def test_set_writes_private_file_and_dir(cfg: Path) -> None:
    assert config.set_option("timeout", "30") == 30.0
    assert config.load_settings(env={}).timeout == 30.0
    assert mode_of(cfg) == 0o600
    assert mode_of(cfg.parent) == 0o700


@posix_only
def test_set_tightens_existing_loose_file_and_claudechat_dir(cfg: Path) -> None:
    write(cfg, 'model = "x"\n', mode=0o644)
    os.chmod(cfg.parent, 0o755)
    config.set_option("retries", "3")
    assert mode_of(cfg) == 0o600
    assert mode_of(cfg.parent) == 0o700


@posix_only
def test_custom_existing_dir_is_not_chmodded(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    target = shared / "claudechat.toml"
    config.set_option("model", "m", path=target)
    assert mode_of(shared) == 0o755
    assert mode_of(target) == 0o600


def test_set_keeps_other_and_unknown_keys(cfg: Path) -> None:
    write(cfg, 'modle = "typo"\nmodel = "x"\n[extra]\na = 1\n')
    config.set_option("temperature", "0.7")
    data = config.read_config_data()
    assert data == {"modle": "typo", "model": "x", "extra": {"a": 1}, "temperature": 0.7}


def test_set_replaces_an_invalid_value(cfg: Path) -> None:
    write(cfg, 'timeout = "abc"\n')
    config.set_option("timeout", "10")
    assert config.load_settings(env={}).timeout == 10.0


def test_set_rejects_bad_value_without_writing(cfg: Path) -> None:
    with pytest.raises(ConfigError, match="retries must be a whole number from 0 to 10, got '99'"):
        config.set_option("retries", "99")
    assert not cfg.exists()


def test_set_empty_optional_removes_it(cfg: Path) -> None:
    write(cfg, 'system = "be terse"\nmodel = "x"\n')
    assert config.set_option("system", "") is None
    assert config.read_config_data() == {"model": "x"}


def test_unset(cfg: Path) -> None:
    write(cfg, 'model = "x"\nmodle = "typo"\n')
    assert config.unset_option("model") is True
    assert config.unset_option("model") is False
    assert config.unset_option("modle") is True  # a misspelt key present in the file can be removed
    assert config.read_config_data() == {}
    with pytest.raises(ConfigError, match="unknown key 'nope'"):
        config.unset_option("nope")


def test_unset_without_file_creates_nothing(cfg: Path) -> None:
    assert config.unset_option("model") is False
    assert not cfg.exists()


BROKEN = b'model = "x"\ntimeout = = 3\n# keep me\n'


@pytest.mark.parametrize(
    "action",
    [
        lambda: config.set_option("model", "y"),
        lambda: config.set_option("system", ""),
        lambda: config.unset_option("model"),
        lambda: config.save_token(TOKEN),
        lambda: config.remove_token(),
    ],
)
def test_broken_file_is_never_modified(cfg: Path, action: Callable[[], object]) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(BROKEN)
    with pytest.raises(ConfigError) as caught:
        action()
    assert "is not valid TOML" in caught.value.message and "line 2" in caught.value.message
    assert cfg.read_bytes() == BROKEN
    assert sorted(p.name for p in cfg.parent.iterdir()) == ["config.toml"]  # no temp file left


def test_broken_file_untouched_by_subcommands(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(BROKEN)
    with pytest.raises(ConfigError):
        config_main(["set", "model", "y"])
    with pytest.raises(ConfigError):
        config_main(["unset", "model"])
    piped(monkeypatch, TOKEN + "\n")
    with pytest.raises(ConfigError):
        auth_main([])
    assert cfg.read_bytes() == BROKEN


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_config_is_refused_on_write(cfg: Path, tmp_path: Path) -> None:
    real = write(tmp_path / "dotfiles" / "config.toml", 'model = "x"\n')
    cfg.parent.mkdir(parents=True)
    cfg.symlink_to(real)
    assert config.load_settings(env={}).model == "x"  # reading through the link is fine
    for action in (lambda: config.set_option("model", "y"), lambda: config.save_token(TOKEN)):
        with pytest.raises(ConfigError) as caught:
            action()
        assert caught.value.message == f"config file {cfg} is a symbolic link; refusing to replace it"
    assert cfg.is_symlink()
    assert real.read_text() == 'model = "x"\n'


@posix_only
def test_save_config_data_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "config.toml"
    config.save_config_data({"model": "m", "weird": [1, 2]}, target)
    assert config.read_config_data(target) == {"model": "m", "weird": [1, 2]}
    assert mode_of(target) == 0o600
    assert mode_of(target.parent) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["config.toml"]


# --- the token -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "shown"),
    [(None, "(not set)"), ("", "(not set)"), ("12345678", "…"), ("abc", "…"), ("123456789", "…6789"), (TOKEN, "…WXYZ")],
)
def test_redact(token: str | None, shown: str) -> None:
    assert config.redact(token) == shown


@posix_only
def test_save_token(cfg: Path) -> None:
    assert config.save_token(f"  {TOKEN}\n") == cfg
    assert config.load_settings(env={}).api_key == TOKEN
    assert mode_of(cfg) == 0o600 and mode_of(cfg.parent) == 0o700
    assert config.remove_token() is True
    assert config.remove_token() is False
    assert config.load_settings(env={}).api_key is None


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("", "no token given; nothing changed"),
        ("   \n", "no token given; nothing changed"),
        ("sk-secret part2", "contains whitespace"),
        ("sk-secret\tpart2", "contains whitespace"),
        ("sk-secret\x1b[31m", "contains control characters"),
        ("sk-secret\x7fabc", "contains control characters"),
        ("sk-secret\u2019abc", "non-ASCII"),
        ("sk-secret" + "x" * 5000, "longer than 4096 characters"),
    ],
)
def test_bad_tokens_are_refused_without_echo(cfg: Path, token: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config.save_token(token)
    assert fragment in str(caught.value)
    assert "secret" not in str(caught.value) and "part2" not in str(caught.value)
    assert not cfg.exists()


# --- claudechat config ---------------------------------------------------------------------


def test_config_path_prints_only_the_path(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert config_main(["path"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{cfg}\n"
    assert captured.err == ""


def test_config_path_works_on_a_broken_file(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(BROKEN)
    assert config_main(["path"]) == 0
    assert capsys.readouterr().out == f"{cfg}\n"


def test_config_show_text(cfg: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    write(cfg, f'api_key = "{TOKEN}"\ntimeout = 30\nmodle = "x"\n')
    monkeypatch.setenv("CLAUDECHAT_MODEL", "env-model")
    assert config_main(["show"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == f"config file: {cfg}"
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:-1]}
    assert list(rows) == list(config.OPTIONS)
    assert rows["api_key"] == ["…WXYZ", "file"]
    assert lines[-1] == "tokens are stored for: api.acedata.cloud (each is sent only to its own server)"
    assert rows["model"] == ["env-model", "env", "CLAUDECHAT_MODEL"]
    assert rows["timeout"] == ["30", "file"]
    assert rows["retries"] == ["2", "default"]
    assert rows["system"] == ["(not", "set)", "default"]
    assert TOKEN not in captured.out + captured.err
    assert (
        captured.err
        == f"claudechat: warning: config file {cfg}: unknown key 'modle' ignored (valid keys: {', '.join(config.OPTIONS)})\n"
    )


def test_config_without_action_is_show(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert config_main([]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"config file: {cfg} (does not exist)"
    assert "claude-sonnet-4-6" in out


def test_config_show_json(cfg: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    write(cfg, "temperature = 0.3\n")
    monkeypatch.setenv("CLAUDECHAT_API_KEY", TOKEN)
    assert config_main(["show", "--output", "json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert list(data) == [*config.OPTIONS, "token_servers", "profile", "profiles"]
    assert data["api_key"] == "…WXYZ" and data["token_servers"] == []  # from the environment, not stored
    assert data["temperature"] == 0.3
    assert data["max_tokens"] is None
    assert data["base_url"] == "https://api.acedata.cloud/v1"
    assert TOKEN not in out


def test_config_show_json_without_token_is_null(capsys: pytest.CaptureFixture[str]) -> None:
    config_main(["show", "--output", "json"])
    assert json.loads(capsys.readouterr().out)["api_key"] is None


def test_config_show_reports_broken_file(cfg: Path) -> None:
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(BROKEN)
    with pytest.raises(ConfigError, match="is not valid TOML"):
        config_main(["show"])


def test_config_set_and_unset_output(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert config_main(["set", "timeout", "45"]) == 0
    assert config_main(["set", "base_url", "https://proxy.example/v1/"]) == 0
    assert capsys.readouterr().out == "set timeout = 45\nset base_url = https://proxy.example/v1\n"
    assert config.read_config_data() == {"timeout": 45.0, "base_url": "https://proxy.example/v1"}
    assert config_main(["unset", "timeout"]) == 0
    assert config_main(["unset", "timeout"]) == 0
    assert capsys.readouterr().out == f"unset timeout\ntimeout was not set in {cfg}; nothing changed\n"


def test_config_set_notes_env_precedence(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CLAUDECHAT_MODEL", "env-model")
    config_main(["set", "model", "file-model"])
    captured = capsys.readouterr()
    assert captured.out == "set model = file-model\n"
    assert "CLAUDECHAT_MODEL is set in the environment and takes precedence" in captured.err


def test_config_set_invalid_value(cfg: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config_main(["set", "temperature", "3"])
    assert str(caught.value) == "temperature must be a number from 0 to 2, got '3'"
    assert not cfg.exists()


@pytest.mark.parametrize("argv", [["set", "api_key", TOKEN], ["set", "api-key", TOKEN], ["set", "api_key", TOKEN, "x"]])
def test_config_set_api_key_is_refused(cfg: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError) as caught:
        config_main(argv)
    assert "claudechat auth" in str(caught.value)
    assert "shell history" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert TOKEN not in "".join(capsys.readouterr())
    assert not cfg.exists()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["frobnicate"], "invalid choice"),
        (["set", "model"], "the following arguments are required: VALUE"),
        (["show", "--output", "yaml"], "invalid choice"),
        (["path", "extra"], "unrecognized arguments"),
    ],
)
def test_config_usage_errors(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError) as caught:
        config_main(argv)
    assert caught.value.exit_code == 2
    assert fragment in caught.value.message
    assert "\n" not in str(caught.value)
    assert capsys.readouterr().err == ""


def test_config_help_returns_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert config_main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: claudechat config")


# --- claudechat auth -----------------------------------------------------------------------


@posix_only
def test_auth_from_piped_stdin(cfg: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    piped(monkeypatch, f"  {TOKEN}  \nsecond line ignored\n")
    assert auth_main([]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"Token for api.acedata.cloud saved to {cfg} (…WXYZ)\n"
    assert captured.err == ""
    assert TOKEN not in captured.out + captured.err
    assert config.load_settings(env={}).api_key == TOKEN
    assert mode_of(cfg) == 0o600 and mode_of(cfg.parent) == 0o700


def test_auth_keeps_other_settings(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(cfg, 'model = "kept"\n')
    piped(monkeypatch, TOKEN)
    auth_main([])
    assert config.read_config_data() == {"model": "kept", "tokens": {"api.acedata.cloud": TOKEN}}


@pytest.mark.parametrize("text", ["", "\n", "   \n" + TOKEN])
def test_auth_empty_input(cfg: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    piped(monkeypatch, text)
    with pytest.raises(ConfigError) as caught:
        auth_main([])
    assert caught.value.message == "no token given; nothing changed"
    assert not cfg.exists()


def test_auth_bad_token_is_not_echoed(
    cfg: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    piped(monkeypatch, "Bearer sk-verysecretvalue\n")
    with pytest.raises(ConfigError) as caught:
        auth_main([])
    assert "whitespace" in str(caught.value)
    assert "verysecret" not in str(caught.value) + "".join(capsys.readouterr())
    assert not cfg.exists()


def test_auth_token_as_argument_is_not_echoed(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([TOKEN], ["--remove", TOKEN], [f"--remove={TOKEN}"]):
        with pytest.raises(UsageError) as caught:
            auth_main(argv)
        assert TOKEN not in str(caught.value)
        assert caught.value.message == "auth: unexpected argument"
    assert TOKEN not in "".join(capsys.readouterr())
    assert not cfg.exists()


def test_auth_notes_env_precedence(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CLAUDECHAT_API_KEY", "sk-other-env-token")
    piped(monkeypatch, TOKEN + "\n")
    auth_main([])
    captured = capsys.readouterr()
    assert "CLAUDECHAT_API_KEY is set in the environment and takes precedence" in captured.err
    assert "sk-other-env-token" not in captured.out + captured.err


def test_auth_remove(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(cfg, f'api_key = "{TOKEN}"\nmodel = "m"\n')
    assert auth_main(["--remove"]) == 0
    assert auth_main(["--remove"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"Token for api.acedata.cloud removed from {cfg}\nNo token stored for api.acedata.cloud in {cfg}; nothing changed\n"
    assert config.read_config_data() == {"model": "m"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auth_on_terminal_uses_hidden_prompt(
    cfg: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import getpass

    prompts: list[str] = []

    def fake_getpass(prompt: str = "Password: ", stream: object = None) -> str:
        prompts.append(prompt)
        return TOKEN

    monkeypatch.setattr(sys, "stdin", _Terminal("must not be read\n"))
    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    assert auth_main([]) == 0
    assert prompts == ["API token for api.acedata.cloud: "]
    assert config.load_settings(env={}).api_key == TOKEN
    assert TOKEN not in "".join(capsys.readouterr())


def test_auth_on_terminal_empty_answer(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "  ")
    with pytest.raises(ConfigError, match="no token given; nothing changed"):
        auth_main([])
    assert not cfg.exists()


def test_run_auth_flow(cfg: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import getpass

    answers = iter([f" {TOKEN} ", ""])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert run_auth_flow() == TOKEN
    assert capsys.readouterr().out == f"Token for api.acedata.cloud saved to {cfg} (…WXYZ)\n"
    assert run_auth_flow() is None  # an empty answer changes nothing
    assert config.load_settings(env={}).api_key == TOKEN


def test_run_auth_flow_end_of_input(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    def eof(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(getpass, "getpass", eof)
    assert run_auth_flow() is None
    assert not cfg.exists()


# --- tokens, each for its own server -------------------------------------------------------------


def test_a_stored_token_goes_only_to_the_server_it_was_stored_for(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    piped(monkeypatch, TOKEN)
    assert auth_main([]) == 0  # for the service, the configured (default) base URL
    assert config.load_settings(env={}).api_key == TOKEN
    elsewhere = {"CLAUDECHAT_BASE_URL": "http://127.0.0.1:8080/v1"}
    assert config.load_settings(env=elsewhere).api_key is None
    assert config.load_config(env={}, base_url="https://other.example/v1").settings.api_key is None
    assert config.load_settings(env={**elsewhere, "CLAUDECHAT_API_KEY": "sk-given-for-this-run"}).api_key == (
        "sk-given-for-this-run"
    )
    assert config.load_settings(env=elsewhere).token_servers == ("api.acedata.cloud",)


def test_auth_for_another_server_keeps_each_token_apart(cfg: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    piped(monkeypatch, TOKEN)
    auth_main([])
    piped(monkeypatch, "sk-local-0000")
    assert auth_main(["--base-url", "http://127.0.0.1:8080/v1"]) == 0
    assert "Token for 127.0.0.1:8080 saved" in capsys.readouterr().out
    local = {"CLAUDECHAT_BASE_URL": "http://127.0.0.1:8080/v1/"}
    assert config.load_settings(env=local).api_key == "sk-local-0000"
    assert config.load_settings(env={}).api_key == TOKEN
    monkeypatch.setenv("CLAUDECHAT_BASE_URL", "http://127.0.0.1:8080/v1")
    assert auth_main(["--remove"]) == 0  # the server of the base URL in use
    assert config.load_settings(env=local).api_key is None
    assert config.load_settings(env={}).api_key == TOKEN


def test_a_top_level_api_key_belongs_to_the_files_base_url(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As earlier versions wrote it: the token of whatever base_url the file names.
    write(cfg, f'base_url = "http://localhost:11434/v1"\napi_key = "{TOKEN}"\n')
    assert config.load_settings(env={}).api_key == TOKEN
    assert config.load_config(env={}, base_url=DEFAULT_URL).settings.api_key is None
    piped(monkeypatch, "sk-service-1111")
    auth_main(["--base-url", DEFAULT_URL])  # storing a token moves the old one into the table
    assert config.read_config_data() == {
        "base_url": "http://localhost:11434/v1",
        "tokens": {"localhost:11434": TOKEN, "api.acedata.cloud": "sk-service-1111"},
    }
    assert config.load_settings(env={}).api_key == TOKEN


def test_a_bad_token_in_the_table_names_it(cfg: Path) -> None:
    write(cfg, '[tokens]\n"api.acedata.cloud" = "has a space"\n')
    with pytest.raises(ConfigError) as caught:
        config.load_settings(env={})
    assert "tokens.api.acedata.cloud must be" in str(caught.value) and "has a space" not in str(caught.value)


def test_servers_are_named_by_host_and_port_unless_the_default() -> None:
    assert config.server_key("https://API.acedata.cloud/v1") == "api.acedata.cloud"
    assert config.server_key("https://api.acedata.cloud:443/v1") == "api.acedata.cloud"
    assert config.server_key("http://127.0.0.1:8080/v1") == "127.0.0.1:8080"
    assert config.server_key("http://localhost/v1") == "localhost"


def test_config_set_theme_refuses_a_theme_that_does_not_exist(cfg: Path) -> None:
    with pytest.raises(ConfigError, match="no theme 'nope'; themes are .*dark"):
        config_main(["set", "theme", "nope"])
    assert not cfg.exists()
    assert config_main(["set", "theme", "Light"]) == 0
