"""The installed `claudechat` command, run as a subprocess against the service double.

These tests pin down the command-line contract scripts rely on: what goes to stdout and
stderr, the exit codes, the request actually sent, the configuration subcommands, and that
the API token never shows up where it should not.
"""

from __future__ import annotations

import base64
import os
import signal
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

from claudechat import __version__
from claudechat.config import OPTIONS
from tests.cli_helpers import (
    CLI,
    Result,
    assert_one_line,
    new_token,
    proc_net_available,
    read_until,
    require_script,
    wait_until_client_idle,
)
from tests.double import ErrorReply, RawReply, Reply, ServiceDouble

pytestmark = pytest.mark.e2e  # every test here starts the program

DEFAULT_MODEL = "claude-sonnet-4-6"
JSON_KEYS = {
    "model",
    "content",
    "reasoning",
    "refusal",
    "finish_reason",
    "usage",
    "cost",
    "choices",
    "error",
    "incomplete",
    "interrupted",
}


@pytest.fixture(scope="module", autouse=True)
def console_script() -> Path:
    return require_script()


@pytest.fixture
def token() -> str:
    return new_token()


@pytest.fixture
def double(token: str):
    with ServiceDouble(token=token) as service:
        yield service


@pytest.fixture
def cli(tmp_path: Path, token: str, double: ServiceDouble) -> CLI:
    return CLI(root=tmp_path, token=token, base_url=double.url)


def body(double: ServiceDouble, index: int = 0) -> dict:
    request = double.requests[index]
    assert request.path == "/v1/chat/completions"
    assert isinstance(request.json, dict), request.body
    return request.json


def assert_nothing_sent(double: ServiceDouble, result: Result) -> None:
    assert double.requests == [], f"a request was sent\n{result}"


def assert_usage_failure(double: ServiceDouble, result: Result) -> str:
    """Exit 2, stdout empty, one line on stderr, nothing sent; returns that line."""
    assert result.returncode == 2, result
    assert result.stdout == "", result
    assert_nothing_sent(double, result)
    return assert_one_line(result.stderr, result)


# --- version and help ------------------------------------------------------------------------


def test_version_prints_name_and_version(cli: CLI) -> None:
    result = cli.run("--version")
    assert result.returncode == 0, result
    assert result.stdout == f"claudechat {__version__}\n"


def test_no_arguments_parse_as_the_parser_would() -> None:
    from claudechat.cli import NO_ARGUMENTS, _build_parser

    assert vars(_build_parser().parse_intermixed_args([])) == NO_ARGUMENTS


def test_help_exits_zero_and_shows_examples(cli: CLI, double: ServiceDouble) -> None:
    result = cli.run("--help")
    assert result.returncode == 0, result
    assert "examples" in result.stdout
    assert_nothing_sent(double, result)


@pytest.mark.parametrize("columns", [60, 80, 132])
def test_help_wraps_to_the_terminal_between_words(cli: CLI, double: ServiceDouble, columns: int) -> None:
    text = cli.run("--help", env={"COLUMNS": str(columns)}).stdout
    assert max(len(line) for line in text.splitlines()) <= columns
    words = " ".join(text.split())
    for phrase in ("When standard output is not a terminal, it carries exactly the answer text.",
                   "continue a saved chat by (the start of) its id", "usage or configuration error"):
        assert phrase in words  # whole phrases: wrapped only where there were spaces
    assert ("continue the chat used last" in text) and ("claudechat -c" in text)


# --- the answer on stdout ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("Paris is the capital.", "Paris is the capital.\n"),
        ("# Title\n\n**bold** and `code`\n", "# Title\n\n**bold** and `code`\n"),
        ("line one\nline two", "line one\nline two\n"),
    ],
    ids=["plain", "markdown-ending-in-newline", "multi-line"],
)
def test_stdout_carries_exactly_the_answer(cli: CLI, double: ServiceDouble, content: str, expected: str) -> None:
    double.enqueue(Reply(content=content))
    result = cli.run("what", "is", "the", "capital?")
    assert result.returncode == 0, result
    assert result.stdout == expected
    assert "\x1b" not in result.stdout + result.stderr
    assert result.stderr == ""
    sent = body(double)
    assert sent["model"] == DEFAULT_MODEL
    assert sent["stream"] is True
    assert sent["messages"] == [{"role": "user", "content": "what is the capital?"}]
    assert double.requests[0].headers["authorization"] == f"Bearer {cli.token}"


