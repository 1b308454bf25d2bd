"""Faults while chatting, end to end: the installed program in a pseudo-terminal, read through pyte.

Every fault a server, the network, the terminal or the disk can produce is triggered in the
middle of an interactive chat, and each test checks what the person at the keyboard gets:

* one clear `error:` line (or the interruption mark, for a key or a signal);
* the chat goes on: the prompt comes back;
* nothing is lost: the message that failed is back in the input line, and the history is
  unchanged. That is proved the only way that counts: the next good turn's request, as the
  double received it, carries exactly the earlier good exchanges;
* text that arrived before a fault mid-answer stays on the screen, above the error, and is
  not part of the history (a key that stops an answer keeps it in the history instead, marked
  interrupted).

Many server faults run one after another in one chat process: queue the fault, send a
message, wait for the error line, clear the input with Ctrl-C, send a good turn. Tests
synchronise on the screen or on the double's state only, never on time.
"""

from __future__ import annotations

import json
import re
import resource
import signal
import ssl
import termios
import threading
import time
from pathlib import Path

import pytest
from prompt_toolkit.history import FileHistory

from claudechat.chat.store import read_session_file
from tests.double import DEFAULT_TRACE_ID, ErrorReply, RawReply, Reply, ServiceDouble
from tests.sockets import full_accept_queue
from tests.terminal import Keys, Terminal, columns_for_paths_under, STATUS_LINE
from tests.test_tls import TLS_DIR

pytestmark = pytest.mark.e2e  # every test here starts the program

# The line after every answer: model, tokens when known, seconds, then optional parts.
STATUS = STATUS_LINE
INTERRUPTED = "⏹ interrupted · the partial answer is kept"
NOT_BEGUN = "⏹ interrupted before the answer began"
# An answer cut after its third delta shows the first three.
PARTS = ["one ", "two ", "MIDWAY", " rest"]
SHOWN = "one two MIDWAY"
WHOLE = "one two MIDWAY rest"



@pytest.fixture
def terminal(terminal):
    """The shared fixture's terminal, with --retries 0 and no delay before each key."""

    def start(*args: str, **options) -> Terminal:
        term = terminal("--retries", "0", *args, **options)
        # pexpect waits 50 ms before every write (for programs that turn echo off late); every
        # test here waits for the screen before it types, so that only makes the file slow.
        term.child.delaybeforesend = None
        return term

    return start


# --- reading the screen --------------------------------------------------------------------


def status_lines(term: Terminal) -> list[str]:
    return [line for line in term.all_lines() if STATUS.match(line)]


def error_rows(term: Terminal) -> list[int]:
    return [i for i, line in enumerate(term.all_lines()) if line.startswith("error:")]


def last_error(term: Terminal) -> tuple[str, int]:
    """The newest error line, its wrapped rows joined, and the index of its first row."""
    lines = term.all_lines()
    start = error_rows(term)[-1]
    rows = [lines[start]]
    for line in lines[start + 1 :]:
        if not line or line.startswith("›"):
            break
        rows.append(line)
    return " ".join(rows), start


def rows_of_turn(term: Terminal, text: str) -> list[str]:
    """The rows after the first `› text` row (the message sent), up to the next prompt row."""
    lines = term.all_lines()
    if f"› {text}" not in lines:
        return []
    start = lines.index(f"› {text}")
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("›"):
            break
        rows.append(line)
    return rows


def wait_for_answer(term: Terminal, answers: int, timeout: float = 10) -> None:
    """Until `answers` status lines are in the terminal and the prompt is back, empty."""
    term.wait_for(lambda t: len(status_lines(t)) >= answers, timeout)
    term.wait_for_prompt(timeout=timeout)


def pairs(request) -> list[tuple[str, str]]:
    return [(message["role"], message["content"]) for message in request.json["messages"]]


# --- files ---------------------------------------------------------------------------------


def data_dir(home: Path) -> Path:
    return home / "data" / "claudechat"


def session_file(home: Path) -> Path:
    [path] = sorted((data_dir(home) / "sessions").glob("*.jsonl"))
    return path


def saved(path: Path) -> list[tuple[str, str, bool]]:
    """The session in a file as (role, text, interrupted), read as the program reads it."""
    return [(m.role, m.text, m.interrupted) for m in read_session_file(path).messages]


def write_config(home: Path, text: str) -> None:
    directory = home / "config" / "claudechat"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.toml").write_text(text)


