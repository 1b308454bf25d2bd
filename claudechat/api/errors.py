"""Errors of the API layer: each one a value with a message a user can act on."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from claudechat.errors import ClaudechatError, UsageError
from claudechat.sanitize import one_line

__all__ = [
    "APIError",
    "APIStatusError",
    "APIConnectionError",
    "TLSError",
    "APITimeoutError",
    "ContextWindowError",
    "StreamError",
    "MalformedStreamError",
    "IncompleteStreamError",
    "RequestValidationError",
    "ErrorDetails",
    "error_details",
    "error_from_response",
    "is_error_object",
]

TOKEN_HINT = "set the token with `claudechat auth` or the CLAUDECHAT_API_KEY environment variable"

# What each documented error code means for the person at the keyboard.
_CODE_EXPLANATIONS = {
    "invalid_token": ("the service refused the API token", TOKEN_HINT),
    "token_mismatched": ("the request was rejected: the token does not match this API", TOKEN_HINT),
    "api_not_implemented": ("the request was rejected: the service does not implement it", "check the model id and --base-url"),
    "too_many_requests": ("the service is rate limiting this token", "wait a moment and try again"),
    "api_error": ("the service failed to answer", "try again; if it persists, contact support with the trace id"),
}

_STATUS_EXPLANATIONS = {
    400: ("the request was rejected", "check the model id and the request options"),
    401: ("the service refused the API token", TOKEN_HINT),
    403: ("the token is not allowed to do this", "check the token's permissions"),
    404: ("the server has no such endpoint or model", "check --base-url and the model id"),
    413: ("the request is too large", "send less text or smaller images"),
    429: ("the service is rate limiting this token", "wait a moment and try again"),
    500: ("the service failed to answer", "try again later"),
    502: ("a gateway in front of the service failed", "try again later"),
    503: ("the service is unavailable", "try again later"),
    504: ("a gateway timed out waiting for the service", "try again later"),
}


class APIError(ClaudechatError):
    """Something went wrong talking to the server (exit code 1)."""

    status: int | None = None
    code: str | None = None
    trace_id: str | None = None

    def __str__(self) -> str:
        text = super().__str__()
        if self.trace_id:
            text += f" [trace id {self.trace_id}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "message": str(self), "trace_id": self.trace_id}


class APIStatusError(APIError):
    """The server answered with an error status."""

    def __init__(
        self,
        status: int,
        *,
        code: str | None = None,
        server_message: str | None = None,
        trace_id: str | None = None,
        retry_after: float | None = None,
        token_sent: bool = True,
        no_token_hint: str | None = None,
    ) -> None:
        summary, hint = _CODE_EXPLANATIONS.get(code or "") or _STATUS_EXPLANATIONS.get(
            status, ("the server returned an error", None)
        )
        if status == 401 and not token_sent:
            summary, hint = "the server wants an API token and none was sent", no_token_hint or TOKEN_HINT
        detail = " ".join(part for part in (str(status), code) if part)
        if server_message:
            detail += f": {server_message}"
        super().__init__(f"{summary} ({detail})", hint=hint)
        self.status = status
        self.code = code
        self.server_message = server_message
        self.trace_id = trace_id
        self.retry_after = retry_after


CONTEXT_HINT = "/compact summarises it, /undo drops the last exchange, or choose a model with a larger window"


class ContextWindowError(APIStatusError):
    """The server refused the prompt as longer than the model's context window.

    `prompt_tokens` and `window` are the server's numbers when it gave them (each may be
    None); `completion_tokens` is the room it was asked to keep for the answer, when it says
    that that is part of what did not fit.
    """

    def __init__(
        self,
        status: int,
        *,
        prompt_tokens: int | None = None,
        window: int | None = None,
        completion_tokens: int | None = None,
        code: str | None = None,
        server_message: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(status, code=code, server_message=server_message, trace_id=trace_id)
        self.prompt_tokens = prompt_tokens
        self.window = window
        self.completion_tokens = completion_tokens
        self.message = self._summary()
        self.hint = CONTEXT_HINT
        if completion_tokens and prompt_tokens and window and prompt_tokens <= window:
            self.hint = "lower /max-tokens, " + CONTEXT_HINT

    @property
    def excess(self) -> int | None:
        """How many tokens too many, when the server's numbers say."""
        if self.prompt_tokens is None or self.window is None:
            return None
        return max(1, self.prompt_tokens + (self.completion_tokens or 0) - self.window)

    def _summary(self) -> str:
        """What did not fit and by how much, then the server's own words (as every error shows them)."""
        prompt, window, completion, excess = self.prompt_tokens, self.window, self.completion_tokens, self.excess
        numbers = ""
        if excess is not None and completion and prompt is not None and window is not None and prompt <= window:
            said = (f"the conversation ({prompt:,} tokens) and the {completion:,} kept for the answer exceed the "
                    f"model's context window by about {_tokens(excess)}")
            numbers = f"of {window:,}"
        elif excess is not None:
            said = f"the conversation exceeds the model's context window by about {_tokens(excess)}"
            numbers = f"{prompt:,} of {window:,}"
        elif window is not None:
            said = f"the conversation exceeds the model's context window of {window:,} tokens"
        elif prompt is not None:
            said = f"the conversation ({prompt:,} tokens) exceeds the model's context window"
        else:
            said = "the conversation exceeds the model's context window"
        detail = str(self.status)
        if self.code and self.code != detail:  # LiteLLM repeats the status as the code
            detail += f" {self.code}"
        if self.server_message:
            detail += f": {one_line(self.server_message, 200)}"
        return f"{said} ({numbers}; {detail})" if numbers else f"{said} ({detail})"


