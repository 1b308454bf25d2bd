"""Running the installed `claudechat` console script in an isolated environment.

Every run gets its own configuration, data and home directories, the base URL of a
ServiceDouble and a token of its own; nothing from the outer environment that could change
the program's behaviour (CLAUDECHAT_* variables, NO_COLOR, proxies) leaks in.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


SCRIPT = Path(sys.executable).with_name("claudechat")
DEFAULT_TIMEOUT = 20.0

# Variables that would change what the program does or where its traffic goes.
_SCRUBBED = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE")
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def as_a_foreground_job() -> None:
    """In a child before exec: the signal dispositions of a job a shell starts in the foreground.

    A shell without job control starts background jobs with SIGINT and SIGQUIT ignored, nohup
    ignores SIGHUP, and an ignored signal stays ignored across exec. Run that way, pytest would
    hand the ignored signals on to the program under test, where Python leaves them ignored:
    Ctrl-C would do nothing. The program is tested as a user starts it, whoever runs pytest.
    """
    for signum in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def require_script() -> Path:
    if not SCRIPT.is_file() or not os.access(SCRIPT, os.X_OK):
        pytest.fail(
            f"the claudechat console script is not installed next to the interpreter running the "
            f"tests (looked for {SCRIPT}); install the package into this environment first, "
            f"e.g. `{sys.executable} -m pip install -e .`",
            pytrace=False,
        )
    return SCRIPT


def new_token() -> str:
    return "sk-test-" + uuid.uuid4().hex


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The single JSON object on stdout (exactly one line)."""
        assert self.stdout.endswith("\n"), f"stdout is not newline-terminated: {self.stdout!r}"
        assert self.stdout.count("\n") == 1, f"stdout holds more than one line: {self.stdout!r}"
        obj = json.loads(self.stdout)
        assert isinstance(obj, dict), f"stdout is not a JSON object: {self.stdout!r}"
        return obj

    def __str__(self) -> str:
        return (
            f"claudechat {self.args!r} exited {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


@dataclass
class CLI:
    """One isolated user: directories under `root`, a token, and the base URL to use."""

    root: Path
    token: str
    base_url: str | None

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def config_home(self) -> Path:
        return self.root / "xdg-config"

    @property
    def data_home(self) -> Path:
        return self.root / "xdg-data"

    @property
    def state_home(self) -> Path:
        return self.root / "xdg-state"

    @property
    def config_dir(self) -> Path:
        return self.config_home / "claudechat"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    def write_config(self, text: str) -> bytes:
        """Write config.toml (mode 0600, so no permission warning) and return its bytes."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(text, encoding="utf-8")
        os.chmod(self.config_file, 0o600)
        return self.config_file.read_bytes()

    def environ(self, **overrides: str | None) -> dict[str, str]:
        """The environment of a run; an override of None removes the variable."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.upper().startswith("CLAUDECHAT_")
            and key not in _SCRUBBED
            and key.lower() not in _PROXY_VARIABLES
        }
        for directory in (self.home, self.config_home, self.data_home, self.state_home):
            directory.mkdir(parents=True, exist_ok=True)
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.config_home),
            XDG_DATA_HOME=str(self.data_home),
            XDG_STATE_HOME=str(self.state_home),
            XDG_CACHE_HOME=str(self.root / "xdg-cache"),
            CLAUDECHAT_API_KEY=self.token,
        )
        if self.base_url is not None:
            env["CLAUDECHAT_BASE_URL"] = self.base_url
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def command(self, *args: str) -> list[str]:
        return [str(require_script()), *args]

    def run(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str | None] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Result:
        """Run the script to completion; stdin is a pipe given `input`, else /dev/null."""
        if isinstance(input, str):
            input = input.encode("utf-8")
        completed = subprocess.run(
            self.command(*args),
            input=input,
            check=False,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            env=self.environ(**(env or {})),
            cwd=self.root,
            timeout=timeout,
            preexec_fn=as_a_foreground_job,
        )
        return Result(
            list(args),
            completed.returncode,
            completed.stdout.decode("utf-8"),
            completed.stderr.decode("utf-8"),
        )

    def popen(self, *args: str, env: dict[str, str | None] | None = None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command(*args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.environ(**(env or {})),
            cwd=self.root,
            preexec_fn=as_a_foreground_job,
        )


def assert_one_line(text: str, context: object = "") -> str:
    """`text` is exactly one newline-terminated line; returns it without the newline."""
    assert text.endswith("\n") and text.count("\n") == 1, f"expected one line, got {text!r}\n{context}"
    return text[:-1]


def read_until(fd: int, wanted: bytes, timeout: float = 10.0) -> bytes:
    """Read from a pipe with os.read until `wanted` has arrived; everything read is returned."""
    deadline = time.monotonic() + timeout
    data = b""
    while wanted not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {wanted!r}; read so far {data!r}")
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            continue
        piece = os.read(fd, 65536)
        if not piece:
            raise AssertionError(f"the pipe closed before {wanted!r} arrived; read {data!r}")
        data += piece
    return data


# --- knowing that a client has taken in a stalled stream ---------------------------------------


def _client_receive_queues(server_port: int) -> list[int]:
    """Bytes waiting unread in each established client socket connected to `server_port`."""
    queues = []
    with open("/proc/net/tcp", encoding="ascii") as table:
        next(table)
        for line in table:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            state = fields[3]
            if remote_port == server_port and state == "01":
                queues.append(int(fields[4].split(":")[1], 16))
    return queues


def _is_sleeping(pid: int) -> bool:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "S"


def wait_until_client_idle(pid: int, server_port: int, timeout: float = 10.0) -> None:
    """Wait until the client has read everything the server sent and is blocked waiting for more.

    Polls the client's socket receive queue and its scheduler state; both are conditions,
    observed, not a guess at how long the client takes.
    """
    deadline = time.monotonic() + timeout
    while True:
        queues = _client_receive_queues(server_port)
        if queues and all(size == 0 for size in queues) and _is_sleeping(pid):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"client {pid} never drained its connection (queues {queues})")
        time.sleep(0.002)


def proc_net_available() -> bool:
    return sys.platform.startswith("linux") and os.path.exists("/proc/net/tcp")