# --- a chat and what its history should be --------------------------------------------------


class Chat:
    """A running chat, the double it talks to, and the exchanges its next request must carry."""

    def __init__(self, term: Terminal, double: ServiceDouble) -> None:
        self.term = term
        self.double = double
        self.history: list[tuple[str, str]] = []

    def good(self, text: str, reply: Reply | None = None, answer: str | None = None, *, errors_after: int = 0) -> None:
        """A turn that works: its request carries exactly the history so far, its answer joins it.

        `errors_after`: error lines expected after the answer (a failed save).
        """
        double, term = self.double, self.term
        answers, sent, errors = len(status_lines(term)), len(double.requests), len(error_rows(term))
        if reply is not None:
            double.enqueue(reply)
        term.type_line(text)
        wait_for_answer(term, answers + 1)
        assert len(double.requests) == sent + 1
        assert pairs(double.requests[-1]) == self.history + [("user", text)], term.dump()
        assert len(error_rows(term)) == errors + errors_after
        self.history += [("user", text), ("assistant", answer if answer is not None else f"echo: {text}")]

    def fault(self, text: str, reply: Reply | ErrorReply | RawReply | None = None) -> str:
        """Send `text` into a fault: one error line, no answer, the text back in the input line.

        The input is then cleared with Ctrl-C. Returns the error line (wrapped rows joined).
        """
        term = self.term
        errors, answers = len(error_rows(term)), len(status_lines(term))
        if reply is not None:
            self.double.enqueue(reply)
        term.type_line(text)
        term.wait_for(lambda t: len(error_rows(t)) > errors)
        term.wait_for_prompt(text)  # nothing is lost: the message is back, to send again
        assert len(error_rows(term)) == errors + 1
        assert len(status_lines(term)) == answers  # no answer was taken
        message, _ = last_error(term)
        term.ctrl_c()
        term.wait_for_prompt("")
        return message

    def close(self) -> None:
        assert self.term.close() == 0


# --- the server answers with an error status --------------------------------------------------

STATUSES = (400, 401, 429, 500, 502, 503)
SEED_CODES = {400: "api_not_implemented", 401: "invalid_token", 429: "too_many_requests",
              500: "api_error", 502: "api_error", 503: "api_error"}
