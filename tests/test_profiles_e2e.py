"""Profiles end to end: the installed program choosing a server, its token and its model from
a profile, one-shot and in the chat, against two service doubles that each want their own
token; and `/model` listing a server's models.

Each double accepts only its own token, so a request that reaches the wrong server with the
wrong token fails; every test also checks which token (if any) each double received.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_helpers import CLI, assert_one_line
from tests.double import MODELS_PATH, ServiceDouble
from tests.terminal import Terminal

pytestmark = pytest.mark.e2e  # every test here starts the program

GATEWAY_TOKEN = "sk-gateway-0123456789abcdef0123"
LOCAL_TOKEN = "sk-local-fedcba9876543210fedc"
GATEWAY_MODEL = "claude-opus-4-6"
LOCAL_MODEL = "qwen2.5-7b"


@pytest.fixture
def gateway():
    with ServiceDouble(token=GATEWAY_TOKEN) as service:
        yield service


@pytest.fixture
def local():
    with ServiceDouble(token=LOCAL_TOKEN) as service:
        yield service


def chat_requests(double: ServiceDouble) -> list:
    return [request for request in double.requests if request.method == "POST"]


def model_requests(double: ServiceDouble) -> list:
    return [request for request in double.requests if request.path == MODELS_PATH]


def bearer(request) -> str | None:
    return request.headers.get("authorization")


class User:
    """One user's files under `root`: the CLI runs and the chat see the same config."""

    def __init__(self, root: Path, gateway: ServiceDouble, local: ServiceDouble, *, extra: str = "") -> None:
        self.root = root
        self.cli = CLI(root, token="", base_url=None)
        self.cli.write_config(
            extra
            + f'[profiles.gateway]\nbase_url = "{gateway.url}"\nmodel = "{GATEWAY_MODEL}"\n\n'
            + f'[profiles.local]\nbase_url = "{local.url}"\nmodel = "{LOCAL_MODEL}"\ncontext_window = 32768\n'
        )
        for name, token in (("gateway", GATEWAY_TOKEN), ("local", LOCAL_TOKEN)):
            stored = self.run("auth", "--profile", name, input=token + "\n")
            assert stored.returncode == 0 and stored.stderr == "", stored
            assert token not in stored.stdout and f"(profile {name})" in stored.stdout, stored

    def run(self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None):
        # No token and no server from the environment: only the config file speaks.
        return self.cli.run(*args, input=input, env={"CLAUDECHAT_API_KEY": None, **(env or {})})

    def terminal(self, *args: str, env: dict[str, str] | None = None) -> Terminal:
        term = Terminal(self.cli.home, base_url=None, api_key=None, args=args, cols=120, env=self.env(env))
        term.wait_for("/help for commands")
        term.wait_for_prompt()
        return term

    def env(self, extra: dict[str, str] | None) -> dict[str, str]:
        # The terminal's HOME is the CLI's home; its XDG directories must be the CLI's too.
        return {
            "XDG_CONFIG_HOME": str(self.cli.config_home),
            "XDG_DATA_HOME": str(self.cli.data_home),
            "XDG_STATE_HOME": str(self.cli.state_home),
            "XDG_CACHE_HOME": str(self.root / "xdg-cache"),
            **(extra or {}),
        }


@pytest.fixture
def user(tmp_path, gateway, local):
    return User(tmp_path, gateway, local)


# The line after every answer: model, tokens when known, seconds.
STATUS = re.compile(r"^\S+ · (?:[\d,]+ → [\d,]+ tokens · )?\d+\.\d s\b")


def turn(term: Terminal, text: str, answers: int) -> None:
    """Send `text` and wait until this terminal shows `answers` answers in all, and the prompt."""
    term.type_line(text)
    term.wait_for(lambda t: sum(bool(STATUS.match(line)) for line in t.all_lines()) >= answers)
    term.wait_for_prompt()


def run(term: Terminal, line: str, expect: str) -> None:
    before = sum(expect in row for row in term.all_lines())
    term.type_line(line)
    term.wait_for(lambda t: sum(expect in row for row in t.all_lines()) > before)
    term.wait_for_prompt()


# --- one-shot ----------------------------------------------------------------------------------


def test_profile_flag_environment_and_default_profile_choose_server_token_and_model(tmp_path, gateway, local):
    user = User(tmp_path, gateway, local)
    answer = user.run("--profile", "local", "one")
    assert answer.returncode == 0 and answer.stdout == "echo: one\n", answer
    [request] = chat_requests(local)
    assert bearer(request) == f"Bearer {LOCAL_TOKEN}" and request.json["model"] == LOCAL_MODEL
    assert gateway.requests == []

    answer = user.run("two", env={"CLAUDECHAT_PROFILE": "gateway"})
    assert answer.returncode == 0, answer
    [request] = chat_requests(gateway)
    assert bearer(request) == f"Bearer {GATEWAY_TOKEN}" and request.json["model"] == GATEWAY_MODEL

    user2 = User(tmp_path / "second", gateway, local, extra='default_profile = "local"\n')
    assert user2.run("three").returncode == 0
    assert chat_requests(local)[-1].json["model"] == LOCAL_MODEL and len(chat_requests(local)) == 2
    # The flag wins over the environment, which wins over default_profile.
    assert user2.run("--profile", "gateway", "four", env={"CLAUDECHAT_PROFILE": "local"}).returncode == 0
    assert len(chat_requests(gateway)) == 2 and len(chat_requests(local)) == 2


