"""A local stand-in for the Claude Chat Completion API (``POST /v1/chat/completions``).

The real service is a paid, rate-limited network API whose failures cannot be produced on
demand, so the client is exercised against this double instead. It is a genuine HTTP/1.1
server on 127.0.0.1: the client under test speaks to it over a real socket with its real
HTTP stack, so framing, chunked transfer encoding, keep-alive and dropped connections all
behave as they would in production.

The wire format follows the service's published documents: the non-streaming JSON body,
the ``chat.completion.chunk`` server-sent events ending in ``data: [DONE]``, the usage
object with every field the service reports, and the service's own error body
``{"success": false, "error": {...}, "trace_id": ...}``. Given ``models``, it also answers
``GET /v1/models`` as OpenAI-compatible servers do (the service documents no such endpoint, so
by default that answers 404). JSON is written with the default
``json.dumps`` separators and ``ensure_ascii=False``, byte for byte like the service.

Tests script each response with :class:`Reply` (a completion, optionally with injected
faults), :class:`ErrorReply`, :class:`OpenAIErrorReply` or :class:`RawReply`, queued with
:meth:`ServiceDouble.enqueue`. Every request is recorded in :attr:`ServiceDouble.requests`.

Token counts: by default ``usage`` says a quarter of the characters. With ``count_tokens``
the double counts like a tokenizer would, and not at a fixed ratio, so that a client's
estimate calibrated on the usage it reports is really tested: one token per word piece of at
most four letters, per digit group and per punctuation mark, and ``IMAGE_TOKENS`` per image
(:func:`count_tokens`, :func:`prompt_tokens`). With ``context_window`` it refuses a request
whose messages count more than that, in the shape ``window_error`` names: the service's own
(Anthropic's message in its error body), or Anthropic's, OpenAI's, vLLM's, llama.cpp's or
LiteLLM's (see :data:`WINDOW_ERRORS`).

Run as a program (``python tests/double.py --port 0``) it serves default replies in the
foreground and prints its base URL as the first line of standard output, so benchmarks and
manual sessions can point the client at it from another process.

Only the standard library is used, so the double can run under any interpreter.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import json
import os
import re
import select
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from json.encoder import encode_basestring as _json_str  # what dumps(ensure_ascii=False) uses
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CHAT_COMPLETIONS_PATH",
    "MODELS_PATH",
    "DEFAULT_TRACE_ID",
    "ErrorReply",
    "OpenAIErrorReply",
    "RawReply",
    "RecordedRequest",
    "Reply",
    "ServiceDouble",
    "IMAGE_TOKENS",
    "WINDOW_ERRORS",
    "count_tokens",
    "prompt_tokens",
    "main",
]

CHAT_COMPLETIONS_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
DEFAULT_TRACE_ID = "2cf86e86-22a4-46e1-ac2f-032c0f2a4e89"

# How often a waiting handler re-checks its release conditions. Waits also wake at once on
# close() and on client EOF through select(), so this only bounds the worst case.
_POLL_INTERVAL = 0.05
# How often a handler paused on a test's threading.Event checks that event (an Event cannot
# be select()ed, so it is polled; short enough that tests do not notice the latency).
_EVENT_POLL_INTERVAL = 0.005
# Socket timeout for connections: a safety net so a forgotten connection cannot pin a thread
# forever; close() does not rely on it because it shuts connections down explicitly.
_CONNECTION_TIMEOUT = 60.0
# How long close() waits for handler threads after shutting their sockets down.
_JOIN_TIMEOUT = 5.0

_UTF8_BOM = b"\xef\xbb\xbf"
# Error and raw bodies are written in pieces of this size (see ServiceDouble.error_bytes_sent).
_ERROR_BODY_PIECE = 16 * 1024


# --------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One request exactly as the double received it, for assertions about what was sent."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    body: bytes
    json: Any | None  # the parsed body, or None when the body is not valid JSON


@dataclass
class Reply:
    """A successful chat completion, streamed or not depending on the request's ``stream``.

    The fault-injection fields count *content* deltas (reasoning deltas and the role chunk
    are not counted); ``N`` means "after N content deltas have been sent", so ``0`` fires
    just before the first content delta. A threshold at or beyond the number of content
    deltas fires after the last one, before the finish chunk.

    ``write_batch`` gathers consecutive events into socket writes of about that many bytes
    (each event still its own chunk of the chunked encoding); long streams then cost the
    double a few hundred system calls instead of one per event, which keeps the double out
    of the way of client benchmarks. ``0`` writes every event separately. ``split_writes``
    overrides it: every piece is written and flushed on its own.

    Three more ways for a stream to misbehave:

    ``drip_interval`` sends the body (everything after the headers) one byte per write,
    with that many seconds between bytes: a slowloris server whose answer trickles in but
    never goes quiet long enough for an idle timeout. ``omit_terminator`` ends the body
    without the zero-length chunk that closes a chunked body: the connection is closed
    after the last event, a truncated body whatever the events said. ``endless`` makes an
    answer that never ends: its events (role chunk, reasoning and content deltas, without
    finish reason, usage or ``[DONE]``) are sent round and round until the client leaves
    or the double is closed.

    ``pace`` paces the answer like a model generating it: that many seconds pass between one
    content delta and the next, each written (flushed) on its own as it is due. ``0`` (the
    default) sends the stream as fast as the socket takes it.
    """

    content: str | list[str] | None = None
    reasoning: str | list[str] | None = None
    reasoning_field: str = "reasoning_content"
    finish_reason: str | None = "stop"
    usage: dict | None = None
    model: str | None = None
    n: int | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Streaming shape.
    delta_size: int = 4
    crlf: bool = False
    bom: bool = False
    keepalive_comments: bool = False
    no_space: bool = False
    split_writes: int | None = None
    write_batch: int = 16384
    pace: float = 0.0  # seconds between content deltas; 0: no pause
    usage_on_finish_chunk: bool = False
    usage_when_asked: bool = False  # like vLLM, Ollama, llama.cpp, TGI: usage only with stream_options
    send_role_chunk: bool = True
    send_usage: bool = True
    send_done: bool = True
    # Faults.
    drop_after: int | None = None
    stall_after: int | None = None
    malformed_after: int | None = None
    error_after: int | None = None
    pause_before_first: threading.Event | None = None
    drip_interval: float | None = None
    omit_terminator: bool = False
    endless: bool = False


@dataclass
class ErrorReply:
    """An error in the service's own format: ``{"success": false, "error": {...}, "trace_id"}``."""

    status: int
    code: str
    message: str
    trace_id: str = DEFAULT_TRACE_ID
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class OpenAIErrorReply:
    """An error in the OpenAI format, as gateways in front of the service sometimes return."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RawReply:
    """Any other response, verbatim: a proxy's HTML error page, an empty body, a huge body.

    ``send_buffer`` shrinks the connection's socket send buffer to about that many bytes
    before the body is written, so that a client that stops reading early makes the write
    block (and then fail when it hangs up) instead of the kernel taking the whole body; see
    :attr:`ServiceDouble.error_bytes_sent`.
    """

    status: int
    body: bytes = b""
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)
    send_buffer: int | None = None


AnyReply = Reply | ErrorReply | OpenAIErrorReply | RawReply


# --------------------------------------------------------------------------------------
# Building response bodies
# --------------------------------------------------------------------------------------


def _dumps(obj: Any) -> str:
    """Serialise like the service: default separators, non-ASCII text as real UTF-8."""
    return json.dumps(obj, ensure_ascii=False)


def _error_body(code: str, message: str, trace_id: str = DEFAULT_TRACE_ID) -> bytes:
    return _dumps(
        {"success": False, "error": {"code": code, "message": message}, "trace_id": trace_id}
    ).encode("utf-8")


def _message_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list joined by spaces."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        return " ".join(texts)
    return ""


def _messages(request: dict) -> list[dict]:
    messages = request.get("messages")
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, dict)]


def _last_user_text(request: dict) -> str:
    for message in reversed(_messages(request)):
        if message.get("role") == "user":
            return _message_text(message.get("content"))
    return ""


def _split(text: str | list[str], size: int) -> list[str]:
    """Deltas for a text: a list is taken as given, a string is cut every ``size`` characters."""
    if isinstance(text, list):
        return [str(part) for part in text]
    if size <= 0:
        return [text] if text else []
    return [text[i : i + size] for i in range(0, len(text), size)]


IMAGE_TOKENS = 1_000  # an image, whatever its size, when the double counts tokens
_TOKEN = re.compile(r"[^\W\d_]{1,4}|\d+|[^\w\s]|_")  # a word piece, a digit group, a punctuation mark


def count_tokens(text: str) -> int:
    """Tokens of `text` as the double counts them (never a fixed number of characters)."""
    return sum(1 for _ in _TOKEN.finditer(text))


def prompt_tokens(request: dict) -> int:
    """The tokens of a request's messages: their text, and a fixed count per image."""
    total = 0
    for message in _messages(request):
        content = message.get("content")
        if isinstance(content, str):
            total += count_tokens(content)
            continue
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                total += count_tokens(part["text"])
            elif isinstance(part, dict) and part.get("type") == "image_url":
                total += IMAGE_TOKENS
    return total