@pytest.mark.parametrize(
    ("stdin", "args", "expected"),
    [
        ("def f():\n    return 1\n", ["review", "this"], "def f():\n    return 1\n\nreview this"),
        ("just the piped text\n", [], "just the piped text"),
    ],
    ids=["stdin-and-prompt", "stdin-only"],
)
def test_stdin_text_and_prompt_form_one_user_message(
    cli: CLI, double: ServiceDouble, stdin: str, args: list[str], expected: str
) -> None:
    result = cli.run(*args, input=stdin)
    assert result.returncode == 0, result
    assert body(double)["messages"] == [{"role": "user", "content": expected}]
    assert result.stdout == f"echo: {expected}\n"


def test_options_appear_in_the_request_body(cli: CLI, double: ServiceDouble) -> None:
    result = cli.run(
        "-m", "claude-opus-4-6",
        "-s", "You answer in one word.",
        "-t", "0.7",
        "--max-tokens", "64",
        "--response-format", "json",
        "--no-stream",
        "colour of the sky?",
    )
    assert result.returncode == 0, result
    assert result.stdout == "echo: colour of the sky?\n"
    sent = body(double)
    assert sent["model"] == "claude-opus-4-6"
    assert sent["stream"] is False
    assert sent["temperature"] == 0.7
    assert sent["max_tokens"] == 64
    assert sent["response_format"] == {"type": "json_object"}
    assert sent["messages"] == [
        {"role": "system", "content": "You answer in one word."},
        {"role": "user", "content": "colour of the sky?"},
    ]


def test_several_choices_each_under_a_header(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(Reply(content="Blue, mostly."))
    result = cli.run("-n", "2", "colour?")
    assert result.returncode == 0, result
    assert body(double)["n"] == 2
    assert result.stdout == (
        "--- choice 1 of 2 ---\n[0] Blue, mostly.\n--- choice 2 of 2 ---\n[1] Blue, mostly.\n"
    )


@pytest.mark.parametrize("show", [True, False], ids=["--reasoning", "default"])
def test_reasoning_goes_to_stderr_only_when_asked(cli: CLI, double: ServiceDouble, show: bool) -> None:
    double.enqueue(Reply(content="Forty-two.", reasoning="Weighing the options carefully."))
    result = cli.run(*(["--reasoning"] if show else []), "the answer?")
    assert result.returncode == 0, result
    assert result.stdout == "Forty-two.\n"
    assert ("Weighing the options carefully." in result.stderr) is show
    assert "\x1b" not in result.stderr


# --- images ------------------------------------------------------------------------------------

# Only their first bytes are images': sent as they are, since their headers claim no size over
# the models' limit (a bigger one would be scaled, which needs real pixels).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (1).to_bytes(4, "big") * 2 + bytes(range(32))
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + bytes(30)
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + bytes(20)
WEBP = b"RIFF" + (30).to_bytes(4, "little") + b"WEBPVP8 " + bytes(22)


def test_images_become_image_url_parts(cli: CLI, double: ServiceDouble, tmp_path: Path) -> None:
    # The type comes from the first bytes, not the name: every file is misnamed on purpose.
    files = {"image/png": PNG, "image/jpeg": JPEG, "image/gif": GIF, "image/webp": WEBP}
    paths = []
    for number, data in enumerate(files.values()):
        path = tmp_path / f"picture{number}.txt"
        path.write_bytes(data)
        paths.append(path)
    url = "https://example.com/x.png"
    args = [arg for path in paths for arg in ("-i", str(path))] + ["-i", url, "what is this?"]
    result = cli.run(*args)
    assert result.returncode == 0, result
    assert result.stdout == "echo: what is this?\n"
    (message,) = body(double)["messages"]
    assert message["role"] == "user"
    parts = message["content"]
    assert parts[0] == {"type": "text", "text": "what is this?"}
    assert len(parts) == 6
    for part, (media_type, data) in zip(parts[1:5], files.items()):
        assert part["type"] == "image_url"
        prefix = f"data:{media_type};base64,"
        assert part["image_url"]["url"].startswith(prefix)
        assert base64.b64decode(part["image_url"]["url"][len(prefix):]) == data
    assert parts[5] == {"type": "image_url", "image_url": {"url": url}}


@pytest.mark.parametrize("kind", ["text-file", "six-megabytes"])
def test_unusable_image_is_refused_before_sending(cli: CLI, double: ServiceDouble, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "picture.png"
    if kind == "text-file":
        path.write_text("not an image at all\n")
    else:
        path.write_bytes(PNG + bytes(6 * 1024 * 1024 - len(PNG)))
    # Named as typed in the directory it is in (the program's cwd is tmp_path): the message
    # must not depend on how long the temporary directory is (see the next test).
    result = cli.run("-i", "picture.png", "describe")
    line = assert_usage_failure(double, result)
    assert line.startswith("claudechat: error: cannot attach picture.png: "), line


def test_an_unusable_image_deep_in_folders_is_named_in_the_refusal(cli: CLI, double: ServiceDouble, tmp_path: Path) -> None:
    folder = tmp_path.joinpath(*["folder-of-pictures"] * 12)  # 228 characters below tmp_path
    folder.mkdir(parents=True)
    (folder / "picture.png").write_text("not an image at all\n")
    typed = str((folder / "picture.png").relative_to(tmp_path))
    line = assert_usage_failure(double, cli.run("-i", typed, "describe"))
    assert "picture.png" in line


# --- command-line and input errors ----------------------------------------------------------


def test_prompt_after_double_dash_starting_with_config_is_a_prompt(cli: CLI, double: ServiceDouble) -> None:
    result = cli.run("--", "config", "show", "me", "a", "poem")
    assert result.returncode == 0, result
    assert body(double)["messages"] == [{"role": "user", "content": "config show me a poem"}]
    assert result.stdout == "echo: config show me a poem\n"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["-t", "3"], "temperature"),
        (["-n", "0"], "n "),
        (["--max-tokens", "0"], "max_tokens"),
        (["--timeout", "-1"], "timeout"),
        (["--retries", "99"], "retries"),
    ],
    ids=["temperature", "n", "max-tokens", "timeout", "retries"],
)
def test_invalid_option_values_are_usage_errors(cli: CLI, double: ServiceDouble, args: list[str], named: str) -> None:
    result = cli.run(*args, "hello")
    line = assert_usage_failure(double, result)
    assert named in line


