"""Prices and cost arithmetic, in-process: the table, each kind of token, unknown prices,
overrides from the config, sums and rounding."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

import pytest

from claudechat.api import Usage
from claudechat.chat import Session, SessionSettings, SessionStore, UsageEntry
from claudechat.config import load_config
from claudechat.errors import UsageError
from claudechat.models import MODELS
from claudechat.prices import (
    PRICES,
    PRICES_DATE,
    PRICES_SOURCE,
    Cost,
    CostSum,
    Price,
    PriceTable,
    TokenCounts,
    format_usd,
    parse_price_overrides,
    token_counts,
)
from claudechat.spending import entry_tokens, read_saved_usage, total, usage_by_model, usage_table
from claudechat.usage_command import parse_since

SONNET = "claude-sonnet-4-6"


# --- the table ------------------------------------------------------------------------------------


def test_the_table_is_dated_names_its_source_and_prices_the_catalogue():
    assert time.strptime(PRICES_DATE, "%Y-%m-%d")
    assert PRICES_SOURCE.startswith("https://platform.claude.com/")
    # Only the model with no published cache prices is left out.
    assert {model.id for model in MODELS} - set(PRICES) == {"claude-3-sonnet-20240229"}
    assert set(PRICES) <= {model.id for model in MODELS}


@pytest.mark.parametrize("model", sorted(set(PRICES) - {"claude-3-haiku-20240307"}))
def test_cache_prices_follow_the_published_multipliers(model):
    # Anthropic prices a 5-minute cache write at 1.25 times the input, a cache read at a tenth:
    # a row that does not is a typo. (Haiku 3's published cache prices are rounded: $0.30, $0.03.)
    price = PRICES[model]
    assert price.output > price.input > 0
    assert Decimal(repr(price.cache_write)) == Decimal(repr(price.input)) * Decimal("1.25")
    assert Decimal(repr(price.cache_read)) == Decimal(repr(price.input)) / 10


def test_a_thinking_id_costs_what_its_model_costs():
    assert PRICES["claude-sonnet-4-20250514-thinking"] == PRICES["claude-sonnet-4-20250514"]
    assert PRICES["claude-opus-4-20250514-thinking"] == PRICES["claude-opus-4-20250514"]


# --- tokens by kind -------------------------------------------------------------------------------


def test_cached_and_written_tokens_are_taken_out_of_the_prompt():
    assert token_counts(1200, 34, 200, 100) == TokenCounts(input=900, output=34, cache_write=100, cache_read=200)


def test_a_prompt_smaller_than_its_cached_parts_is_counted_apart_from_them():
    # Anthropic's own input_tokens leaves the cache out: nothing is priced twice either way.
    assert token_counts(50, 10, 300, 100) == TokenCounts(input=50, output=10, cache_write=100, cache_read=300)
    assert token_counts(400, 10, 300, 100) == TokenCounts(input=0, output=10, cache_write=100, cache_read=300)


def test_negative_counts_are_never_priced():
    assert token_counts(-5, -1, -3, -2) == TokenCounts(0, 0, 0, 0)


# --- each kind at its price -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "dollars"),
    [
        (TokenCounts(input=1_000_000), Decimal("3")),
        (TokenCounts(output=1_000_000), Decimal("15")),
        (TokenCounts(cache_write=1_000_000), Decimal("3.75")),
        (TokenCounts(cache_read=1_000_000), Decimal("0.3")),
        (TokenCounts(input=900, output=34, cache_write=100, cache_read=200), Decimal("0.003645")),
    ],
)
def test_each_kind_is_priced_at_its_own_price(tokens, dollars):
    assert PriceTable().cost(SONNET, tokens).total == dollars


def test_the_parts_of_a_cost_are_given_by_kind():
    cost = PriceTable().cost(SONNET, TokenCounts(input=900, output=34, cache_write=100, cache_read=200))
    assert cost.to_dict() == {"usd": 0.003645, "input": 0.0027, "output": 0.00051, "cache_write": 0.000375,
                              "cache_read": 0.00006}
    assert cost.text() == "$0.0036"


def test_usage_from_the_server_is_priced_with_its_cache_fields():
    usage = Usage.from_dict({"prompt_tokens": 1200, "completion_tokens": 34, "total_tokens": 1234,
                             "prompt_tokens_details": {"cached_tokens": 200},
                             "claude_cache_creation_5_m_tokens": 60, "claude_cache_creation_1_h_tokens": 40})
    assert PriceTable().usage_cost(SONNET, usage).total == Decimal("0.003645")


# --- unknown --------------------------------------------------------------------------------------


def test_a_model_without_a_price_costs_unknown_never_zero():
    cost = PriceTable().cost("local-llama", TokenCounts(input=10, output=5))
    assert cost.total is None
    assert cost.text() == "cost unknown"
    assert cost.to_dict() == {"usd": None, "input": None, "output": None, "cache_write": 0.0, "cache_read": 0.0}


@pytest.mark.parametrize("usage", [None, Usage(), Usage(total_tokens=3)])
def test_a_request_whose_tokens_were_never_reported_costs_unknown(usage):
    cost = PriceTable().usage_cost(SONNET, usage)
    assert cost.total is None and cost.text() == "cost unknown"
    assert cost.to_dict() == {"usd": None, "input": None, "output": None, "cache_write": None, "cache_read": None}


def test_a_price_missing_one_kind_is_unknown_only_when_that_kind_is_used():
    table = PriceTable((("my-model", Price(input=1, output=2)),))
    assert table.cost("my-model", TokenCounts(input=1_000_000, output=1_000_000)).total == Decimal(3)
    partial = table.cost("my-model", TokenCounts(input=1_000_000, cache_read=5))
    assert partial.total is None
    assert partial.to_dict()["input"] == 1.0 and partial.to_dict()["cache_read"] is None


def test_an_entry_of_no_tokens_at_all_is_unknown_not_free():
    assert entry_tokens(UsageEntry(SONNET, 0, 0, 0)) is None
    assert entry_tokens(UsageEntry(SONNET, 0, 7)) == TokenCounts(output=7)
    assert entry_tokens(UsageEntry(SONNET, 9, 0, 3, cache_creation_tokens=2)) == TokenCounts(4, 0, 2, 3)


# --- overrides ------------------------------------------------------------------------------------


def test_an_override_replaces_the_kinds_it_gives_and_keeps_the_others():
    table = PriceTable(((SONNET, Price(input=30)),))
    assert table.price(SONNET) == Price(input=30, output=15, cache_write=3.75, cache_read=0.30)
    assert table.price("claude-opus-4-6") == PRICES["claude-opus-4-6"]
    assert table.cost(SONNET, TokenCounts(input=1_000_000)).total == Decimal(30)


def test_an_override_adds_a_model_the_table_lacks():
    table = PriceTable((("llama3", Price(input=0, output=0)),))
    assert table.cost("llama3", TokenCounts(input=10, output=10)).text() == "$0.00"
    assert PriceTable().price("llama3") is None


def test_config_price_tables_are_read_and_bad_values_warned_about_by_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[prices."claude-sonnet-4-6"]\ninput = 2.5\noutput = "cheap"\n'
        '[prices."llama3"]\ninput = 0\noutput = 0.5\ncache_reads = 1\n',
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    loaded = load_config({}, path)
    assert dict(loaded.settings.prices) == {SONNET: Price(input=2.5), "llama3": Price(input=0, output=0.5)}
    assert loaded.settings.price_table().price(SONNET).output == 15  # the bad value left the built-in one
    assert len(loaded.warnings) == 2
    bad_output, unknown_kind = loaded.warnings
    assert f'{path}: prices."claude-sonnet-4-6".output must be US dollars per million tokens' in bad_output
    assert "got 'cheap'" in bad_output
    assert 'prices."llama3".cache_reads is not a price' in unknown_kind


@pytest.mark.parametrize("value", [-1, True, float("inf"), float("nan"), 2_000_000, [1], "3"])
def test_a_price_that_cannot_be_one_is_left_out_with_a_warning(value):
    overrides, warnings = parse_price_overrides({"m": {"input": value, "output": 1}})
    assert overrides == (("m", Price(output=1)),)
    [warning] = warnings
    assert warning.startswith('prices."m".input must be US dollars per million tokens, from 0 to 1,000,000, got ')


def test_prices_that_are_not_tables_are_ignored_with_a_warning():
    assert parse_price_overrides(3) == ((), ['prices must be a table of [prices."MODEL"] tables; it is ignored'])
    overrides, [warning] = parse_price_overrides({"m": 3, "n": {"input": 1}})
    assert overrides == (("n", Price(input=1)),)
    assert warning.startswith('prices."m" must be a table of prices per million tokens')


def test_a_model_table_with_nothing_valid_adds_nothing():
    overrides, warnings = parse_price_overrides({"m": {"input": "x"}, "n": {}})
    assert overrides == () and len(warnings) == 1


def test_a_bound_price_is_accepted():
    assert parse_price_overrides({"m": {"input": 0, "output": 1_000_000}}) == (
        (("m", Price(input=0.0, output=1_000_000.0)),), [])


# --- sums and rounding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal(0), "$0.00"),
        (Decimal("0.00004"), "<$0.0001"),
        (Decimal("0.00005"), "$0.0001"),  # half up
        (Decimal("0.0123"), "$0.0123"),
        (Decimal("0.01235"), "$0.0124"),
        (Decimal("0.99994"), "$0.9999"),
        (Decimal("0.99995"), "$1.00"),  # rounds to a dollar: shown as one
        (Decimal(1), "$1.00"),
        (Decimal("1.005"), "$1.01"),
        (Decimal("1234.5"), "$1,234.50"),
        (0.0123, "$0.0123"),
    ],
)
def test_dollars_are_rounded_as_people_read_them(amount, shown):
    assert format_usd(amount) == shown


def test_a_sum_says_when_part_of_it_is_unknown():
    known = Cost.of(PRICES[SONNET], TokenCounts(output=80_000))  # $1.20
    unknown = Cost.of(None, TokenCounts(input=1))
    whole = CostSum()
    assert whole.text() == "$0.00" and whole.to_dict() == {"usd": 0.0, "known_usd": 0.0, "unknown_requests": 0}
    whole.add(known)
    assert whole.text() == "$1.20"
    whole.add(unknown)
    assert whole.text() == "$1.20 + unknown"
    assert whole.to_dict() == {"usd": None, "known_usd": 1.2, "unknown_requests": 1}
    only_unknown = CostSum()
    only_unknown.add(unknown)
    assert only_unknown.text() == "cost unknown"
    only_unknown.merge(whole)
    assert (only_unknown.known, only_unknown.unknown) == (Decimal("1.2"), 2)


def test_sums_are_exact():
    whole = CostSum()
    for _ in range(3):
        whole.add(Cost.of(Price(input=0.1), TokenCounts(input=1_000_000)))
    assert whole.known == Decimal("0.3")


def test_usage_per_model_in_order_of_first_use_with_a_total():
    entries = [
        UsageEntry("b-model", 10, 5),
        UsageEntry(SONNET, 1000, 100, 200, cache_creation_tokens=100),
        UsageEntry("b-model", 20, 5),
        UsageEntry(SONNET, 0, 0),  # stopped before the usage came
    ]
    rows = usage_by_model(entries, PriceTable())
    assert [row.model for row in rows] == ["b-model", SONNET]
    sonnet = rows[1].to_dict()
    assert sonnet == {
        "model": SONNET, "requests": 2, "prompt_tokens": 1000, "completion_tokens": 100, "cached_tokens": 200,
        "cache_creation_tokens": 100,
        # 700 x $3 + 100 x $15 + 100 x $3.75 + 200 x $0.30 a million
        "cost": {"usd": None, "known_usd": 0.004035, "unknown_requests": 1},
    }
    whole = total(rows)
    assert (whole.requests, whole.prompt_tokens, whole.cost.unknown) == (4, 1030, 3)
    lines = usage_table(rows).splitlines()
    assert lines[0].split() == ["model", "requests", "prompt", "completion", "cached", "cache-write", "cost"]
    assert lines[-1].split() == ["total", "4", "1,030", "110", "200", "100", "$0.0040", "+", "unknown"]
    assert len(lines) == 4
    assert len(usage_table(rows[:1]).splitlines()) == 2  # one model: no total row


# --- every saved session --------------------------------------------------------------------------


def _saved(store: SessionStore, *entries: UsageEntry) -> Path:
    session = Session(SessionSettings(model=SONNET))
    for entry in entries:
        session.record_usage(entry)
    saved = store.create(session)
    saved.save(session)
    saved.close()
    return saved.path


def test_saved_usage_reads_every_session_skips_a_damaged_one_and_filters_by_time(tmp_path):
    store = SessionStore(tmp_path)
    _saved(store, UsageEntry(SONNET, 10, 5, time=1_000), UsageEntry(SONNET, 20, 5, time=3_000))
    _saved(store, UsageEntry("other", 1, 1, time=2_000))
    (tmp_path / "broken.jsonl").write_text("not json\n", encoding="utf-8")
    saved = read_saved_usage(store)
    assert saved.sessions == 2
    assert [(path.name, "not a claudechat session" in why) for path, why in saved.skipped] == [("broken.jsonl", True)]
    assert [entry.time for entry in saved.entries] == [1_000, 2_000, 3_000]  # oldest first
    assert [entry.time for entry in read_saved_usage(store, since=2_000).entries] == [2_000, 3_000]


def test_store_paths_are_the_most_recently_used_first(tmp_path):
    store = SessionStore(tmp_path)
    first = _saved(store, UsageEntry(SONNET, 1, 1))
    second = _saved(store, UsageEntry(SONNET, 1, 1))
    os.utime(first, (5_000, 5_000))
    os.utime(second, (4_000, 4_000))
    assert store.paths() == [first, second]
    assert SessionStore(tmp_path / "none").paths() == []


def test_since_takes_a_date_or_a_number_of_days():
    assert parse_since("7d", now=1_000_000) == 1_000_000 - 7 * 86_400
    assert parse_since("30D", now=3_000_000) == 3_000_000 - 30 * 86_400
    assert parse_since("2026-11-01") == time.mktime((2026, 11, 1, 0, 0, 0, 0, 0, -1))
    assert parse_since("0d", now=5.0) == 5.0


@pytest.mark.parametrize("text", ["", "d", "-7d", "7x", "2026-13-01", "yesterday", "7.5d", "100001d"])
def test_since_refuses_what_is_not_a_date_in_one_line(text):
    with pytest.raises(UsageError) as caught:
        parse_since(text, now=1_000_000)
    assert "\n" not in str(caught.value)
    assert "--since" in str(caught.value)


# --- the usage fields behind the prices -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "written"),
    [
        ({"claude_cache_creation_5_m_tokens": 60, "claude_cache_creation_1_h_tokens": 40}, 100),
        ({"claude_cache_creation_input_tokens": 70}, 70),
        ({"claude_cache_creation_input_tokens": 150, "claude_cache_creation_5_m_tokens": 100}, 150),
        ({"claude_cache_creation_input_tokens": 30, "claude_cache_creation_1_h_tokens": 50}, 50),
        ({"claude_cache_creation_input_tokens": "70", "claude_cache_creation_5_m_tokens": None}, 0),
    ],
)
def test_cache_writes_are_read_split_or_whole_and_never_counted_twice(fields, written):
    usage = Usage.from_dict({"prompt_tokens": 500, "completion_tokens": 8, **fields})
    assert usage.cache_creation_tokens == written
    assert (usage.prompt_tokens, usage.total_tokens) == (500, 508)


def test_a_session_keeps_the_cache_writes_of_each_request(tmp_path):
    from claudechat.api import ChatResult
    from claudechat.chat import read_session_file

    session = Session(SessionSettings(model=SONNET))
    usage = Usage(prompt_tokens=500, completion_tokens=8, cached_tokens=200, cache_creation_tokens=100)
    session.record_result(ChatResult(usage=usage), SONNET)
    session.record_result(ChatResult(interrupted=True), SONNET)
    assert [(entry.cached_tokens, entry.cache_creation_tokens) for entry in session.usage] == [(200, 100), (0, 0)]
    assert session.pending[0]["cache_creation_tokens"] == 100
    store = SessionStore(tmp_path)
    saved = store.create(session)
    saved.save(session)
    saved.close()
    back = read_session_file(saved.path)
    assert [(entry.prompt_tokens, entry.cache_creation_tokens) for entry in back.usage] == [(500, 100), (0, 0)]


def test_a_usage_record_written_before_cache_writes_were_kept_reads_as_none_written(tmp_path):
    from claudechat.chat import read_session_file

    path = tmp_path / "old.jsonl"
    path.write_text(
        '{"format":"claudechat-session","version":1,"id":"old","created":1.0,"title":null,'
        '"settings":{"model":"claude-sonnet-4-6"}}\n'
        '{"op":"usage","model":"claude-sonnet-4-6","prompt_tokens":9,"completion_tokens":3,"cached_tokens":2,'
        '"time":2.0}\n',
        encoding="utf-8",
    )
    [entry] = read_session_file(path).usage
    assert entry == UsageEntry(SONNET, 9, 3, 2, time=2.0, cache_creation_tokens=0)


def test_a_table_for_a_narrow_terminal_shortens_model_ids_never_the_figures():
    entries = [UsageEntry("a-model-with-a-rather-long-identifier-from-some-server", 10, 5), UsageEntry(SONNET, 10, 5)]
    rows = usage_by_model(entries, PriceTable())
    whole = usage_table(rows).splitlines()
    assert whole[1].startswith("a-model-with-a-rather-long-identifier-from-some-server  ")
    narrow = usage_table(rows, width=90).splitlines()
    assert all(len(line) <= 90 for line in narrow), narrow
    assert narrow[1].split()[0].endswith("…")
    assert [line.split()[1:] for line in narrow] == [line.split()[1:] for line in whole]
    tiny = usage_table(rows, width=20).splitlines()
    assert tiny[1].split()[0] == "a-model-with"[:11] + "…"  # MODEL_ROOM cells, whatever the width
    assert [line.split()[1:] for line in tiny] == [line.split()[1:] for line in whole]