SUMMARIES = {
    400: "the request was rejected",
    401: "the service refused the API token",
    429: "the service is rate limiting this token",
    500: "the service failed to answer",
    502: "a gateway in front of the service failed",
    503: "the service is unavailable",
}
REASONS = {400: "Bad Request", 401: "Authorization Required", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Temporarily Unavailable"}
HUGE_BODY = (b"x" * 1023 + b"\n") * 5 * 1024  # 5 MB, more than the client may read


def gateway_page(status: int) -> bytes:
    """The error page a proxy in front of the service returns, nginx style."""
    title = f"{status} {REASONS[status]}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        f"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def test_every_error_status_with_every_kind_of_body_gives_one_line_and_loses_nothing(tmp_path, terminal, double):
    chat = Chat(terminal(), double)
    chat.good("good start")
    for number, status in enumerate(STATUSES, 1):
        summary, code = SUMMARIES[status], SEED_CODES[status]
        sent = len(double.requests)

        message = chat.fault(f"seed body {status}", ErrorReply(status, code, f"server says {status}"))
        assert f"({status} {code}: server says {status})" in message, message
        assert message.endswith(f"[trace id {DEFAULT_TRACE_ID}]")

        message = chat.fault(f"html body {status}", RawReply(status, gateway_page(status)))
        assert message.startswith(f"error: {summary} ({status}: {status} {REASONS[status]}) ("), message
        assert "<" not in message

        message = chat.fault(f"empty body {status}", RawReply(status, b"", content_type=""))
        assert message.startswith(f"error: {summary} ({status}) ("), message

        disconnects = double.disconnects
        message = chat.fault(f"huge body {status}", RawReply(status, HUGE_BODY, content_type="text/plain", send_buffer=8192))
        assert message.startswith(f"error: {summary} ({status}: xxx"), message
        assert len(message) < 300 and "…" in message  # a short excerpt of the body, not the body
        # The client hung up after a bounded excerpt instead of reading 5 MB: the double's write
        # failed, and its socket took a small part of the body.
        assert double.wait_for_disconnect(count=disconnects + 1)
        assert double.wait_for_error_bodies(4 * number)
        assert max(double.error_bytes_sent) < len(HUGE_BODY) // 5

        assert len(double.requests) == sent + 4  # --retries 0: one request per fault, none repeated
        chat.good(f"good after {status}")
    chat.close()
    assert saved(session_file(tmp_path)) == [(role, text, False) for role, text in chat.history]


# --- the answer breaks off mid-stream ----------------------------------------------------------

# (name, the fault, the message it gives (with {port}), what of the answer stays on the screen)
STREAM_FAULTS = [
    ("dropped", Reply(content=PARTS, drop_after=3), (
        "error: the connection to 127.0.0.1:{port} dropped before the answer was finished "
        "(what arrived is shown; try again)"
    ), SHOWN),
    ("stalled", Reply(content=PARTS, stall_after=3), (
        "error: the server sent nothing for 1 s (what arrived is shown; raise the limit with --timeout)"
    ), SHOWN),
    ("malformed", Reply(content=PARTS, malformed_after=3), (
        "error: the server sent a chunk that is not valid JSON: '{{not valid json' "
        "(what arrived is shown; try again)"
    ), SHOWN),
    ("error object", Reply(content=PARTS, error_after=3), (
        "error: the server stopped the answer with an error (api_error: upstream failed) "
        f"[trace id {DEFAULT_TRACE_ID}]"
    ), SHOWN),
    ("no end", Reply(content=PARTS, finish_reason=None, send_done=False), (
        "error: the stream ended before the answer was finished (no finish reason, no [DONE]) "
        "(what arrived is shown; try again)"
    ), WHOLE),
    ("truncated body", Reply(content=PARTS, finish_reason=None, send_done=False, omit_terminator=True), (
        "error: the connection to 127.0.0.1:{port} dropped before the answer was finished "
        "(what arrived is shown; try again)"
    ), WHOLE),
]


def test_faults_mid_answer_leave_the_partial_text_on_screen_and_the_history_unchanged(tmp_path, terminal, double):
    write_config(tmp_path, "max_answer_mb = 0.05\n")
    chat = Chat(terminal("--timeout", "1"), double)
    term = chat.term
    chat.good("good start")
    for name, reply, expected, shown in STREAM_FAULTS:
        disconnects = double.disconnects
        message = chat.fault(name, reply)
        assert message == expected.format(port=double.port)
        # What came before the fault stays on the screen, once, between the message and the error.
        rows = rows_of_turn(term, name)
        assert rows[0] == shown and " ".join(rows[1:]) == message, rows
        if name == "stalled":
            assert double.wait_for_disconnect(count=disconnects + 1)  # the stalled connection is closed
        chat.good(f"good after {name}")

    # A body cut before its end, but after [DONE]: the answer is complete and kept.
    chat.good("cut after done", Reply(content="the whole answer", omit_terminator=True), answer="the whole answer")

    # An answer that never ends is stopped at max_answer_mb (0.05 MB here), the text so far on screen.
    endless = " ".join(f"w{i:04d}" for i in range(400)) + "\n\n"
    disconnects = double.disconnects
    message = chat.fault("forever", Reply(content=endless, delta_size=100, endless=True))
    assert message == (
        "error: the answer grew past 52,428 bytes and was stopped "
        "(what arrived is shown; `claudechat config set max_answer_mb N` raises the limit)"
    )
    assert double.wait_for_disconnect(count=disconnects + 1)  # the client hung up; the server would go on
    rows = rows_of_turn(term, "forever")
    at = next(i for i, row in enumerate(rows) if row.startswith("error:"))
    assert " ".join(rows[at:]) == message
    assert at > 10 and rows[0].startswith("w0000 w0001 ")
    # Rounds of the answer, word after word (the last word may be cut where the stream was).
    assert [row for row in rows[:at] if row and not re.fullmatch(r"(w\d{4} )*w\d{0,4}", row)] == [], rows[:at]
    chat.good("good after forever")

    # A slowloris server: one byte at a time. The text shows as it comes, no idle timeout fires
    # (it counts silence, and the bytes never stop), and Ctrl-C stops it at once, keeping the text.
    words = ["alpha ", "beta ", "gamma ", "delta ", "epsilon"]
    disconnects, errors, since = double.disconnects, len(error_rows(term)), len(term.raw)
    double.enqueue(Reply(content=words, drip_interval=0.002))
    started = time.monotonic()
    term.type_line("drip")
    term.wait_for("alpha beta")
    assert time.monotonic() - started > 1  # (about 700 bytes 2 ms apart) longer than the 1 s timeout
    assert len(error_rows(term)) == errors
    term.ctrl_c()
    term.wait_for(lambda t: sum(line == INTERRUPTED for line in t.all_lines()) == 1)
    term.wait_for_prompt()
    assert double.wait_for_disconnect(count=disconnects + 1)
    # Drawn as it came: a frame showed "alpha" before "beta" had arrived.
    first = term.raw.index(b"alpha", since)
    frame = term.raw[term.raw.rindex(b"\x1b[?2026h", since, first) : term.raw.index(b"\x1b[?2026l", first)]
    assert b"beta" not in frame
    # Stopped by a key, the partial answer is kept in the history.
    answers = len(status_lines(term))
    term.type_line("good after drip")
    wait_for_answer(term, answers + 1)
    *earlier, drip, (role, partial), good = pairs(double.requests[-1])
    assert earlier == chat.history and drip == ("user", "drip") and good == ("user", "good after drip")
    assert role == "assistant" and partial.startswith("alpha beta ") and "".join(words).startswith(partial)
    assert "epsilon" not in partial
    chat.history += [drip, (role, partial), good, ("assistant", "echo: good after drip")]

    chat.close()
    assert saved(session_file(tmp_path)) == [(role, text, text == partial) for role, text in chat.history]


def test_a_body_cut_after_the_finish_reason_keeps_the_finished_answer(terminal, double):
    chat = Chat(terminal(), double)
    term = chat.term
    chat.good("good start")
    answers, errors = len(status_lines(term)), len(error_rows(term))
    double.enqueue(Reply(content="the whole answer", send_done=False, omit_terminator=True))
    term.type_line("cut after finish")
    term.wait_for(lambda t: len(status_lines(t)) > answers or len(error_rows(t)) > errors)
    assert len(error_rows(term)) == errors, last_error(term)[0]
    term.wait_for_prompt()
    chat.history += [("user", "cut after finish"), ("assistant", "the whole answer")]
    chat.good("good after")


# --- the server cannot be reached ---------------------------------------------------------------


def test_connection_refused_and_connect_timeout_then_the_server_is_back(terminal):
    first = ServiceDouble().start()
    port = first.port
    try:
        chat = Chat(terminal("--timeout", "1", base_url=first.url), first)
        chat.good("good start")
    finally:
        first.close()

    assert chat.fault("nobody listens") == (
        f"error: connection refused by 127.0.0.1:{port} (is the server running? check --base-url)"
    )

    with full_accept_queue(port):
        assert chat.fault("nobody answers") == (
            f"error: could not connect to 127.0.0.1:{port} within 1 s (check the network and --base-url)"
        )

    with ServiceDouble(port=port) as again:  # the server is back where it was
        chat.double = again
        chat.good("good again")
        chat.close()


@pytest.fixture(scope="module")
def certificates():
    """Two self-signed certificates for 127.0.0.1: (cert, key) of one the client trusts, and of one it does not."""
    return [(TLS_DIR / f"{name}.pem", TLS_DIR / f"{name}.key") for name in ("trusted", "untrusted")]


def test_a_certificate_that_fails_verification_then_a_good_one(terminal, certificates):
    trusted, untrusted = certificates
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*trusted)
    # Every answer closes its connection, so that each request makes a new TLS handshake.
    with ServiceDouble(ssl_context=context, default_reply=Reply(headers={"Connection": "close"})) as secure:
        chat = Chat(terminal(base_url=secure.url, env={"SSL_CERT_FILE": str(trusted[0])}), secure)
        chat.good("good start")
        context.load_cert_chain(*untrusted)  # the server now shows a certificate nobody vouches for
        message = chat.fault("untrusted")
        assert message.startswith(f"error: secure connection to 127.0.0.1:{secure.port} failed: ")
        assert "CERTIFICATE_VERIFY_FAILED" in message and re.search(r"self.signed certificate", message)
        assert message.endswith("(check --base-url (http vs https) and the server's certificate)")
        assert len(secure.requests) == 1  # the request itself never left the client
        context.load_cert_chain(*trusted)
        chat.good("good again")
        chat.close()