@pytest.mark.parametrize("args", [["-n", "0"], ["-t", "3"]], ids=["n", "temperature"])
def test_json_output_is_printed_for_usage_errors_too(cli: CLI, double: ServiceDouble, args: list[str]) -> None:
    result = cli.run("--output", "json", *args, "hello")
    assert result.returncode == 2, result
    assert_nothing_sent(double, result)
    obj = result.json()
    assert set(obj) == JSON_KEYS
    assert obj["content"] == ""
    assert obj["interrupted"] is False
    assert obj["error"] is not None and obj["error"]["status"] is None
    assert obj["error"]["message"]


def test_no_prompt_and_empty_stdin_is_a_usage_error(cli: CLI, double: ServiceDouble) -> None:
    result = cli.run(input="")
    line = assert_usage_failure(double, result)
    assert "prompt" in line


def test_stdin_that_is_not_utf8_is_a_usage_error(cli: CLI, double: ServiceDouble) -> None:
    result = cli.run("summarise", input=b"caf\xe9 \xff\xfe binary")
    line = assert_usage_failure(double, result)
    assert "UTF-8" in line


# --- JSON output -----------------------------------------------------------------------------


def test_json_output_is_one_object_with_every_field(cli: CLI, double: ServiceDouble) -> None:
    usage = {
        "prompt_tokens": 11,
        "completion_tokens": 7,
        "total_tokens": 18,
        "prompt_tokens_details": {"cached_tokens": 3},
        "claude_cache_creation_5_m_tokens": 2,
    }
    double.enqueue(Reply(content="Forty-two.", reasoning="Counting.", usage=usage, model="claude-served-1"))
    result = cli.run("--output", "json", "the answer?")
    assert result.returncode == 0, result
    obj = result.json()
    assert set(obj) == JSON_KEYS
    assert obj["model"] == "claude-served-1"
    assert obj["content"] == "Forty-two."
    assert obj["reasoning"] == "Counting."
    assert obj["finish_reason"] == "stop"
    assert obj["usage"] == usage
    assert obj["choices"] == [
        {"index": 0, "content": "Forty-two.", "reasoning": "Counting.", "refusal": "", "finish_reason": "stop"}
    ]
    assert obj["refusal"] == ""
    assert obj["error"] is None
    assert obj["incomplete"] is False
    assert obj["interrupted"] is False
    assert "Counting." not in result.stderr


