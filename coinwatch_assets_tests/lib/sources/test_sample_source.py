"""SampleSource: deterministic, offline, documented holes, valid candles."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.lib.ohlcv_frame import OHLCV_COLUMNS, empty_ohlcv
from coinwatch_assets.lib.sources.base import MarketDataSource
from coinwatch_assets.lib.sources.errors import UnknownSymbol, UnsupportedTimeframe
from coinwatch_assets.lib.sources.sample import HOLE_SYMBOLS, SampleSource, is_hole

DAY = datetime(2024, 3, 1, tzinfo=UTC)
NOW = datetime(2025, 1, 1, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def source() -> SampleSource:
    return SampleSource()


def fetch(source, symbol, timeframe, start, end, now=NOW):
    return source.fetch_ohlcv(symbol, timeframe, start, end, now=now)


@pytest.mark.parametrize("symbol", ["BTC/USDT", "ETH/USDT"])
@pytest.mark.parametrize("timeframe", ["1m", "5m", "1h", "1d"])
def test_a_candle_is_the_same_whatever_window_it_comes_in(source, symbol, timeframe):
    whole = fetch(source, symbol, timeframe, DAY - timedelta(days=3), DAY + timedelta(days=3))
    windows = [
        (DAY - timedelta(days=2), DAY),
        (DAY - timedelta(hours=7, minutes=13, seconds=5), DAY + timedelta(hours=2, minutes=1)),
        (DAY + timedelta(days=1), DAY + timedelta(days=3)),
    ]
    for start, end in windows:
        part = fetch(source, symbol, timeframe, start, end)
        expected = whole[(whole["ts"] >= start) & (whole["ts"] < end)].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected, check_exact=True)
        assert part.empty or part["ts"].min() >= start
    assert len(whole) > 0


def test_the_walk_is_the_same_in_another_process(source):
    code = (
        "from datetime import UTC, datetime, timedelta;"
        "from coinwatch_assets.lib.sources.sample import SampleSource;"
        "d = datetime(2024, 3, 1, tzinfo=UTC);"
        "f = SampleSource().fetch_ohlcv('SOL/USDT', '1h', d, d + timedelta(days=2), now=d + "
        "timedelta(days=9));"
        "print(repr(float(f[['open', 'high', 'low', 'close', 'volume']].to_numpy().sum())))"
    )
    ours = fetch(source, "SOL/USDT", "1h", DAY, DAY + timedelta(days=2))
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": hash_seed, "PATH": ""},
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        expected = ours[["open", "high", "low", "close", "volume"]].to_numpy().sum()
        assert float(out.stdout) == expected


@pytest.mark.parametrize(
    "timeframe, per_day, missing",
    [("1m", 1440, 15), ("5m", 288, 3), ("15m", 96, 1), ("1h", 24, 1), ("4h", 6, 0)],
)
def test_the_documented_holes_are_there(source, timeframe, per_day, missing):
    days = 3
    for symbol in ("BTC/USDT", "ETH/USDT", "XRP/USDT", "DOGE/USDT", "SOL/USDT"):
        frame = fetch(source, symbol, timeframe, DAY, DAY + timedelta(days=days))
        holes = missing if symbol in HOLE_SYMBOLS else 0
        assert len(frame) == days * (per_day - holes), symbol
        minutes = frame["ts"].dt.hour * 60 + frame["ts"].dt.minute
        if symbol in HOLE_SYMBOLS:
            assert not ((minutes >= 120) & (minutes < 135)).any()


def test_is_hole_matches_the_docstring():
    ts = int(DAY.timestamp() * 1000) + np.array([119, 120, 134, 135]) * 60_000
    assert list(is_hole("ETH/USDT", ts)) == [False, True, True, False]
    assert not is_hole("BTC/USDT", ts).any()


@pytest.mark.parametrize("timeframe", ["1m", "5m", "1h", "1d", "1w"])
def test_candles_are_valid(source, timeframe):
    frame = fetch(source, "DOGE/USDT", timeframe, DAY - timedelta(days=60), DAY)
    assert list(frame.columns) == OHLCV_COLUMNS
    assert frame["ts"].is_monotonic_increasing and frame["ts"].is_unique
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] > 0).all() and (frame["volume"] > 0).all()
    assert np.isfinite(frame[["open", "high", "low", "close", "volume"]].to_numpy()).all()
    assert (frame["close"] / frame["open"]).between(0.5, 2.0).all()


def test_consecutive_candles_chain_and_prices_are_plausible(source):
    frame = fetch(source, "BTC/USDT", "1m", DAY, DAY + timedelta(days=2))
    np.testing.assert_allclose(
        frame["close"].to_numpy()[:-1], frame["open"].to_numpy()[1:], rtol=1e-9
    )
    assert frame["close"].between(20_000, 80_000).all()


def test_only_closed_candles_are_returned(source):
    now = DAY + timedelta(hours=1, seconds=30)
    frame = fetch(source, "BTC/USDT", "1m", DAY, DAY + timedelta(days=1), now=now)
    assert len(frame) == 60 and frame["ts"].max() == pd.Timestamp(DAY + timedelta(minutes=59))
    pd.testing.assert_frame_equal(fetch(source, "BTC/USDT", "1h", DAY, DAY, now=now), empty_ohlcv())


def test_a_year_of_5m_candles_comes_at_once(source):
    frame = fetch(
        source, "BTC/USDT", "5m", DAY, DAY + timedelta(days=365), now=DAY + timedelta(days=400)
    )
    assert len(frame) == 365 * 288


def test_list_markets(source):
    assert isinstance(source, MarketDataSource) and source.exchange_id == "sample"
    usdt = source.list_markets()
    assert len(usdt) == 10 and "LUNA/USDT" not in set(usdt["symbol"])
    assert list(source.list_markets(top_n=3)["symbol"]) == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    assert list(source.list_markets(quote="BTC")["symbol"]) == ["ETH/BTC"]
    assert len(source.list_markets(quote=None)) == 11
    chosen = source.list_markets(symbols=["XRP/USDT", "ETH/BTC"])
    assert list(chosen["symbol"]) == ["XRP/USDT", "ETH/BTC"]
    assert list(chosen["base"]) == ["XRP", "ETH"] and chosen["quote_volume_24h"].gt(0).all()
    with pytest.raises(UnknownSymbol, match="NOPE/USDT, LUNA/USDT"):
        source.list_markets(symbols=["BTC/USDT", "NOPE/USDT", "LUNA/USDT"])


def test_unknown_symbols_and_timeframes_are_refused(source):
    with pytest.raises(UnknownSymbol, match="sample NOPE/USDT 1m .*not a sample market"):
        fetch(source, "NOPE/USDT", "1m", DAY, DAY + timedelta(days=1))
    for timeframe in ("7m", "1M", "25h"):
        with pytest.raises(UnsupportedTimeframe, match=timeframe):
            fetch(source, "BTC/USDT", timeframe, DAY, DAY + timedelta(days=1))
