"""Rows per (symbol, UTC month), counted in the database on both backends."""

from __future__ import annotations

from datetime import date

import pytest

from coinwatch_assets.lib.market.grain import month_key
from coinwatch_assets.lib.market.stored_months import stored_month_counts
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.factories import ohlcv_frame

OHLCV = table_spec("ohlcv")
PINS = {"exchange": "binance", "timeframe": "5m"}


def _store(storage: Storage, **frame_args: object) -> None:
    frame = ohlcv_frame(**frame_args)
    pins = {"exchange": frame["exchange"].iloc[0], "timeframe": frame["timeframe"].iloc[0]}
    storage.write(OHLCV, frame, Slice.whole_table("ohlcv").pinned(pins))


@pytest.fixture
def storage(database_url: str) -> Storage:
    if database_url.startswith("postgresql"):
        # A session far from UTC: a month boundary must still be the UTC one.
        database_url += "?options=-c%20timezone%3DAsia/Tokyo"
    return Storage(database_url)


def test_counts_per_symbol_and_utc_month_pinned_to_the_venue(storage: Storage) -> None:
    # 22:00 on Jan 31 .. 02:00 on Feb 1 (UTC): 24 candles in each month.
    _store(storage, symbol="BTC/USDT", start="2024-01-31 22:00", periods=48)
    _store(storage, symbol="ETH/USDT", start="2024-02-10", periods=10)
    # Another venue and another timeframe of the same symbol: not this venue's rows.
    _store(storage, symbol="BTC/USDT", start="2024-01-05", periods=7, exchange="kraken")
    _store(storage, symbol="BTC/USDT", start="2024-03-05", periods=9, freq="1min", timeframe="1m")

    counts = stored_month_counts(storage, "ohlcv", PINS)

    jan, feb = month_key(date(2024, 1, 1)), month_key(date(2024, 2, 1))
    assert counts == {("BTC/USDT", jan): 24, ("BTC/USDT", feb): 24, ("ETH/USDT", feb): 10}
    assert stored_month_counts(storage, "ohlcv", {"exchange": "kraken", "timeframe": "5m"}) == {
        ("BTC/USDT", jan): 7
    }


def test_empty_table_counts_nothing(storage: Storage) -> None:
    assert stored_month_counts(storage, "indicators", PINS) == {}


def test_a_table_without_symbol_series_is_refused(storage: Storage) -> None:
    with pytest.raises(ValueError, match="'markets' is not a per-symbol time series"):
        stored_month_counts(storage, "markets", {"exchange": "binance"})
