"""An incremental decoder for `text/event-stream` bodies, following the WHATWG rules.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

It takes raw bytes exactly as they come off the socket, so a read may end anywhere: inside a
line, between the CR and LF of a CRLF pair, or inside a multi-byte UTF-8 character.

One addition to the rules, which would drop it: llama.cpp's server (until late 2025) reported
an error in a stream as a field of its own, `error: {...}`, in an event with no data. Such an
event is dispatched as an `error` event carrying the field's value, so the error reaches the
reader instead of vanishing.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["ServerSentEvent", "SSEDecoder"]


@dataclass(slots=True)
class ServerSentEvent:
    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None


class SSEDecoder:
    """Turn chunks of bytes into complete events; call `feed` per read and `close` at EOF."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._at_start = True
        self._tail = ""  # an unterminated line carried to the next read
        self._pieces: list[str] = []  # more of it, from reads that ended no line
        self._data: list[str] = []
        self._error: list[str] = []  # the non-standard `error` field's lines
        self._event = ""
        self._last_id = ""
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        return self._decode_text(self._utf8.decode(chunk))

    def close(self) -> list[ServerSentEvent]:
        """Finish the stream: a final lone CR still ends its line; an unfinished event is dropped."""
        events = self._decode_text(self._utf8.decode(b"", final=True))
        self._tail += "".join(self._pieces)
        self._pieces = []
        if self._tail.endswith("\r"):
            events += self._decode_text("\n")
        self._tail = ""
        self._data = []
        self._error = []
        self._event = ""
        return events

    def _decode_text(self, text: str) -> list[ServerSentEvent]:
        if self._at_start:
            if not text:
                return []
            self._at_start = False
            if text[0] == "\ufeff":
                text = text[1:]
        if "\n" not in text and "\r" not in text and not self._tail.endswith("\r"):
            # Still inside one line: keep the piece rather than re-joining the whole line on
            # every read, which made a long line cost the square of its length.
            if text:
                self._pieces.append(text)
            return []
        if self._pieces:
            self._tail += "".join(self._pieces)
            self._pieces = []
        if self._tail:
            text = self._tail + text
        if "\r" in text:
            # A CR at the very end may be the first half of a CRLF: wait for the next read.
            held_cr = text.endswith("\r")
            if held_cr:
                text = text[:-1]
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            lines = text.split("\n")
            self._tail = lines.pop() + ("\r" if held_cr else "")
        else:
            lines = text.split("\n")
            self._tail = lines.pop()
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            # The two lines of nearly every event are handled inline: this loop is the hot path.
            if not line:
                if data:
                    events.append(ServerSentEvent("\n".join(data), self._event or "message", self._last_id, self._retry))
                    data = self._data = []
                elif self._error:
                    events.append(ServerSentEvent("\n".join(self._error), "error", self._last_id, self._retry))
                self._error = []
                self._event = ""
            elif line[:6] == "data: ":
                data.append(line[6:])
            else:
                self._process_line(line)
        return events

    def _process_line(self, line: str) -> None:
        """Any line but a blank one (which dispatches, in `_decode_text`)."""
        if line[0] == ":":
            return
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "error":
            self._error.append(value)
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry":
            # Any length of digits is valid; past 18 of them (a reconnection time of millions of
            # years) the value is kept capped rather than handed to int()'s digit limit.
            if value.isascii() and value.isdigit():
                self._retry = int(value) if len(value) <= 18 else 10**18