def test_a_host_that_does_not_resolve(tmp_path, terminal, double):
    # The base URL is fixed for a chat's life, so the session is started, continued against a
    # host that does not exist, and continued once more against the double.
    chat = Chat(terminal(), double)
    chat.good("good start")
    chat.close()
    path = session_file(tmp_path)
    before = path.read_bytes()

    chat.term = terminal("-c", base_url="http://claudechat-test.invalid/v1")
    assert chat.fault("no such host") == (
        "error: cannot resolve host 'claudechat-test.invalid' (check --base-url and your DNS)"
    )
    chat.close()
    assert path.read_bytes() == before

    chat.term = terminal("-c")
    chat.good("good again")
    chat.close()
    assert saved(path) == [(role, text, False) for role, text in chat.history]


# --- the person stops the answer ---------------------------------------------------------------


@pytest.mark.parametrize("key", [Keys.CTRL_C, Keys.ESC], ids=["ctrl-c", "esc"])
def test_a_key_stops_the_answer_in_every_phase(tmp_path, terminal, double, key):
    chat = Chat(terminal(), double)
    term = chat.term
    chat.good("good start")

    # Before the first byte of the body: nothing came, nothing is kept, the message is back.
    disconnects, sent = double.disconnects, len(double.requests)
    double.enqueue(Reply(content="never sent", pause_before_first=threading.Event()))
    term.type_line("waiting")
    term.wait_for(lambda t: any("Waiting for" in row for row in rows_of_turn(t, "waiting")))
    assert double.wait_for_requests(sent + 1)  # the request is out; the body will not come
    term.send(key)
    term.wait_for_prompt("waiting")
    assert rows_of_turn(term, "waiting") == [NOT_BEGUN]
    assert double.wait_for_disconnect(count=disconnects + 1)
    term.ctrl_c()
    term.wait_for_prompt("")
    chat.good("good after waiting")

    # While reasoning: the reasoning is summed up, no answer began, the message is back.
    stalls, disconnects = double.stalls, double.disconnects
    double.enqueue(Reply(content="never sent", reasoning=["Weighing ", "the ", "REASONING"], stall_after=0))
    term.type_line("reasoning")
    term.wait_for("REASONING")
    assert double.wait_for_stall(count=stalls + 1)
    term.send(key)
    term.wait_for_prompt("reasoning")
    rows = rows_of_turn(term, "reasoning")
    assert len(rows) == 2 and rows[0].startswith("▸ Thought for ") and rows[1] == NOT_BEGUN, rows
    assert double.wait_for_disconnect(count=disconnects + 1)
    term.ctrl_c()
    term.wait_for_prompt("")
    chat.good("good after reasoning")

    # While answering: the text so far is kept, in the history too, marked interrupted.
    stalls, disconnects, answers = double.stalls, double.disconnects, len(status_lines(term))
    double.enqueue(Reply(content=PARTS, stall_after=3))
    term.type_line("answering")
    term.wait_for("MIDWAY")
    assert double.wait_for_stall(count=stalls + 1)
    term.send(key)
    wait_for_answer(term, answers + 1)
    rows = rows_of_turn(term, "answering")
    assert rows[:2] == [SHOWN, INTERRUPTED] and STATUS.match(rows[2]) and len(rows) == 3, rows
    assert double.wait_for_disconnect(count=disconnects + 1)
    chat.history += [("user", "answering"), ("assistant", SHOWN)]
    chat.good("good after answering")

    assert not any("Waiting for" in line or "Thinking ·" in line for line in term.all_lines())  # no spinner left
    chat.close()
    path = session_file(tmp_path)
    assert saved(path) == [(role, text, text == SHOWN) for role, text in chat.history]


