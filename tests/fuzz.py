"""A mutation fuzzer for the parsers of untrusted input: SSE, stream chunks, session files, config.

Run it from the repository root:

    python -m tests.fuzz [--runs N] [--seed S] [--target NAME] [--strict-known] [--timeout SEC]

Each target starts from a corpus of realistic, valid inputs (event streams in the service's
format, session logs written by the real session API, config files written by the real config
writer), mutates them (bit flips, byte insert/delete/duplicate, splices between corpus items,
truncation, interesting tokens such as 0xff, CR, "data:", "\\ud800" or 5,000 digits, and
JSON-aware edits of one value) and runs the target on the result. An input that changes
behaviour (a new error message, a new kind of result) joins the corpus.

The contract every target is held to: it raises nothing but the project's own errors
(`ClaudechatError` subclasses), never hangs, and what it returns is well-typed. Anything else is
a finding: the input is printed (repr, truncated) and the exit status is 1.

Failures already known and pinned by an xfail test in tests/test_hostile_input.py (see `KNOWN`)
are counted and shown but do not fail the run, unless `--strict-known` is given. When such a
bug is fixed, its xfail test starts passing (strict) and its entry here should go.

The file is not named test_*.py, so pytest does not collect it; tests/test_hostile_input.py runs
a short, seeded session in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from claudechat.api.chunks import (
    ChunkParser,
    events_from_completion,
    raise_for_error_object,
)
from claudechat.api.errors import APIError
from claudechat.api.events import (
    ContentDelta,
    FinishReason,
    ReasoningDelta,
    RefusalDelta,
    ResponseInfo,
    Usage,
    UsageReport,
)
from claudechat.api.sse import ServerSentEvent, SSEDecoder
from claudechat.chat.conversation import Candidate, Message
from claudechat.chat.session import Session, SessionError, SessionSettings, UsageEntry
from claudechat.chat.store import SessionFile, SessionStore, read_session_file
from claudechat.config.settings import (
    EDITING_MODES,
    MAX_TOKEN_LENGTH,
    REASONING_MODES,
    Settings,
)
from claudechat.config.store import (
    LoadedConfig,
    load_config,
    read_config_data,
    save_config_data,
)
from claudechat.config.write import set_option
from claudechat.errors import ClaudechatError, ConfigError

__all__ = [
    "KNOWN",
    "TARGETS",
    "Invariant",
    "TargetReport",
    "check_loaded_config",
    "check_session",
    "check_settings",
    "check_sse_events",
    "check_stream_events",
    "decode_sse",
    "fuzz",
    "reference_sse",
    "session_canon",
]

REPO = Path(__file__).resolve().parents[1]
SHARED_SEEDS = REPO.parent / "shared" / "seeds"


class Invariant(AssertionError):
    """A target returned, but what it returned (or did to a file) breaks its contract."""

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__(f"{name}: {detail}" if detail else name)
        self.name = name


class _Hang(BaseException):
    """Raised by the alarm when one execution takes longer than --timeout."""


# --- the contract: what a well-typed result looks like ------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _require(condition: bool, name: str, detail: Any = "") -> None:
    if not condition:
        raise Invariant(name, _short(detail))


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


SSETuple = tuple[str, str, str, "int | None"]


def check_sse_events(events: Any) -> list[SSETuple]:
    """The events as (data, event, id, retry) tuples, after checking each one's types."""
    _require(isinstance(events, list), "sse result is not a list", events)
    out = []
    for event in events:
        _require(type(event) is ServerSentEvent, "sse event has the wrong type", event)
        _require(isinstance(event.data, str), "sse data is not a str", event)
        _require(isinstance(event.event, str) and event.event != "", "sse event type is not a non-empty str", event)
        _require(isinstance(event.id, str) and "\0" not in event.id, "sse id is not a str without NUL", event)
        _require(event.retry is None or (_is_int(event.retry) and event.retry >= 0), "sse retry is not an int >= 0", event)
        out.append((event.data, event.event, event.id, event.retry))
    return out


def decode_sse(data: bytes, cuts: list[int] | None = None) -> list[SSETuple]:
    """Feed `data` to a fresh SSEDecoder split at `cuts` (offsets), then close it."""
    decoder = SSEDecoder()
    events: list[Any] = []
    start = 0
    for cut in sorted(cuts or []):
        events += decoder.feed(data[start:cut])
        start = cut
    events += decoder.feed(data[start:])
    events += decoder.close()
    return check_sse_events(events)


def _big_int(digits: str) -> int:
    # The spec sets any run of digits; claudechat keeps values past 18 digits (millions of
    # years) capped at 10**18 rather than parse thousands of digits. The reference agrees.
    return int(digits) if len(digits) <= 18 else 10**18


def reference_sse(data: bytes) -> list[SSETuple]:
    """The WHATWG event-stream interpretation of a whole body, written for clarity, not speed.

    https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
    A line is only a line once its terminator (CRLF, LF or a lone CR, including one at the very
    end) has arrived; an event is only dispatched by a blank line; at the end, what is pending
    is dropped. One addition, as claudechat's decoder has it: an event with no data but the
    non-standard `error` field (llama.cpp's old way to report an error) is an `error` event.
    """
    text = data.decode("utf-8", "replace")
    text = text.removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)
    lines.pop()  # what follows the last terminator is not a complete line
    events: list[SSETuple] = []
    buffer: list[str] = []
    error_lines: list[str] = []
    event_type = ""
    last_id = ""
    retry: int | None = None
    for line in lines:
        if line == "":
            if buffer:
                events.append(("\n".join(buffer), event_type or "message", last_id, retry))
                buffer = []
            elif error_lines:
                events.append(("\n".join(error_lines), "error", last_id, retry))
            error_lines = []
            event_type = ""
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            buffer.append(value)
        elif name == "event":
            event_type = value
        elif name == "error":
            error_lines.append(value)
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value and all(char in "0123456789" for char in value):
            retry = _big_int(value)
    return events


