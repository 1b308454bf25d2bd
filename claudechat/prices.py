"""What answers cost: the price table, overrides from the config, and the arithmetic.

Prices are US dollars per million tokens, of four kinds: input (the prompt, uncached), output
(the answer, reasoning included), cache writes and cache reads. The built-in table is
Anthropic's published API prices for the Claude models of the catalogue; a model missing from
it has no known price, and its cost is unknown: shown as unknown, never as 0.

Sums are exact (decimal arithmetic), so a total never drifts from the sum of its parts shown.
`decimal` is imported when a cost is first computed, not when this module is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decimal import Decimal

__all__ = [
    "PRICES",
    "PRICES_DATE",
    "PRICES_SOURCE",
    "PRICE_KINDS",
    "Cost",
    "CostSum",
    "Price",
    "PriceTable",
    "TokenCounts",
    "format_usd",
    "parse_price_overrides",
    "token_counts",
]

PRICES_DATE = "2026-12-07"  # when the table below was taken from its source
PRICES_SOURCE = "https://platform.claude.com/docs/en/about-claude/pricing"  # Anthropic's API prices
PRICE_KINDS = ("input", "output", "cache_write", "cache_read")


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens of each kind; None where the price is not known."""

    input: float | None = None
    output: float | None = None
    cache_write: float | None = None  # writes that live 5 minutes, the default
    cache_read: float | None = None


# Model id: (input, output, 5-minute cache write, cache read), from PRICES_SOURCE on PRICES_DATE.
# Sonnet 3.5 (both ids) is retired and no longer on that page: its row is from the same page's
# earlier version (docs.anthropic.com/en/docs/about-claude/pricing), where it was listed as
# deprecated. claude-3-sonnet-20240229 has no published cache prices and is left out. The
# -thinking ids are the service's names for the same models with reasoning on: reasoning is
# billed as output.
_TABLE: dict[str, tuple[float, float, float, float]] = {
    "claude-sonnet-4-6": (3, 15, 3.75, 0.30),
    "claude-opus-4-6": (5, 25, 6.25, 0.50),
    "claude-opus-4-5-20251101": (5, 25, 6.25, 0.50),
    "claude-haiku-4-5-20251001": (1, 5, 1.25, 0.10),
    "claude-sonnet-4-5-20250929": (3, 15, 3.75, 0.30),
    "claude-opus-4-1-20250805": (15, 75, 18.75, 1.50),
    "claude-sonnet-4-20250514": (3, 15, 3.75, 0.30),
    "claude-sonnet-4-20250514-thinking": (3, 15, 3.75, 0.30),
    "claude-opus-4-20250514": (15, 75, 18.75, 1.50),
    "claude-opus-4-20250514-thinking": (15, 75, 18.75, 1.50),
    "claude-3-7-sonnet-20250219": (3, 15, 3.75, 0.30),
    "claude-3-5-sonnet-20241022": (3, 15, 3.75, 0.30),
    "claude-3-5-haiku-20241022": (0.80, 4, 1, 0.08),
    "claude-3-5-sonnet-20240620": (3, 15, 3.75, 0.30),
    "claude-3-haiku-20240307": (0.25, 1.25, 0.30, 0.03),
    "claude-3-opus-20240229": (15, 75, 18.75, 1.50),
}
PRICES: Mapping[str, Price] = {model: Price(*row) for model, row in _TABLE.items()}

_MAX_PRICE = 1_000_000.0  # dollars per million tokens: anything above is a typo


@dataclass(frozen=True)
class TokenCounts:
    """A request's tokens by how they are priced; the four kinds never overlap."""

    input: int = 0
    output: int = 0
    cache_write: int = 0
    cache_read: int = 0


def token_counts(prompt: int, completion: int, cached: int = 0, cache_written: int = 0) -> TokenCounts:
    """Split a request's usage into the four kinds of token.

    The service counts cache reads (`cached_tokens`) and cache writes inside `prompt_tokens`,
    as OpenAI's usage does, so the uncached input is what is left of the prompt. A prompt
    smaller than its cached parts comes from a server that counts them apart (Anthropic's own
    `input_tokens` does): then the prompt is all uncached input. Either way no token is
    priced twice.
    """
    cached, cache_written = max(cached, 0), max(cache_written, 0)
    inside = cached + cache_written
    uncached = prompt - inside if prompt >= inside else prompt
    return TokenCounts(max(uncached, 0), max(completion, 0), cache_written, cached)


@dataclass(frozen=True)
class PriceTable:
    """The built-in prices with the config's `[prices."MODEL"]` tables over them."""

    overrides: tuple[tuple[str, Price], ...] = ()

    def price(self, model: str) -> Price | None:
        """The prices of `model`: the config's kinds over the built-in ones; None when neither knows it."""
        built_in = PRICES.get(model)
        for name, override in self.overrides:
            if name == model:
                base = built_in or Price()
                given = {kind: getattr(override, kind) for kind in PRICE_KINDS if getattr(override, kind) is not None}
                return replace(base, **given)
        return built_in

    def cost(self, model: str, tokens: TokenCounts | None) -> Cost:
        """What `tokens` of `model` cost; unknown without a price for a kind used, or without tokens."""
        return Cost.of(self.price(model), tokens)

    def usage_cost(self, model: str, usage: Any) -> Cost:
        """What a request cost, from the usage the server reported (an `api.Usage`, or None).

        No usage, or one that counts no token at all, says nothing of the cost: unknown.
        """
        if usage is None or not (usage.prompt_tokens or usage.completion_tokens):
            return self.cost(model, None)
        tokens = token_counts(usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens,
                              usage.cache_creation_tokens)
        return self.cost(model, tokens)


