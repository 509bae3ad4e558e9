"""Each integrity rule: one frame that breaks it, one that passes; plus run_all_rules."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.lib.ohlcv_frame import OHLCV_COLUMNS, empty_ohlcv, to_canonical
from coinwatch_assets.lib.quality.errors import UnknownTimeframeError
from coinwatch_assets.lib.quality.integrity import (
    RULE_NAMES,
    duplicate_timestamp,
    future_candle,
    high_below_open_close,
    invalid_price,
    invalid_volume,
    low_above_open_close,
    off_grid_timestamp,
    outside_window,
    run_all_rules,
)
from coinwatch_assets_tests.lib.quality.candle_files import load_candle_rows, rows_to_frame
from coinwatch_assets_tests.shared_data import shared_path

T0 = pd.Timestamp("2024-03-01", tz="UTC")
NOW = pd.Timestamp("2024-03-02", tz="UTC")


def good_frame(n: int = 6, timeframe: str = "1h") -> pd.DataFrame:
    """A clean canonical series of `n` hourly candles from T0 (open < close, wicks around)."""
    hours = [T0 + pd.Timedelta(hours=i) for i in range(n)]
    frame = pd.DataFrame({"ts": hours, "open": 100.0, "high": 102.0, "low": 99.0})
    frame["open"] += frame.index
    frame["high"] += frame.index
    frame["low"] += frame.index
    frame["close"] = frame["open"] + 1.0
    frame["volume"] = 5.0
    frame["exchange"], frame["symbol"], frame["timeframe"] = "binance", "BTC/USDT", timeframe
    return to_canonical(frame)


def with_values(frame: pd.DataFrame, row: int, **values: object) -> pd.DataFrame:
    out = frame.copy()
    for col, value in values.items():
        out.loc[row, col] = value
    return out


def test_good_frame_passes_every_rule() -> None:
    results = run_all_rules(good_frame(), start=T0, end=NOW, now=NOW)
    assert list(results) == list(RULE_NAMES)
    assert {name: len(rows) for name, rows in results.items()} == dict.fromkeys(RULE_NAMES, 0)


def test_rule_names_are_stable_snake_case() -> None:
    assert RULE_NAMES == (
        "low_above_open_close",
        "high_below_open_close",
        "invalid_price",
        "invalid_volume",
        "off_grid_timestamp",
        "duplicate_timestamp",
        "outside_window",
        "future_candle",
    )


@pytest.mark.parametrize("low", [100.5, 101.5])  # above open (100) / above close (101)
def test_low_above_open_or_close(low: float) -> None:
    bad = with_values(good_frame(), 0, low=low)
    assert low_above_open_close(bad).index.tolist() == [0]
    assert low_above_open_close(with_values(good_frame(), 0, low=100.0)).empty  # equal is fine


@pytest.mark.parametrize("high", [100.5, 99.5])  # below close (101) / below both
def test_high_below_open_or_close(high: float) -> None:
    bad = with_values(good_frame(), 0, high=high)
    assert high_below_open_close(bad).index.tolist() == [0]
    assert high_below_open_close(with_values(good_frame(), 0, high=101.0)).empty


@pytest.mark.parametrize(
    "values", [{"open": 0.0}, {"close": -1.0}, {"high": np.inf}, {"low": np.nan}]
)
def test_invalid_price(values: dict[str, float]) -> None:
    bad = with_values(good_frame(), 3, **values)
    assert invalid_price(bad).index.tolist() == [3]
    assert invalid_price(good_frame()).empty


@pytest.mark.parametrize("volume", [-0.5, np.nan, np.inf])
def test_invalid_volume(volume: float) -> None:
    assert invalid_volume(with_values(good_frame(), 2, volume=volume)).index.tolist() == [2]
    assert invalid_volume(with_values(good_frame(), 2, volume=0.0)).empty


def test_off_grid_timestamp_with_and_without_tolerance() -> None:
    bad = with_values(good_frame(), 1, ts=T0 + pd.Timedelta(hours=1, milliseconds=7))
    assert off_grid_timestamp(bad).index.tolist() == [1]
    assert off_grid_timestamp(bad, tolerance=timedelta(milliseconds=10)).empty
    assert off_grid_timestamp(good_frame()).empty


def test_off_grid_uses_each_rows_timeframe() -> None:
    frame = pd.concat([good_frame(3, "1h"), good_frame(3, "1w")], ignore_index=True)
    # 2024-03-01 is a Friday: on the hourly grid, not a weekly open.
    assert off_grid_timestamp(frame).index.tolist() == [3, 4, 5]
    with pytest.raises(UnknownTimeframeError, match="'7m'"):
        off_grid_timestamp(good_frame(2, "7m"))


def test_duplicate_timestamp_per_series() -> None:
    frame = good_frame()
    doubled = pd.concat([frame, frame.iloc[[2]]], ignore_index=True)
    assert duplicate_timestamp(doubled).index.tolist() == [2, 6]
    other_symbol = frame.iloc[[2]].assign(symbol="ETH/USDT")
    assert duplicate_timestamp(pd.concat([frame, other_symbol], ignore_index=True)).empty


def test_outside_window() -> None:
    frame = good_frame()
    start, end = T0 + pd.Timedelta(hours=1), T0 + pd.Timedelta(hours=5)
    # [start, end): the candle opening at `end` belongs to the next partition.
    assert outside_window(frame, start=start, end=end).index.tolist() == [0, 5]
    assert outside_window(frame, start=T0, end=T0 + pd.Timedelta(hours=6)).empty
    assert outside_window(frame).empty


def test_future_candle() -> None:
    frame = good_frame()
    now = T0 + pd.Timedelta(hours=3)  # the 03:00 candle has just opened: not in the future
    assert future_candle(frame, now=now).index.tolist() == [4, 5]
    assert future_candle(frame, now=NOW).empty
    assert future_candle(frame).empty  # default now: the 2024 candles are in the past


def test_run_all_rules_collects_every_offence() -> None:
    frame = good_frame()
    frame.loc[0, "low"] = 1_000.0  # also breaks nothing else
    frame.loc[1, "volume"] = -1.0
    frame.loc[2, "ts"] = T0 + pd.Timedelta(hours=1)  # duplicate of row 1
    frame.loc[5, "ts"] = T0 + pd.Timedelta(days=2, minutes=1)  # off grid, outside, future
    results = run_all_rules(frame, start=T0, end=NOW, now=NOW)
    offending = {name: rows.index.tolist() for name, rows in results.items()}
    assert offending == {
        "low_above_open_close": [0],
        "high_below_open_close": [],
        "invalid_price": [],
        "invalid_volume": [1],
        "off_grid_timestamp": [5],
        "duplicate_timestamp": [1, 2],
        "outside_window": [5],
        "future_candle": [5],
    }
    # Offending rows are full canonical rows, ready to report.
    assert list(results["invalid_volume"].columns) == OHLCV_COLUMNS


def test_empty_frame_passes() -> None:
    assert all(rows.empty for rows in run_all_rules(empty_ohlcv(), now=NOW).values())


def test_recorded_mark_price_candles_have_no_volume() -> None:
    path = shared_path("ohlcv", "freqtrade", "futures", "XRP_USDT_USDT-1h-mark.csv")
    frame = rows_to_frame(load_candle_rows(path), "1h")
    results = run_all_rules(frame)
    assert len(results["invalid_volume"]) == len(frame) == 100  # mark prices: volume is NaN
    assert all(results[name].empty for name in RULE_NAMES if name != "invalid_volume")


def test_recorded_funding_rates_are_off_grid_without_tolerance() -> None:
    path = shared_path("ohlcv", "freqtrade", "futures", "XRP_USDT_USDT-8h-funding_rate.csv")
    frame = rows_to_frame(load_candle_rows(path), "8h")
    assert len(off_grid_timestamp(frame)) == 59
    assert off_grid_timestamp(frame, tolerance=timedelta(milliseconds=100)).empty