def check_stream_events(events: Any) -> list[str]:
    """The type names of a list of stream events, after checking each one's fields."""
    _require(isinstance(events, list), "events are not a list", events)
    kinds = []
    for event in events:
        kind = type(event)
        if kind is ResponseInfo:
            _require(event.id is None or isinstance(event.id, str), "ResponseInfo.id type", event)
            _require(event.model is None or isinstance(event.model, str), "ResponseInfo.model type", event)
        elif kind in (ContentDelta, ReasoningDelta, RefusalDelta):
            _require(_is_int(event.index) and event.index >= 0, "delta index is not an int >= 0", event)
            _require(isinstance(event.text, str) and event.text != "", "delta text is not a non-empty str", event)
        elif kind is FinishReason:
            _require(_is_int(event.index) and event.index >= 0, "finish index is not an int >= 0", event)
            _require(isinstance(event.reason, str) and event.reason != "", "finish reason is not a non-empty str", event)
        elif kind is UsageReport:
            usage = event.usage
            _require(type(usage) is Usage, "UsageReport.usage type", event)
            for name in ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens",
                         "cache_creation_tokens", "reasoning_tokens"):
                _require(_is_int(getattr(usage, name)), f"Usage.{name} is not an int", usage)
            _require(isinstance(usage.raw, dict), "Usage.raw is not a dict", usage)
        else:
            raise Invariant("unknown event type", repr(event))
        kinds.append(kind.__name__)
    return kinds


def check_session(session: Any) -> None:
    """A loaded session's fields have the types the dataclasses declare, and sane values."""
    _require(type(session) is Session, "not a Session", session)
    settings = session.settings
    _require(type(settings) is SessionSettings, "settings type", settings)
    _require(isinstance(settings.model, str), "settings.model is not a str", settings)
    _require(settings.system is None or isinstance(settings.system, str), "settings.system type", settings)
    _require(settings.temperature is None or _is_number(settings.temperature), "settings.temperature type", settings)
    _require(settings.max_tokens is None or _is_int(settings.max_tokens), "settings.max_tokens type", settings)
    _require(_is_int(settings.n), "settings.n is not an int", settings)
    _require(isinstance(settings.json, bool), "settings.json is not a bool", settings)
    _require(isinstance(session.id, str) and 0 < len(session.id) <= 64
             and all(char.isalnum() or char in "-_" for char in session.id), "session id is not a usable id", session.id)
    _require(type(session.created) is float, "created is not a float", session.created)
    _require(session.title is None or isinstance(session.title, str), "title type", session.title)
    _require(isinstance(session.messages, list), "messages is not a list", session.messages)
    for message in session.messages:
        _require(type(message) is Message, "a message is not a Message", message)
        _require(message.role in ("user", "assistant"), "role is not user or assistant", message.role)
        content = message.content
        if not isinstance(content, str):
            _require(isinstance(content, list), "content is neither str nor list", content)
            for part in content:
                _require(isinstance(part, dict), "a content part is not a dict", part)
                if part.get("type") == "text":
                    _require(isinstance(part.get("text"), str), "text part without str text", part)
                else:
                    _require(part.get("type") == "image_url", "content part of unknown type", part)
                    _require(isinstance(part.get("image_url"), dict), "image part without image_url dict", part)
                    _require(isinstance(part["image_url"].get("url"), str), "image part without str url", part)
                    _require(part.get("name") is None or isinstance(part.get("name"), str), "image name type", part)
        _require(isinstance(message.reasoning, str), "reasoning is not a str", message.reasoning)
        _require(message.model is None or isinstance(message.model, str), "message.model type", message.model)
        _require(message.usage is None or isinstance(message.usage, dict), "message.usage type", message.usage)
        _require(type(message.created) is float, "message.created is not a float", message.created)
        _require(isinstance(message.interrupted, bool), "interrupted is not a bool", message.interrupted)
        _require(isinstance(message.candidates, list), "candidates is not a list", message.candidates)
        for candidate in message.candidates:
            _require(type(candidate) is Candidate, "a candidate is not a Candidate", candidate)
            _require(isinstance(candidate.content, str) and isinstance(candidate.reasoning, str), "candidate text", candidate)
            _require(candidate.finish_reason is None or isinstance(candidate.finish_reason, str), "finish_reason", candidate)
        _require(_is_int(message.picked), "picked is not an int", message.picked)
        if message.candidates:
            _require(0 <= message.picked < len(message.candidates), "picked out of range", message.picked)
    _require(isinstance(session.usage, list), "usage is not a list", session.usage)
    for entry in session.usage:
        _require(type(entry) is UsageEntry, "a usage entry is not a UsageEntry", entry)
        _require(isinstance(entry.model, str), "usage model is not a str", entry)
        for name in ("prompt_tokens", "completion_tokens", "cached_tokens"):
            _require(_is_int(getattr(entry, name)), f"usage {name} is not an int", entry)
        _require(type(entry.time) is float, "usage time is not a float", entry)


def session_canon(session: Session) -> str:
    """What saving the session would write, as one comparable string (NaN equals NaN here)."""
    return json.dumps(session.to_document(), sort_keys=True, allow_nan=True)


def _no_control(text: str) -> bool:
    return not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in text)


