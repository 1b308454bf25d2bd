"""Errors of the API layer: each one a value with a message a user can act on."""

from __future__ import annotations

import json
import re
from typing import Any

from claudechat.errors import ClaudechatError, UsageError
from claudechat.sanitize import one_line

__all__ = [
    "APIError",
    "APIStatusError",
    "APIConnectionError",
    "APITimeoutError",
    "StreamError",
    "MalformedStreamError",
    "IncompleteStreamError",
    "RequestValidationError",
    "error_from_response",
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
    ) -> None:
        summary, hint = _CODE_EXPLANATIONS.get(code or "") or _STATUS_EXPLANATIONS.get(
            status, ("the server returned an error", None)
        )
        detail = " ".join(part for part in (str(status), code) if part)
        if server_message:
            detail += f": {server_message}"
        super().__init__(f"{summary} ({detail})", hint=hint)
        self.status = status
        self.code = code
        self.server_message = server_message
        self.trace_id = trace_id
        self.retry_after = retry_after


class APIConnectionError(APIError):
    """No usable connection: refused, DNS, TLS, dropped."""


class APITimeoutError(APIConnectionError):
    """The server took too long to connect or went quiet mid-answer."""


class StreamError(APIError):
    """The server reported an error inside an answer that had already started."""

    def __init__(self, message: str, *, code: str | None = None, trace_id: str | None = None) -> None:
        super().__init__(f"the server stopped the answer with an error ({code or 'error'}: {message})")
        self.code = code
        self.trace_id = trace_id


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


def _parse_error_body(body: Any) -> tuple[str | None, str | None, str | None]:
    """(code, message, trace_id) from the service's or an OpenAI-style error body."""
    if not isinstance(body, dict):
        return None, None, None
    error = body.get("error")
    trace_id = body.get("trace_id")
    trace = one_line(trace_id, 80) if isinstance(trace_id, str) else None
    if isinstance(error, dict):
        code = error.get("code") if isinstance(error.get("code"), str) else error.get("type")
        message = error.get("message")
        return (
            one_line(code, 60) if isinstance(code, str) else None,
            one_line(message) if isinstance(message, str) else None,
            trace,
        )
    if isinstance(error, str):
        return None, one_line(error), trace
    message = body.get("message") or body.get("detail")
    return None, (one_line(message) if isinstance(message, str) else None), trace


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


def error_from_response(status: int, headers: Any, body: bytes) -> APIStatusError:
    """Build the error for a non-2xx answer from its (bounded) body."""
    text = body.decode("utf-8", errors="replace")
    code = message = trace_id = None
    try:
        code, message, trace_id = _parse_error_body(json.loads(text))
    except ValueError:
        message = _excerpt_from_html_or_text(text) or None
    if message is None and text.strip() and code is None:
        message = _excerpt_from_html_or_text(text) or None
    return APIStatusError(
        status,
        code=code,
        server_message=message,
        trace_id=trace_id,
        retry_after=parse_retry_after(headers.get("retry-after")),
    )
