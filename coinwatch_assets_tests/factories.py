"""Small frame builders shared by tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def ohlcv_frame(
    symbol: str = "BTC/USDT",
    start: str = "2024-01-01",
    periods: int = 288,
    freq: str = "5min",
    *,
    exchange: str = "binance",
    timeframe: str = "5m",
    base_price: float = 100.0,
) -> pd.DataFrame:
    """Valid candles: a gentle ramp so every row is distinct."""
    ts = pd.date_range(start, periods=periods, freq=freq, tz="UTC")
    close = base_price + np.arange(periods, dtype=float) * 0.01
    return pd.DataFrame(
        {
            "exchange": exchange,
            "symbol": symbol,
            "timeframe": timeframe,
            "ts": ts,
            "open": close - 0.005,
            "high": close + 0.02,
            "low": close - 0.02,
            "close": close,
            "volume": np.arange(periods, dtype=float) + 1.0,
        }
    )