def test_json_output_lists_every_choice(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(Reply(content="Blue."))
    result = cli.run("--output", "json", "-n", "2", "colour?")
    assert result.returncode == 0, result
    obj = result.json()
    assert obj["content"] == "[0] Blue."
    assert obj["choices"] == [
        {"index": 0, "content": "[0] Blue.", "reasoning": "", "refusal": "", "finish_reason": "stop"},
        {"index": 1, "content": "[1] Blue.", "reasoning": "", "refusal": "", "finish_reason": "stop"},
    ]


# --- API and network errors --------------------------------------------------------------------

TRACE = "trace-5f0c1d2e-cli"


def test_refused_token_explains_how_to_fix_it(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(ErrorReply(401, "invalid_token", "invalid token", trace_id=TRACE))
    result = cli.run("hello")
    assert result.returncode == 1, result
    assert result.stdout == ""
    line = assert_one_line(result.stderr, result)
    assert "claudechat auth" in line
    assert TRACE in line
    assert len(double.requests) == 1


def test_refused_token_in_json_output(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(ErrorReply(401, "invalid_token", "invalid token", trace_id=TRACE))
    result = cli.run("--output", "json", "hello")
    assert result.returncode == 1, result
    obj = result.json()
    assert set(obj) == JSON_KEYS
    error = obj["error"]
    assert set(error) == {"status", "code", "message", "trace_id"}
    assert error["status"] == 401
    assert error["code"] == "invalid_token"
    assert error["trace_id"] == TRACE
    assert obj["content"] == ""


def test_unreachable_server_is_a_network_error(tmp_path: Path, token: str) -> None:
    with ServiceDouble(token=token) as gone:
        url = gone.url  # the port is free again once the double has closed
    cli = CLI(root=tmp_path, token=token, base_url=url)
    result = cli.run("--retries", "0", "hello")
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert "127.0.0.1" in assert_one_line(result.stderr, result)


def test_rate_limit_is_retried_with_a_notice(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(ErrorReply(429, "too_many_requests", "slow down", headers={"Retry-After": "0"}))
    result = cli.run("hello")
    assert result.returncode == 0, result
    assert result.stdout == "echo: hello\n"
    assert "retrying" in result.stderr
    assert len(double.requests) == 2


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(content="Hello world, how are you", drop_after=2), "Hello wo\n"),
        (Reply(content="Hello world, how are you", malformed_after=2), "Hello wo\n"),
        (Reply(content="Hello world, how are you", error_after=2), "Hello wo\n"),
        (Reply(content="Hello world", finish_reason=None, send_done=False), "Hello world\n"),
    ],
    ids=["dropped", "malformed-chunk", "error-event", "incomplete"],
)
def test_broken_stream_keeps_the_partial_answer_and_fails(
    cli: CLI, double: ServiceDouble, reply: Reply, expected: str
) -> None:
    double.enqueue(reply)
    result = cli.run("hello")
    assert result.returncode == 1, result
    assert result.stdout == expected
    assert assert_one_line(result.stderr, result).startswith("claudechat: error:")
    assert len(double.requests) == 1


def test_incomplete_stream_in_json_output(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(Reply(content="Hello world", finish_reason=None, send_done=False))
    result = cli.run("--output", "json", "hello")
    assert result.returncode == 1, result
    obj = result.json()
    assert obj["incomplete"] is True
    assert obj["interrupted"] is False
    assert obj["content"] == "Hello world"
    assert obj["error"] is not None


@pytest.mark.parametrize(
    "reply",
    [Reply(content="Hello world, how are you", drop_after=2), Reply(content="Hello world, how are you", error_after=2)],
    ids=["dropped", "error-event"],
)
def test_an_answer_broken_off_is_incomplete_in_json_output(cli: CLI, double: ServiceDouble, reply: Reply) -> None:
    double.enqueue(reply)
    result = cli.run("--output", "json", "hello")
    assert result.returncode == 1, result
    obj = result.json()
    assert obj["content"] == "Hello wo" and obj["error"] is not None
    assert obj["incomplete"] is True and obj["interrupted"] is False


def test_an_error_before_any_answer_is_not_incomplete(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(ErrorReply(400, "api_not_implemented", "no such thing"))
    obj = cli.run("--output", "json", "hello").json()
    assert obj["error"]["status"] == 400 and obj["incomplete"] is False


ERRORS_IN_STREAMS = {
    # OpenRouter: an empty answer, an error, and a choice finishing with "error" (kept)
    "openrouter": b'data: {"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"m","error":{"code":502,'
    b'"message":"Network connection lost."},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\n',
    # vLLM's flat error object, then [DONE]: read as an empty chunk, it used to end "answered"
    "flat object": b'data: {"object":"error","message":"Network connection lost.","type":"BadRequestError","param":null,'
    b'"code":400}\n\ndata: [DONE]\n\n',
    # llama.cpp's own field, which the event-stream rules drop, then [DONE]
    "error field": b'error: {"code":500,"message":"Network connection lost.","type":"server_error"}\n\ndata: [DONE]\n\n',
}


@pytest.mark.parametrize("body", ERRORS_IN_STREAMS.values(), ids=ERRORS_IN_STREAMS.keys())
def test_an_error_reported_inside_the_stream_never_exits_0(cli: CLI, double: ServiceDouble, body: bytes) -> None:
    double.enqueue(RawReply(200, body, content_type="text/event-stream"))
    result = cli.run("--output", "json", "hello")
    assert result.returncode == 1, result
    obj = result.json()
    assert "Network connection lost." in obj["error"]["message"]
    assert obj["finish_reason"] == ("error" if b"finish_reason" in body else None)
    double.enqueue(RawReply(200, body, content_type="text/event-stream"))
    plain = cli.run("hello")
    assert plain.returncode == 1 and plain.stdout == "" and "Network connection lost." in plain.stderr


REFUSAL_STREAM = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,'
    b'"delta":{"role":"assistant","content":null,"refusal":""},"finish_reason":null}]}\n\n'
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,'
    b'"delta":{"refusal":"I cannot help with that."},"finish_reason":null}]}\n\n'
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,'
    b'"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
)


def test_a_refusal_is_the_answer_and_says_so(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(RawReply(200, REFUSAL_STREAM, content_type="text/event-stream"))
    result = cli.run("hello")
    assert result.returncode == 0, result
    assert result.stdout == "I cannot help with that.\n"
    assert "refused" in assert_one_line(result.stderr, result)
    double.enqueue(RawReply(200, REFUSAL_STREAM, content_type="text/event-stream"))
    obj = cli.run("--output", "json", "hello").json()
    assert (obj["content"], obj["refusal"]) == ("", "I cannot help with that.")


def test_reasoning_asked_of_a_model_that_does_not_reason_says_so(cli: CLI, double: ServiceDouble) -> None:
    result = cli.run("-m", "claude-sonnet-4-5-20250929", "--reasoning", "is 1001 prime?")
    assert result.returncode == 0 and result.stdout == "echo: is 1001 prime?\n", result
    line = assert_one_line(result.stderr, result)
    assert "claude-sonnet-4-5-20250929 does not reason" in line and "-thinking" in line
    other = cli.run("-m", "local-model", "--reasoning", "hi")  # not in the catalogue: said after the answer
    assert assert_one_line(other.stderr, other) == "claudechat: note: local-model sent no reasoning with this answer"
    thinking = cli.run("-m", "claude-sonnet-4-20250514-thinking", "--reasoning", "hi")
    assert thinking.returncode == 0 and "Thinking about: hi" in thinking.stderr and "note" not in thinking.stderr


def test_an_answer_cut_at_max_tokens_says_so(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(Reply(content="Once upon a", finish_reason="length"))
    result = cli.run("--max-tokens", "3", "a story")
    assert result.returncode == 0 and result.stdout == "Once upon a\n", result
    line = assert_one_line(result.stderr, result)
    assert "cut off at the max_tokens limit" in line and "--max-tokens" in line


def test_debug_writes_the_exchange_without_the_token(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(Reply(content="Hi there"))
    result = cli.run("--debug", "hello")
    assert result.returncode == 0 and result.stdout == "Hi there\n", result
    line = assert_one_line(result.stderr, result)
    path = Path(line.rsplit(" ", 1)[1])
    assert line.startswith("claudechat: debug:") and path.is_file()
    assert path.is_relative_to(cli.root) and oct(path.stat().st_mode & 0o777) == "0o600"
    log = path.read_bytes()
    assert cli.token.encode() not in log and b"[redacted]" in log
    assert b'"content": "hello"' in log or b'"content":"hello"' in log  # the request as sent
    assert b'"content": "Hi t"' in log  # the answer's bytes as they came
    assert b"response: 200" in log


def test_debug_from_the_environment(cli: CLI, double: ServiceDouble) -> None:
    result = cli.run("hello", env={"CLAUDECHAT_DEBUG": "1"})
    assert result.returncode == 0, result
    assert "claudechat: debug:" in result.stderr and str(cli.state_home) in result.stderr
    assert cli.run("hello").stderr == ""  # never on by default


def test_html_error_page_is_summarised_by_its_title(cli: CLI, double: ServiceDouble) -> None:
    page = (
        b"<!DOCTYPE html>\n<html><head><title>Bad Gateway at edge-7</title>"
        b"<style>body { color: red }</style></head>\n"
        b"<body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>\n"
    )
    double.enqueue(RawReply(502, page))
    result = cli.run("--retries", "0", "hello")
    assert result.returncode == 1, result
    assert result.stdout == ""
    line = assert_one_line(result.stderr, result)
    assert "502" in line
    assert "Bad Gateway at edge-7" in line
    assert "<" not in line
    assert len(double.requests) == 1


# --- interrupting ------------------------------------------------------------------------------

STALLING_ANSWER = "Hello there, partial answer that never ends"
PARTIAL = "Hello there, partial"  # the first five four-character deltas


def _interrupt(proc: subprocess.Popen[bytes], already: bytes = b"") -> tuple[int, bytes, str]:
    try:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, already + out, err.decode("utf-8")


def test_interrupt_keeps_the_partial_answer(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(Reply(content=STALLING_ANSWER, stall_after=5))
    proc = cli.popen("tell me a story")
    try:
        seen = read_until(proc.stdout.fileno(), PARTIAL.encode())
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    code, out, err = _interrupt(proc, seen)
    assert code == 130, (out, err)
    assert out.decode("utf-8") == PARTIAL + "\n"
    # Printed, not kept anywhere: a one-shot answer outside a session is not saved.
    assert err == "claudechat: interrupted; what arrived was printed\n"
    assert double.wait_for_disconnect(timeout=10)


@pytest.mark.skipif(not proc_net_available(), reason="needs /proc/net/tcp to see the client take in the stream")
def test_interrupt_with_json_output(cli: CLI, double: ServiceDouble) -> None:
    double.enqueue(Reply(content=STALLING_ANSWER, stall_after=5))
    proc = cli.popen("--output", "json", "tell me a story")
    try:
        assert double.wait_for_stall(10), "the double never reached the stall"
        wait_until_client_idle(proc.pid, double.port)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    code, out, err = _interrupt(proc)
    assert code == 130, (out, err)
    obj = Result([], code, out.decode("utf-8"), err).json()
    assert set(obj) == JSON_KEYS
    assert obj["interrupted"] is True
    assert obj["content"] == PARTIAL
    assert "interrupted" in err
    assert double.wait_for_disconnect(timeout=10)


# --- config and auth subcommands ---------------------------------------------------------------


def test_config_path_is_under_xdg_config_home(cli: CLI) -> None:
    result = cli.run("config", "path")
    assert result.returncode == 0, result
    path = Path(assert_one_line(result.stdout, result))
    assert path.is_relative_to(cli.config_home)
    assert path.name == "config.toml"


def _show_rows(stdout: str) -> dict[str, list[str]]:
    rows = {}
    for line in stdout.splitlines()[1:]:
        words = line.split()
        if words:
            rows[words[0]] = words[1:]
    return rows


def test_config_set_is_shown_with_its_source_and_used(cli: CLI, double: ServiceDouble) -> None:
    result = cli.run("config", "set", "temperature", "0.5")
    assert result.returncode == 0, result
    assert stat.S_IMODE(cli.config_file.stat().st_mode) == 0o600

    shown = cli.run("config", "show")
    assert shown.returncode == 0, shown
    assert _show_rows(shown.stdout)["temperature"] == ["0.5", "file"]

    asked = cli.run("hello")
    assert asked.returncode == 0, asked
    assert body(double)["temperature"] == 0.5


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["temperature", "5"], ["temperature", "0 to 2"]),
        (["modle", "x"], list(OPTIONS)),
        (["api_key", "sk-typed-on-the-command-line-0000"], ["claudechat auth"]),
    ],
    ids=["out-of-range", "unknown-key", "api-key"],
)
def test_config_set_refuses_bad_input(cli: CLI, double: ServiceDouble, args: list[str], expected: list[str]) -> None:
    result = cli.run("config", "set", *args)
    line = assert_usage_failure(double, result)
    for word in expected:
        assert word in line
    assert "sk-typed-on-the-command-line" not in line
    assert not cli.config_file.exists()


def test_auth_stores_a_piped_token_privately(tmp_path: Path, token: str) -> None:
    new = "sk-new-" + os.urandom(12).hex()
    with ServiceDouble(token=new) as service:
        cli = CLI(root=tmp_path, token=token, base_url=service.url)
        result = cli.run("auth", input=new + "\n", env={"CLAUDECHAT_API_KEY": None})
        assert result.returncode == 0, result
        assert new not in result.stdout + result.stderr
        assert "…" + new[-4:] in result.stdout
        server = service.url.split("/")[2]  # the token belongs to the server it was stored for
        assert tomllib.loads(cli.config_file.read_text())["tokens"] == {server: new}
        assert stat.S_IMODE(cli.config_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(cli.config_dir.stat().st_mode) == 0o700

        asked = cli.run("hello", env={"CLAUDECHAT_API_KEY": None})
        assert asked.returncode == 0, asked
        assert service.requests[0].headers["authorization"] == f"Bearer {new}"


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        ("model = [\n", ["hello"], ["line"]),
        ('# settings\nmodel = [\ntimeout = 5\n', ["config", "set", "model", "x"], ["line"]),
        ('# settings\nmodel = "m"\ntimeout = "abc"\n', ["hello"], ["timeout", "line 3"]),
    ],
    ids=["syntax-one-shot", "syntax-config-set", "wrong-type"],
)
def test_broken_config_file_is_reported_and_left_alone(
    cli: CLI, double: ServiceDouble, text: str, args: list[str], expected: list[str]
) -> None:
    before = cli.write_config(text)
    result = cli.run(*args)
    line = assert_usage_failure(double, result)
    assert str(cli.config_file) in line
    for word in expected:
        assert word in line
    assert cli.config_file.read_bytes() == before


@pytest.mark.parametrize(("args", "model"), [(["-m", "c"], "c"), ([], "b")], ids=["flag", "env"])
def test_flag_beats_environment_beats_file(cli: CLI, double: ServiceDouble, args: list[str], model: str) -> None:
    cli.write_config('model = "a"\n')
    result = cli.run(*args, "hello", env={"CLAUDECHAT_MODEL": "b"})
    assert result.returncode == 0, result
    assert body(double)["model"] == model


# --- the token -----------------------------------------------------------------------------------


def test_missing_token_for_the_service_is_a_configuration_error(tmp_path: Path) -> None:
    cli = CLI(root=tmp_path, token="unused", base_url=None)
    result = cli.run("hello", env={"CLAUDECHAT_API_KEY": None}, timeout=10)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "no API token" in assert_one_line(result.stderr, result)


def test_custom_server_needs_no_token(tmp_path: Path) -> None:
    with ServiceDouble(token=None) as service:
        cli = CLI(root=tmp_path, token="unused", base_url=service.url)
        result = cli.run("hello", env={"CLAUDECHAT_API_KEY": None})
        assert result.returncode == 0, result
        assert result.stdout == "echo: hello\n"
        assert "authorization" not in service.requests[0].headers


def test_token_never_appears_in_output_or_data_files(cli: CLI, double: ServiceDouble, token: str) -> None:
    runs = [
        (["hello"], None, 0),
        (["hello"], ErrorReply(401, "invalid_token", "invalid token", trace_id=TRACE), 1),
        (["hello"], Reply(content="Hello world, how are you", drop_after=2), 1),
        (["--output", "json", "hello"], None, 0),
        (["config", "show"], None, 0),
        (["config", "show", "--output", "json"], None, 0),
        (["--help"], None, 0),
        (["--no-such-flag", "hello"], None, 2),
    ]
    results = []
    for args, reply, code in runs:
        if reply is not None:
            double.enqueue(reply)
        result = cli.run(*args)
        results.append(result)
        assert result.returncode == code, result
        assert token not in result.stdout, result
        assert token not in result.stderr, result
    assert "…" + token[-4:] in results[4].stdout  # the token was there to leak
    # HOME, XDG_CONFIG_HOME and XDG_DATA_HOME all live under the root; no run stored a token.
    files = [path for path in cli.root.rglob("*") if path.is_file()]
    for path in files:
        assert token.encode() not in path.read_bytes(), path
