"""Hourly bars from candles: OHLC semantics per series, no invented bars."""

import pandas as pd

from coinwatch_assets.lib.market.resample import resample_ohlcv
from coinwatch_assets_tests.factories import ohlcv_frame


def test_hourly_bars_take_first_open_extremes_last_close_and_summed_volume() -> None:
    candles = ohlcv_frame("BTC/USDT", "2024-01-01", periods=24)  # 2 hours of 5m candles
    candles.loc[5, "high"] = 999.0
    candles.loc[17, "low"] = 1.0
    bars = resample_ohlcv(candles)
    assert bars["ts"].dt.strftime("%H:%M").tolist() == ["00:00", "01:00"]
    first, second = candles.iloc[:12], candles.iloc[12:]
    assert bars["open"].tolist() == [first["open"].iloc[0], second["open"].iloc[0]]
    assert bars["close"].tolist() == [first["close"].iloc[-1], second["close"].iloc[-1]]
    assert bars["high"].tolist() == [999.0, second["high"].max()]
    assert bars["low"].tolist() == [first["low"].min(), 1.0]
    assert bars["volume"].tolist() == [first["volume"].sum(), second["volume"].sum()]
    assert set(bars["timeframe"]) == {"5m"}


def test_series_stay_apart_and_empty_hours_are_not_invented() -> None:
    btc = ohlcv_frame("BTC/USDT", "2024-01-01", periods=36)
    eth = ohlcv_frame("ETH/USDT", "2024-01-01", periods=36, base_price=5.0)
    eth = eth[
        (eth["ts"] < pd.Timestamp("2024-01-01 01:00", tz="UTC"))
        | (eth["ts"] >= pd.Timestamp("2024-01-01 02:00", tz="UTC"))
    ]
    bars = resample_ohlcv(pd.concat([eth, btc], ignore_index=True))
    counts = bars.groupby("symbol").size().to_dict()
    assert counts == {"BTC/USDT": 3, "ETH/USDT": 2}
    assert bars.loc[bars["symbol"] == "ETH/USDT", "open"].iloc[0] == eth["open"].iloc[0]


def test_no_candles_no_bars() -> None:
    assert resample_ohlcv(ohlcv_frame().iloc[:0]).empty
