"""The API token never leaks: not on any output stream, not into any file but the config file.

Every test gets a token of its own ("sk-secret-" and 32 random hex digits), given the two ways a
user gives it: in CLAUDECHAT_API_KEY, or stored in the config file by `claudechat auth` piped
on standard input. The installed program then runs every way it can (one-shot variants,
failures, the interactive chat with every command) while each byte it writes is kept. At the
end every stream, and every regular file under the test's directory (HOME, the XDG
directories and the working directory all live there), is searched for the token and for a
12-character piece of its middle, so a token cut by a line wrap or half-redacted is caught
too. The one file allowed to hold it, the config file, must instead be 0600 in a 0700
directory.

The same tests check that `/image` never fetches a URL itself and refuses what is not a
regular file (a directory, a FIFO, a device) without blocking.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import stat
import struct
import subprocess
import tomllib
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.double import CHAT_COMPLETIONS_PATH, MODELS_PATH, ErrorReply, RawReply, Reply, ServiceDouble
from tests.terminal import CLAUDECHAT, Terminal, isolated_env

pytestmark = pytest.mark.e2e  # every test here starts the program

THINKING_MODEL = "claude-sonnet-4-20250514-thinking"
# The line after every answer: model, tokens when known, seconds, then optional parts.
STATUS = re.compile(r"^\S+ · (?:[\d,]+ → [\d,]+ tokens · )?\d+\.\d s\b")
# What the program draws around text: colour and cursor sequences, line breaks, panel borders.
_DECORATION = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\s|\xe2\x94[\x80-\xbf]")
TIMEOUT = 20


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0\0\0")) + chunk(b"IEND", b"")


def closed_port_url() -> str:
    """A base URL nobody listens on: a double's, once it has closed."""
    with ServiceDouble() as gone:
        return gone.url


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"claudechat {shlex.join(self.args)} exited {self.returncode}\n--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"


