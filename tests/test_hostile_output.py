"""Nothing the server, the model or a file name sends can take over the terminal.

One hostile payload, made of short pieces, each an attack on a terminal: a lone ESC, CSI
cursor and colour sequences, OSC 8 hyperlinks, an OSC 52 clipboard write, an OSC 0 title, DCS,
APC and PM strings, C1 controls, NUL, BEL, SO/SI, DEL, backspaces, a carriage return that
would overwrite, bidi overrides and isolates, rich markup and raw HTML. It is delivered every
way text reaches the screen: an answer (split across deltas, escape sequences cut in two), the
reasoning (the live panel, /think, expanded), server error messages and HTML error pages, the
model id the server reports, session titles, image file names, and the one-shot modes.

Each delivery is checked twice. The raw bytes the program wrote, from the moment the payload
is delivered until the prompt is back, may hold no escape sequence but the program's own
shapes (CSI `ESC [ params letter`: colours, cursor moves, modes such as ?2026 and ?2004), no
OSC, DCS, APC, PM or SOS at all, no C1 control, no C0 control but CR, LF, TAB and the
backspace prompt_toolkit moves its cursor with, and, in the program's own output, no bidi
control. Then the screen (pyte) must show every piece literally, controls as visible stand-ins
("␛", "␇", "␀", U+FFFD for C1 and bidi controls), markup and HTML as typed.

Input the user types or pastes is echoed by prompt_toolkit, which shows C0 and C1 controls in
caret notation ("^[", "<9b>") but passes bidi controls through; that echo is the user's own text
and is left out of the bidi check (the completion menu, which shows names the user did not
type, is not).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.double import ErrorReply, OpenAIErrorReply, RawReply, Reply
from tests.images import tiny_png
from tests.terminal import CLAUDECHAT, Terminal, isolated_env

pytestmark = pytest.mark.e2e  # every test here starts the program

THINKING_MODEL = "claude-sonnet-4-20250514-thinking"
COLS = 200
STATUS = re.compile(r"^\S.* · (?:[\d,]+ → [\d,]+ tokens · (?:<?\$[\d,.]+|cost unknown) · )?\d+\.\d s\b")

# (what is sent, what the screen must show); every piece is short and unlike the others.
PIECES: list[tuple[str, str]] = [
    ("esc\x1b alone", "esc␛ alone"),
    ("cls\x1b[2J\x1b[Hhome", "cls␛[2J␛[Hhome"),
    ("sgr\x1b[1;31mred\x1b[0m", "sgr␛[1;31mred␛[0m"),
    ("osc8\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ end8", "osc8␛]8;;http://evil.example/␛\\link␛]8;;␛\\ end8"),
    ("clip\x1b]52;c;aGVsbG8=\x07", "clip␛]52;c;aGVsbG8=␇"),
    ("title\x1b]0;pwned\x07", "title␛]0;pwned␇"),
    ("dcs\x1bP1$qm\x1b\\ apc\x1b_x\x1b\\ pm\x1b^x\x1b\\", "dcs␛P1$qm␛\\ apc␛_x␛\\ pm␛^x␛\\"),
    ("c1 \x9b31m \x9d0;t\x9c \x90q\x9c \x85nel", "c1 \ufffd31m \ufffd0;t\ufffd \ufffdq\ufffd \ufffdnel"),
    ("nul\x00 bel\x07 so\x0esi\x0f del\x7f", "nul␀ bel␇ so␎si␏ del␡"),
    ("bs ab\x08\x08XY", "bs ab␈␈XY"),
    ("cr safe\rEVIL", "cr safeEVIL"),  # the carriage return is dropped: nothing is overwritten
    ("bidi \u202eevil\u202c \u2066a\u2069 \u2067b\u2069 \u2068c\u2069", "bidi \ufffdevil\ufffd \ufffda\ufffd \ufffdb\ufffd \ufffdc\ufffd"),
    ("[bold red]x[/] [link=http://evil]y[/link]", "[bold red]x[/] [link=http://evil]y[/link]"),
    ("<script>alert(1)</script> <b>b</b>", "<script>alert(1)</script> <b>b</b>"),
]
SHOWN = [shown for _, shown in PIECES]
# Multi-line contexts (Markdown answers, reasoning): a paragraph per piece.
PAYLOAD = "\n\n".join(sent for sent, _ in PIECES)
END = "<b>b</b>"  # the last thing the payload shows, in the program's bytes as it is


def groups(limit: int) -> list[list[tuple[str, str]]]:
    """The pieces in runs whose one-line form (joined by spaces) is at most `limit` characters."""
    runs: list[list[tuple[str, str]]] = [[]]
    for piece in PIECES:
        if runs[-1] and len(" ".join(shown for _, shown in runs[-1] + [piece])) > limit:
            runs.append([])
        runs[-1].append(piece)
    return runs


def sent(run: list[tuple[str, str]]) -> str:
    return " ".join(text for text, _ in run)


def shown(run: list[tuple[str, str]], *, typed: bool = False) -> str:
    """What a run looks like on one line; `typed` when it went through the input line (a paste
    turns the carriage return into a line break, which a one-line title folds into a space)."""
    text = " ".join(text for _, text in run)
    if typed:  # and /rename folds whitespace before sanitising: NEL (U+0085) is whitespace to Python
        text = text.replace("safeEVIL", "safe EVIL").replace(" \ufffdnel", " nel")
    return text


def deltas_cutting_every_escape(text: str, size: int = 7) -> list[str]:
    """`text` in deltas of `size` characters, also cut right after every ESC and C1 control."""
    cuts = set(range(0, len(text), size))
    cuts |= {i + 1 for i, char in enumerate(text) if char == "\x1b" or "\x80" <= char <= "\x9f"}
    points = sorted(cuts | {len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points) if a < b]


# --- what may reach the terminal -------------------------------------------------------------

OWN_SEQUENCE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STRING_INTRODUCERS = {"\x1b]": "OSC", "\x1bP": "DCS", "\x1b_": "APC", "\x1b^": "PM", "\x1bX": "SOS"}
# C0 controls but BS (prompt_toolkit's one-column cursor move), TAB, LF, CR and ESC; DEL; C1.
FORBIDDEN_CONTROL = re.compile("[\x00-\x07\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9f]")
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The payload's own CSI sequences have the program's shapes; they must not appear either.
PAYLOAD_CSI = ("\x1b[2J", "\x1b[H", "\x1b[1;31mred")
PASTE_OFF, PASTE_ON = "\x1b[?2004l", "\x1b[?2004h"


def program_output(text: str) -> list[str]:
    """The parts of a chat's bytes the program itself wrote: from the end of one prompt (bracketed
    paste turned off) to the start of the next. Without a prompt (one-shot), all of it."""
    if PASTE_OFF not in text:
        return [text]
    return re.findall(re.escape(PASTE_OFF) + "(.*?)(?:" + re.escape(PASTE_ON) + "|$)", text, re.DOTALL)


def problems(segment: bytes) -> dict[str, str]:
    """What in `segment` could act on a terminal, each with the text around it."""
    try:
        text = segment.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"not UTF-8 (a raw C1 byte?)": repr(segment[max(0, exc.start - 30) : exc.start + 30])}
    found: dict[str, str] = {}

    def note(name: str, where: str, at: int) -> None:
        found.setdefault(name, repr(where[max(0, at - 40) : at + 40]))

    for introducer, name in STRING_INTRODUCERS.items():
        if (at := text.find(introducer)) != -1:
            note(name, text, at)
    for sequence in PAYLOAD_CSI:
        if (at := text.find(sequence)) != -1:
            note(f"the payload's {sequence!r}", text, at)
    stray = OWN_SEQUENCE.sub("", text)
    if (at := stray.find("\x1b")) != -1:
        note("an escape sequence not of the program's own shapes", stray, at)
    if match := FORBIDDEN_CONTROL.search(text):
        note(f"control character {match.group()!r}", text, match.start())
    for part in program_output(text):
        if match := BIDI.search(part):
            note(f"bidi control {match.group()!r}", part, match.start())
    return found


def assert_inert(segment: bytes) -> None:
    assert problems(segment) == {}


def assert_visible(term: Terminal, *texts: str) -> None:
    """Each text is on the screen or in the scrollback, literally (a row broken by a wrap counts)."""
    joined = " ".join(term.all_lines())
    missing = [text for text in texts if text not in joined]
    assert missing == [], term.dump()


def assert_screen_clean(term: Terminal) -> None:
    """Nothing cleared the screen or left a control character in a cell."""
    lines = term.all_lines()
    assert lines[0].startswith("claudechat "), term.dump()
    text = "\n".join(lines)
    assert not BIDI.search(text) and not FORBIDDEN_CONTROL.search(text), term.dump()


# --- driving the chat ------------------------------------------------------------------------


def exchange(term: Terminal, act: Callable[[], None]) -> bytes:
    """Do `act` (type a line, paste and press Enter, ...), then read until the prompt is back.

    Synchronised on bytes, not the screen: a sequence that got through could leave the emulated
    screen unusable. The prompt is back when prompt_toolkit turns bracketed paste on again.
    Returns everything written meanwhile, checked to be inert.
    """
    since = len(term.raw)
    act()
    end = term.wait_for_raw(PASTE_ON.encode(), since=since)
    segment = term.raw[since : end + len(PASTE_ON)]
    assert_inert(segment)
    return segment


def line(term: Terminal, text: str) -> bytes:
    """Type `text` and Enter; everything until the prompt is back, checked."""
    return exchange(term, lambda: term.type_line(text))


def pasted(term: Terminal, text: str) -> bytes:
    """Paste `text` (it may hold any control character), then Enter."""

    def act() -> None:
        term.paste(text)
        term.enter()  # read after the paste, in order

    return exchange(term, act)


def clear_input(term: Terminal) -> None:
    term.send("\x15")  # Ctrl-U
    term.wait_for_prompt("")



@pytest.fixture
def terminal(tmp_path, double):
    """Start claudechat (HOME and cwd are tmp_path) at COLS columns; each is killed at the end."""
    started: list[Terminal] = []

    def start(*args: str, wait: bool = True, **options) -> Terminal:
        options.setdefault("cols", COLS)
        options.setdefault("rows", 40)
        term = Terminal(tmp_path, base_url=double.url, args=args, **options)
        started.append(term)
        if wait:
            end = term.wait_for_raw(PASTE_ON.encode())
            assert_inert(term.raw[:end])
            term.wait_for_prompt()
        return term

    yield start
    for term in started:
        term.kill()




def sessions_dir(home: Path) -> Path:
    return home / "data" / "claudechat" / "sessions"


def session_ids(home: Path) -> list[str]:
    return sorted(path.stem for path in sessions_dir(home).glob("*.jsonl"))


def test_the_payload_is_what_it_claims():
    from claudechat.sanitize import (
        sanitize,  # only to keep the table honest; the tests read the screen
    )

    for text, expected in PIECES:
        assert sanitize(text) == expected
    deltas = deltas_cutting_every_escape(PAYLOAD)
    assert "".join(deltas) == PAYLOAD
    assert sum(delta.endswith("\x1b") for delta in deltas) >= 10  # sequences cut between deltas
    assert any(delta.endswith("\x9b") for delta in deltas)
    assert problems(PAYLOAD.encode()) != {}  # the check does see the payload
    harmless_as_bytes = ("bs ", "cr ", "[bold", "<script>")  # seen on the screen instead
    for piece, _ in PIECES:
        if not piece.startswith(harmless_as_bytes):
            assert problems(piece.encode()) != {}, piece


# --- (a) the answer --------------------------------------------------------------------------


def test_an_answer_cannot_take_over_the_terminal(tmp_path, terminal, double):
    deltas = deltas_cutting_every_escape(PAYLOAD)
    # Written to the socket 7 bytes at a time: UTF-8 sequences and events arrive cut too.
    double.enqueue(Reply(content=deltas, split_writes=7))
    term = terminal()
    line(term, "hi")
    assert_visible(term, *SHOWN)
    assert sum(bool(STATUS.match(row)) for row in term.all_lines()) == 1
    assert_screen_clean(term)

    # Shown again when the session is opened again: as stored, just as safe.
    [session] = session_ids(tmp_path)
    line(term, "/clear")
    line(term, f"/resume {session}")
    assert_visible(term, f"session {session}")
    assert all(" ".join(term.all_lines()).count(text) == 2 for text in SHOWN), term.dump()
    assert_screen_clean(term)


# --- (b) the reasoning -----------------------------------------------------------------------


def test_reasoning_cannot_take_over_the_terminal_live_in_think_or_expanded(terminal, double):
    # The live panel shows the last lines of the reasoning; the whole payload fits in them.
    live = "\n".join(sent(run) for run in groups(COLS - 20))
    assert live.count("\n") < 5
    double.enqueue(
        Reply(content="never shown", reasoning=deltas_cutting_every_escape(live), stall_after=0),
        Reply(content="done", reasoning=deltas_cutting_every_escape(PAYLOAD)),
        Reply(content="again", reasoning=deltas_cutting_every_escape(PAYLOAD)),
    )
    term = terminal("-m", THINKING_MODEL)

    since = len(term.raw)
    term.type_line("think")
    term.wait_for_raw(END.encode(), since=since)
    assert double.wait_for_stall()
    assert_inert(term.raw[since:])
    assert any(row.startswith("╭─ Thinking ·") for row in term.screen_lines()), term.dump()
    assert_visible(term, *SHOWN)
    exchange(term, term.esc)  # stops the answer before it began
    assert_visible(term, "interrupted before the answer began")
    clear_input(term)

    line(term, "think again")
    assert any(row.startswith("▸ Thought for") for row in term.all_lines())
    line(term, "/think")
    assert_visible(term, *SHOWN)
    line(term, "/reasoning expanded")
    line(term, "and again")
    assert sum(row.startswith("╭─ Reasoning") for row in term.all_lines()) == 2
    for text in SHOWN:
        assert sum(text in row for row in term.all_lines()) >= 2, text
    assert_screen_clean(term)


# --- (c) error messages ----------------------------------------------------------------------


def html_page(title: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body><h1>oops</h1></body></html>".encode()


def test_server_error_messages_cannot_take_over_the_terminal(terminal, double):
    failures = [ErrorReply(500, "api_error", sent(run)) for run in groups(280)]
    failures += [OpenAIErrorReply(400, sent(run)) for run in groups(280)]
    pages = groups(110)  # an HTML page's title is cut at 120 characters
    failures += [RawReply(500, html_page(sent(run))) for run in pages]
    double.enqueue(*failures)
    term = terminal()
    term.send("hi")
    for number in range(1, len(failures) + 1):
        exchange(term, term.enter)  # the failed message is back in the input: Enter sends it again
        assert sum(row.startswith("error: ") for row in term.all_lines()) == number, term.dump()
    assert_visible(term, *(shown(run) for run in groups(280)), *(shown(run) for run in pages))
    clear_input(term)

    # A rate limit's message is shown in the retry notice.
    double.enqueue(ErrorReply(429, "too_many_requests", sent(groups(280)[0]), headers={"Retry-After": "0"}),
                   Reply(content="after the retry"))
    line(term, "once more")
    assert_visible(term, "retrying in", shown(groups(280)[0]), "after the retry")
    assert_screen_clean(term)


# --- (d) the model id ------------------------------------------------------------------------


def test_the_model_id_the_server_reports_cannot_take_over_the_terminal(terminal, double):
    runs = groups(110)  # the status line cuts the model id at 120 characters
    double.enqueue(*(Reply(content=f"answer {number}", model=sent(run)) for number, run in enumerate(runs)))
    term = terminal()
    for number, run in enumerate(runs):
        line(term, f"question {number}")
        status = [row for row in term.all_lines() if STATUS.match(row) and " s" in row][-1]
        assert status.startswith(shown(run) + " · "), term.dump()
    line(term, "/usage")
    assert_visible(term, "requests", shown(runs[0])[:40])
    assert_screen_clean(term)


# --- (e) session titles ----------------------------------------------------------------------


def test_a_session_title_cannot_take_over_the_terminal(tmp_path, terminal, double):
    runs = groups(55)  # /sessions and /info cut titles at 60 characters
    term = terminal()
    ids = []
    for number, run in enumerate(runs):
        if number:
            line(term, "/clear")
        line(term, f"topic {number}")
        [new] = set(session_ids(tmp_path)) - set(ids)
        ids.append(new)
        pasted(term, "/rename " + sent(run))
        line(term, "/sessions")
        line(term, "/info")
        title = shown(run, typed=True)
        assert any(row.startswith(f"▸ {new}") and row.endswith(title) for row in term.all_lines()), term.dump()
        assert_visible(term, f"{new} · {title} · 1 turn")
    assert_screen_clean(term)
    assert term.close() == 0

    # `claudechat sessions` on a terminal, then the chat continued and each session resumed.
    listing = terminal("sessions", wait=False)
    assert listing.wait_exit() == 0
    assert_inert(listing.raw)
    for session, run in zip(ids, runs, strict=True):
        assert any(row.startswith(f"{session}  ") and row.endswith(shown(run, typed=True))
                   for row in listing.all_lines()), listing.dump()

    again = terminal("-c")
    assert_visible(again, f"session {ids[-1]} · {shown(runs[-1], typed=True)} · 1 turn")
    for session, run in zip(ids[:-1], runs[:-1], strict=True):
        line(again, f"/resume {session}")
        assert_visible(again, f"session {session} · {shown(run, typed=True)} · 1 turn")
    assert_screen_clean(again)


# --- (f) file names --------------------------------------------------------------------------

# Linux file names may hold anything but "/" and NUL.
HOSTILE_NAME = "pic\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil\u2066.png"
HOSTILE_SHOWN = "pic␛]0;pwned␇␛[2J\ufffd31m\ufffdevil\ufffd.png"


def test_image_file_names_cannot_take_over_the_terminal(tmp_path, terminal, double):
    (tmp_path / HOSTILE_NAME).write_bytes(tiny_png())
    (tmp_path / ("notes" + HOSTILE_NAME)).write_text("not an image\n")
    term = terminal()
    pasted(term, "/image " + HOSTILE_NAME)
    assert_visible(term, f"attached {HOSTILE_SHOWN} (1 for the next message)")
    toolbar = term.wait_for(lambda t: t.screen_lines()[-1] if " attached pic" in t.screen_lines()[-1] else None)
    assert "pic␛]0;pwned␇␛[2J\ufffd31m" in toolbar and not BIDI.search(toolbar)
    line(term, "/image")
    assert_visible(term, f"1. {HOSTILE_SHOWN} (")
    pasted(term, "/image notes" + HOSTILE_NAME)
    assert_visible(term, f"error: cannot attach notes{HOSTILE_SHOWN}: not a PNG, JPEG, GIF or WebP image")
    pasted(term, "/image missing" + HOSTILE_NAME)
    assert_visible(term, f"error: cannot attach missing{HOSTILE_SHOWN}: no such file")
    line(term, "look at this")
    image = double.requests[0].json["messages"][-1]["content"][1]["image_url"]["url"]
    assert image == "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
    [session] = session_ids(tmp_path)
    line(term, "/clear")
    line(term, f"/resume {session}")
    assert_visible(term, f"[image: {HOSTILE_SHOWN}]")
    assert_screen_clean(term)

    # One-shot on a terminal: the refusal goes to the terminal too.
    refused = terminal("-i", "missing" + HOSTILE_NAME, "describe", wait=False)
    assert refused.wait_exit() == 2
    assert_inert(refused.raw)
    assert_visible(refused, f"cannot attach missing{HOSTILE_SHOWN}: no such file")


def test_the_completion_menu_shows_a_spoofing_file_name_inert(tmp_path, terminal, double):
    # With the override a bidi terminal shows this name as "picexe.png".
    (tmp_path / "pic\u202egnp.exe").write_bytes(tiny_png())
    term = terminal()
    since = len(term.raw)
    term.send("/image pi")
    term.wait_for_raw(b"gnp.exe", since=since)  # the menu is drawn
    menu = term.raw[since:].decode()
    assert not BIDI.search(menu), repr(menu[menu.find("pic") :])


# --- saved sessions from elsewhere ----------------------------------------------------------


def make_session(terminal, tmp_path: Path) -> Path:
    term = terminal()
    line(term, "hello")
    assert term.close() == 0
    [session] = session_ids(tmp_path)
    return sessions_dir(tmp_path) / f"{session}.jsonl"


HOSTILE_ID = "evil\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"


@pytest.mark.parametrize("where", ["claudechat sessions", "/sessions"])
def test_a_session_file_name_cannot_take_over_the_sessions_listing(tmp_path, terminal, double, where):
    original = make_session(terminal, tmp_path)
    shutil.copy(original, original.with_name(HOSTILE_ID + ".jsonl"))
    if where == "/sessions":
        term = terminal()
        line(term, "/sessions")
    else:
        term = terminal("sessions", wait=False)
        assert term.wait_exit() == 0
        assert_inert(term.raw)
    assert_visible(term, "evil␛]0;pwned␇␛[2J\ufffd31m\ufffd")


def test_sessions_as_json_on_a_terminal_is_inert(tmp_path, terminal, double):
    original = make_session(terminal, tmp_path)
    shutil.copy(original, original.with_name(HOSTILE_ID + ".jsonl"))
    term = terminal("sessions", "--output", "json", wait=False)
    assert term.wait_exit() == 0
    listed = json.loads(term.raw.decode("utf-8").replace("\r\n", "\n"))
    assert HOSTILE_ID in [item["id"] for item in listed]
    assert_inert(term.raw)


def test_a_session_file_from_elsewhere_cannot_take_over_the_terminal(tmp_path, terminal, double):
    term = terminal()
    line(term, "hello")
    line(term, "/save mine.json")
    document = json.loads((tmp_path / "mine.json").read_text())
    user, answer = document["messages"]
    document["title"] = sent(groups(55)[0])
    user["content"] = PAYLOAD
    answer.update(content=PAYLOAD, reasoning=PAYLOAD)
    (tmp_path / "theirs.json").write_text(json.dumps(document))
    line(term, "/load theirs.json")
    line(term, "/think")
    assert_visible(term, *SHOWN)


def test_a_pasted_model_id_cannot_take_over_the_terminal(terminal, double):
    term = terminal()
    pasted(term, "/model " + "".join(text for text, _ in PIECES[4:6]).replace(" ", ""))
    line(term, "/info")
    line(term, "hi")


# --- one-shot mode ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [[], ["--reasoning"], ["-n", "2"], ["--no-stream"], ["--no-stream", "--reasoning"]],
    ids=["text", "reasoning", "two-choices", "no-stream", "no-stream-reasoning"],
)
def test_one_shot_on_a_terminal_cannot_be_taken_over(terminal, double, args):
    model = sent(groups(110)[0])
    double.enqueue(Reply(content=deltas_cutting_every_escape(PAYLOAD), reasoning=deltas_cutting_every_escape(PAYLOAD),
                         model=model))
    term = terminal(*args, "hi", wait=False)
    assert term.wait_exit() == 0
    assert_inert(term.raw)
    assert_visible(term, *SHOWN)
    if args[:1] != ["-n"]:
        assert_visible(term, shown(groups(110)[0]) + " · ")  # the status line
    text = "\n".join(term.all_lines())
    assert not BIDI.search(text) and not FORBIDDEN_CONTROL.search(text)


def test_one_shot_errors_on_a_terminal_cannot_take_it_over(terminal, double):
    run = groups(280)[0]
    double.enqueue(ErrorReply(500, "api_error", sent(run)))
    term = terminal("hi", wait=False)
    assert term.wait_exit() == 1
    assert_inert(term.raw)
    assert_visible(term, shown(run))


def test_json_output_on_a_terminal_is_ascii_and_exact(terminal, double):
    model = sent(groups(110)[0])
    double.enqueue(Reply(content=deltas_cutting_every_escape(PAYLOAD), reasoning=PAYLOAD, model=model))
    term = terminal("--output", "json", "hi", wait=False)
    assert term.wait_exit() == 0
    assert term.raw.isascii() and b"\x1b" not in term.raw, term.raw[:200]
    obj = json.loads(term.raw.decode("ascii"))
    assert (obj["content"], obj["reasoning"], obj["model"]) == (PAYLOAD, PAYLOAD, model)


@pytest.mark.parametrize("failing", [False, True], ids=["answer", "error"])
def test_json_output_to_a_pipe_is_one_line_with_every_control_character_escaped(tmp_path, double, failing):
    model = sent(groups(110)[0])
    if failing:
        double.enqueue(ErrorReply(500, "api_error", sent(groups(280)[0])))
    else:
        double.enqueue(Reply(content=deltas_cutting_every_escape(PAYLOAD), reasoning=PAYLOAD, model=model))
    done = subprocess.run([CLAUDECHAT, "--output", "json", "hi"], env=isolated_env(tmp_path, base_url=double.url,
                          api_key="test-token"), cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=20, check=False)
    assert done.returncode == (1 if failing else 0), done.stderr
    out = done.stdout
    assert out.endswith(b"\n") and out.count(b"\n") == 1, out[:200]
    assert re.search(rb"[\x00-\x1f]", out[:-1]) is None, out[:200]  # ESC, NUL, BEL, CR, BS: all \u-escaped
    obj = json.loads(out)
    if failing:
        assert obj["error"]["status"] == 500 and "cls␛[2J␛[Hhome" in obj["error"]["message"]  # as shown
    else:  # exact, not sanitised: the data is intact for whoever reads it
        assert (obj["content"], obj["reasoning"], obj["model"]) == (PAYLOAD, PAYLOAD, model)


def test_json_output_to_a_pipe_escapes_c1_controls_too(tmp_path, double):
    double.enqueue(Reply(content=PAYLOAD))
    done = subprocess.run([CLAUDECHAT, "--output", "json", "hi"], env=isolated_env(tmp_path, base_url=double.url,
                          api_key="test-token"), cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=20, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["content"] == PAYLOAD
    assert re.search("[\x7f-\x9f]", done.stdout.decode("utf-8")) is None