def check_settings(settings: Any) -> None:
    """Every field of a loaded Settings has its declared type and is within its documented range."""
    _require(type(settings) is Settings, "not a Settings", settings)
    key = settings.api_key
    _require(key is None or (isinstance(key, str) and 0 < len(key) <= MAX_TOKEN_LENGTH
                             and all(0x21 <= ord(char) <= 0x7E for char in key)), "api_key is not a usable token")
    url = settings.base_url
    _require(isinstance(url, str) and _no_control(url) and not any(char.isspace() for char in url), "base_url text", url)
    parts = urlsplit(url)
    _require(parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment,
             "base_url is not an http(s) URL with a host", url)
    _require(isinstance(settings.model, str) and settings.model != "" and _no_control(settings.model)
             and not any(char.isspace() for char in settings.model), "model is not a word", settings.model)
    _require(type(settings.timeout) is float and 0 < settings.timeout <= 3600, "timeout range", settings.timeout)
    _require(_is_int(settings.retries) and 0 <= settings.retries <= 10, "retries range", settings.retries)
    _require(type(settings.max_answer_mb) is float and 0 < settings.max_answer_mb <= 4096, "max_answer_mb range",
             settings.max_answer_mb)
    _require(settings.system is None or (isinstance(settings.system, str) and settings.system != ""
                                          and settings.system == settings.system.strip()), "system", settings.system)
    _require(settings.temperature is None or (type(settings.temperature) is float and 0 <= settings.temperature <= 2),
             "temperature range", settings.temperature)
    _require(settings.max_tokens is None or (_is_int(settings.max_tokens) and settings.max_tokens >= 1),
             "max_tokens range", settings.max_tokens)
    _require(settings.reasoning in REASONING_MODES, "reasoning mode", settings.reasoning)
    _require(isinstance(settings.theme, str) and settings.theme.strip() != "" and _no_control(settings.theme),
             "theme", settings.theme)
    _require(settings.editing_mode in EDITING_MODES, "editing_mode", settings.editing_mode)


def check_loaded_config(loaded: Any) -> None:
    _require(type(loaded) is LoadedConfig, "not a LoadedConfig", loaded)
    check_settings(loaded.settings)
    _require(all(source in ("default", "file") for source in loaded.sources.values()), "sources", loaded.sources)
    _require(isinstance(loaded.warnings, tuple) and all(isinstance(w, str) for w in loaded.warnings), "warnings")


# --- seed corpora --------------------------------------------------------------------------------


def _chunk(content: str | None = None, *, finish: str | None = None, usage: Any = None, role: bool = False,
           reasoning: str | None = None, index: int = 0, choices: bool = True) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if role:
        delta = {"content": "", "role": "assistant"}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    return {
        "id": "msg_bdrk_01LPPqDjLKMgfSwTRMRty9VT",
        "object": "chat.completion.chunk",
        "created": 1768619445,
        "model": "claude-sonnet-4-6",
        "system_fingerprint": None,
        "choices": [{"delta": delta, "logprobs": None, "finish_reason": finish, "index": index}] if choices else [],
        "usage": usage,
    }


