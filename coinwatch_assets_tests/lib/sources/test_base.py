"""Shared helpers: timeframes, windows, market selection, retries, validation, factory."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import ccxt
import pandas as pd
import pytest

from coinwatch_assets.lib.quality.timeframes import timeframe_ms
from coinwatch_assets.lib.sources.base import Window, select_markets
from coinwatch_assets.lib.sources.errors import SourceUnavailable, UnknownSymbol
from coinwatch_assets.lib.sources.factory import build_source, parse_ccxt_config, source_from_env
from coinwatch_assets.lib.sources.retry import RetryPolicy, call_with_retry, parse_retry_after
from coinwatch_assets.lib.sources.sample import SampleSource
from coinwatch_assets.lib.sources.validate import row_problem

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)


def test_timeframe_ms():
    assert timeframe_ms("1m") == 60_000 and timeframe_ms("4h") == 14_400_000
    assert timeframe_ms("1w") == 604_800_000 and timeframe_ms("1s") == 1_000
    for bad in ("1M", "m", "0m", "5 m", "", "4m", "60s"):
        with pytest.raises(ValueError):
            timeframe_ms(bad)


def test_window_stops_before_the_open_candle():
    end = datetime(2024, 1, 2, tzinfo=UTC)
    now = datetime(2024, 1, 1, 10, 0, 30, tzinfo=UTC)
    window = Window.of(T0, end, now, 60_000)
    # the 09:59 candle closed at 10:00 <= now; the 10:00 one is still open
    assert window.stop == T0_MS + 600 * 60_000 - 60_000 + 30_000 + 1
    assert (window.stop - 1) // 60_000 * 60_000 == T0_MS + 599 * 60_000
    at_end = Window.of(T0, end, end, 60_000)  # the 23:59 candle closed exactly at `end`
    assert (at_end.stop - 1) // 60_000 * 60_000 == int(end.timestamp() * 1000) - 60_000
    assert Window.of(T0, T0, now, 60_000).empty


def test_select_markets_orders_unknown_volumes_last():
    frame = pd.DataFrame(
        [
            ["x", "A/USDT", "A", "USDT", True, math.nan],
            ["x", "B/USDT", "B", "USDT", True, 5.0],
            ["x", "C/EUR", "C", "EUR", True, 9.0],
            ["x", "D/USDT", "D", "USDT", False, 99.0],
        ],
        columns=["exchange", "symbol", "base", "quote", "active", "quote_volume_24h"],
    )
    assert list(select_markets(frame, exchange="x")["symbol"]) == ["B/USDT", "A/USDT"]
    assert list(select_markets(frame, exchange="x", quote=None, top_n=2)["symbol"]) == [
        "C/EUR",
        "B/USDT",
    ]
    assert select_markets(frame.iloc[:0], exchange="x").empty
    with pytest.raises(UnknownSymbol, match="x: not active spot markets: D/USDT"):
        select_markets(frame, exchange="x", symbols=["D/USDT"])
    with pytest.raises(ValueError):
        select_markets(frame, exchange="x", top_n=-1)


def test_retry_policy_backs_off_with_jitter_and_caps():
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, jitter=0.5, rng=random.Random(7))
    delays = [policy.delay(n) for n in range(1, 7)]
    for n, delay in enumerate(delays, start=1):
        assert min(10.0, 2 ** (n - 1)) <= delay <= min(10.0, 1.5 * 2 ** (n - 1))
    assert policy.delay(1, retry_after=4.0) >= 4.0
    assert policy.delay(1, retry_after=400.0) == 10.0
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_parse_retry_after():
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.5"}) == 0.5
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert parse_retry_after(None) is None and parse_retry_after({}) is None


def test_call_with_retry_gives_up_after_max_attempts():
    calls, waits = [], []

    def flaky():
        calls.append(1)
        raise ccxt.RequestTimeout("slow")

    with pytest.raises(SourceUnavailable, match="gave up"):
        call_with_retry(
            flaky,
            policy=RetryPolicy(max_attempts=4, base_delay=0.01),
            is_transient=lambda e: isinstance(e, ccxt.NetworkError),
            retry_after=lambda: None,
            give_up=lambda e, n: SourceUnavailable(f"gave up after {n}", exchange="x"),
            sleep=waits.append,
        )
    assert len(calls) == 4 and len(waits) == 3 and waits == sorted(waits)


@pytest.mark.parametrize(
    "row, problem",
    [
        ([T0_MS, 1.0, 2.0, 0.5, 1.5, 10.0], None),
        ([T0_MS, 1, 2, 0, 1, 0], None),
        ([T0_MS, 1.0, 2.0, 0.5, 1.5], "expected 6 fields"),
        ([None, 1.0, 2.0, 0.5, 1.5, 10.0], "not an integer"),
        ([float(T0_MS), 1.0, 2.0, 0.5, 1.5, 10.0], "not an integer"),
        ([T0_MS + 1, 1.0, 2.0, 0.5, 1.5, 10.0], "not on the 60000 ms grid"),
        ([T0_MS, 1.0, None, 0.5, 1.5, 10.0], "high None is not a number"),
        ([T0_MS, 1.0, 2.0, 0.5, math.nan, 10.0], "close is nan"),
        ([T0_MS, 1.0, 2.0, 0.5, 1.5, math.inf], "volume is inf"),
        ([T0_MS, "1", 2.0, 0.5, 1.5, 10.0], "open '1' is not a number"),
    ],
)
def test_row_problem(row, problem):
    found = row_problem(row, 60_000)
    assert found is None if problem is None else problem in found


def test_factory():
    assert isinstance(source_from_env({"COINWATCH_SOURCE": "sample"}), SampleSource)
    assert source_from_env({"COINWATCH_EXCHANGE": "kraken"}).exchange_id == "kraken"
    assert parse_ccxt_config(" ") == {} and parse_ccxt_config('{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_ccxt_config("{nope")
    with pytest.raises(ValueError, match="must be a JSON object"):
        parse_ccxt_config("[1]")
    with pytest.raises(ValueError, match="COINWATCH_SOURCE must be one of"):
        build_source("csv")