# --- the terminal goes away ------------------------------------------------------------------


def _stalled_mid_answer(terminal, double) -> Chat:
    """A chat with one good turn, then an answer that stalls after SHOWN."""
    chat = Chat(terminal(), double)
    chat.good("good start")
    stalls = double.stalls
    double.enqueue(Reply(content=PARTS, stall_after=3))
    chat.term.type_line("cut off")
    chat.term.wait_for("MIDWAY")
    assert double.wait_for_stall(count=stalls + 1)
    return chat


def _partial_turn_saved(path: Path) -> None:
    """The session holds the good turn, then the message and the partial answer, marked interrupted."""
    records = [json.loads(line) for line in path.read_bytes().decode().splitlines()]
    answer = [record for record in records if record.get("op") == "messages"][-1]["add"][-1]
    assert (answer["role"], answer["content"], answer.get("interrupted")) == ("assistant", SHOWN, True)
    assert saved(path) == [
        ("user", "good start", False),
        ("assistant", "echo: good start", False),
        ("user", "cut off", False),
        ("assistant", SHOWN, True),
    ]


def test_sighup_mid_answer_exits_129_keeps_the_partial_turn_and_restores_the_terminal(tmp_path, terminal, double):
    chat = _stalled_mid_answer(terminal, double)
    term = chat.term
    term.child.kill(signal.SIGHUP)
    while term.read_available(0.1):  # until the program has exited
        pass
    # The pty keeps the settings its last user left; the shell gets echo and line editing back.
    local_flags = termios.tcgetattr(term.child.child_fd)[3]
    assert local_flags & termios.ECHO and local_flags & termios.ICANON
    assert term.wait_exit() == 128 + signal.SIGHUP
    assert INTERRUPTED in term.all_lines()
    assert double.wait_for_disconnect()
    _partial_turn_saved(session_file(tmp_path))