def _anthropic_too_long(prompt: int, window: int) -> str:
    return f"prompt is too long: {prompt} tokens > {window} maximum"


def _window_error(shape: str, prompt: int, window: int, model: Any) -> RawReply:
    """How each kind of server refuses a prompt over its window (400 and the body it sends)."""
    if shape == "service":
        body: Any = {"success": False, "error": {"code": "api_error", "message": _anthropic_too_long(prompt, window)},
                     "trace_id": DEFAULT_TRACE_ID}
    elif shape == "anthropic":
        body = {"type": "error", "error": {"type": "invalid_request_error", "message": _anthropic_too_long(prompt, window)},
                "request_id": "req_011CWdepJvA2D819tdYYq4h7"}
    elif shape == "openai":
        body = {"error": {"message": f"This model's maximum context length is {window} tokens. However, your messages "
                                     f"resulted in {prompt} tokens. Please reduce the length of the messages.",
                          "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}
    elif shape == "vllm":
        body = {"error": {"message": f"This model's maximum context length is {window} tokens. However, you requested "
                                     f"0 output tokens and your prompt contains at least {prompt} input tokens, for a "
                                     f"total of at least {prompt} tokens. Please reduce the length of the input prompt "
                                     f"or the number of requested output tokens. (parameter=input_tokens, value={prompt})",
                          "type": "BadRequestError", "param": "input_tokens", "code": 400}}
    elif shape == "llamacpp":
        body = {"error": {"code": 400, "message": f"request ({prompt} tokens) exceeds the available context size "
                                                  f"({window} tokens), try increasing it",
                          "type": "exceed_context_size_error", "n_prompt_tokens": prompt, "n_ctx": window}}
    elif shape == "litellm":
        inner = _dumps({"type": "error", "error": {"type": "invalid_request_error",
                                                   "message": _anthropic_too_long(prompt, window)}})
        body = {"error": {"message": f"litellm.ContextWindowExceededError: litellm.BadRequestError: "
                                     f"AnthropicException - {inner}. Received Model Group={model}",
                          "type": None, "param": None, "code": "400"}}
    else:
        raise ValueError(f"unknown window_error shape {shape!r}")
    return RawReply(400, _dumps(body).encode("utf-8"), content_type="application/json")


WINDOW_ERRORS = ("service", "anthropic", "openai", "vllm", "llamacpp", "litellm")


def _default_usage(prompt_chars: int, completion_chars: int, *, counted: tuple[int, int, int] | None = None) -> dict:
    """The usage object with every field the service reports, in the service's key order.

    `counted`: prompt, completion and reasoning tokens counted; otherwise a quarter of the
    characters.
    """
    prompt_tokens = max(1, prompt_chars // 4)
    completion_tokens = max(1, completion_chars // 4)
    reasoning_tokens = 0
    if counted is not None:
        prompt_tokens, completion_tokens, reasoning_tokens = counted
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {
            "cached_tokens": 0,
            "text_tokens": 0,
            "audio_tokens": 0,
            "image_tokens": 0,
        },
        "completion_tokens_details": {
            "text_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": reasoning_tokens,
        },
        "input_tokens": 0,
        "output_tokens": 0,
        "input_tokens_details": None,
        "claude_cache_creation_5_m_tokens": 0,
        "claude_cache_creation_1_h_tokens": 0,
    }


@dataclass
class _Completion:
    """A Reply resolved against the request it answers: everything needed to render it."""

    id: str
    created: int
    model: Any
    contents: list[list[str]]  # per choice, its content deltas
    reasonings: list[list[str]]  # per choice, its reasoning deltas
    usage: dict
    usage_asked: bool = False  # the request carried stream_options.include_usage: true


def _resolve(reply: Reply, request: dict, *, counting: bool = False) -> _Completion:
    model = reply.model if reply.model is not None else request.get("model", "")
    n = reply.n
    if n is None:
        requested = request.get("n")
        n = requested if isinstance(requested, int) and not isinstance(requested, bool) else 1
    n = max(1, n)

    content = reply.content
    if content is None:
        content = "echo: " + _last_user_text(request)
    reasoning = reply.reasoning
    if reasoning is None and isinstance(model, str) and model.endswith("-thinking"):
        reasoning = "Thinking about: " + _last_user_text(request)

    contents: list[list[str]] = []
    for i in range(n):
        if n == 1:
            contents.append(_split(content, reply.delta_size))
        elif isinstance(content, str):
            contents.append(_split(f"[{i}] " + content, reply.delta_size))
        else:
            deltas = [str(part) for part in content] or [""]
            deltas[0] = f"[{i}] " + deltas[0]
            contents.append(deltas)
    reasoning_deltas = _split(reasoning, reply.delta_size) if reasoning is not None else []
    reasonings = [list(reasoning_deltas) for _ in range(n)]

    usage = reply.usage
    if usage is None:
        prompt_chars = sum(len(_message_text(m.get("content"))) for m in _messages(request))
        completion_chars = len(content if isinstance(content, str) else "".join(content))
        counted = None
        if counting:
            reasoning_tokens = sum(count_tokens("".join(deltas)) for deltas in reasonings)
            answer_tokens = sum(count_tokens("".join(deltas)) for deltas in contents)
            counted = (prompt_tokens(request), answer_tokens + reasoning_tokens, reasoning_tokens)
        usage = _default_usage(prompt_chars, completion_chars, counted=counted)

    stream_options = request.get("stream_options")
    return _Completion(
        id="msg_bdrk_" + uuid.uuid4().hex[:24],
        created=int(time.time()),
        model=model,
        contents=contents,
        reasonings=reasonings,
        usage=usage,
        usage_asked=isinstance(stream_options, dict) and stream_options.get("include_usage") is True,
    )


def _json_body(reply: Reply, completion: _Completion) -> bytes:
    """The non-streaming response body, shaped like the service's example."""
    choices = []
    for i, deltas in enumerate(completion.contents):
        message: dict[str, Any] = {"role": "assistant", "content": "".join(deltas)}
        if completion.reasonings[i]:
            message[reply.reasoning_field] = "".join(completion.reasonings[i])
        choices.append({"index": i, "message": message, "finish_reason": reply.finish_reason})
    body: dict[str, Any] = {
        "id": completion.id,
        "model": completion.model,
        "object": "chat.completion",
        "created": completion.created,
        "choices": choices,
    }
    if reply.send_usage:
        body["usage"] = completion.usage
    return _dumps(body).encode("utf-8")


class _Action:
    """A step in a stream plan that is not bytes to send."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


_DROP = _Action("drop")  # close the connection without the terminating chunk
_STALL = _Action("stall")  # send nothing more until the client leaves or close() is called
_END = _Action("end")  # send the terminating chunk now and stop
_PACE = _Action("pace")  # send what is queued, then wait Reply.pace seconds


def _stream_plan(reply: Reply, completion: _Completion) -> list[bytes | _Action]:
    """Encode the whole event stream up front, so sending it is nothing but socket writes.

    Content and reasoning deltas, the hot path of a long stream, are rendered from a
    per-choice template around the JSON-escaped text; the template is built with
    ``json.dumps`` from the same dict the other chunks use, so all chunks are identical in
    form to ``json.dumps(chunk, ensure_ascii=False)``.
    """
    prefix = "data:" if reply.no_space else "data: "
    eol = "\r\n" if reply.crlf else "\n"
    suffix = eol + eol
    n = len(completion.contents)

    def chunk(choices: list[dict], usage: Any = None) -> dict:
        return {
            "id": completion.id,
            "object": "chat.completion.chunk",
            "created": completion.created,
            "model": completion.model,
            "system_fingerprint": None,
            "choices": choices,
            "usage": usage,
        }

    def choice(delta: dict, index: int, finish_reason: str | None = None) -> dict:
        return {"delta": delta, "logprobs": None, "finish_reason": finish_reason, "index": index}

    def event(obj: dict) -> bytes:
        return (prefix + _dumps(obj) + suffix).encode("utf-8")

    marker = "\x00DELTA\x00"

    def template(key: str, index: int) -> tuple[str, str]:
        text = prefix + _dumps(chunk([choice({key: marker}, index)])) + suffix
        head, tail = text.split(_json_str(marker))
        return head, tail

    content_templates = [template("content", i) for i in range(n)]
    reasoning_templates = [template(reply.reasoning_field, i) for i in range(n)]

    events: list[bytes | _Action] = []

    if reply.send_role_chunk:
        for i in range(n):
            events.append(event(chunk([choice({"content": "", "role": "assistant"}, i)])))

    rounds = max((len(d) for d in completion.reasonings), default=0)
    for r in range(rounds):
        for i, deltas in enumerate(completion.reasonings):
            if r < len(deltas):
                head, tail = reasoning_templates[i]
                events.append((head + _json_str(deltas[r]) + tail).encode("utf-8"))

    faults: list[tuple[int, int, str]] = []  # (threshold, order, kind)
    for order, (kind, threshold) in enumerate(
        (
            ("malformed", reply.malformed_after),
            ("error", reply.error_after),
            ("drop", reply.drop_after),
            ("stall", reply.stall_after),
        )
    ):
        if threshold is not None:
            faults.append((max(0, threshold), order, kind))
    faults.sort()

    def fire(kind: str) -> None:
        if kind == "malformed":
            events.append((prefix + "{not valid json" + suffix).encode("utf-8"))
        elif kind == "error":
            error = {
                "success": False,
                "error": {"code": "api_error", "message": "upstream failed"},
                "trace_id": DEFAULT_TRACE_ID,
            }
            events.append((prefix + _dumps(error) + suffix).encode("utf-8"))
            events.append(_END)
        elif kind == "drop":
            events.append(_DROP)
        else:
            events.append(_STALL)

    sent = 0
    rounds = max((len(d) for d in completion.contents), default=0)
    for r in range(rounds):
        for i, deltas in enumerate(completion.contents):
            if r < len(deltas):
                while faults and faults[0][0] <= sent:
                    fire(faults.pop(0)[2])
                if reply.pace > 0 and sent:
                    events.append(_PACE)
                head, tail = content_templates[i]
                events.append((head + _json_str(deltas[r]) + tail).encode("utf-8"))
                sent += 1
    while faults:
        fire(faults.pop(0)[2])

    usage_sent = not reply.send_usage or (reply.usage_when_asked and not completion.usage_asked)
    if reply.finish_reason is not None:
        for i in range(n):
            usage = None
            if reply.usage_on_finish_chunk and not usage_sent and i == n - 1:
                usage = completion.usage
                usage_sent = True
            events.append(event(chunk([choice({}, i, reply.finish_reason)], usage)))
    if not usage_sent:
        events.append(event(chunk([], completion.usage)))
    if reply.send_done:
        events.append((prefix + "[DONE]" + suffix).encode("utf-8"))

    if reply.keepalive_comments:
        comment = (": keep-alive" + suffix).encode("utf-8")
        with_comments: list[bytes | _Action] = []
        count = 0
        for item in events:
            if isinstance(item, bytes):
                if count % 5 == 0:
                    with_comments.append(comment)
                count += 1
            with_comments.append(item)
        events = with_comments

    if reply.bom:
        for i, item in enumerate(events):
            if isinstance(item, bytes):
                events[i] = _UTF8_BOM + item
                break
        else:
            events.insert(0, _UTF8_BOM)

    if reply.split_writes and reply.split_writes > 0:
        events = _resplit(events, reply.split_writes)
    return events


def _resplit(items: list[bytes | _Action], size: int) -> list[bytes | _Action]:
    """Re-cut the bytes between actions into pieces of ``size`` bytes, one write each."""
    out: list[bytes | _Action] = []
    run: list[bytes] = []

    def flush() -> None:
        data = b"".join(run)
        run.clear()
        out.extend(data[i : i + size] for i in range(0, len(data), size))

    for item in items:
        if isinstance(item, bytes):
            run.append(item)
        else:
            flush()
            out.append(item)
    flush()
    return out


def _extra_forbidden(field: str, value: Any) -> RawReply:
    """How Mistral refuses a field it does not know: 422, a pydantic error list as the message."""
    body = {
        "object": "error",
        "message": {"detail": [{"type": "extra_forbidden", "loc": ["body", field], "msg": "Extra inputs are not permitted",
                                "input": value}]},
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    return RawReply(422, _dumps(body).encode("utf-8"), content_type="application/json")


def _merge_headers(defaults: dict[str, str], extra: dict[str, str]) -> list[tuple[str, str]]:
    """Defaults overridden case-insensitively by a reply's own headers."""
    merged: dict[str, tuple[str, str]] = {k.lower(): (k, v) for k, v in defaults.items()}
    for k, v in extra.items():
        merged[k.lower()] = (k, str(v))
    return list(merged.values())


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """Tracks handler threads and their sockets so close() can end them deterministically."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    double: ServiceDouble

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup, which can stall on sandboxed hosts."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"double-conn-{client_address[1]}",
            daemon=True,
        )
        self.double._track(thread, request)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            self.double._untrack(threading.current_thread(), request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients vanishing, timeouts and TLS handshake failures are part of the job and stay
        # quiet; anything else is a defect in the double and is reported.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ServiceDouble/1.0"
    sys_version = ""
    timeout = _CONNECTION_TIMEOUT
    disable_nagle_algorithm = True  # each SSE event goes out at once, as from a real server

    server: _Server

    # -- plumbing ----------------------------------------------------------------------

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: output on stderr would interleave with the client's own output in tests."""

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- request -----------------------------------------------------------------------

    def _read_body(self) -> bytes:
        try:
            return self._read_body_framed()
        except ValueError:  # a malformed chunk size: the connection cannot be reused
            self.close_connection = True
            return b""

    def _read_body_framed(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            return b""
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        double = self.server.double
        body = self._read_body()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        double._record(RecordedRequest(self.command, self.path, headers, body, parsed))

        path = urlsplit(self.path).path
        if path == MODELS_PATH and self.command == "GET" and double.models is not None:
            if double.token is not None and headers.get("authorization") != f"Bearer {double.token}":
                self._send_error(ErrorReply(401, "invalid_token", "invalid token"))
            else:
                self._send_models(double.models)
        elif path != CHAT_COMPLETIONS_PATH:
            self._send_error(ErrorReply(404, "not_found", "not found"))
        elif double.token is not None and headers.get("authorization") != f"Bearer {double.token}":
            self._send_error(ErrorReply(401, "invalid_token", "invalid token"))
        elif self.command != "POST":
            refusal = ErrorReply(405, "method_not_allowed", "method not allowed")
            refusal.headers["Allow"] = "POST"
            self._send_error(refusal)
        elif not isinstance(parsed, dict):
            self._send_error(ErrorReply(400, "bad_request", "request body is not a JSON object"))
        elif refused := sorted(set(parsed) & double.refused_fields):
            self._send_error(_extra_forbidden(refused[0], parsed[refused[0]]))
        elif double.context_window is not None and (counted := prompt_tokens(parsed)) > double.context_window:
            self._send_error(_window_error(double.window_error, counted, double.context_window, parsed.get("model")))
        else:
            reply = double._next_reply()
            if isinstance(reply, Reply):
                self._send_completion(reply, parsed)
            else:
                self._send_error(reply)

    # -- responses ---------------------------------------------------------------------

    def _start(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _send_models(self, models: list[str]) -> None:
        """OpenAI's list shape, as llama.cpp, vLLM, Ollama and LiteLLM answer it."""
        data = [{"id": model, "object": "model", "created": 1700000000, "owned_by": "double"} for model in models]
        body = _dumps({"object": "list", "data": data}).encode("utf-8")
        self._start(200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        with contextlib.suppress(OSError):
            self.wfile.write(body)
            self.wfile.flush()

    def _send_error(self, reply: ErrorReply | OpenAIErrorReply | RawReply) -> None:
        if isinstance(reply, ErrorReply):
            body = _error_body(reply.code, reply.message, reply.trace_id)
            content_type = "application/json"
        elif isinstance(reply, OpenAIErrorReply):
            error = {"message": reply.message, "type": reply.type, "code": reply.code}
            body = _dumps({"error": error}).encode("utf-8")
            content_type = "application/json"
        else:
            body = reply.body
            content_type = reply.content_type
        defaults = {"Content-Length": str(len(body))}
        if content_type:
            defaults["Content-Type"] = content_type
        sent = 0
        try:
            if isinstance(reply, RawReply) and reply.send_buffer is not None:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, reply.send_buffer)
            self._start(reply.status, _merge_headers(defaults, reply.headers))
            if self.command != "HEAD":
                # In pieces, so that how much of a large body the socket took is known.
                for i in range(0, len(body), _ERROR_BODY_PIECE):
                    piece = body[i : i + _ERROR_BODY_PIECE]
                    self.wfile.write(piece)
                    sent += len(piece)
        except OSError:
            self._connection_lost()  # the client hung up before reading the whole body
        finally:
            self.server.double._note_error_body(sent)

    def _send_completion(self, reply: Reply, request: dict) -> None:
        completion = _resolve(reply, request, counting=self.server.double.counts_tokens)
        try:
            if request.get("stream") is True:
                self._send_stream(reply, completion)
            else:
                self._send_json(reply, completion)
        except OSError:
            self._connection_lost()

    def _send_json(self, reply: Reply, completion: _Completion) -> None:
        body = _json_body(reply, completion)
        defaults = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        self._start(reply.status, _merge_headers(defaults, reply.headers))
        if not self._pause(reply):
            return
        size = reply.split_writes if reply.split_writes and reply.split_writes > 0 else len(body)
        for i in range(0, len(body), size):
            self.wfile.write(body[i : i + size])

    def _send_stream(self, reply: Reply, completion: _Completion) -> None:
        if reply.endless:
            # No end: no finish reason, usage or [DONE]; the events go round until the
            # client leaves (a write fails) or the double closes.
            reply = dataclasses.replace(reply, finish_reason=None, send_usage=False, send_done=False)
        plan = _stream_plan(reply, completion)
        defaults = {
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "Transfer-Encoding": "chunked",
        }
        self._start(reply.status, _merge_headers(defaults, reply.headers))
        if not self._pause(reply):
            return
        # Events that are ready together go out in one socket write (each still its own
        # chunk); everything queued is flushed before any fault, so a stall or drop happens
        # exactly after the events before it have reached the client.
        write = self.wfile.write if reply.drip_interval is None else self._dripper(reply.drip_interval)
        limit = reply.write_batch if not reply.split_writes else 0
        batch: list[bytes] = []
        pending = 0
        ended = False
        while not ended:
            for item in plan:
                if isinstance(item, bytes):
                    if not item:
                        continue
                    batch.append(b"%x\r\n%b\r\n" % (len(item), item))
                    pending += len(batch[-1])
                    if pending >= limit:
                        write(b"".join(batch))
                        batch.clear()
                        pending = 0
                    continue
                if batch:
                    write(b"".join(batch))
                    batch.clear()
                    pending = 0
                if item is _PACE:
                    # An Event, not sleep: close() cuts the pause short (the next write fails).
                    self.server.double._closing.wait(reply.pace)
                    continue
                if item is _END:
                    ended = True
                    break
                if item is _DROP:
                    self._abort()
                    return
                if item is _STALL:
                    self._wait(None)
                    self._abort()
                    return
            ended = ended or not reply.endless or self.server.double._closing.is_set()
        if reply.omit_terminator:
            if batch:
                write(b"".join(batch))
            self._abort()
            return
        batch.append(b"0\r\n\r\n")
        write(b"".join(batch))

    def _dripper(self, interval: float) -> Callable[[bytes], None]:
        """A write that sends one byte at a time, `interval` seconds apart.

        Between bytes it watches the client, so a client that leaves is noticed at once
        (raised as ConnectionResetError, which the caller counts as a disconnect).
        """
        double = self.server.double
        conn = self.connection
        send = self.wfile.write
        sent_any = False

        def write(data: bytes) -> None:
            nonlocal sent_any
            for i in range(len(data)):
                if sent_any:
                    readable, _, _ = select.select([conn, double._wake_r], [], [], interval)
                    if double._wake_r in readable or double._closing.is_set():
                        raise ConnectionAbortedError("the double is closing")
                    if conn in readable:
                        if self._peer_closed():
                            raise ConnectionResetError("the client left")
                        double._closing.wait(interval)  # it sent bytes instead: still wait
                send(data[i : i + 1])
                sent_any = True

        return write

    # -- waiting and disconnects -------------------------------------------------------

    def _pause(self, reply: Reply) -> bool:
        """Hold the body until the reply's event is set; False if the exchange ended instead."""
        if reply.pause_before_first is None:
            return True
        if self._wait(reply.pause_before_first) == "released":
            return True
        self._abort()
        return False

    def _wait(self, release: threading.Event | None) -> str:
        """Block until ``release`` is set, the client disconnects, or the double closes.

        The client socket is watched with select() so a disconnect is noticed as soon as the
        peer's FIN or RST arrives; the double's wake socket makes close() release every
        waiting handler at once.
        """
        double = self.server.double
        conn = self.connection
        interval = _POLL_INTERVAL if release is None else _EVENT_POLL_INTERVAL
        if release is None:
            double._note_stall()
        while True:
            if release is not None and release.is_set():
                return "released"
            if double._closing.is_set():
                return "closing"
            try:
                readable, _, _ = select.select([conn, double._wake_r], [], [], interval)
            except (OSError, ValueError):
                return "closing"
            if double._wake_r in readable:
                return "closing"
            if conn in readable:
                if self._peer_closed():
                    double._note_disconnect()
                    return "disconnected"
                # The client sent bytes rather than closing; nothing to do until it closes.
                double._closing.wait(interval)

    def _peer_closed(self) -> bool:
        conn = self.connection
        if isinstance(conn, ssl.SSLSocket):
            previous = conn.gettimeout()
            conn.settimeout(0)
            try:
                data = conn.recv(1)
            except ssl.SSLWantReadError:
                return False
            except OSError:
                return True
            finally:
                conn.settimeout(previous)
            if data:
                self.close_connection = True  # a byte was consumed; the connection is spent
            return not data
        try:
            return conn.recv(1, socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True

    def _connection_lost(self) -> None:
        """A write failed: the client went away mid-response (unless the double is closing)."""
        self.close_connection = True
        self.server.double._note_disconnect()

    def _abort(self) -> None:
        """End the connection with a bare FIN and no terminating chunk, as a crashed peer would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class ServiceDouble:
    """A scripted Claude Chat Completion API on 127.0.0.1, started as a context manager.

    ``url`` is the base URL a client is configured with (``.../v1``); the endpoint is
    ``url + "/chat/completions"``. Replies queued with :meth:`enqueue` answer requests to the
    endpoint in order; when none is queued, an echo of the last user message is streamed or
    returned. Requests failing authentication are answered 401 without consuming a reply.
    """

    def __init__(
        self,
        token: str | None = "test-token",
        *,
        ssl_context: ssl.SSLContext | None = None,
        port: int = 0,
        default_reply: Reply | None = None,
        count_tokens: bool = False,
        context_window: int | None = None,
        window_error: str = "service",
        models: list[str] | None = None,
    ) -> None:
        self.token = token
        #: What `GET /v1/models` lists (OpenAI's shape); None switches the endpoint off: it answers
        #: 404, as the service (which documents none) does.
        self.models = models
        #: Count usage like a tokenizer (see count_tokens) instead of a quarter of the characters.
        self.count_tokens = count_tokens
        #: Refuse requests whose messages count more tokens than this, as `window_error` says.
        self.context_window = context_window
        if window_error not in WINDOW_ERRORS:
            raise ValueError(f"window_error is one of {', '.join(WINDOW_ERRORS)}")
        self.window_error = window_error
        #: Request fields answered with Mistral's 422 "extra_forbidden" (no reply is taken).
        self.refused_fields: set[str] = set()
        #: Template for requests arriving with an empty queue (content None means echo).
        self.default_reply = default_reply
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0
        self.stalls = 0  # streams that reached their stall_after point, everything before it sent
        #: For each error or raw response (in the order they ended): how many bytes of its
        #: body the socket accepted before the body was all written or the client hung up.
        self.error_bytes_sent: list[int] = []

        self._cond = threading.Condition()
        self._queue: collections.deque[AnyReply] = collections.deque()
        self._threads: set[threading.Thread] = set()
        self._connections: set[Any] = set()
        self._closing = threading.Event()
        self._closed = False
        self._accept_thread: threading.Thread | None = None
        self._wake_r, self._wake_w = socket.socketpair()

        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.double = self
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port: int = self._server.server_address[1]
        scheme = "https" if ssl_context is not None else "http"
        self.url: str = f"{scheme}://127.0.0.1:{self.port}/v1"

    @property
    def counts_tokens(self) -> bool:
        """Whether usage is counted (it is whenever there is a window to count against)."""
        return self.count_tokens or self.context_window is not None

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> ServiceDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ServiceDouble {self.url} requests={len(self.requests)}>"

    def start(self) -> ServiceDouble:
        """Start accepting connections (the socket is already bound, so ``url`` is valid)."""
        with self._cond:
            if self._accept_thread is not None or self._closed:
                return self
            self._accept_thread = threading.Thread(
                target=self._accept_loop, name=f"double-accept-{self.port}", daemon=True
            )
        self._accept_thread.start()
        return self

    def close(self) -> None:
        """Stop serving, release waiting handlers, cut open connections and join all threads."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            accept_thread = self._accept_thread
        self._closing.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        if accept_thread is not None:
            accept_thread.join(_JOIN_TIMEOUT)
        self._server.server_close()
        with self._cond:
            connections = list(self._connections)
            threads = list(self._threads)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._wake_r.close()
        self._wake_w.close()

    def _accept_loop(self) -> None:
        listener = self._server.socket
        while not self._closing.is_set():
            try:
                readable, _, _ = select.select([listener, self._wake_r], [], [])
            except (OSError, ValueError):
                return
            if self._wake_r in readable or self._closing.is_set():
                return
            try:
                request, client_address = self._server.get_request()
            except OSError:
                continue
            self._server.process_request(request, client_address)

    def _track(self, thread: threading.Thread, conn: Any) -> None:
        with self._cond:
            self._threads.add(thread)
            self._connections.add(conn)

    def _untrack(self, thread: threading.Thread, conn: Any) -> None:
        with self._cond:
            self._threads.discard(thread)
            self._connections.discard(conn)

    # -- scripting ---------------------------------------------------------------------

    def enqueue(self, *replies: AnyReply) -> None:
        """Queue replies; each authorised request to the endpoint takes the oldest one."""
        for reply in replies:
            if not isinstance(reply, (Reply, ErrorReply, OpenAIErrorReply, RawReply)):
                raise TypeError(f"not a reply: {reply!r}")
        with self._cond:
            self._queue.extend(replies)

    def _next_reply(self) -> AnyReply:
        with self._cond:
            if self._queue:
                return self._queue.popleft()
        return self.default_reply if self.default_reply is not None else Reply()

    # -- observation -------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()

    def _note_disconnect(self) -> None:
        if self._closing.is_set():
            return  # the double cut the connection itself; that is not the client leaving
        with self._cond:
            self.disconnects += 1
            self._cond.notify_all()

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> bool:
        """Block until at least ``n`` requests have been recorded; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.requests) >= n, timeout)

    def _note_error_body(self, sent: int) -> None:
        with self._cond:
            self.error_bytes_sent.append(sent)
            self._cond.notify_all()

    def wait_for_error_bodies(self, n: int, timeout: float = 10.0) -> bool:
        """Block until ``n`` error or raw responses have ended (written whole or cut off)."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.error_bytes_sent) >= n, timeout)

    def _note_stall(self) -> None:
        with self._cond:
            self.stalls += 1
            self._cond.notify_all()

    def wait_for_stall(self, timeout: float = 10.0, *, count: int = 1) -> bool:
        """Block until ``count`` streams have been written up to their stall point in total.

        The bytes before the stall are written by then, so they are in the client's socket.
        """
        with self._cond:
            return self._cond.wait_for(lambda: self.stalls >= count, timeout)

    def wait_for_disconnect(self, timeout: float = 10.0, *, count: int = 1) -> bool:
        """Block until ``count`` client disconnects mid-response have been noticed in total."""
        with self._cond:
            return self._cond.wait_for(lambda: self.disconnects >= count, timeout)


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def _stdin_is_devnull() -> bool:
    try:
        stdin = os.fstat(0)
        devnull = os.stat(os.devnull)
    except OSError:
        return True
    return (stdin.st_dev, stdin.st_ino) == (devnull.st_dev, devnull.st_ino)


def main(argv: list[str] | None = None) -> int:
    """Serve in the foreground until SIGTERM/SIGINT or EOF on standard input."""
    parser = argparse.ArgumentParser(
        description="Serve a local Claude Chat Completion API double. The base URL is printed "
        "as the first line of output. Stops on SIGTERM, SIGINT or end of standard input "
        "(standard input connected to /dev/null is ignored)."
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument(
        "--token",
        default="test-token",
        help='bearer token to require (default: "test-token"; "" accepts any request)',
    )
    parser.add_argument(
        "--content-file", help="answer every request with the text of this file (UTF-8)"
    )
    parser.add_argument(
        "--delta-size", type=int, default=4, help="characters per streamed delta (default: 4)"
    )
    parser.add_argument(
        "--pace", type=float, default=0.0, help="seconds between streamed content deltas (default: 0, none)"
    )
    parser.add_argument(
        "--count-tokens", action="store_true", help="count usage like a tokenizer, not a quarter of the characters"
    )
    parser.add_argument("--context-window", type=int, help="refuse prompts of more tokens than this")
    parser.add_argument(
        "--window-error", choices=WINDOW_ERRORS, default="service", help="how a prompt over the window is refused"
    )
    args = parser.parse_args(argv)

    default_reply = None
    if args.content_file is not None:
        with open(args.content_file, encoding="utf-8") as f:
            default_reply = Reply(content=f.read(), delta_size=args.delta_size, pace=args.pace)
    elif args.delta_size != 4 or args.pace:
        default_reply = Reply(delta_size=args.delta_size, pace=args.pace)

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def watch_stdin() -> None:
        # os.read on the descriptor, not sys.stdin: a daemon thread blocked inside a buffered
        # reader at interpreter shutdown makes the interpreter abort.
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        stop.set()

    with ServiceDouble(
        args.token or None,
        port=args.port,
        default_reply=default_reply,
        count_tokens=args.count_tokens,
        context_window=args.context_window,
        window_error=args.window_error,
    ) as double:
        print(double.url, flush=True)
        if not _stdin_is_devnull():
            threading.Thread(target=watch_stdin, name="double-stdin", daemon=True).start()
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