def _tokens(count: int) -> str:
    return f"{count:,} token{'s' if count != 1 else ''}"


class APIConnectionError(APIError):
    """No usable connection: refused, DNS, TLS, dropped."""


class TLSError(APIConnectionError):
    """The secure connection could not be made: a certificate nobody vouches for, TLS spoken
    to a plain HTTP port. Asking again changes nothing, so it is not retried."""


class APITimeoutError(APIConnectionError):
    """The server took too long to connect or went quiet mid-answer."""


class StreamError(APIError):
    """The server reported an error inside an answer that had already started.

    `events` are what the chunk carrying the error said besides (a finish reason, the last
    text): they belong to the answer so far.
    """

    def __init__(
        self, message: str, *, code: str | None = None, trace_id: str | None = None, events: list[Any] | None = None
    ) -> None:
        super().__init__(f"the server stopped the answer with an error ({code or 'error'}: {message})")
        self.code = code
        self.trace_id = trace_id
        self.events = events or []


class MalformedStreamError(APIError):
    """A chunk of the stream was not the JSON it should be."""


class IncompleteStreamError(APIError):
    """The stream ended before the answer was finished."""


class RequestValidationError(UsageError):
    """The request is invalid; it was not sent (exit code 2)."""


def _excerpt_from_html_or_text(text: str) -> str:
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title and title.group(1).strip():
        return one_line(title.group(1), 120)
    stripped = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.IGNORECASE | re.DOTALL)
    stripped = re.sub(r"<[^>]*>", "\n", stripped)
    for line in stripped.splitlines():
        if line.strip():
            return one_line(line, 120)
    return ""


# How deep an error object is searched for its message: real ones nest two or three levels.
_MAX_ERROR_DEPTH = 6
# Words servers put where a value is missing (LiteLLM writes Python's None as a string).
_ABSENT = frozenset({"", "none", "null"})


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip().lower() not in _ABSENT else None


def _message_of(value: Any, depth: int = 0) -> str | None:
    """The human words in an error's message, in whatever shape the server put them.

    A string (which may itself be JSON-encoded), an object (a nested error, FastAPI's
    `detail`), or a list of such (pydantic's validation errors: "where: what").
    """
    if depth > _MAX_ERROR_DEPTH:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                inner = json.loads(stripped)
            except (ValueError, RecursionError):
                return _text(value)
            return _message_of(inner, depth + 1) or _text(value)
        return _text(value)
    if isinstance(value, dict):
        if isinstance(value.get("msg"), str):
            where = value.get("loc")
            if isinstance(where, list) and where:
                return f"{'.'.join(str(part) for part in where[:8])}: {value['msg']}"
            return _text(value["msg"])
        for key in ("message", "detail", "details", "error", "error_message", "title"):
            found = _message_of(value.get(key), depth + 1)
            if found:
                return found
        return None
    if isinstance(value, list):
        found = [text for item in value[:10] if (text := _message_of(item, depth + 1))]
        return "; ".join(dict.fromkeys(found)) or None
    return None


def _code_of(error: dict[str, Any], outer: dict[str, Any]) -> str | None:
    """A code worth showing: a word (`invalid_token`) before a bare number that repeats the status."""
    code = error.get("code")
    if _text(code) and not str(code).strip().isdigit():
        return str(code)
    for key in ("type", "error_type"):
        if _text(error.get(key)) and error.get(key) != "error":
            return str(error[key])
    metadata = error.get("metadata")
    if isinstance(metadata, dict) and _text(metadata.get("error_type")):
        return str(metadata["error_type"])
    if _text(outer.get("error_type")):
        return str(outer["error_type"])
    if (isinstance(code, int) and not isinstance(code, bool)) or _text(code):
        return str(code)
    return None


