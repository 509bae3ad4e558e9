"""Indicators over look-back days + day N equal the textbook values of one continuous series."""

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.lib.market.indicators import (
    INDICATOR_COLUMNS,
    INDICATORS_COLUMNS,
    WARMUP_CANDLES,
    compute_indicators,
    lookback_days,
)
from coinwatch_assets_tests.lib.market.indicator_reference import (
    WARM_UP,
    assert_matches,
    recorded_series,
    reference,
)

DAY = pd.Timedelta(days=1)


def test_lookback_days_cover_the_warm_up_in_whole_days() -> None:
    assert (lookback_days("5m"), lookback_days("1h"), lookback_days("1m")) == (3, 25, 1)
    assert lookback_days("1d") == WARMUP_CANDLES
    for timeframe in ("1m", "5m", "15m", "1h", "4h"):
        step = pd.Timedelta(timeframe.replace("m", "min"))
        assert lookback_days(timeframe) * DAY >= WARMUP_CANDLES * step
        assert (lookback_days(timeframe) - 1) * DAY < WARMUP_CANDLES * step


# ETH/BTC: no hole; ADA/BTC: real holes on 2018-01-15 (one of 33 candles); DASH/BTC: the
# MACD histogram comes closest to zero (6.5e-9 x price).
@pytest.mark.parametrize("pair", ["ETH_BTC", "ADA_BTC", "DASH_BTC"])
def test_windowed_days_equal_the_continuous_textbook_series(pair: str) -> None:
    series = recorded_series(pair)
    expected = reference(series)
    scale = float(series["close"].median())
    lookback = lookback_days("5m") * DAY
    first_day = series["ts"].iloc[0].floor("D")
    days = pd.date_range(first_day + DAY, series["ts"].iloc[-1].floor("D"), freq="D")
    compared = 0
    for day in days:
        window = series[(series["ts"] >= day - lookback) & (series["ts"] < day + DAY)]
        # The whole look-back lies inside the recorded history: the continuous series has
        # warmed up too (earlier days start both at the first candle).
        if day - lookback < series["ts"].iloc[0]:
            continue
        assert (window["ts"] < day).sum() >= WARMUP_CANDLES
        got = compute_indicators(window.sample(frac=1.0, random_state=1))  # order: its job
        got = got[got["ts"] >= day].reset_index(drop=True)
        want = expected.loc[day : day + DAY - pd.Timedelta(1, "ns")]
        assert got["ts"].tolist() == list(want.index)
        # The day boundary first (the candles the look-back exists for), then the whole day.
        assert_matches(got.iloc[:12], want.iloc[:12], scale, f"{pair} {day:%Y-%m-%d} first hour")
        assert_matches(got, want, scale, f"{pair} {day:%Y-%m-%d}")
        compared += 1
    assert compared >= 15


def test_warm_up_at_the_start_of_history_is_nan_and_series_stay_apart() -> None:
    eth = recorded_series("ETH_BTC").iloc[:200]
    ltc = recorded_series("LTC_BTC").iloc[:200]
    both = compute_indicators(pd.concat([ltc, eth], ignore_index=True))
    assert list(both.columns) == INDICATORS_COLUMNS
    alone = compute_indicators(eth)
    got = both[both["symbol"] == "ETH/BTC"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, alone)
    first_value = {c: int(alone[c].notna().idxmax()) for c in INDICATOR_COLUMNS}
    assert first_value == WARM_UP
    assert alone.iloc[34:][INDICATOR_COLUMNS].notna().all().all()


def test_short_and_empty_series() -> None:
    eth = recorded_series("ETH_BTC")
    few = compute_indicators(eth.iloc[:5])
    assert len(few) == 5 and few[INDICATOR_COLUMNS].isna().all().all()
    empty = compute_indicators(eth.iloc[:0])
    assert empty.empty and list(empty.columns) == INDICATORS_COLUMNS
    assert np.issubdtype(empty["rsi_14"].dtype, np.floating)