class User:
    """One isolated user with a token of their own; every byte the program writes is kept.

    HOME, the XDG directories and the working directory all live under `root`/home, so a
    recursive search of `root` sees every file the program could have written.
    """

    def __init__(self, root: Path, source: str, base_url: str) -> None:
        assert source in ("env", "config")
        self.root = root
        self.home = root / "home"
        self.home.mkdir()
        self.token = "sk-secret-" + uuid.uuid4().hex
        self.source = source
        self.base_url = base_url
        self.outputs: list[tuple[str, bytes]] = []
        self.terminals: list[Terminal] = []

    # --- where things are ------------------------------------------------------------------

    @property
    def config_file(self) -> Path:
        return self.home / "config" / "claudechat" / "config.toml"

    @property
    def server(self) -> str:
        """The server `claudechat auth` stores the token for: the base URL's host and port."""
        return self.base_url.split("/")[2]

    @property
    def sessions_dir(self) -> Path:
        return self.home / "data" / "claudechat" / "sessions"

    def session_files(self) -> list[Path]:
        return sorted(self.sessions_dir.glob("*.jsonl")) if self.sessions_dir.exists() else []

    # --- running the program ---------------------------------------------------------------

    def environ(self, base_url: str | None = None, env: dict[str, str | None] | None = None) -> dict[str, str]:
        api_key = self.token if self.source == "env" else None
        environ = isolated_env(self.home, base_url=base_url or self.base_url, api_key=api_key)
        for key, value in (env or {}).items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        return environ

    def run(self, *args: str, input: str | None = None, base_url: str | None = None,
            env: dict[str, str | None] | None = None) -> Run:
        """The installed program to completion; stdin is `input` piped, else /dev/null."""
        done = subprocess.run(
            [CLAUDECHAT, *args],
            input=None if input is None else input.encode("utf-8"),
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            env=self.environ(base_url, env),
            cwd=self.home,
            timeout=TIMEOUT,
            check=False,
        )
        label = f"claudechat {shlex.join(args)}"
        self.outputs += [(f"{label}: stdout", done.stdout), (f"{label}: stderr", done.stderr)]
        return Run(args, done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))

    def login(self) -> None:
        """For the "config" user: store the token the documented way, piped into `claudechat auth`."""
        if self.source != "config":
            return
        saved = self.run("auth", input=self.token + "\n")
        assert saved.returncode == 0, saved
        assert saved.stdout == f"Token for {self.server} saved to {self.config_file} (…{self.token[-4:]})\n", saved
        assert saved.stderr == "", saved

    def terminal(self, *args: str, env: dict[str, str] | None = None, **options) -> Terminal:
        """The chat in a pseudo-terminal, once its prompt is up; its bytes are searched at the end."""
        term = Terminal(self.home, base_url=self.base_url, api_key=self.token if self.source == "env" else None,
                        args=args, env=env, **options)
        self.terminals.append(term)
        term.wait_for("/help for commands")
        term.wait_for_prompt()
        return term

    # --- the verdict -----------------------------------------------------------------------

    def needles(self) -> list[bytes]:
        middle = self.token[len("sk-secret-") + 10 :][:12]  # 12 hex digits from the middle
        return [self.token.encode(), middle.encode()]

    def _found(self, label: str, data: bytes) -> list[str]:
        """The first sight of the token or its middle in `data`, as it is or undecorated."""
        flat = _DECORATION.sub(b"", data)
        for kind, text in (("", data), (" (line breaks and colours removed)", flat)):
            for needle in self.needles():
                at = text.find(needle)
                if at != -1:
                    return [f"{label}{kind}: {text[max(0, at - 60) : at + len(needle) + 20]!r}"]
        return []

    def output_leaks(self) -> list[str]:
        """Every output stream the token (or its middle) shows up in."""
        found: list[str] = []
        for label, data in self.outputs:
            found += self._found(label, data)
        for term in self.terminals:
            found += self._found(f"terminal {term.child.args!r}", term.raw)
            found += self._found(f"screen of {term.child.args!r}", "".join(term.all_lines()).encode())
        return found

    def leaks(self) -> list[str]:
        """Every place the token (or its middle) shows up where it must not: outputs and files."""
        found = self.output_leaks()
        for path in sorted(self.root.rglob("*")):
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue  # FIFOs, sockets, links: nothing the program wrote (and a FIFO would block)
            if self.source == "config" and path == self.config_file:
                continue
            found += self._found(str(path.relative_to(self.root)), path.read_bytes())
        return found

    def assert_no_leak(self) -> None:
        assert self.leaks() == []
        if self.source == "config":
            assert tomllib.loads(self.config_file.read_text())["tokens"] == {self.server: self.token}
            assert stat.S_IMODE(self.config_file.stat().st_mode) == 0o600
            assert stat.S_IMODE(self.config_file.parent.stat().st_mode) == 0o700

    def close(self) -> None:
        for term in self.terminals:
            term.kill()


@pytest.fixture
def double():
    with ServiceDouble(token=None) as service:  # the token is per test: set by the `user` fixture
        yield service


@pytest.fixture(params=["env", "config"], ids=["token-in-env", "token-in-config-file"])
def user(request, tmp_path, double):
    person = User(tmp_path, request.param, double.url)
    double.token = person.token
    person.login()
    yield person
    person.close()


def test_the_search_finds_the_token_whole_cut_by_a_line_wrap_or_in_part(tmp_path):
    user = User(tmp_path, "env", "http://127.0.0.1:9/v1")
    token = user.token.encode()
    user.outputs += [
        ("whole", b"key " + token + b"\n"),
        ("wrapped in a panel", b"\xe2\x94\x82 " + token[:25] + b" \xe2\x94\x82\r\n\xe2\x94\x82 \x1b[2m" + token[25:]),
        ("a piece of its middle", b"..." + token[15:35] + b"..."),
        ("its end, as redacted", b"\xe2\x80\xa6" + token[-4:]),
    ]
    (user.home / "notes.txt").write_bytes(token[18:34])
    found = user.leaks()
    assert [leak.split(":")[0] for leak in found] == ["whole", "wrapped in a panel (line breaks and colours removed)",
                                                      "a piece of its middle", "home/notes.txt"]