def test_flags_and_the_environment_win_over_the_profile_and_no_token_follows_another_server(user, gateway, local):
    answer = user.run("--profile", "local", "-m", "llama-3-8b", "--timeout", "30", "hi")
    assert answer.returncode == 0, answer
    assert chat_requests(local)[-1].json["model"] == "llama-3-8b"
    assert user.run("--profile", "local", "hi", env={"CLAUDECHAT_MODEL": "from-env"}).returncode == 0
    assert chat_requests(local)[-1].json["model"] == "from-env"

    # The local profile pointed at the gateway's server: the local token stays home.
    refused = user.run("--profile", "local", "--base-url", gateway.url, "--retries", "0", "hi")
    assert refused.returncode == 1 and "401" in refused.stderr, refused
    assert "claudechat auth --profile local" in refused.stderr, refused  # how to give it one
    assert [bearer(request) for request in gateway.requests] == [None]
    assert LOCAL_TOKEN not in refused.stderr + refused.stdout
    shown = user.run("config", "show", "--profile", "gateway")
    assert shown.returncode == 0 and GATEWAY_TOKEN not in shown.stdout and LOCAL_TOKEN not in shown.stdout
    assert f"▸ gateway: base_url = {gateway.url}, model = {GATEWAY_MODEL}" in shown.stdout, shown


def test_an_unknown_profile_is_one_line_naming_the_profiles_and_nothing_is_sent(user, gateway, local):
    for args, env in ((["--profile", "lcoal", "hi"], None), (["hi"], {"CLAUDECHAT_PROFILE": "nope"}),
                      (["--output", "json", "--profile", "lcoal", "hi"], None)):
        result = user.run(*args, env=env)
        assert result.returncode == 2, result
        line = assert_one_line(result.stderr, result)
        assert "profiles are gateway, local" in line, line
    assert gateway.requests == [] and local.requests == []


def test_a_broken_profile_is_a_warning_and_the_rest_works(tmp_path, gateway, local):
    user = User(tmp_path, gateway, local, extra='model = "claude-haiku-4-5-20251001"\n[profiles.bad]\ntimeout = -1\n\n')
    result = user.run("hi", env={"CLAUDECHAT_BASE_URL": local.url, "CLAUDECHAT_API_KEY": LOCAL_TOKEN})
    assert result.returncode == 0 and result.stdout == "echo: hi\n", result
    warning = assert_one_line(result.stderr, result)
    # (`auth` rewrote the file: the table is where the file now has it.)
    line = user.cli.config_file.read_text().splitlines().index("[profiles.bad]") + 1
    assert warning.startswith(f"claudechat: warning: config file {user.cli.config_file}, line {line}: profile 'bad'"), warning
    assert chat_requests(local)[-1].json["model"] == "claude-haiku-4-5-20251001"
    chosen = user.run("--profile", "bad", "hi")
    assert chosen.returncode == 2 and "timeout must be" in chosen.stderr, chosen


# --- the chat ----------------------------------------------------------------------------------


