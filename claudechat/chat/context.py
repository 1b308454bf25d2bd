"""How much of the model's context window the next request would use, and what uses it.

The server's own count is the base: an answer's usage (prompt plus completion tokens) covers
everything sent up to and including that answer, exactly as the server counted it. Only what
came after the last counted answer is estimated: later messages, a changed system prompt, and
what is attached and typed for the next message. The estimate's characters-per-token ratio is
calibrated from this session's usage (`TokenEstimator.calibrate`), a resumed session from the
usage stored with its answers.

The breakdown (`ContextMeter.parts`) splits the same total by turn: each counted turn costs
what the server's count grew by over the turn before it, so the rows add up to the meter.
Nothing here draws anything: the toolbar and /context show what this computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from claudechat.chat.attachments import ImageAttachment
from claudechat.chat.compaction import SUMMARY_HEADING
from claudechat.chat.estimate import TokenEstimator

if TYPE_CHECKING:
    from claudechat.chat.attachments import Attachment
    from claudechat.chat.conversation import Content, Message
    from claudechat.chat.session import Session

__all__ = ["ContextMeter", "ContextPart", "ContextUse", "content_size", "message_tokens", "WARN_SHARE", "FULL_SHARE"]

WARN_SHARE = 0.7  # from this share of the window the meter says so
FULL_SHARE = 0.9

_LABEL_WORDS = 48  # characters of a turn's first words in its label
_CALIBRATION_ANSWERS = 5  # a resumed session learns from this many of its last counted answers
# Images the estimate cannot size are assumed to cost UNKNOWN_IMAGE_TOKENS; a request whose
# count is mostly such guesses says little about how text is counted.
_MAX_IMAGE_SHARE = 0.25


@dataclass(frozen=True)
class ContextPart:
    """One row of the breakdown."""

    label: str
    tokens: int
    kind: str  # "system", "summary", "turn", "attachment" or "input"
    counted: bool = False  # from the server's count (True) or estimated


@dataclass(frozen=True)
class ContextUse:
    """What the next request would use, against the model's window (None when unknown)."""

    tokens: int
    window: int | None

    @property
    def share(self) -> float | None:
        return self.tokens / self.window if self.window else None

    @property
    def level(self) -> str:
        """"" under 70% of the window (or when it is unknown), "warn" from 70%, "full" from 90%."""
        share = self.share or 0.0
        return "full" if share >= FULL_SHARE else "warn" if share >= WARN_SHARE else ""


def content_size(content: Content) -> tuple[int, int]:
    """Characters of text, and images, in a message's content or an API message's."""
    if isinstance(content, str):
        return len(content), 0
    chars = images = 0
    for part in content:
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            chars += len(text) if isinstance(text, str) else 0
        elif kind == "image_url":
            images += 1
    return chars, images


def _image_parts_tokens(content: Content, estimator: TokenEstimator) -> int:
    from claudechat.chat.attachments import attachment_from_part

    if isinstance(content, str):
        return 0
    total = 0
    for part in content:
        if part.get("type") == "image_url":
            image = attachment_from_part(part)  # its size is kept beside the part, when known
            total += estimator.image_tokens(_size(image.width), _size(image.height))  # type: ignore[union-attr]
    return total


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def message_tokens(content: Content, estimator: TokenEstimator) -> int:
    """The estimated tokens of a message's content: its text, and its images."""
    chars, _ = content_size(content)
    return estimator.chars_tokens(chars) + _image_parts_tokens(content, estimator)


def attachment_tokens(attachment: Attachment, estimator: TokenEstimator) -> int:
    if isinstance(attachment, ImageAttachment):
        return estimator.image_tokens(attachment.width, attachment.height)
    return estimator.text_tokens(attachment.text)