def _close_the_terminal(term: Terminal, timeout: float = 10) -> int | None:
    """Close the pty as a terminal window closing does (the program gets SIGHUP, its tty is gone).

    Returns the exit status (or -signal) once the program has ended by itself, None if it has
    not within `timeout` seconds.
    """
    term.child.ptyproc.fileobj.close()
    waiter = threading.Thread(target=term.child.ptyproc.wait, daemon=True)
    waiter.start()
    waiter.join(timeout)
    if waiter.is_alive():
        return None
    process = term.child.ptyproc
    return process.exitstatus if process.exitstatus is not None else -process.signalstatus


def test_closing_the_terminal_mid_answer_keeps_the_partial_turn(tmp_path, terminal, double):
    chat = _stalled_mid_answer(terminal, double)
    status = _close_the_terminal(chat.term)
    assert status is not None and status >= 0  # it ended by itself, not killed by the signal
    assert double.wait_for_disconnect()
    _partial_turn_saved(session_file(tmp_path))


def test_closing_the_terminal_mid_answer_exits_129(tmp_path, terminal, double):
    chat = _stalled_mid_answer(terminal, double)
    assert _close_the_terminal(chat.term) == 128 + signal.SIGHUP


# --- the disk -------------------------------------------------------------------------------------

FILE_SIZE_LIMIT = 16 * 1024