USAGE = {
    "prompt_tokens": 8, "completion_tokens": 12, "total_tokens": 20,
    "prompt_tokens_details": {"cached_tokens": 0, "text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
    "completion_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "reasoning_tokens": 0},
    "input_tokens": 0, "output_tokens": 0, "input_tokens_details": None,
    "claude_cache_creation_5_m_tokens": 0, "claude_cache_creation_1_h_tokens": 0,
}


def _payloads() -> list[list[str]]:
    """Streams as lists of `data` payloads, in the service's format."""
    streams = [[
        json.dumps(_chunk(role=True), ensure_ascii=False),
        json.dumps(_chunk("Hello!"), ensure_ascii=False),
        json.dumps(_chunk(" How can I help — ✓ 日本語 🙂?"), ensure_ascii=False),
        json.dumps(_chunk(finish="stop", content=None), ensure_ascii=False),
        json.dumps(_chunk(choices=False, usage=USAGE), ensure_ascii=False),
        "[DONE]",
    ], [
        json.dumps(_chunk(reasoning="Let me think.")),
        json.dumps(_chunk("A", index=0)),
        json.dumps(_chunk("B", index=1)),
        json.dumps(_chunk(finish="length", index=1, usage=USAGE)),
    ], [
        json.dumps(_chunk("partial")),
        json.dumps({"success": False, "error": {"code": "api_error", "message": "upstream failed"},
                    "trace_id": "2cf86e86-22a4-46e1-ac2f-032c8f2a3e13"}),
    ], [
        json.dumps({"error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ]]
    # The documented example stream, where the seed documents are at hand.
    if SHARED_SEEDS.is_dir():
        for path in sorted(SHARED_SEEDS.glob("*.txt")):
            lines = [line[6:] for line in path.read_text("utf-8", "replace").splitlines() if line.startswith("data: ")]
            if lines:
                streams.append(lines)
    return streams


def _event_stream(payloads: list[str], *, eol: str = "\n", prefix: str = "data: ", bom: bool = False,
                  comments: bool = False) -> bytes:
    parts = []
    for number, payload in enumerate(payloads):
        if comments and number % 2 == 0:
            parts.append(": keep-alive" + eol + eol)
        parts.append(prefix + payload + eol + eol)
    body = "".join(parts).encode("utf-8")
    return (b"\xef\xbb\xbf" + body) if bom else body


def sse_seeds(_directory: Path) -> list[bytes]:
    streams = _payloads()
    seeds = [_event_stream(streams[0]), _event_stream(streams[1], eol="\r\n", comments=True),
             _event_stream(streams[2], prefix="data:", bom=True), _event_stream(streams[3], eol="\r")]
    seeds += [_event_stream(stream) for stream in streams[4:]]
    seeds.append(b"retry: 3000\nid: 7\nevent: message\ndata: line one\ndata: line two\n\n"
                 b"id\ndata\n\n:comment\r\nevent: ping\r\ndata:  two spaces\r\n\r\n")
    return seeds


def chunk_seeds(_directory: Path) -> list[bytes]:
    # One payload per line, parsed in order by one ChunkParser, like the events of one stream.
    seeds = ["\n".join(stream).encode("utf-8") for stream in _payloads()]
    completion = {
        "id": "msg_1", "model": "claude-sonnet-4-6", "object": "chat.completion", "created": 123,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi", "reasoning": "hm"},
                     "finish_reason": "stop"}],
        "usage": USAGE, "system_fingerprint": None,
    }
    seeds.append(json.dumps(completion).encode("utf-8"))
    seeds.append(b'{"choices": null, "usage": {"input_tokens": 3, "output_tokens": 4}}')
    return seeds


def _write_sessions(directory: Path) -> list[Path]:
    """Session logs written through the real session API, as claudechat writes them."""
    paths = []
    # Fixed ids and times throughout: the seeds, and so what a seeded run tries, are the same every run.
    first = Session(settings=SessionSettings(model="claude-sonnet-4-6", system="Be brief.", temperature=0.7,
                                             max_tokens=256), id="0f1e2d3c", created=1768619400.0)
    session_file = SessionFile.create(directory, first)
    first.add_turn(Message("user", "Hello, how are you? ✓ 日本語", created=1768619440.5),
                   Message("assistant", "Fine, thanks!", reasoning="The user greets.", model="claude-sonnet-4-6",
                           usage=dict(USAGE), created=1768619445.25))
    session_file.save(first)
    first.record_usage(UsageEntry("claude-sonnet-4-6", 8, 12, 3, time=1768619445.5))
    image = [{"type": "text", "text": "What is in this image?"},
             {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}, "name": "cat.png"}]
    first.add_turn(Message("user", image, created=1768619450.0),
                   Message("assistant", "A cat.", interrupted=True, created=1768619451.0))
    first.change_settings(n=2, json=True, temperature=None)
    candidates = [Candidate("one", "r", "stop"), Candidate("two", "", "length")]
    first.add_turn(Message("user", "Two answers, please", created=1768619460.0),
                   Message("assistant", "one", candidates=candidates, picked=0, created=1768619461.0))
    first.replace_answer(Message("assistant", "two", candidates=candidates, picked=1, created=1768619462.0))
    first.rename("Greetings \u202e and cats")
    session_file.save(first)
    first.undo()
    first.change_settings(system=None, model="claude-opus-4-6")
    session_file.save(first)
    session_file.close()
    paths.append(session_file.path)

    second = Session(settings=SessionSettings(model="claude-haiku-4-5-20251001"), id="abc-123_x", created=1.0)
    session_file = SessionFile.create(directory, second)
    second.add_turn(Message("user", "hi", created=2), Message("assistant", "", created=3))
    session_file.save(second)
    session_file.close()
    paths.append(session_file.path)

    # Branches (format 3 by an appended record), and answers retried until the log is mostly
    # dead records: opening it compacts it.
    third = Session(settings=SessionSettings(model="claude-sonnet-4-6", system="S"), id="branchy", created=10.0)
    session_file = SessionFile.create(directory, third)
    for number in range(3):
        third.add_turn(Message("user", f"q{number}", created=11.0 + number), Message("assistant", "a", created=12.0))
    session_file.save(third)
    third.branch_from(2)
    third.branches[-1].created = third.pending[-1]["created"] = 15.0
    third.change_settings(system="T")
    third.add_turn(Message("user", "other", created=20.0), Message("assistant", "b", created=21.0))
    third.switch_branch(0)
    for number in range(8):
        third.replace_turn(Message("user", "q2", created=22.0), Message("assistant", "retry " * 40, created=23.0))
        session_file.save(third)
    session_file.close()
    paths.append(session_file.path)
    return paths


def session_seeds(directory: Path) -> list[bytes]:
    directory = directory / "seed-sessions"
    paths = _write_sessions(directory)
    seeds = [path.read_bytes() for path in paths]
    log = seeds[0]
    seeds.append(log[: log.rindex(b"\n", 0, len(log) - 1) + 25])  # torn mid-record by a crash
    seeds.append(log[:-1])  # only the final newline lost
    session = read_session_file(paths[0])
    seeds.append(json.dumps(session.to_document(), ensure_ascii=False, indent=1).encode("utf-8"))  # /save x.json
    shutil.rmtree(directory)
    return seeds


def config_seeds(directory: Path) -> list[bytes]:
    path = directory / "seed-config" / "config.toml"
    seeds = []
    for data in (
        {"api_key": "sk-test_0123456789abcdef", "model": "claude-opus-4-6", "temperature": 0.5},
        {"base_url": "http://127.0.0.1:8080/v1", "timeout": 30, "retries": 0, "max_answer_mb": 1.5,
         "system": "You are terse.\nAnswer in \"one\" line.", "max_tokens": 1024, "reasoning": "hidden",
         "theme": "light", "editing_mode": "vi"},
        {"model": "claude-sonnet-4-6", "unknown_key": [1, 2], "nested": {"a": {"b": "c"}}},
    ):
        save_config_data(data, path)
        seeds.append(path.read_bytes())
    seeds.append(
        b"# claudechat configuration\n"
        b"model = 'claude-haiku-4-5-20251001'  # fast\n"
        b'base_url = "https://api.acedata.cloud/v1/"\n'
        b"timeout = 1.2e2\n"
        b"retries = 0x2\n"
        b'system = """\nMulti-line\nprompt\n"""\n'
        b"temperature = +0.0\n"
        b"[extra]\nkey.dotted = 1979-05-27T07:32:00Z\n"
    )
    shutil.rmtree(path.parent)
    return seeds


# --- mutation ------------------------------------------------------------------------------------

INTERESTING_BYTES = [
    b"\x00", b"\xff", b"\xfe", b"\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xef\xbb\xbf",
    b"\xe2\x80\xa8", b"\xe2\x80\xae", b"\x1b[2J", b"\x7f", b"\r", b"\n", b"\r\n", b"\n\n", b"\r\r", b"\t", b" ",
    b"data:", b"data: ", b"event:", b"id:", b"retry:", b"retry: 99999", b":", b"[DONE]",
    b'"\\ud800"', b'"\\udc00"', b'"\\ud83d\\ude00"', b"\\u0000", b"\\", b'"', b"'", b",", b"[", b"]", b"{", b"}",
    b"=", b".", b"[[", b"]]", b'"""', b"'''", b"#",
    b"null", b"true", b"false", b"0", b"-0", b"-1", b"-0.0", b"1e999", b"-1e999", b"1e-999", b"NaN", b"Infinity",
    b"-Infinity", b"nan", b"inf", b"-inf", b"0x7f", b"0o7", b"0b1", b"1_000", b"9" * 20, b"9" * 400, b"9" * 5000,
    b"1979-05-27T07:32:00Z", b"07:32:00", b"[]", b"{}", b'""', b"[" * 1000, b'{"a":' * 1000, b"a." * 200,
    b"x = [" * 400, b"x = {a=" * 400,
]

JSON_KEYS = [
    "role", "content", "created", "op", "keep", "add", "branch", "switch", "to", "parent", "fork", "branches", "title", "settings", "model", "system", "temperature",
    "max_tokens", "n", "json", "usage", "candidates", "picked", "reasoning", "interrupted", "format", "version",
    "id", "messages", "time", "prompt_tokens", "completion_tokens", "cached_tokens", "total_tokens", "type",
    "text", "image_url", "url", "name", "choices", "delta", "message", "index", "finish_reason", "error",
    "success", "code", "trace_id", "reasoning_content", "prompt_tokens_details", "completion_tokens_details",
    "input_tokens", "output_tokens", "claude_cache_creation_5_m_tokens", "", "\ud800", "__proto__",
    "refusal", "reasoning_details", "thinking", "summary", "x_groq", "object", "detail", "msg", "loc",
    "metadata", "raw", "error_type", "request_id",
]

CONFIG_KEYS = ["api_key", "base_url", "model", "timeout", "retries", "max_answer_mb", "system", "temperature",
               "max_tokens", "reasoning", "theme", "editing_mode", "Model", "model.x", '"model"', "retries-"]

TOML_VALUES = [
    '"x"', "''", '""', '" "', '"\\u0000"', '"\\u001b[31m"', '"a b"', '"http://h"', '"https://[::1]:99999/v1"',
    '"http://h/?q=1"', '"ftp://h"', '"http://"', '"http://h:0x"', '"\\uFF03"', "'\\ud800'", '"\\ud800"', "0",
    "-1", "1", "2", "10", "11", "3600", "3601", "4096.0", "4097", "1e-400", "1e400", "inf", "-inf", "nan", "+nan",
    "-0.0", "0.000001", "2.0000001", "true", "false", "[]", "[1]", "{}", "{a=1}", "1979-05-27", "07:32:00",
    "1979-05-27T07:32:00Z", "0x10", "0b11", "0o17", "1_0", "9" * 5000, '"' + "9" * 5000 + '"', '"1_0"',
    '"\\u0661"', '"  collapsed  "', '"VI"', '"\\t vi"', '"Hidden"', '"sk-' + "a" * 5000 + '"', '"emacs"',
    '"""\nmulti\n"""', "'''\nraw\n'''",
]


def interesting_json(rng: random.Random) -> Any:
    choice = rng.randrange(20)
    if choice == 0:
        depth = rng.choice([2, 20, 200])
        value: Any = rng.choice([None, 0, "x"])
        for _ in range(depth):
            value = [value] if rng.random() < 0.5 else {"a": value}
        return value
    if choice == 1:
        return "x" * rng.choice([0, 1, 1000, 100000])
    return rng.choice([
        None, True, False, 0, -1, 1, 2, 63, 2**31, 2**63, -(2**63) - 1, 10**4000, 1e308, float("nan"), float("inf"),
        -float("inf"), -0.0, 0.5, 1.5, 1e-320, "", "user", "assistant", "system", "tool", "text", "image_url",
        "messages", "settings", "title", "usage", "stop", "claudechat-session", "\ud800", "\udc00", "\x00",
        "\x1b[2J", "\u202e", "../x", [], {}, [None], {"": None}, {"type": "text", "text": "t"},
        {"type": "image_url", "image_url": {"url": "u"}}, [{"role": "user", "content": "c", "created": 1}],
    ])


def mutate_json(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """A copy of `value` with one node replaced, removed, duplicated or added."""
    if depth < 30 and isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        new = dict(value)
        roll = rng.random()
        if roll < 0.12:
            del new[key]
        elif roll < 0.25:
            new[rng.choice(JSON_KEYS)] = interesting_json(rng)
        else:
            new[key] = mutate_json(value[key], rng, depth + 1)
        return new
    if depth < 30 and isinstance(value, list) and value and rng.random() < 0.8:
        index = rng.randrange(len(value))
        new_list = list(value)
        roll = rng.random()
        if roll < 0.12:
            del new_list[index]
        elif roll < 0.25:
            new_list.insert(index, new_list[index])
        else:
            new_list[index] = mutate_json(value[index], rng, depth + 1)
        return new_list
    if isinstance(value, (int, float)) and not isinstance(value, bool) and rng.random() < 0.5:
        try:
            return rng.choice([value + 1, value - 1, -value, value * 10 ** rng.randrange(1, 30), float(value)])
        except (OverflowError, ValueError):
            return value
    return interesting_json(rng)


def _dump_json(value: Any, rng: random.Random) -> bytes:
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5, allow_nan=True)
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes the bytes a sloppy writer emits


def mutate_json_line(data: bytes, rng: random.Random) -> bytes | None:
    lines = data.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if line.strip()[:1] in (b"{", b"[")]
    if not candidates:
        return None
    index = rng.choice(candidates)
    try:
        value = json.loads(lines[index])
    except (ValueError, RecursionError):
        return None
    try:
        lines[index] = _dump_json(mutate_json(value, rng), rng)
    except (ValueError, RecursionError):  # more than 4300 digits, or too deep to write
        return None
    return b"\n".join(lines)


def mutate_toml_line(data: bytes, rng: random.Random) -> bytes | None:
    lines = data.split(b"\n")
    roll = rng.random()
    if roll < 0.3 or not any(b"=" in line for line in lines):
        line = f"{rng.choice(CONFIG_KEYS)} = {rng.choice(TOML_VALUES)}".encode("utf-8", "surrogatepass")
        lines.insert(rng.randrange(len(lines) + 1), line)
        return b"\n".join(lines)
    index = rng.choice([i for i, line in enumerate(lines) if b"=" in line])
    key, _, _ = lines[index].partition(b"=")
    if roll < 0.5:
        key = rng.choice(CONFIG_KEYS).encode()
    lines[index] = key.rstrip() + b" = " + rng.choice(TOML_VALUES).encode("utf-8", "surrogatepass")
    return b"\n".join(lines)


def mutate_bytes(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    buf = bytearray(data)
    size = len(buf)
    kind = rng.randrange(10)
    if kind == 0 and size:  # bit flip
        i = rng.randrange(size)
        buf[i] ^= 1 << rng.randrange(8)
    elif kind == 1 and size:  # random byte
        buf[rng.randrange(size)] = rng.randrange(256)
    elif kind == 2:  # insert random bytes
        i = rng.randrange(size + 1)
        buf[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    elif kind == 3 and size:  # delete a range
        i = rng.randrange(size)
        del buf[i : i + rng.randint(1, max(1, min(64, size - i)))]
    elif kind == 4 and size:  # duplicate a range
        i = rng.randrange(size)
        j = min(size, i + rng.randint(1, 256))
        k = rng.randrange(size + 1)
        buf[k:k] = buf[i:j]
    elif kind == 5:  # splice with another corpus item
        other = rng.choice(corpus)
        buf = bytearray(data[: rng.randrange(size + 1)] + other[rng.randrange(len(other) + 1) :])
    elif kind == 6 and size:  # truncate
        del buf[rng.randrange(size) :]
    elif kind == 7 and size:  # swap two lines / duplicate a line
        lines = bytes(buf).split(b"\n")
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        if rng.random() < 0.5:
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(j, lines[i])
        buf = bytearray(b"\n".join(lines))
    else:  # insert or overwrite with an interesting token
        token = rng.choice(INTERESTING_BYTES)
        i = rng.randrange(size + 1)
        if rng.random() < 0.5:
            buf[i:i] = token
        else:
            buf[i : i + len(token)] = token
    return bytes(buf)


def mutate(data: bytes, rng: random.Random, corpus: list[bytes], structured: str | None, max_len: int) -> bytes:
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
        result = None
        if structured == "json" and rng.random() < 0.6:
            result = mutate_json_line(data, rng)
        elif structured == "toml" and rng.random() < 0.5:
            result = mutate_toml_line(data, rng)
        data = result if result is not None else mutate_bytes(data, rng, corpus)
    return data[:max_len]


# --- targets -------------------------------------------------------------------------------------


@dataclass
class Context:
    directory: Path
    rng: random.Random
    errors: Counter = field(default_factory=Counter)  # project error types seen

    def label(self, err: BaseException, *paths: Path, parts: int = 3) -> str:
        """A short description of a project error (its kind of message), counted by type.

        Paths, quoted text and numbers are left out, and so is what follows the first `parts`
        colon-separated pieces (where messages quote the input), so labels name kinds of outcome.
        """
        self.errors[type(err).__name__] += 1
        message = str(err)
        for path in paths:
            message = message.replace(str(path), "P")
        message = ": ".join(message.split(": ")[:parts])
        if parts == 1:  # the message's own words, not the codes and values it quotes
            message = " ".join(re.sub(r"\(.*", "", message).split()[:10])
        message = re.sub(r"'.*?'|\".*?\"", "Q", message)
        message = re.sub(r"\d+", "N", message)
        return f"{type(err).__name__}:{message[:90]}"


def _cuts(data: bytes, rng: random.Random) -> list[int]:
    if not data:
        return []
    if len(data) < 4096 and rng.random() < 0.1:
        return list(range(1, len(data)))  # one byte at a time
    return sorted(rng.randrange(len(data) + 1) for _ in range(rng.randint(1, 6)))


def run_sse(data: bytes, ctx: Context) -> str:
    whole = decode_sse(data)
    split = decode_sse(data, _cuts(data, ctx.rng))
    _require(split == whole, "sse events depend on how the bytes were split", (whole[:3], split[:3]))
    reference = reference_sse(data)
    _require(whole == reference, "sse events differ from the WHATWG reference", (whole[:3], reference[:3]))
    kinds = min(len({event[1] for event in whole}), 3)
    multiline = any("\n" in event[0] for event in whole)
    return f"sse:{min(len(whole), 4)}:{any(e[3] is not None for e in whole)}:{any(e[2] for e in whole)}:{kinds}:{multiline}"


def run_chunks(data: bytes, ctx: Context) -> str:
    text = data.decode("utf-8", "replace")  # what the SSE layer hands over
    labels = []
    parser = ChunkParser()
    for payload in text.split("\n"):
        if payload == "[DONE]":
            break
        try:
            labels += check_stream_events(parser.parse(payload))
        except APIError as err:
            labels.append(ctx.label(err, parts=1))
            break
    _require(isinstance(parser.finished, bool), "ChunkParser.finished is not a bool", parser.finished)
    # The same bytes as a non-streamed body.
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        return "|".join(sorted(set(labels)))
    try:
        if isinstance(body, dict):
            raise_for_error_object(body)
        labels += ["body:" + kind for kind in check_stream_events(events_from_completion(body))]
    except APIError as err:
        labels.append("body:" + ctx.label(err, parts=1))
    return "|".join(sorted(set(labels)))


def run_stream(data: bytes, ctx: Context) -> str:
    from claudechat.api.reader import StreamReader  # the client's own composition of decoder and parser

    reader = StreamReader(1 << 20)
    cuts = _cuts(data, ctx.rng)
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    kinds: list[str] = []
    failure = None
    for piece in pieces:
        events, failure = reader.feed(piece)
        kinds += check_stream_events(events)
        if failure is not None:
            break
    else:
        events, failure = reader.close()
        kinds += check_stream_events(events)
    _require(failure is None or isinstance(failure, APIError), "stream failure is not an APIError", failure)
    return f"{sorted(set(kinds))}:{ctx.label(failure, parts=1) if failure else 'complete'}"


def run_session(data: bytes, ctx: Context) -> str:
    directory = ctx.directory / "sessions"
    directory.mkdir(exist_ok=True)
    for stale in directory.iterdir():
        stale.unlink()
    path = directory / "0badcafe.jsonl"
    path.write_bytes(data)

    def unchanged(step: str) -> None:
        _require(path.read_bytes() == data, f"a session file was modified by {step}")

    read_error: SessionError | None = None
    read_label = "ok"
    try:
        loaded = read_session_file(path)
        check_session(loaded)
    except SessionError as err:
        read_error = err
        read_label = ctx.label(err, path)
    unchanged("read_session_file")

    summaries = SessionStore(directory).summaries()
    unchanged("SessionStore.summaries")
    _require(len(summaries) == 1, "summaries lists one file", summaries)
    summary = summaries[0]
    _require((summary.error is not None) == (read_error is not None), "summary error differs from the read", summary)
    if summary.error is None:
        _require(summary.turns == loaded.turns and summary.title == loaded.title, "summary disagrees", summary)

    try:
        session_file, session = SessionFile.open(path)
    except SessionError as err:
        unchanged("a failed SessionFile.open")
        label = ctx.label(err, path)
        return f"read:{read_label}|open:{label}"
    try:
        after = path.read_bytes()
        if after != data:
            # A log mostly of undone or replaced turns is compacted when opened: the same session,
            # whole, in fewer bytes, read back as it was before.
            _require(read_error is None, "a log that could not be read was rewritten by SessionFile.open")
            _require(len(after) < len(data), "SessionFile.open rewrote a log into more bytes")
            _require(session_canon(read_session_file(path)) == session_canon(loaded),
                     "the log SessionFile.open compacted holds another session")
        check_session(session)
        if read_error is None:
            _require(session_canon(session) == session_canon(loaded), "read_session_file and SessionFile.open disagree",
                     (session_canon(loaded)[:200], session_canon(session)[:200]))
        session.add_turn(Message("user", "one more", created=5.0), Message("assistant", "ok", created=6.0))
        session_file.save(session)
    finally:
        session_file.close()
    again = read_session_file(path)
    _require(session_canon(again) == session_canon(session), "a session saved after open re-reads differently",
             (session_canon(session)[:200], session_canon(again)[:200]))
    return f"read:{read_label}|open:ok:{min(len(session.messages), 4)}"


def run_config(data: bytes, ctx: Context) -> str:
    directory = ctx.directory / "config"
    directory.mkdir(exist_ok=True)
    path = directory / "config.toml"
    path.write_bytes(data)
    os.chmod(path, 0o600)

    def unchanged(step: str) -> None:
        _require(path.read_bytes() == data, f"the config file was modified by {step}")

    try:
        raw = read_config_data(path)
        _require(isinstance(raw, dict), "read_config_data did not return a dict", raw)
        parse_label = "parsed"
    except ConfigError as err:
        parse_label = ctx.label(err, path)
        raw = None
    unchanged("read_config_data")
    try:
        loaded = load_config({}, path)
        check_loaded_config(loaded)
        label = "loaded:" + ",".join(sorted(k for k, v in loaded.sources.items() if v == "file"))
    except ConfigError as err:
        label = ctx.label(err, path)
    unchanged("load_config")
    if raw is None:  # a file that does not parse is refused by `config set`, byte for byte as it was
        try:
            set_option("model", "claude-opus-4-6", path)
            raise Invariant("config set rewrote a file that does not parse")
        except ConfigError:
            pass
        unchanged("a refused set_option")
    return f"{parse_label}|{label}"


@dataclass
class Target:
    name: str
    seeds: Callable[[Path], list[bytes]]
    run: Callable[[bytes, Context], str]
    structured: str | None
    max_len: int
    default_runs: int


TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        Target("sse", sse_seeds, run_sse, None, 64 * 1024, 80_000),
        Target("chunks", chunk_seeds, run_chunks, "json", 64 * 1024, 80_000),
        Target("stream", sse_seeds, run_stream, None, 64 * 1024, 60_000),
        Target("session", session_seeds, run_session, "json", 64 * 1024, 16_000),
        Target("config", config_seeds, run_config, "toml", 16 * 1024, 20_000),
    )
}


# --- known bugs: each is pinned by a strict xfail test in tests/test_hostile_input.py ------------

# (exception type, innermost claudechat file, function) -> the xfail test that shows it
KNOWN: dict[tuple[str, str, str], str] = {}


def signature(exc: BaseException) -> tuple[str, str, str]:
    if isinstance(exc, Invariant):
        return ("Invariant", exc.name, "")
    where, function = "?", "?"
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename.replace(os.sep, "/")
        comprehension = frame.f_code.co_name.startswith("<") and frame.f_code.co_name != "<module>"
        if "/claudechat/" in filename and "/tests/" not in filename and not comprehension:
            where = "claudechat/" + filename.rsplit("/claudechat/", 1)[1]
            function = frame.f_code.co_name
    return (type(exc).__name__, where, function)


@dataclass
class Finding:
    target: str
    data: bytes
    error: str
    trace: str
    known: str | None = None

    def describe(self, limit: int = 2000) -> str:
        shown = repr(self.data)
        if len(shown) > limit:
            shown = shown[:limit] + f"... (truncated; {len(self.data)} bytes in all)"
        return f"target {self.target}: {self.error}\ninput ({len(self.data)} bytes): {shown}\n{self.trace}"


@dataclass
class TargetReport:
    name: str
    executions: int = 0
    seconds: float = 0.0
    project_errors: Counter = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    known: dict[str, list[Finding]] = field(default_factory=dict)
    corpus_size: int = 0

    def line(self) -> str:
        errors = ", ".join(f"{name}×{count}" for name, count in sorted(self.project_errors.items())) or "none"
        known = "; ".join(f"{name}×{len(found)}" for name, found in sorted(self.known.items()))
        return (f"{self.name:8} executions={self.executions:<7} project errors: {errors}  "
                f"findings={len(self.findings)}{f' (known, xfail: {known})' if known else ''}  "
                f"corpus={self.corpus_size}  {self.seconds:.1f} s")


def fuzz_target(target: Target, runs: int, seed: int, *, strict_known: bool = False, timeout: float | None = None,
                directory: Path | None = None, seconds: float | None = None) -> TargetReport:
    """Run one target `runs` times (or for `seconds`); stop at the first new finding."""
    rng = random.Random(f"{seed}:{target.name}")
    own_dir = directory is None
    workdir = Path(tempfile.mkdtemp(prefix=f"claudechat-fuzz-{target.name}-", dir=_fast_tmp())) if own_dir else directory
    report = TargetReport(target.name)
    use_alarm = timeout is not None and hasattr(signal, "setitimer")
    previous = signal.signal(signal.SIGALRM, _on_alarm) if use_alarm else None
    started = time.perf_counter()
    ctx = Context(workdir, rng)
    report.project_errors = ctx.errors
    try:
        corpus = target.seeds(workdir)
        seen: set[str] = set()
        for _ in range(runs):
            if seconds is not None and time.perf_counter() - started > seconds:
                break
            data = mutate(rng.choice(corpus), rng, corpus, target.structured, target.max_len)
            report.executions += 1
            try:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, timeout)
                try:
                    label = target.run(data, ctx)
                finally:
                    if use_alarm:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            except KeyboardInterrupt:
                raise
            except ClaudechatError as err:  # a project error the target did not expect is still allowed
                label = ctx.label(err, workdir)
            except BaseException as exc:  # noqa: BLE001 - anything escaping a target is the point
                sig = signature(exc)
                error = "hang" if isinstance(exc, _Hang) else f"{sig[0]} in {sig[1]} ({sig[2]}): {_short(str(exc), 200)}"
                trace = "".join(traceback.format_exception(exc, limit=-6))
                known = None if isinstance(exc, _Hang) else KNOWN.get(sig)
                finding = Finding(target.name, data, error, trace, known)
                if known is not None and not strict_known:
                    report.known.setdefault(known, []).append(finding)
                    continue
                report.findings.append(finding)
                break
            if label not in seen:
                seen.add(label)
                if len(corpus) < 3000:
                    corpus.append(data)
        report.corpus_size = len(corpus)
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        report.seconds = time.perf_counter() - started
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    return report


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Hang()