@dataclass(frozen=True)
class Cost:
    """One request's cost by kind; a kind is None when its tokens have no known price."""

    parts: Mapping[str, Decimal | None] | None  # None: the tokens themselves are unknown

    @classmethod
    def of(cls, price: Price | None, tokens: TokenCounts | None) -> Cost:
        from decimal import Decimal

        if tokens is None:
            return cls(None)
        parts: dict[str, Decimal | None] = {}
        for kind in PRICE_KINDS:
            count = getattr(tokens, kind)
            per_million = getattr(price, kind) if price is not None else None
            if count == 0:
                parts[kind] = Decimal(0)  # no tokens cost nothing, priced or not
            elif per_million is None:
                parts[kind] = None
            else:
                parts[kind] = Decimal(count) * Decimal(repr(float(per_million))) / 1_000_000
        return cls(parts)

    @property
    def total(self) -> Decimal | None:
        if self.parts is None or any(part is None for part in self.parts.values()):
            return None
        return sum(self.parts.values(), start=_zero())  # type: ignore[arg-type]

    def text(self) -> str:
        total = self.total
        return "cost unknown" if total is None else format_usd(total)

    def to_dict(self) -> dict[str, Any]:
        """For JSON: dollars as numbers, null for what is not known."""
        parts = self.parts or {}
        return {
            "usd": _number(self.total),
            **{kind: _number(parts.get(kind)) for kind in PRICE_KINDS},
        }


def _zero() -> Decimal:
    from decimal import Decimal

    return Decimal(0)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@dataclass
class CostSum:
    """A running total of costs, some of which may be unknown."""

    known: Decimal = field(default_factory=_zero)
    unknown: int = 0  # how many of the costs added were unknown

    def add(self, cost: Cost) -> None:
        total = cost.total
        if total is None:
            self.unknown += 1
        else:
            self.known += total

    def merge(self, other: CostSum) -> None:
        self.known += other.known
        self.unknown += other.unknown

    def text(self) -> str:
        """`$1.20`; `$1.20 + unknown` when some costs are not known; `cost unknown` when none is."""
        if not self.unknown:
            return format_usd(self.known)
        if self.known:
            return f"{format_usd(self.known)} + unknown"
        return "cost unknown"

    def to_dict(self) -> dict[str, Any]:
        """`usd` is the whole sum, null unless every cost is known; `known_usd` what is known of it."""
        return {
            "usd": None if self.unknown else float(self.known),
            "known_usd": float(self.known),
            "unknown_requests": self.unknown,
        }


def format_usd(amount: Decimal | float) -> str:
    """Dollars as people read them: cents from $1 up, four decimals below, `<$0.0001` for crumbs."""
    from decimal import ROUND_HALF_UP, Decimal

    value = amount if isinstance(amount, Decimal) else Decimal(repr(float(amount)))
    if not value:
        return "$0.00"
    shown = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if shown >= 1:
        return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"
    if not shown:
        return "<$0.0001"
    return f"${shown}"


# --- the config's [prices."MODEL"] tables ---------------------------------------------------------


def parse_price_overrides(table: Any) -> tuple[tuple[tuple[str, Price], ...], list[str]]:
    """The config file's `prices` value as overrides, and one warning per value left out.

    A bad value is left out with a warning naming its key (`prices."m".input`); the rest of
    the table still applies.
    """
    from claudechat.sanitize import one_line

    if not isinstance(table, dict):
        return (), ['prices must be a table of [prices."MODEL"] tables; it is ignored']
    overrides: list[tuple[str, Price]] = []
    warnings: list[str] = []
    for model, kinds in table.items():
        name = f'prices."{one_line(model, 80)}"'
        if not isinstance(kinds, dict):
            warnings.append(f"{name} must be a table of prices per million tokens ({', '.join(PRICE_KINDS)}); it is ignored")
            continue
        values: dict[str, float] = {}
        for kind, value in kinds.items():
            key = f"{name}.{one_line(kind, 40)}"
            if kind not in PRICE_KINDS:
                warnings.append(f"{key} is not a price; the kinds are {', '.join(PRICE_KINDS)}; it is ignored")
            elif not _valid_price(value):
                shown = one_line(repr(value), 40)
                warnings.append(f"{key} must be US dollars per million tokens, from 0 to {_MAX_PRICE:,.0f}, "
                                f"got {shown}; it is ignored")
            else:
                values[kind] = float(value)
        if values:
            overrides.append((str(model), Price(**values)))
    return tuple(overrides), warnings


def _valid_price(value: Any) -> bool:
    import math

    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and 0 <= value <= _MAX_PRICE)