def _usage_int(usage: dict[str, Any] | None, *keys: str) -> int:
    """The first of `keys` in `usage` that is a positive whole number (a path for nested ones)."""
    for key in keys:
        value: Any = usage
        for step in key.split("."):
            value = value.get(step) if isinstance(value, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0


def _prompt_tokens(message: Message) -> int:
    usage = message.usage
    if not usage:
        return 0
    value = usage.get("prompt_tokens")
    if type(value) is int and value > 0:  # (not a bool; this runs for every answer once a turn)
        return value
    return _usage_int(usage, "input_tokens")


def _answer_tokens(message: Message, estimator: TokenEstimator) -> int:
    """What an answer adds to the next request: its text as the server counted it when it can be
    told apart from what is not sent back (reasoning, the other candidates)."""
    completion = _usage_int(message.usage, "completion_tokens", "output_tokens")
    if completion and len(message.candidates) < 2:
        reasoning = _usage_int(message.usage, "completion_tokens_details.reasoning_tokens")
        if reasoning and completion > reasoning:
            return completion - reasoning
        if not message.reasoning:
            return completion
    return message_tokens(message.content, estimator)


def _system_at(session: Session, history: int) -> str | None:
    """The system prompt a request with `history` messages before its new one was sent with."""
    prompt = None
    for position, changed in session.system_changes:
        if position > history:
            break
        prompt = changed
    return prompt


def _summary_tokens(session: Session, end: int, estimator: TokenEstimator) -> tuple[int, bool]:
    compaction = session.compaction(end)
    if compaction is None:
        return 0, False
    wrapper = estimator.text_tokens(SUMMARY_HEADING) + 4  # and the tags around the summary
    if compaction.tokens:
        return compaction.tokens + wrapper, True
    return estimator.text_tokens(compaction.summary) + wrapper, False


def _turn_label(number: int, user: Message) -> str:
    from claudechat.chat.conversation import attachment_labels
    from claudechat.sanitize import one_line

    words = one_line(user.text, _LABEL_WORDS) or "(no text)"
    attached = attachment_labels(user.content)
    if attached:
        words += f" (+{len(attached)} attached)"
    return f"turn {number} · {words}"


class ContextMeter:
    """The meter of one session at a time; switching sessions starts its calibration afresh.

    `use` runs on every redraw of the toolbar: what changes only with a turn (the rows of the
    conversation) is computed once per turn; a keystroke costs the typed text's length.
    """

    def __init__(self) -> None:
        self.estimator = TokenEstimator()
        self._session: Session | None = None
        # The rows of the conversation, and what they were computed from (held, not by id, so
        # that an object freed and another made at its address is never taken for it).
        self._rows: list[_Row] = []
        self._conversation_total = 0
        self._rows_key: tuple[tuple[Any, ...], tuple[Any, ...]] | None = None
        self._pending: tuple[tuple[Attachment, ...], float, int] | None = None

    # --- learning the ratio ----------------------------------------------------------------

    def observe(self, messages: list[dict[str, Any]], prompt_tokens: int) -> None:
        """After a request: its messages as sent, and the prompt tokens the server counted."""
        chars = images = 0
        for message in messages:
            message_chars, message_images = content_size(message.get("content") or "")
            chars += message_chars
            images += message_images
        self._learn(chars, images, prompt_tokens)

    def _learn(self, chars: int, images: int, prompt_tokens: int) -> None:
        guessed = images * self.estimator.image_tokens(None, None)
        if prompt_tokens <= 0 or guessed > _MAX_IMAGE_SHARE * prompt_tokens:
            return
        if self.estimator.calibrate(chars, prompt_tokens - guessed):
            self._rows_key = None

    def _calibrate_from(self, session: Session) -> None:
        """A session opened with answers: learn from the usage stored with its last ones."""
        counted = [index for index, message in enumerate(session.messages)
                   if message.role == "assistant" and _prompt_tokens(message)]
        if not counted:
            return
        sizes = [content_size(message.content) for message in session.messages]
        for index in counted[-_CALIBRATION_ANSWERS:]:
            history = index - 1  # the request: the messages before the answer's question, and it
            compaction = session.compaction(history)
            start = compaction.covers if compaction else 0
            system = _system_at(session, history) or ""
            chars = len(system) + (len(compaction.summary) + len(SUMMARY_HEADING) if compaction else 0)
            images = 0
            for message_chars, message_images in sizes[start:index]:
                chars += message_chars
                images += message_images
            self._learn(chars, images, _prompt_tokens(session.messages[index]))

    def _follow(self, session: Session) -> None:
        if session is not self._session:
            self._session = session
            self.estimator = TokenEstimator()
            self._rows_key = None
            self._pending = None
            self._calibrate_from(session)

    # --- what the next request would use --------------------------------------------------

    def use(self, session: Session, window: int | None, typed: str = "",
            attachments: Sequence[Attachment] = ()) -> ContextUse:
        """The tokens of the next request: the conversation, the attachments, the typed text."""
        self._follow(session)
        self._conversation(session)
        tokens = self._conversation_total + self._attachments_tokens(attachments)
        return ContextUse(tokens + self.estimator.text_tokens(typed), window)

    def parts(self, session: Session, typed: str = "", attachments: Sequence[Attachment] = ()) -> list[ContextPart]:
        """The rows of the breakdown, in the conversation's order (the same total as `use`)."""
        self._follow(session)
        rows = [ContextPart(_label(source), tokens, kind, counted)
                for kind, tokens, counted, source in self._conversation(session)]
        rows += [ContextPart(attachment.label, attachment_tokens(attachment, self.estimator), "attachment")
                 for attachment in attachments]
        if typed.strip():
            rows.append(ContextPart("your message, as typed so far", self.estimator.text_tokens(typed), "input"))
        return rows

    def _attachments_tokens(self, attachments: Sequence[Attachment]) -> int:
        held = tuple(attachments)
        ratio = self.estimator.chars_per_token
        cached = self._pending
        if cached is not None and cached[1] == ratio and len(cached[0]) == len(held) and all(
            a is b for a, b in zip(cached[0], held)
        ):
            return cached[2]
        tokens = sum(attachment_tokens(attachment, self.estimator) for attachment in held)
        self._pending = (held, ratio, tokens)
        return tokens

    def _conversation(self, session: Session) -> list[_Row]:
        messages = session.messages
        # Objects by identity (held, so never mistaken for another at the same address), values by value.
        held = (session, messages[-1] if messages else None, session.compaction())
        values = (len(messages), session.settings.system, self.estimator.chars_per_token)
        cached = self._rows_key
        if cached is None or any(a is not b for a, b in zip(cached[0], held)) or cached[1] != values:
            self._rows = self._conversation_rows(session)
            self._conversation_total = sum(row[1] for row in self._rows)
            self._rows_key = (held, values)
        return self._rows

    def _conversation_rows(self, session: Session) -> list[_Row]:
        """The rows of the conversation (labels left to be made when shown): once per turn, so
        for a long conversation it is kept to a few operations a message."""
        estimator = self.estimator
        messages = session.messages
        compaction = session.compaction()
        start = compaction.covers if compaction else 0
        system = session.settings.system
        rows: list[_Row] = []
        if system:
            rows.append(("system", estimator.text_tokens(system), False, "system prompt"))
        summary, summary_counted = _summary_tokens(session, len(messages), estimator)
        if compaction is not None:
            covered = sum(1 for message in messages[:start] if message.role == "user")
            label = f"summary of turn{'s 1–' if covered != 1 else ' '}{covered} (/compact)"
            rows.append(("summary", summary, summary_counted, label))
        # The server's counts are of requests sent with the system prompt of their time; the
        # system row is today's, so the counts are followed from the prompt of the last one.
        last_counted = next((index for index in range(len(messages) - 1, start - 1, -1)
                             if messages[index].role == "assistant" and _prompt_tokens(messages[index])), None)
        then = _system_at(session, last_counted - 1) if last_counted is not None else system
        running = estimator.text_tokens(then or "") + summary
        number = sum(1 for message in messages[:start] if message.role == "user")
        index, end = start, len(messages)
        while index < end:
            first = messages[index]
            if first.role != "user":  # an answer without its question: not written by claudechat
                user, answer = None, first
                index += 1
            else:
                user = first
                answer = messages[index + 1] if index + 1 < end and messages[index + 1].role == "assistant" else None
                index += 2 if answer is not None else 1
                number += 1
            estimate = message_tokens(user.content, estimator) if user is not None else 0
            prompt = 0
            if answer is not None:
                estimate += message_tokens(answer.content, estimator)
                prompt = _prompt_tokens(answer)
            if prompt:
                total = prompt + _answer_tokens(answer, estimator)  # type: ignore[arg-type]
                counted = total > running
                tokens = total - running if counted else estimate
                running = total
            else:
                tokens, counted = estimate, False
                running += estimate
            rows.append(("turn", tokens, counted, (number, user)))
        return rows


_Row = tuple[str, int, bool, Any]  # kind, tokens, counted, and the label or what makes it


def _label(source: Any) -> str:
    if isinstance(source, str):
        return source
    number, user = source
    return _turn_label(number, user) if user is not None else "an answer"
