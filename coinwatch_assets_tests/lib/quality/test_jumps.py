"""Close-to-close price jumps beyond a threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.lib.quality.jumps import find_price_jumps
from coinwatch_assets_tests.lib.quality.candle_files import load_candle_rows, rows_to_frame
from coinwatch_assets_tests.shared_data import shared_path

T0 = pd.Timestamp("2024-03-01", tz="UTC")


def closes_frame(closes: list[float], symbol: str = "BTC/USDT") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "exchange": "binance",
            "symbol": symbol,
            "timeframe": "1h",
            "ts": [T0 + pd.Timedelta(hours=i) for i in range(len(closes))],
            "close": closes,
        }
    )


def test_default_threshold_flags_moves_over_20_percent_both_ways() -> None:
    frame = closes_frame([100.0, 119.0, 150.0, 150.0, 100.0, 80.0])
    jumps = find_price_jumps(frame)
    assert jumps.index.tolist() == [2, 4]
    assert jumps["prev_close"].tolist() == [119.0, 150.0]
    assert jumps["move"].to_numpy() == pytest.approx([150 / 119 - 1, 100 / 150 - 1])
    # Exactly -20% (100 -> 80) is not beyond the threshold.
    assert 5 not in jumps.index


def test_threshold_is_configurable() -> None:
    frame = closes_frame([100.0, 119.0, 150.0])
    assert find_price_jumps(frame, threshold=0.1).index.tolist() == [1, 2]
    assert find_price_jumps(frame, threshold=0.5).empty
    with pytest.raises(ValueError, match="threshold"):
        find_price_jumps(frame, threshold=0)


def test_series_are_compared_separately_and_in_time_order() -> None:
    btc = closes_frame([100.0, 101.0, 102.0])
    eth = closes_frame([3.0, 3.1, 3.2], symbol="ETH/USDT")
    mixed = pd.concat([btc, eth], ignore_index=True).iloc[::-1]
    # Interleaving BTC (~100) and ETH (~3) would be a -97% "jump" if series were mixed.
    assert find_price_jumps(mixed).empty


def test_bad_previous_close_gives_no_move() -> None:
    frame = closes_frame([100.0, np.nan, 100.0, 0.0, 100.0])
    # NaN -> 100 and 0 -> 100 have no defined move; 100 -> 0 is a -100% move.
    jumps = find_price_jumps(frame)
    assert jumps.index.tolist() == [3]
    assert jumps["move"].tolist() == [-1.0]


def test_recorded_5m_series_have_no_20_percent_jumps_but_do_have_5_percent() -> None:
    path = shared_path("ohlcv", "freqtrade", "ADA_BTC-5m.csv")
    frame = rows_to_frame(load_candle_rows(path), "5m")
    closes = frame["close"].to_numpy()
    moves = np.abs(closes[1:] / closes[:-1] - 1)
    assert find_price_jumps(frame).empty == bool((moves <= 0.2).all())
    small = find_price_jumps(frame, threshold=0.05)
    assert len(small) == int((moves > 0.05).sum()) > 0
