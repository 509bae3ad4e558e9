"""Recorded candles as an archive history: month + days + tail, shared by the archive tests.

UNITTEST_BTC-1m (freqtrade, real Binance 1m rows of 2017-11-04 -> 11-14) moved one week
earlier as a whole, so that one closed month (2017-10), closed days (11-01 -> 11-05) and
an open tail (11-06 until noon) all hold real rows; spacing, prices and holes are unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from coinwatch_assets_tests.emulators.binance_vision import BinanceVisionEmulator, publish_history
from coinwatch_assets_tests.shared_data import read_candles_csv, shared_path

SYMBOL = "UNITTEST/BTC"
MARKET_ID = "UNITTESTBTC"
SHIFT_MS = 7 * 86_400_000
START = datetime(2017, 10, 1, tzinfo=UTC)
NOW = datetime(2017, 11, 6, 12, tzinfo=UTC)  # the window's end and the fetch's "now"
MONTHS = ["2017-10"]
DAYS = [f"2017-11-0{d}" for d in range(1, 6)]


def history_candles() -> np.ndarray:
    candles = read_candles_csv(shared_path("ohlcv", "freqtrade", "UNITTEST_BTC-1m.csv"))
    candles[:, 0] -= SHIFT_MS
    return candles


def publish(vision: BinanceVisionEmulator, candles: np.ndarray) -> dict[str, str]:
    """The month and days of the history as spot 1m files; label -> path."""
    return publish_history(vision, MARKET_ID, "1m", candles, months=MONTHS, days=DAYS)
