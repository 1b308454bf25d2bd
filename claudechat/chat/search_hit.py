"""A search's hit: the session, the turn that matched best, and a snippet of it."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["HIGHLIGHT_END", "HIGHLIGHT_START", "SearchHit"]

HIGHLIGHT_START = "\x02"  # around a hit in a snippet; indexed text is sanitised, so never in it
HIGHLIGHT_END = "\x03"
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SearchHit:
    session: str
    title: str | None
    turn: int
    time: float
    model: str | None
    snippet: str  # the hits between HIGHLIGHT_START and HIGHLIGHT_END

    def snippet_parts(self) -> list[tuple[str, bool]]:
        """The snippet as (text, is a hit) pieces, on one line."""
        parts: list[tuple[str, bool]] = []
        for number, piece in enumerate(self.snippet.split(HIGHLIGHT_START)):
            hit, _, rest = piece.partition(HIGHLIGHT_END) if number else ("", "", piece)
            for text, marked in ((hit, True), (rest, False)):
                if text:
                    parts.append((_WHITESPACE.sub(" ", text), marked))
        return parts

    @property
    def plain_snippet(self) -> str:
        return "".join(text for text, _ in self.snippet_parts()).strip()

    def to_dict(self) -> dict[str, object]:
        parts = self.snippet_parts()
        text, spans, offset = "", [], 0
        for piece, marked in parts:
            if marked:
                spans.append([offset, offset + len(piece)])
            text += piece
            offset += len(piece)
        stripped = len(text) - len(text.lstrip())
        return {
            "session": self.session,
            "title": self.title,
            "turn": self.turn,
            "time": self.time,
            "model": self.model,
            "snippet": text.strip(),
            "highlights": [[start - stripped, end - stripped] for start, end in spans],
        }
