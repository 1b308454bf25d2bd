"""The chat request: validated before anything is sent, so a bad option costs no round trip."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from claudechat.api.errors import RequestValidationError

__all__ = ["ChatRequest", "Message", "ROLES", "RESPONSE_FORMATS"]

ROLES = ("system", "user", "assistant")
RESPONSE_FORMATS = ("text", "json_object")

# A message as it goes on the wire: {"role": ..., "content": str | [part, ...]}.
Message = dict[str, Any]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_part(part: Any, where: str) -> None:
    if not isinstance(part, dict):
        raise RequestValidationError(f"{where} must be an object with a `type`")
    kind = part.get("type")
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise RequestValidationError(f"{where} is a text part without a `text` string")
    elif kind == "image_url":
        image = part.get("image_url")
        if not isinstance(image, dict) or not isinstance(image.get("url"), str) or not image["url"]:
            raise RequestValidationError(f"{where} is an image part without an `image_url.url`")
    else:
        raise RequestValidationError(f"{where} has type {kind!r}; expected 'text' or 'image_url'")


def _check_message(message: Any, number: int) -> None:
    where = f"message {number}"
    if not isinstance(message, dict):
        raise RequestValidationError(f"{where} must be an object with `role` and `content`")
    role = message.get("role")
    if role not in ROLES:
        raise RequestValidationError(f"{where} has role {role!r}; expected one of {', '.join(ROLES)}")
    content = message.get("content")
    if isinstance(content, str):
        return
    if isinstance(content, list) and content:
        for part_number, part in enumerate(content, 1):
            _check_part(part, f"{where}, part {part_number},")
        return
    raise RequestValidationError(f"{where} content must be text or a non-empty list of text/image parts")


@dataclass
class ChatRequest:
    model: str
    messages: list[Message]
    stream: bool = True
    temperature: float | None = None
    max_tokens: int | None = None
    n: int | None = None
    response_format: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        """Raise `RequestValidationError` for anything the service would refuse."""
        if not isinstance(self.model, str) or not self.model.strip():
            raise RequestValidationError("the model id is empty", hint="pass -m MODEL or set `model` in the config")
        if not self.messages:
            raise RequestValidationError("the request has no messages")
        for number, message in enumerate(self.messages, 1):
            _check_message(message, number)
        if self.temperature is not None and not (_is_number(self.temperature) and 0 <= self.temperature <= 2):
            raise RequestValidationError(f"temperature must be a number from 0 to 2, got {self.temperature!r}")
        if self.n is not None and not (isinstance(self.n, int) and not isinstance(self.n, bool) and 1 <= self.n <= 128):
            raise RequestValidationError(f"n must be a whole number from 1 to 128, got {self.n!r}")
        if self.max_tokens is not None and not (
            isinstance(self.max_tokens, int) and not isinstance(self.max_tokens, bool) and self.max_tokens >= 1
        ):
            raise RequestValidationError(f"max_tokens must be a whole number of at least 1, got {self.max_tokens!r}")
        if self.response_format is not None and self.response_format not in RESPONSE_FORMATS:
            raise RequestValidationError(
                f"response_format must be one of {', '.join(RESPONSE_FORMATS)}, got {self.response_format!r}"
            )

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": self.messages, "stream": self.stream}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.n is not None:
            body["n"] = self.n
        if self.response_format is not None:
            body["response_format"] = {"type": self.response_format}
        body.update(self.extra)
        return body