@dataclass(frozen=True)
class ErrorDetails:
    """What a server's error object says: code, message and trace id, each shown sanitised."""

    code: str | None
    message: str | None
    trace_id: str | None


def error_details(body: Any) -> ErrorDetails:
    """Code, message and trace id from an error body of any shape servers send.

    The service's `{"success": false, "error": {...}, "trace_id"}`, OpenAI's `{"error": {...}}`,
    a flat `{"object": "error", "message": ...}` (vLLM, Mistral), Anthropic's
    `{"type": "error", "error": {...}}`, FastAPI's `{"detail": ...}`, `{"error": "text"}`
    (Ollama, TGI), a JSON array of error objects (Gemini), and messages that are objects,
    lists or JSON-encoded strings themselves.
    """
    if isinstance(body, list):
        for item in body[:10]:
            details = error_details(item)
            if details.message or details.code:
                return details
        return ErrorDetails(None, None, None)
    if not isinstance(body, dict):
        message = _message_of(body)
        return ErrorDetails(None, one_line(message) if message else None, None)
    error = body.get("error")
    groq = body.get("x_groq")
    if not error and isinstance(groq, dict):
        error = groq.get("error")
    if isinstance(error, dict):
        code, message = _code_of(error, body), _message_of(error)
        raw = error.get("metadata", {}).get("raw") if isinstance(error.get("metadata"), dict) else None
        if isinstance(raw, str) and raw.strip():
            detail = _message_of(raw) or raw
            message = f"{message}: {detail}" if message and detail not in message else message or detail
    else:
        code, message = _code_of(body, body), _message_of(error) or _message_of(body)
    trace = body.get("trace_id") or body.get("request_id")
    return ErrorDetails(
        one_line(code, 60) if code else None,
        one_line(message) if message else None,
        one_line(trace, 80) if isinstance(trace, str) and trace else None,
    )


def is_error_object(obj: dict[str, Any]) -> bool:
    """Whether a chunk of a stream (or a 200 body) is a server's report of an error.

    `{"error": ...}` with anything in it (the OpenAI SDK's rule), the service's
    `"success": false`, a flat object whose `object` or `type` says "error", or Groq's
    `x_groq.error`.
    """
    if obj.get("error") or obj.get("success") is False:
        return True
    kind = obj.get("object")
    if isinstance(kind, str) and kind.lower() == "error" or obj.get("type") == "error":
        return True
    groq = obj.get("x_groq")
    return isinstance(groq, dict) and bool(groq.get("error"))


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    import time

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# --- a prompt longer than the context window -----------------------------------------------

# What servers say when the prompt does not fit, with the numbers they give (`prompt`, `window`,
# `completion`: the room asked for the answer), tried in order.
_OVERFLOW_PATTERNS: tuple[str, ...] = (
    # Anthropic (and the service, which passes Anthropic's message on; Bedrock and Vertex too)
    r"prompt is too long:\s*(?P<prompt>\d[\d,]*)\s*tokens\s*>\s*(?P<window>\d[\d,]*)\s*maximum",
    # OpenAI: "This model's maximum context length is N tokens. However, your messages resulted in M tokens"
    # vLLM, older: "... However, you requested M tokens (P in the messages, C in the completion)"
    r"maximum context length is\s*(?P<window>\d[\d,]*)\s*tokens.{0,40}?you requested\s*\d[\d,]*\s*tokens\s*"
    r"\((?P<prompt>\d[\d,]*)\s*in the messages,\s*(?P<completion>\d[\d,]*)\s*in the completion",
    r"maximum context length is\s*(?P<window>\d[\d,]*)\s*tokens.{0,40}?your messages resulted in\s*"
    r"(?P<prompt>\d[\d,]*)\s*tokens",
    # vLLM: "... However, your request has N input tokens" / "your prompt contains at least N input tokens"
    r"maximum context length is\s*(?P<window>\d[\d,]*)\s*tokens.{0,120}?(?:request has|prompt contains at least"
    r"|requested)\s*(?P<prompt>\d[\d,]*)\s*(?:input )?tokens(?! and)",
    r"maximum context length is\s*(?P<window>\d[\d,]*)\s*tokens",
    # llama.cpp: "request (N tokens) exceeds the available context size (M tokens)", older "input (N tokens) is
    # larger than the max context size (M tokens)"
    r"(?:request|input)\s*\((?P<prompt>\d+)\s*tokens\)\s*(?:exceeds|is larger than)[a-z ]*context size\s*"
    r"\((?P<window>\d+)\s*tokens\)",
    # TGI: "Input validation error: `inputs` must have less than M tokens. Given: N"
    # and "`inputs` tokens + `max_new_tokens` must be <= M. Given: N `inputs` tokens and C `max_new_tokens`"
    r"must have less than\s*(?P<window>\d+)\s*tokens\.\s*Given:\s*(?P<prompt>\d+)",
    r"must be <=\s*(?P<window>\d+)\.\s*Given:\s*(?P<prompt>\d+)\s*`?inputs`? tokens and\s*"
    r"(?P<completion>\d+)\s*`?max_new_tokens",
    # Gemini through LiteLLM: "The input token count (N) exceeds the maximum number of tokens allowed (M)"
    r"input token count\s*\(?(?P<prompt>\d+)?\)?\s*exceeds the maximum number of tokens allowed\s*\(?(?P<window>\d+)\)?",
)
# Words that say it without numbers: OpenAI's code, LiteLLM's exception, llama.cpp's error type,
# Anthropic's and Bedrock's messages.
_OVERFLOW_WORDS = re.compile(
    r"context_length_exceeded|contextwindowexceedederror|exceed_context_size_error|prompt is too long"
    r"|input is too long|exceeds the available context size|model_context_window_exceeded"
    r"|context window (?:is )?(?:exceeded|full)",
    re.IGNORECASE,
)