def test_profile_switches_the_chat_between_two_servers_and_c_keeps_it(user, gateway, local):
    term = user.terminal("--profile", "gateway")
    assert "profile gateway" in term.all_lines()[0]
    turn(term, "first", 1)
    [first] = chat_requests(gateway)
    assert bearer(first) == f"Bearer {GATEWAY_TOKEN}" and first.json["model"] == GATEWAY_MODEL

    run(term, "/profile", "  local  ")
    listing = [line for line in term.all_lines() if line.lstrip("▸ ").startswith(("gateway ", "local "))]
    assert listing[-2:] == [
        f"▸ gateway  {gateway.url.split('/')[2]}  {GATEWAY_MODEL}",
        f"  local    {local.url.split('/')[2]}  {LOCAL_MODEL}",
    ]

    # Tab completes the profile's name.
    term.send("/profile lo")
    term.wait_for_prompt("/profile lo")
    term.tab()
    term.wait_for_prompt("/profile local")
    term.enter()
    term.wait_for(lambda t: t.prompt_input() == "/profile local" or "profile local:" in t.text())
    if "profile local:" not in term.text():
        term.enter()
    term.wait_for(f"profile local: {local.url.split('/')[2]} · model {LOCAL_MODEL}")
    term.wait_for_prompt()
    term.wait_for(lambda t: f"server {local.url.split('/')[2]} (local)" in t.screen_lines()[-1])

    turn(term, "second", 2)
    [second] = chat_requests(local)
    assert bearer(second) == f"Bearer {LOCAL_TOKEN}" and second.json["model"] == LOCAL_MODEL
    assert [message["content"] for message in second.json["messages"]] == ["first", "echo: first", "second"]
    assert len(chat_requests(gateway)) == 1  # nothing more went there
    term.ctrl_d()
    assert term.wait_exit() == 0

    # -c goes on with the profile the session used last.
    again = user.terminal("-c")
    assert "profile local" in again.all_lines()[0]
    turn(again, "third", 1)
    assert len(chat_requests(local)) == 2 and bearer(chat_requests(local)[-1]) == f"Bearer {LOCAL_TOKEN}"
    again.ctrl_d()
    assert again.wait_exit() == 0
    one_shot = user.run("-c", "fourth")
    assert one_shot.returncode == 0, one_shot
    assert len(chat_requests(local)) == 3 and chat_requests(local)[-1].json["model"] == LOCAL_MODEL
    # ... unless a flag says otherwise.
    other = user.run("-c", "--profile", "gateway", "fifth")
    assert other.returncode == 0, other
    assert len(chat_requests(gateway)) == 2 and bearer(chat_requests(gateway)[-1]) == f"Bearer {GATEWAY_TOKEN}"
    # The session's own model stays (it is the conversation's), the server and token are the profile's.
    assert chat_requests(gateway)[-1].json["messages"][-1]["content"] == "fifth"
    assert user.run("-c", "sixth").returncode == 0
    assert len(chat_requests(gateway)) == 3  # the flag's profile is now the session's


def test_an_unknown_profile_in_the_chat_is_one_error_line(user, gateway, local):
    term = user.terminal("--profile", "gateway")
    run(term, "/profile lcoal", "error:")
    error = next(line for line in term.all_lines() if line.startswith("error:"))
    assert "no profile 'lcoal'" in error and "profiles are gateway, local" in error
    turn(term, "still here", 1)
    assert bearer(chat_requests(gateway)[0]) == f"Bearer {GATEWAY_TOKEN}"


# --- /model and the server's list ----------------------------------------------------------------


def test_model_lists_the_servers_models_caches_them_and_completes_them(user, gateway, local):
    local.models = [LOCAL_MODEL, "llama-3-8b", "mistral-7b"]
    term = user.terminal("--profile", "local")
    run(term, "/model", "models 127.0.0.1")
    assert term.wait_for(f"▸ {LOCAL_MODEL}")
    assert any(line.strip() == "llama-3-8b" for line in term.all_lines())
    [asked] = model_requests(local)
    assert bearer(asked) == f"Bearer {LOCAL_TOKEN}"
    run(term, "/model llama-3-8b", "model is now llama-3-8b")
    assert not any(line.startswith("warning:") for line in term.all_lines())
    run(term, "/model phi-9", "model is now phi-9")
    warning = next(line for line in term.all_lines() if line.startswith("warning:"))
    assert "phi-9 is not among the models" in warning
    term.ctrl_d()
    assert term.wait_exit() == 0

    # A second chat within the day asks no more: the list comes from the cache.
    again = user.terminal("--profile", "local")
    again.send("/model mis")
    again.wait_for_prompt("/model mis")
    again.tab()
    again.wait_for_prompt("/model mistral-7b")
    again.enter()
    again.wait_for(lambda t: t.prompt_input() == "/model mistral-7b" or "model is now mistral-7b" in t.text())
    if "model is now mistral-7b" not in again.text():
        again.enter()
    again.wait_for("model is now mistral-7b")
    again.wait_for_prompt()
    run(again, "/model", "models 127.0.0.1")
    assert len(model_requests(local)) == 1
    turn(again, "hi", 1)
    assert chat_requests(local)[-1].json["model"] == "mistral-7b"


def test_model_falls_back_to_the_catalogue_silently_when_the_server_lists_none(user, gateway, local):
    assert gateway.models is None  # the double answers GET /v1/models with 404, as the service does
    term = user.terminal("--profile", "gateway")
    run(term, "/model", "claude-opus-4-20250514-thinking")
    assert not any(line.startswith(("warning:", "error:")) for line in term.all_lines())
    assert not any("lists:" in line for line in term.all_lines())
    assert f"▸ {GATEWAY_MODEL}" in " ".join(term.all_lines())
    [asked] = model_requests(gateway)
    assert bearer(asked) == f"Bearer {GATEWAY_TOKEN}"
    run(term, "/model", "claude-opus-4-20250514-thinking")
    assert len(model_requests(gateway)) == 1  # the lack of a list is remembered too
    turn(term, "hi", 1)
    assert chat_requests(gateway)[-1].json["model"] == GATEWAY_MODEL
