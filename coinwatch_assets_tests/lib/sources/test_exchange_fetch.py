"""ExchangeSource.fetch_ohlcv with the real ccxt binance client against the emulator."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.lib.ohlcv_frame import OHLCV_COLUMNS, empty_ohlcv
from coinwatch_assets.lib.sources.errors import (
    BadMarketData,
    SourceUnavailable,
    UnknownSymbol,
    UnsupportedTimeframe,
)
from coinwatch_assets_tests.emulators import binance_wire as wire
from coinwatch_assets_tests.lib.sources.conftest import FULL_DAY, FULL_DAY_MS, SYMBOL, day_of

KLINES = "/api/v3/klines"
NEXT_DAY = FULL_DAY + timedelta(days=1)


def as_array(frame: pd.DataFrame) -> np.ndarray:
    ts = frame["ts"].astype("int64").to_numpy() // 1000  # us -> ms
    return np.column_stack([ts, frame[["open", "high", "low", "close", "volume"]].to_numpy()])


@pytest.mark.parametrize("page_limit, pages", [(100, 15), (None, 2)])
def test_a_full_day_arrives_complete_over_several_pages(
    emulator, make_source, unittest_btc_1m, page_limit, pages
):
    source = make_source(page_limit=page_limit)
    frame = source.fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)

    assert list(frame.columns) == OHLCV_COLUMNS
    assert len(frame) == 1440
    np.testing.assert_array_equal(as_array(frame), day_of(unittest_btc_1m, FULL_DAY_MS))
    assert set(frame["exchange"]) == {"binance"} and set(frame["symbol"]) == {SYMBOL}
    assert str(frame["ts"].dtype) == "datetime64[us, UTC]"
    assert emulator.request_counts[KLINES] == pages
    # every page asks for an explicit limit and is bounded by the window's end
    for path, query in emulator.requests:
        if path == KLINES:
            assert query["limit"] == str(page_limit or 1000)
            assert int(query["endTime"]) == FULL_DAY_MS + 86_400_000 - 1


def test_a_day_with_real_holes_equals_the_source_data(emulator, make_source, unittest_btc_1m):
    day = FULL_DAY - timedelta(days=7)  # 2017-11-05: 1,196 candles, real no-trade minutes
    frame = make_source(page_limit=200).fetch_ohlcv(SYMBOL, "1m", day, day + timedelta(days=1))
    expected = day_of(unittest_btc_1m, int(day.timestamp() * 1000))
    assert len(expected) < 1440
    np.testing.assert_array_equal(as_array(frame), expected)
    assert frame["ts"].is_monotonic_increasing and frame["ts"].is_unique


def test_the_fetch_stops_at_end(emulator, make_source):
    end = FULL_DAY + timedelta(hours=6)
    frame = make_source(page_limit=100).fetch_ohlcv(SYMBOL, "1m", FULL_DAY, end)
    assert len(frame) == 360
    assert frame["ts"].max() == pd.Timestamp(end) - pd.Timedelta(minutes=1)
    assert emulator.request_counts[KLINES] == 4


def test_a_candle_still_open_is_not_returned(emulator, make_source):
    now = FULL_DAY + timedelta(hours=12, seconds=30)
    emulator.now_ms = int(now.timestamp() * 1000)
    source = make_source()
    # the emulator serves the open 12:00 candle, as Binance does ...
    served = source.client.fetch_ohlcv(SYMBOL, "1m", FULL_DAY_MS + 719 * 60_000, 5)
    assert [row[0] for row in served] == [FULL_DAY_MS + 719 * 60_000, FULL_DAY_MS + 720 * 60_000]
    # ... but the source only returns closed candles, even if the exchange ignores `until`
    for use_until in (True, False):
        source._use_until = use_until
        frame = source.fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY, now=now)
        assert len(frame) == 720
        assert frame["ts"].max() == pd.Timestamp(now).floor("min") - pd.Timedelta(minutes=1)


def test_a_window_entirely_in_the_future_is_empty(emulator, make_source):
    frame = make_source().fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY, now=FULL_DAY)
    assert frame.empty and emulator.request_counts[KLINES] == 0


def test_429_then_success_is_retried_and_complete(emulator, make_source, sleeps):
    emulator.fail_next(2, status=429, retry_after="0.25")
    frame = make_source(page_limit=500).fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)
    assert len(frame) == 1440
    assert emulator.request_counts[KLINES] == 3 + 2
    assert len(sleeps.waits) == 2 and all(w >= 0.25 for w in sleeps.waits)  # Retry-After


def test_retry_after_is_capped_by_max_delay(emulator, make_source, sleeps):
    emulator.fail_next(1, status=418, retry_after="3600")
    assert len(make_source().fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)) == 1440
    assert sleeps.waits == [1.0]


def test_persistent_418_fails_clearly_after_bounded_retries(emulator, make_source, sleeps):
    source = make_source()
    source.list_markets()  # markets load fine; then the IP gets banned
    emulator.fail_always(418, path=KLINES)
    with pytest.raises(SourceUnavailable) as caught:
        source.fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)
    message = str(caught.value)
    assert SYMBOL in message and "1m" in message and "2017-11-12" in message
    assert "3 attempts" in message and "DDoSProtection" in message
    assert emulator.request_counts[KLINES] == 3 and len(sleeps.waits) == 2


def test_an_unreachable_exchange_is_unavailable(make_source, emulator, sleeps):
    source = make_source()
    emulator.stop()
    with pytest.raises(SourceUnavailable, match="load_markets still failing after 3 attempts"):
        source.fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)


def test_an_unknown_symbol_fails_fast_naming_it(emulator, make_source, sleeps):
    with pytest.raises(UnknownSymbol, match="NOPE/USDT"):
        make_source().fetch_ohlcv("NOPE/USDT", "1m", FULL_DAY, NEXT_DAY)
    assert emulator.request_counts[KLINES] == 0 and sleeps.waits == []


def test_an_invalid_symbol_answer_fails_fast_naming_it(emulator, make_source, sleeps):
    emulator.fail_next(1, status=400, retry_after=None, body=wire.INVALID_SYMBOL)
    with pytest.raises(UnknownSymbol, match=f"binance {SYMBOL} 1m .*Invalid symbol"):
        make_source().fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)
    assert emulator.request_counts[KLINES] == 1 and sleeps.waits == []


def test_an_unsupported_timeframe_fails_fast(emulator, make_source):
    with pytest.raises(UnsupportedTimeframe, match="'7m' is not offered"):
        make_source().fetch_ohlcv(SYMBOL, "7m", FULL_DAY, NEXT_DAY)
    assert emulator.request_counts[KLINES] == 0


def test_an_empty_day_gives_an_empty_canonical_frame(emulator, make_source):
    day = FULL_DAY - timedelta(days=30)
    frame = make_source().fetch_ohlcv(SYMBOL, "1m", day, day + timedelta(days=1))
    pd.testing.assert_frame_equal(frame, empty_ohlcv())
    assert emulator.request_counts[KLINES] == 1


@pytest.mark.parametrize("kind", wire.MALFORMATIONS)
def test_malformed_rows_fail_naming_symbol_and_day(emulator, make_source, kind):
    emulator.malform(SYMBOL, FULL_DAY_MS + 1000 * 60_000, kind)  # in the second page
    with pytest.raises(BadMarketData) as caught:
        make_source(page_limit=600).fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)
    message = str(caught.value)
    assert SYMBOL in message and "2017-11-12" in message and "malformed candle" in message
    assert emulator.request_counts[KLINES] == 2


def test_a_page_that_makes_no_progress_is_an_error(emulator, make_source):
    stale = wire.kline_row(np.array([FULL_DAY_MS - 60_000, 1, 1, 1, 1, 1.0]), 60_000)
    emulator.fail_next(5, status=200, retry_after=None, body=[stale])
    with pytest.raises(BadMarketData, match="no progress.*ignored `since`"):
        make_source().fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)
    assert emulator.request_counts[KLINES] == 1


def test_naive_datetimes_are_refused(make_source):
    with pytest.raises(ValueError, match="timezone-aware"):
        make_source().fetch_ohlcv(SYMBOL, "1m", FULL_DAY.replace(tzinfo=None), NEXT_DAY)