def token_was_used(double: ServiceDouble, user: User) -> bool:
    """Whether some request carried the token: what is searched for was really in play."""
    return any(request.headers.get("authorization") == f"Bearer {user.token}" for request in double.requests)


# --- one-shot runs -------------------------------------------------------------------------------

HTML_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"

# (name, arguments, reply queued first, piped input, expected exit code, text stderr must hold)
ONE_SHOT = [
    ("text", ["hi"], None, None, 0, ""),
    ("json", ["--output", "json", "hi"], None, None, 0, ""),
    ("two-choices", ["-n", "2", "hi"], None, None, 0, ""),
    ("no-stream", ["--no-stream", "hi"], None, None, 0, ""),
    ("reasoning", ["--reasoning", "hi"], Reply(content="Forty-two.", reasoning="Weighing it."), None, 0, "Weighing it."),
    ("piped-text", ["review", "this"], None, "some piped text\n", 0, ""),
    ("image", ["-i", "pic.png", "describe"], None, None, 0, ""),
    ("refused-token", ["hi"], ErrorReply(401, "invalid_token", "invalid token"), None, 1, "claudechat auth"),
    ("refused-token-json", ["--output", "json", "hi"], ErrorReply(401, "invalid_token", "invalid token"), None, 1,
     "claudechat auth"),
    ("server-error", ["hi"], ErrorReply(500, "api_error", "boom"), None, 1, "boom"),
    ("html-error-page", ["--retries", "0", "hi"], RawReply(502, HTML_PAGE), None, 1, "502 Bad Gateway"),
    ("dropped-stream", ["hi"], Reply(content="Hello world, how are you", drop_after=2), None, 1, "dropped"),
    ("dropped-stream-json", ["--output", "json", "hi"], Reply(content="Hello world, how are you", drop_after=2), None,
     1, "dropped"),
    # The exchange log of --debug holds the request's headers: the token must be left out of it.
    ("debug", ["--debug", "hi"], None, None, 0, "debug:"),
    ("debug-refused-token", ["--debug", "hi"], ErrorReply(401, "invalid_token", "invalid token"), None, 1, "debug:"),
    ("debug-json-no-stream", ["--debug", "--no-stream", "--output", "json", "hi"], None, None, 0, "debug:"),
]


def test_one_shot_runs_and_their_failures_never_show_the_token(user, double):
    (user.home / "pic.png").write_bytes(tiny_png())
    for name, args, reply, piped, code, expected in ONE_SHOT:
        if reply is not None:
            double.enqueue(reply)
        result = user.run(*args, input=piped)
        assert result.returncode == code, f"{name}\n{result}"
        assert expected in result.stderr, f"{name}\n{result}"
    assert token_was_used(double, user)

    refused_at = closed_port_url()
    for args in (["--retries", "0", "hi"], ["--retries", "0", "--output", "json", "hi"]):
        result = user.run(*args, base_url=refused_at)
        assert result.returncode == 1 and "connection refused" in result.stderr, result

    # Subcommands that know about the token.
    shown = user.run("config", "show")
    assert shown.returncode == 0 and f"…{user.token[-4:]}" in shown.stdout, shown  # it was there to leak
    shown_json = user.run("config", "show", "--output", "json")
    assert json.loads(shown_json.stdout)["api_key"] == f"…{user.token[-4:]}", shown_json
    for args in (["config", "path"], ["sessions", "--output", "json"], ["--help"], ["--version"]):
        assert user.run(*args).returncode == 0
    logs = sorted((user.home / "state" / "claudechat" / "debug").glob("*.log"))
    assert len(logs) == 3 and all(b"[redacted]" in log.read_bytes() for log in logs)  # there to leak
    assert all(stat.S_IMODE(log.stat().st_mode) == 0o600 for log in logs)
    user.assert_no_leak()