def _whole(value: object) -> int | None:
    """A token count as a server gives it (digits with commas, or a JSON number), if plausible."""
    if isinstance(value, str):
        try:
            value = int(value.replace(",", ""))
        except ValueError:
            return None
    if type(value) is not int:
        return None
    return value if 0 < value < 10**12 else None


def _fields(body: Any) -> dict[str, Any]:
    """llama.cpp's numbers, beside its message: `n_prompt_tokens` and `n_ctx`."""
    error = body.get("error") if isinstance(body, dict) else None
    for where in (error, body):
        if isinstance(where, dict) and "n_ctx" in where:
            return where
    return {}


def context_overflow(status: int, text: str, body: Any = None) -> ContextWindowError | None:
    """The error for a refusal of the prompt as too long, when `text` (the response body, `body`
    parsed from it) is one; else None. Only client errors count: a 5xx is not about the prompt."""
    if not 400 <= status < 500:
        return None
    numbers: dict[str, int | None] = {}
    for pattern in _OVERFLOW_PATTERNS:
        found = re.search(pattern, text, re.IGNORECASE | re.DOTALL)  # compiled once, in re's own cache
        if found:
            numbers = {key: _whole(value) for key, value in found.groupdict().items()}
            break
    fields = _fields(body)
    if fields:
        numbers["prompt"] = numbers.get("prompt") or _whole(fields.get("n_prompt_tokens"))
        numbers["window"] = numbers.get("window") or _whole(fields.get("n_ctx"))
    if not numbers and not _OVERFLOW_WORDS.search(text):
        return None
    details = error_details(body) if body is not None else ErrorDetails(None, _excerpt_from_html_or_text(text), None)
    prompt, window, completion = numbers.get("prompt"), numbers.get("window"), numbers.get("completion")
    return ContextWindowError(
        status,
        prompt_tokens=prompt,
        window=window,
        completion_tokens=completion,
        code=details.code,
        server_message=details.message,
        trace_id=details.trace_id,
    )


def error_from_response(
    status: int, headers: Any, body: bytes, *, token_sent: bool = True, no_token_hint: str | None = None
) -> APIStatusError:
    """Build the error for a non-2xx answer from its (bounded) body."""
    text = body.decode("utf-8", errors="replace")
    code = message = trace_id = None
    parsed: Any = None
    try:
        parsed = json.loads(text)
        details = error_details(parsed)
    except (ValueError, RecursionError):
        message = _excerpt_from_html_or_text(text) or None
    else:
        code, message, trace_id = details.code, details.message, details.trace_id
    overflow = context_overflow(status, text, parsed)
    if overflow is not None:
        return overflow
    if message is None and text.strip() and code is None:
        message = _excerpt_from_html_or_text(text) or None
    return APIStatusError(
        status,
        code=code,
        server_message=message,
        trace_id=trace_id,
        retry_after=parse_retry_after(headers.get("retry-after")),
        token_sent=token_sent,
        no_token_hint=no_token_hint,
    )