def _limit_file_size() -> None:
    """In the child: files may not grow past FILE_SIZE_LIMIT (writes beyond fail with EFBIG;
    Python ignores SIGXFSZ), as on a nearly full disk."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def _big(tag: str, size: int) -> str:
    """Markdown of about `size` characters, paragraphs of words, ending with `tag`."""
    paragraph = " ".join(["lorem ipsum dolor sit amet"] * 8)
    count = size // (len(paragraph) + 2) + 1
    return "\n\n".join([paragraph] * count) + "\n\n" + tag


def test_a_session_that_cannot_be_saved_shows_an_error_and_the_chat_goes_on(tmp_path, terminal, double):
    chat = Chat(terminal(preexec_fn=_limit_file_size, cols=columns_for_paths_under(tmp_path)), double)
    term = chat.term
    chat.good("first")
    chat.good("second")
    path = session_file(tmp_path)
    before = path.read_bytes()
    assert 0 < len(before) < FILE_SIZE_LIMIT // 4

    # An answer too big to save: shown whole, then an error naming the session file.
    big = _big("BIG END", FILE_SIZE_LIMIT + 4096)
    answers, errors = len(status_lines(term)), len(error_rows(term))
    double.enqueue(Reply(content=big, delta_size=2000))
    term.type_line("a big one")
    wait_for_answer(term, answers + 1)
    assert "BIG END" in term.all_lines()
    assert len(error_rows(term)) == errors + 1
    message, at = last_error(term)
    assert STATUS.match(term.all_lines()[at - 1])  # right under the answer's status line
    assert message.startswith(f"error: could not save the session to {path}: ")
    assert message.endswith(": File too large (the chat goes on; it is saved again after the next turn)")
    # The file is exactly as it was and still opens; the answer is in the history all the same.
    assert path.read_bytes() == before
    assert saved(path) == [(role, text, False) for role, text in chat.history]
    chat.history += [("user", "a big one"), ("assistant", big)]

    # The next turn works; its save fails again (the big turn is still pending), the file unchanged.
    chat.good("after the big one", errors_after=1)
    assert last_error(term)[0] == message
    assert path.read_bytes() == before

    # A message too big for the input history file: the chat goes on and sends it whole.
    typed = _big("TYPED END", FILE_SIZE_LIMIT + 1024)
    history_file = data_dir(tmp_path) / "history"
    assert history_file.stat().st_size < FILE_SIZE_LIMIT
    answers = len(status_lines(term))
    term.paste(typed)
    term.wait_for(lambda t: t.screen_lines()[t.screen.cursor.y] == "· TYPED END")  # (taller than the screen)
    term.enter()
    wait_for_answer(term, answers + 1)
    assert pairs(double.requests[-1]) == chat.history + [("user", typed)]
    assert not any("Traceback" in line or "Exception" in line for line in term.all_lines())
    assert path.read_bytes() == before
    assert term.close() == 0  # (saving at exit failed the same way)
    assert path.read_bytes() == before


HISTORY_WARNING = "warning: input history is not being saved: File too large"


def _history_nearly_full(home: Path, room: int = 50) -> Path:
    """An input history file that FILE_SIZE_LIMIT leaves `room` bytes to grow."""
    path = data_dir(home) / "history"
    path.parent.mkdir(parents=True, exist_ok=True)
    head = "\n# 2026-01-01 00:00:00.000000\n+"
    path.write_text(head + "o" * (FILE_SIZE_LIMIT - room - len(head) - 1) + "\n")
    assert path.stat().st_size == FILE_SIZE_LIMIT - room
    return path


# One row on the screen; its history entry (timestamp line and all) needs twice the room left.
TOO_LONG = "a message its input history entry cannot hold, not in 50 bytes"


def test_input_history_that_cannot_be_saved_warns_once_and_the_chat_goes_on(tmp_path, terminal, double):
    history = _history_nearly_full(tmp_path)
    chat = Chat(terminal(preexec_fn=_limit_file_size), double)
    term = chat.term
    chat.good(TOO_LONG)
    assert term.all_lines().count(HISTORY_WARNING) == 1
    chat.good("and another")
    assert term.all_lines().count(HISTORY_WARNING) == 1  # said once, not at every message
    chat.close()
    assert history.stat().st_size <= FILE_SIZE_LIMIT


def test_an_input_history_entry_that_cannot_be_saved_is_not_left_torn(tmp_path, terminal, double):
    history = _history_nearly_full(tmp_path)
    chat = Chat(terminal(preexec_fn=_limit_file_size), double)
    chat.good(TOO_LONG)
    chat.close()
    entries = list(FileHistory(str(history)).load_history_strings())
    assert entries[-1].strip("o") == ""  # (the entry that was there)
    assert [entry for entry in entries[:-1] if entry != TOO_LONG] == []


def test_the_input_history_warning_is_seen_after_a_message_of_several_lines(tmp_path, terminal, double):
    _history_nearly_full(tmp_path)
    chat = Chat(terminal(preexec_fn=_limit_file_size), double)
    term = chat.term
    lines = ["first line of several", "second line", "third line"]
    term.paste("\n".join(lines))
    term.wait_for_prompt("\n".join(lines))
    term.enter()
    wait_for_answer(term, 1)
    assert pairs(double.requests[-1]) == [("user", "\n".join(lines))]
    rows = term.all_lines()
    assert rows.count(f"› {lines[0]}") == 1, rows[:8]
    assert rows.count(HISTORY_WARNING) == 1, rows[:8]


def test_a_sessions_directory_that_cannot_be_made_shows_an_error_after_each_turn(tmp_path, terminal, double):
    blocker = data_dir(tmp_path) / "sessions"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the sessions directory should be\n")
    chat = Chat(terminal(cols=columns_for_paths_under(tmp_path)), double)
    term = chat.term
    expected = (f"error: cannot save sessions: {blocker} is not a directory "
                "(move it away; the chat goes on and saves after the next turn)")
    for text in ["first", "second"]:
        chat.good(text, errors_after=1)  # (the second request carries the first exchange: nothing lost)
        message, at = last_error(term)
        assert message == expected
        assert STATUS.match(term.all_lines()[at - 1])  # right under the answer
    chat.close()
    assert blocker.read_text() == "a file where the sessions directory should be\n"