def test_usage_errors_never_echo_the_token(user, double):
    """Bad flags, and the token given where it does not belong: refused without repeating it."""
    before = user.config_file.read_bytes() if user.config_file.exists() else None
    for args, piped in (
        (["--no-such-flag", "hi"], None),
        (["-t", "abc", "hi"], None),
        (["--max-tokens", "many", "hi"], None),
        (["auth", user.token], None),  # typed as an argument by mistake
        (["auth", "--remove", user.token], None),
        (["config", "set", "api_key", user.token], None),
        (["config", "set", "api-key", user.token], None),
        (["auth"], user.token + " and more\n"),  # not a token: whitespace inside
        (["auth"], user.token + "\x1b\n"),  # not a token: a control character
    ):
        result = user.run(*args, input=piped)
        assert result.returncode == 2, result
        assert result.stdout == "" and result.stderr.count("\n") == 1, result
    # An invalid token in the environment is reported without its value.
    result = user.run("hi", env={"CLAUDECHAT_API_KEY": user.token + " extra"})
    assert result.returncode == 2 and "CLAUDECHAT_API_KEY" in result.stderr, result
    assert double.requests == []
    assert (user.config_file.read_bytes() if user.config_file.exists() else None) == before  # nothing changed
    user.assert_no_leak()


# A config file the user broke, each holding the token somewhere: text, and what stderr must say.
BROKEN_CONFIGS = {
    "syntax-error-after-the-token": ('api_key = "{token}"\nmodel = [\n', "not valid TOML"),
    "token-not-quoted": ("api_key = {token}\n", "not valid TOML"),
    "token-pasted-alone": ("{token}\n", "not valid TOML"),
    "token-with-a-space": ('api_key = "{token} x"\n', "api_key must be"),
    "token-under-a-misspelt-key": ('apikey = "{token}"\n', "unknown key 'apikey'"),
    "token-in-a-table": ('[auth]\napi_key = "{token}"\n', "unknown key 'auth'"),
}


@pytest.mark.parametrize("user", ["env"], indirect=True)  # the broken file holds the token either way
def test_a_broken_config_file_holding_the_token_is_reported_without_it(user, double):
    original = user.config_file.read_bytes() if user.config_file.exists() else None
    user.config_file.parent.mkdir(parents=True, exist_ok=True)
    for name, (text, expected) in BROKEN_CONFIGS.items():
        user.config_file.write_text(text.format(token=user.token))
        os.chmod(user.config_file, 0o600)
        for args in (["hi"], ["--output", "json", "hi"], ["config", "show"]):
            result = user.run(*args)
            assert expected in result.stderr, f"{name}\n{result}"
        user.run("config", "set", "model", "x")  # refused, or done keeping the bad value as it is
        assert user.output_leaks() == [], name
    # The broken files held the token on purpose; the real one goes back before the final search.
    if original is None:
        user.config_file.unlink()
    else:
        user.config_file.write_bytes(original)
    user.assert_no_leak()


# --- the config file's permissions ---------------------------------------------------------------


def test_a_stored_token_is_never_sent_to_another_server(tmp_path, double):
    """Stored for one server, the token stays there, whatever --base-url or the environment say."""
    user = User(tmp_path, "config", double.url)
    double.token = user.token
    user.login()
    with ServiceDouble(token=None) as stranger:  # another server, that would take any token
        for args, env in ((["--base-url", stranger.url, "hi"], None), (["hi"], {"CLAUDECHAT_BASE_URL": stranger.url})):
            result = user.run(*args, env=env)
            assert result.returncode == 0, result
        assert len(stranger.requests) == 2
        assert all("authorization" not in request.headers for request in stranger.requests)
    with ServiceDouble(token="another-token") as guarded:  # another server that wants a token
        refused = user.run("--retries", "0", "hi", base_url=guarded.url)
        assert refused.returncode == 1 and "authorization" not in guarded.requests[0].headers
        assert "no API token was sent" in refused.stderr or "none was sent" in refused.stderr, refused
        assert "claudechat auth --base-url" in refused.stderr and user.server in refused.stderr, refused
    assert user.run("hi").returncode == 0 and token_was_used(double, user)  # still sent to its own server
    user.assert_no_leak()


