"""`claudechat usage [--since DATE] [--output json]`: what all saved sessions spent, per model.

The table goes to standard output, plain text whether it is a terminal or a pipe; the line
saying how many sessions were read ends it. A session file that cannot be read is skipped
with one warning line on standard error, and the rest are still summed.
"""

from __future__ import annotations

import shutil
import sys
import time

from claudechat.errors import UsageError
from claudechat.sanitize import json_line, one_line
from claudechat.subcommands import _out, _parse, _parser, _warn

__all__ = ["parse_since", "usage_main", "usage_parser"]

_MAX_DAYS = 100_000


def parse_since(text: str, now: float | None = None) -> float:
    """The time DATE names: an ISO date (`2026-11-01`, from its local midnight) or `7d` (7 days ago)."""
    from datetime import date, datetime

    value = text.strip()
    if value[-1:].lower() == "d" and value[:-1].isdigit():
        days = int(value[:-1])
        if days > _MAX_DAYS:
            raise UsageError(f"usage: --since {one_line(value, 40)} goes back further than any session",
                             hint=f"give at most {_MAX_DAYS:,}d, or a date")
        return (time.time() if now is None else now) - days * 86_400
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"usage: --since takes a date like 2026-11-01 or a number of days like 7d, "
                         f"got {one_line(text, 40)!r}") from None
    return datetime(day.year, day.month, day.day).timestamp()


def usage_parser():  # type: ignore[no-untyped-def]
    parser = _parser(
        "claudechat usage",
        "Requests, tokens and cost of all saved chat sessions, per model and in total. "
        "Costs use the built-in price table and the config file's [prices.\"MODEL\"] tables; "
        "a model without a known price shows its cost as unknown.",
    )
    parser.add_argument("--since", metavar="DATE",
                        help="only requests made since DATE: 2026-11-01, or 7d for the last 7 days")
    parser.add_argument("--output", choices=("text", "json"), default="text", help="output format (default: text)")
    return parser


def _sessions_text(count: int) -> str:
    return f"{count:,} session{'s' if count != 1 else ''}"


def usage_main(argv: list[str]) -> int:
    """Sum the usage of every saved session; returns the exit code."""
    from claudechat.chat import SessionStore
    from claudechat.config import load_settings_with_warnings
    from claudechat.paths import message_path
    from claudechat.prices import PRICES_DATE, PRICES_SOURCE
    from claudechat.spending import read_saved_usage, total, usage_by_model, usage_table

    args = _parse(usage_parser(), argv)
    if isinstance(args, int):
        return args
    since = parse_since(args.since) if args.since is not None else None
    settings, warnings = load_settings_with_warnings()
    for warning in warnings:
        _warn(warning)
    saved = read_saved_usage(SessionStore(), since)
    for path, why in saved.skipped:
        _warn(f"skipped {message_path(path)}: {one_line(why, 500)}")
    rows = usage_by_model(saved.entries, settings.price_table())
    if args.output == "json":
        _out(json_line({
            "sessions": saved.sessions,
            "skipped": [{"path": str(path), "error": why} for path, why in saved.skipped],
            "since": since,
            "models": [row.to_dict() for row in rows],
            "total": total(rows).to_dict(),
            "prices": {"date": PRICES_DATE, "source": PRICES_SOURCE},
        }, ascii_only=sys.stdout.isatty()))
        return 0
    read = f"{_sessions_text(saved.sessions)} read"
    if saved.skipped:
        read += f", {len(saved.skipped):,} unreadable skipped"
    when = f" since {time.strftime('%Y-%m-%d %H:%M', time.localtime(since))}" if since is not None else ""
    if rows:
        # A terminal gets rows that fit it; a pipe gets them whole, for whatever reads them.
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
        _out(usage_table(rows, width=width))
        _out(f"{read}; requests{when}" if when else read)
    else:
        _out(f"no requests{when}; {read}")
    return 0
