"""Bars from candles: OHLC semantics per series, candle counts, partial bars flagged."""

import pandas as pd
import pytest

from coinwatch_assets.lib.market.resample import derived_bar_tables, resample_ohlcv
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.lib.quality.candle_files import (
    independent_holes,
    load_candle_rows,
    rows_to_frame,
)
from coinwatch_assets_tests.shared_data import shared_path


def test_hourly_bars_take_first_open_extremes_last_close_and_summed_volume() -> None:
    candles = ohlcv_frame("BTC/USDT", "2024-01-01", periods=24)  # 2 hours of 5m candles
    candles.loc[5, "high"] = 999.0
    candles.loc[17, "low"] = 1.0
    bars = resample_ohlcv(candles, "1h", "5m")
    assert bars["ts"].dt.strftime("%H:%M").tolist() == ["00:00", "01:00"]
    first, second = candles.iloc[:12], candles.iloc[12:]
    assert bars["open"].tolist() == [first["open"].iloc[0], second["open"].iloc[0]]
    assert bars["close"].tolist() == [first["close"].iloc[-1], second["close"].iloc[-1]]
    assert bars["high"].tolist() == [999.0, second["high"].max()]
    assert bars["low"].tolist() == [first["low"].min(), 1.0]
    assert bars["volume"].tolist() == [first["volume"].sum(), second["volume"].sum()]
    assert set(bars["timeframe"]) == {"5m"}
    assert bars["candles"].tolist() == [12, 12] == bars["expected_candles"].tolist()


def test_series_stay_apart_and_empty_hours_are_not_invented() -> None:
    btc = ohlcv_frame("BTC/USDT", "2024-01-01", periods=36)
    eth = ohlcv_frame("ETH/USDT", "2024-01-01", periods=36, base_price=5.0)
    eth = eth[
        (eth["ts"] < pd.Timestamp("2024-01-01 01:00", tz="UTC"))
        | (eth["ts"] >= pd.Timestamp("2024-01-01 02:00", tz="UTC"))
    ]
    bars = resample_ohlcv(pd.concat([eth, btc], ignore_index=True), "1h", "5m")
    counts = bars.groupby("symbol").size().to_dict()
    assert counts == {"BTC/USDT": 3, "ETH/USDT": 2}
    assert bars.loc[bars["symbol"] == "ETH/USDT", "open"].iloc[0] == eth["open"].iloc[0]


def test_a_bar_missing_candles_is_partial_never_silently_complete() -> None:
    day = ohlcv_frame("BTC/USDT", "2024-01-01", periods=288)
    holed = day.drop(index=[13, 14, 200])  # two candles of 01:00, one of 16:00
    hourly = resample_ohlcv(holed, "1h", "5m").set_index("ts")
    assert hourly["expected_candles"].eq(12).all()
    partial = hourly[hourly["candles"] < hourly["expected_candles"]]
    assert partial["candles"].to_dict() == {
        pd.Timestamp("2024-01-01 01:00", tz="UTC"): 10,
        pd.Timestamp("2024-01-01 16:00", tz="UTC"): 11,
    }
    daily = resample_ohlcv(holed, "1D", "5m")
    assert (daily["candles"].item(), daily["expected_candles"].item()) == (285, 288)


@pytest.mark.parametrize(
    ("base", "tables"),
    [
        ("1m", ("ohlcv_1h", "ohlcv_1d")),
        ("5m", ("ohlcv_1h", "ohlcv_1d")),
        ("30m", ("ohlcv_1h", "ohlcv_1d")),
        ("1h", ("ohlcv_1d",)),
        ("4h", ("ohlcv_1d",)),
        ("1d", ()),
        ("3d", ()),
        ("1w", ()),
    ],
)
def test_only_bars_coarser_than_the_base_timeframe_are_derived(base, tables) -> None:
    assert derived_bar_tables(base) == tables


def test_no_candles_no_bars() -> None:
    bars = resample_ohlcv(ohlcv_frame().iloc[:0], "1h", "5m")
    assert bars.empty and {"candles", "expected_candles"} <= set(bars.columns)


def _pandas_reference(candles: pd.DataFrame, rule: str) -> pd.DataFrame:
    """The plain pandas resample of one series, with candle counts; empty bars dropped."""
    series = candles.set_index("ts")
    agg = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    bars = series.resample(rule).agg(agg)
    bars["candles"] = series["close"].resample(rule).count()
    return bars[bars["candles"] > 0]


@pytest.mark.parametrize("name", ["ADA_BTC-5m.csv", "TRX_BTC-5m.csv", "DASH_BTC-5m.csv"])
def test_bars_equal_a_pandas_resample_of_recorded_candles_with_holes(name) -> None:
    path = shared_path("ohlcv", "freqtrade", name)
    rows = load_candle_rows(path)
    candles = rows_to_frame(rows, "5m")
    holes = independent_holes([int(r[0]) for r in rows], 300_000, snap=False)
    assert holes, f"{name}: expected a recorded series with holes"
    for rule, per_bar in (("1h", 12), ("1D", 288)):
        bars = resample_ohlcv(candles, rule, "5m").set_index("ts")
        reference = _pandas_reference(candles, rule)
        pd.testing.assert_frame_equal(
            bars[[*reference.columns]], reference, check_dtype=False, check_freq=False
        )
        # Every bar the holes touch is flagged partial; the others are complete.
        touched = {
            pd.Timestamp(t, unit="ms", tz="UTC").floor(rule)
            for first, last, _ in holes
            for t in range(first, last + 1, 300_000)
        }
        partial = set(bars.index[bars["candles"] < bars["expected_candles"]])
        assert touched & set(bars.index) <= partial
        assert (bars["expected_candles"] == per_bar).all()
        inner = partial - {bars.index[0], bars.index[-1]}  # first/last day: series edges
        assert inner <= touched