def _fast_tmp() -> str | None:
    # Session saves fsync; on tmpfs that costs nothing.
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def fuzz(names: list[str], runs: int | None, seed: int, **options: Any) -> list[TargetReport]:
    reports = []
    for name in names:
        target = TARGETS[name]
        report = fuzz_target(target, target.default_runs if runs is None else runs, seed, **options)
        reports.append(report)
        if report.findings:
            break
    return reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, help="executions per target (default: about a minute in all)")
    parser.add_argument("--seconds", type=float, help="stop each target after this many seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="repeatable; default: all")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one execution may take (0: no limit)")
    parser.add_argument("--strict-known", action="store_true", help="treat known (xfail) bugs as findings too")
    parser.add_argument("--show-known", action="store_true", help="print the first input of each known bug")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    names = args.target or list(TARGETS)
    reports = fuzz(names, args.runs, args.seed, strict_known=args.strict_known,
                   timeout=args.timeout or None, seconds=args.seconds)
    status = 0
    for report in reports:
        for finding in report.findings:
            print("FINDING", finding.describe(), sep="\n", file=sys.stderr)
            status = 1
        if args.show_known:
            for name, found in sorted(report.known.items()):
                print(f"known ({name}), first of {len(found)}:", found[0].describe(300), sep="\n", file=sys.stderr)
    for report in reports:
        print(report.line())
    print(f"seed {args.seed}; {'FINDINGS' if status else 'no new findings'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
