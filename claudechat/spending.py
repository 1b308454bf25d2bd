"""What sessions spent: requests, tokens and cost per model, for `/usage` and `claudechat usage`.

Each session records the tokens of every request it made (`UsageEntry`), kept even when the
answer was later undone or retried: those requests were paid for too. Here they are summed
per model and costed with the price table; a request whose tokens the server never reported
(one stopped before the usage came) has an unknown cost, not a zero one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from claudechat.prices import CostSum, PriceTable, TokenCounts, token_counts
from claudechat.sanitize import one_line

if TYPE_CHECKING:
    from pathlib import Path

    from claudechat.chat.session import UsageEntry
    from claudechat.chat.store import SessionStore

__all__ = ["ModelUsage", "SavedUsage", "entry_tokens", "read_saved_usage", "usage_by_model", "usage_table"]


def entry_tokens(entry: UsageEntry) -> TokenCounts | None:
    """The entry's tokens by kind; None when the server never said (no request is 0 tokens)."""
    if not entry.prompt_tokens and not entry.completion_tokens:
        return None
    return token_counts(entry.prompt_tokens, entry.completion_tokens, entry.cached_tokens, entry.cache_creation_tokens)


@dataclass
class ModelUsage:
    """One model's requests, tokens (as the server counted them) and their cost."""

    model: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_creation_tokens: int = 0
    cost: CostSum = field(default_factory=CostSum)

    def add(self, entry: UsageEntry, prices: PriceTable) -> None:
        self.requests += 1
        self.prompt_tokens += entry.prompt_tokens
        self.completion_tokens += entry.completion_tokens
        self.cached_tokens += entry.cached_tokens
        self.cache_creation_tokens += entry.cache_creation_tokens
        self.cost.add(prices.cost(entry.model, entry_tokens(entry)))

    def merge(self, other: ModelUsage) -> None:
        self.requests += other.requests
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_tokens += other.cached_tokens
        self.cache_creation_tokens += other.cache_creation_tokens
        self.cost.merge(other.cost)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "requests": self.requests,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "cache_creation_tokens": self.cache_creation_tokens,
            "cost": self.cost.to_dict(),
        }


def usage_by_model(entries: Iterable[UsageEntry], prices: PriceTable) -> list[ModelUsage]:
    """One row per model, in the order each was first used."""
    rows: dict[str, ModelUsage] = {}
    for entry in entries:
        row = rows.get(entry.model)
        if row is None:
            row = rows[entry.model] = ModelUsage(entry.model)
        row.add(entry, prices)
    return list(rows.values())


def total(rows: Iterable[ModelUsage]) -> ModelUsage:
    whole = ModelUsage("total")
    for row in rows:
        whole.merge(row)
    return whole


_HEADER = ("model", "requests", "prompt", "completion", "cached", "cache-write", "cost")
_GAP = "  "
MODEL_ROOM = 12  # the narrowest the model column gets on a narrow terminal


def usage_table(rows: list[ModelUsage], *, width: int | None = None) -> str:
    """A plain table: a header, a row per model, and a total row when there are several.

    Given a `width` (a terminal's), long model ids are shortened with `…` so that rows fit,
    down to MODEL_ROOM cells; the numbers are never cut.
    """
    from claudechat.textwidth import cell_width, crop

    shown = list(rows) + ([total(rows)] if len(rows) > 1 else [])
    cells = [_HEADER] + [
        (one_line(row.model, 200), f"{row.requests:,}", f"{row.prompt_tokens:,}", f"{row.completion_tokens:,}",
         f"{row.cached_tokens:,}", f"{row.cache_creation_tokens:,}", row.cost.text())
        for row in shown
    ]
    widths = [max(cell_width(line[i]) for line in cells) for i in range(len(_HEADER))]
    if width is not None:
        rest = sum(widths[1:]) + len(_GAP) * (len(_HEADER) - 1)
        widths[0] = min(widths[0], max(MODEL_ROOM, width - rest))
    last = len(_HEADER) - 1

    def cell(i: int, text: str) -> str:
        if i == 0:
            text = crop(text, widths[0])
            return text + " " * (widths[0] - cell_width(text))
        return text if i == last else text.rjust(widths[i])

    return "\n".join(_GAP.join(cell(i, text) for i, text in enumerate(line)).rstrip() for line in cells)


# --- every saved session -----------------------------------------------------------------------


@dataclass
class SavedUsage:
    """The usage entries of the saved sessions, and which files could not be read."""

    entries: list[UsageEntry] = field(default_factory=list)
    sessions: int = 0  # session files read
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, why) of those that could not be


def read_saved_usage(store: SessionStore, since: float | None = None) -> SavedUsage:
    """The entries of every session in `store` made at or after `since` (a time, all if None).

    A file that cannot be read (damaged, foreign, newer) is skipped and listed, never fatal.
    """
    from claudechat.chat.session import SessionError
    from claudechat.chat.store import read_session_file

    saved = SavedUsage()
    for path in store.paths():
        try:
            session = read_session_file(path)
        except SessionError as err:
            saved.skipped.append((path, err.message))
            continue
        saved.sessions += 1
        saved.entries += [entry for entry in session.usage if since is None or entry.time >= since]
    saved.entries.sort(key=lambda entry: entry.time)
    return saved