def test_a_config_file_others_can_read_is_warned_about_and_config_set_makes_it_private(tmp_path, double):
    user = User(tmp_path, "config", double.url)
    double.token = user.token
    user.login()
    try:
        path = user.config_file

        def warning(what: str) -> str:
            return f"claudechat: warning: config file {path} is {what} by other users; run chmod 600 {path}\n"

        os.chmod(path, 0o666)
        shown = user.run("config", "show")
        assert shown.returncode == 0 and shown.stderr == warning("readable and writable"), shown
        os.chmod(path, 0o644)
        os.chmod(path.parent, 0o755)
        answered = user.run("hi")
        assert (answered.returncode, answered.stdout, answered.stderr) == (0, "echo: hi\n", warning("readable")), answered
        shown = user.run("config", "show")
        assert shown.returncode == 0 and shown.stderr == warning("readable"), shown
        term = user.terminal()  # the chat says so too, before it starts
        assert warning("readable").replace("\n", "\r\n").encode() in term.raw
        assert term.close() == 0

        changed = user.run("config", "set", "model", "claude-opus-4-6")
        assert changed.returncode == 0, changed
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        again = user.run("hi")
        assert (again.returncode, again.stderr) == (0, ""), again
        assert double.requests[-1].json["model"] == "claude-opus-4-6"
        user.assert_no_leak()
    finally:
        user.close()


# --- the interactive chat ------------------------------------------------------------------------


def status_lines(term: Terminal) -> list[str]:
    return [line for line in term.all_lines() if STATUS.match(line)]


def count(term: Terminal, text: str) -> int:
    return sum(text in line for line in term.all_lines())


def run(term: Terminal, line: str, expect: str) -> None:
    """Type a command, wait for a new row containing `expect`, then for the empty prompt."""
    before = count(term, expect)
    term.type_line(line)
    term.wait_for(lambda t: count(t, expect) > before)
    term.wait_for_prompt()


def turn(term: Terminal, text: str) -> None:
    """Send a message and wait for its answer (a new status line) and the empty prompt."""
    before = len(status_lines(term))
    term.type_line(text)
    term.wait_for(lambda t: len(status_lines(t)) > before)
    term.wait_for_prompt()


def test_the_chat_and_every_command_never_show_the_token(user, double):
    (user.home / "pic.png").write_bytes(tiny_png())
    image_url = f"http://127.0.0.1:{double.port}/img.png"
    # No clipboard program: /copy goes through the terminal only (its bytes are searched).
    term = user.terminal(env={"DISPLAY": "", "WAYLAND_DISPLAY": "", "TMUX": "", "CLAUDECHAT_DEBUG": "1"})
    run(term, "/help", "Ctrl-D exits")
    run(term, "/model", "claude-opus-4-20250514-thinking")
    run(term, f"/model {THINKING_MODEL}", f"model is now {THINKING_MODEL}")
    run(term, "/image pic.png", "(1 for the next message)")
    run(term, f"/image {image_url}", "(2 for the next message)")
    run(term, "/system be brief", "system prompt set")
    run(term, "/temperature 0.5", "temperature is now 0.5")
    run(term, "/max-tokens 100", "max-tokens is now 100")
    run(term, "/json on", "json is now on")
    turn(term, "first question")
    run(term, "/json off", "json is now off")
    run(term, "/n 2", "n is now 2")
    turn(term, "two candidates")
    run(term, "/pick 2", "candidate 2 of 2 is now in the history")
    run(term, "/n 1", "n is now 1")
    before = len(status_lines(term))
    term.type_line("/retry")
    term.wait_for(lambda t: len(status_lines(t)) > before)
    term.wait_for_prompt()
    run(term, "/think", "╭─ Reasoning")
    run(term, "/reasoning expanded", "reasoning is now expanded")
    term.type_line("/edit")
    term.wait_for("editing your last message")
    term.wait_for_prompt("two candidates")
    before = len(status_lines(term))
    term.enter()
    term.wait_for(lambda t: len(status_lines(t)) > before)
    term.wait_for_prompt()
    run(term, "/copy", "copied the last answer")
    run(term, "/usage", "requests")
    run(term, "/info", "config file")
    run(term, "/save x.md", "saved the transcript (Markdown) to x.md")
    run(term, "/save x.json", "saved the session (JSON) to x.json")
    run(term, "/rename a title without secrets", "is now titled")
    run(term, "/sessions", "/resume ID opens one")
    [first] = user.session_files()
    run(term, "/clear", f"(/resume {first.stem})")
    turn(term, "a new topic")
    run(term, f"/resume {first.stem}", f"session {first.stem} · a title without secrets")
    run(term, "/load x.json", "as a new session")
    run(term, "/theme", "themes:")
    run(term, "/theme light", "theme is now light")
    run(term, "/reasoning", "reasoning is expanded")
    run(term, "/undo", "dropped the last exchange")
    # A turn the server refuses, with a message that does not hold the token.
    double.enqueue(ErrorReply(401, "invalid_token", "invalid token"))
    term.type_line("this one fails")
    term.wait_for("error: the service refused the API token")
    term.wait_for_prompt("this one fails")
    term.ctrl_c()
    term.wait_for_prompt("")
    term.type_line("/exit")
    assert term.wait_exit() == 0

    assert token_was_used(double, user)
    # /model asked the server for its list (GET /v1/models, which the double answers 404).
    chat = [request for request in double.requests if request.method == "POST"]
    assert [request.path for request in chat] == [CHAT_COMPLETIONS_PATH] * len(chat)
    assert {request.path for request in double.requests if request.method == "GET"} == {MODELS_PATH}
    sent = chat[0].json["messages"][-1]["content"]
    assert sent[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert sent[2]["image_url"]["url"] == image_url  # sent as it is, for the server to fetch

    listed = user.run("sessions", "--output", "json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 3, listed
    assert user.run("sessions").returncode == 0
    shown = user.run("config", "show")
    assert shown.returncode == 0 and f"…{user.token[-4:]}" in shown.stdout, shown
    assert user.run("config", "show", "--output", "json").returncode == 0
    assert (user.home / "x.md").exists() and (user.home / "x.json").exists()
    assert (user.home / "data" / "claudechat" / "history").exists()
    [log] = (user.home / "state" / "claudechat" / "debug").glob("*.log")  # CLAUDECHAT_DEBUG: every request
    assert log.read_bytes().count(b"[redacted]") == len(chat)
    user.assert_no_leak()


# --- profiles ------------------------------------------------------------------------------------


def test_a_profile_token_never_shows_and_goes_only_to_its_own_server(tmp_path, double):
    """Stored by `claudechat auth --profile`: in no output, log, session or cache file, and sent
    only to the profile's server, whichever way the profile is chosen or left."""
    user = User(tmp_path, "config", double.url)
    double.token = user.token
    double.models = ["served-model"]
    no_server = {"CLAUDECHAT_BASE_URL": None}  # only the profiles say where requests go
    with ServiceDouble(token=None) as stranger:  # another server, that would take any token
        user.config_file.parent.mkdir(parents=True)
        user.config_file.write_text(
            f'[profiles.mine]\nbase_url = "{double.url}"\nmodel = "{THINKING_MODEL}"\n\n'
            f'[profiles.other]\nbase_url = "{stranger.url}"\n'
        )
        os.chmod(user.config_file, 0o600)
        stored = user.run("auth", "--profile", "mine", input=user.token + "\n", env=no_server)
        assert stored.returncode == 0, stored
        assert stored.stdout == f"Token for {user.server} (profile mine) saved to {user.config_file} (…{user.token[-4:]})\n"

        for args in (["--profile", "mine", "hi"], ["--profile", "mine", "--debug", "hi"],
                     ["--profile", "mine", "--output", "json", "--reasoning", "hi"], ["--profile", "other", "hi"],
                     ["--profile", "mine", "--base-url", stranger.url, "hi"]):
            result = user.run(*args, env=no_server)
            assert result.returncode == 0, result
        for args in (["config", "show", "--output", "json"], ["config", "show", "-p", "mine"]):
            assert user.run(*args, env=no_server).returncode == 0
        shown = user.run("config", "show", env=no_server)
        assert f"token for {user.server} …{user.token[-4:]}" in shown.stdout, shown  # it was there to leak

        term = Terminal(user.home, base_url=None, api_key=None, args=("--profile", "other"),
                        env={"CLAUDECHAT_DEBUG": "1"})
        user.terminals.append(term)
        term.wait_for("/help for commands")
        term.wait_for_prompt()
        turn(term, "to the other server")
        run(term, "/profile", "▸ other")
        run(term, "/profile mine", "profile mine:")
        run(term, "/model", "served-model")
        turn(term, "to my server")
        run(term, "/info", "config file")
        run(term, "/profile other", "profile other:")
        turn(term, "to the other server again")
        term.type_line("/exit")
        assert term.wait_exit() == 0
        for args in (["-c", "more"], ["-c", "--profile", "mine", "more"], ["sessions", "--output", "json"]):
            result = user.run(*args, env=no_server)
            assert result.returncode == 0, result

        assert stranger.requests and all("authorization" not in request.headers for request in stranger.requests)
    assert token_was_used(double, user)
    assert all(request.headers.get("authorization") == f"Bearer {user.token}" for request in double.requests)
    assert any(request.path == MODELS_PATH for request in double.requests)
    logs = sorted((user.home / "state" / "claudechat" / "debug").glob("*.log"))
    assert len(logs) == 2 and all(b"[redacted]" in log.read_bytes() for log in logs)
    assert (user.home / "cache" / "claudechat" / "models.json").exists()  # searched too
    assert user.leaks() == []
    data = tomllib.loads(user.config_file.read_text())
    assert data["profiles"]["mine"]["tokens"] == {user.server: user.token} and "tokens" not in data
    assert stat.S_IMODE(user.config_file.stat().st_mode) == 0o600


# --- /image and what it touches ------------------------------------------------------------------


def menu(term: Terminal, prefix: str) -> set[str]:
    """Words starting with `prefix` in the completion menu: the rows between the input and the toolbar."""
    rows = term.screen_lines()[term.screen.cursor.y + 1 : -1]
    return {word for line in rows for word in line.split() if word.startswith(prefix)}


@pytest.mark.parametrize("user", ["config"], indirect=True)
def test_image_never_fetches_a_url_and_refuses_what_is_not_a_regular_file(user, double):
    png = tiny_png()
    home = user.home
    (home / "pic.png").write_bytes(png)
    (home / "link.png").symlink_to(home / "pic.png")
    (home / "folder.png").mkdir()
    os.mkfifo(home / "fifo.png")  # opening it for reading would block until a writer comes
    image_url = f"http://127.0.0.1:{double.port}/img.png"

    term = user.terminal()
    run(term, f"/image {image_url}", "(1 for the next message)")
    run(term, "/image link.png", "attached link.png (2 for the next message)")
    for name in ("folder.png", "fifo.png", "/dev/zero"):
        run(term, f"/image {name}", f"error: cannot attach {name}: not a regular file")
    # Completing a name in a directory holding a FIFO lists it without opening it.
    term.send("/image fi")
    term.wait_for(lambda t: menu(t, "fi") == {"fifo.png"})
    term.send("\x15")  # Ctrl-U empties the line
    term.wait_for_prompt("")
    run(term, "/image", "attached to the next message:")
    turn(term, "two images")
    assert term.close() == 0

    [request] = double.requests
    content = request.json["messages"][-1]["content"]
    assert [part["image_url"]["url"] for part in content[1:]] == [
        image_url,
        "data:image/png;base64," + base64.b64encode(png).decode(),
    ]

    # One-shot: the same refusals, at once, with nothing sent.
    for name in ("fifo.png", "folder.png", "/dev/zero"):
        result = user.run("-i", name, "describe")
        assert result.returncode == 2 and "not a regular file" in result.stderr, result
    result = user.run("-i", image_url, "describe")
    assert result.returncode == 0, result
    assert double.requests[-1].json["messages"][-1]["content"][1]["image_url"]["url"] == image_url

    assert [r.path for r in double.requests] == [CHAT_COMPLETIONS_PATH] * 2  # no GET /img.png, ever
    user.assert_no_leak()
