"""Cross-exchange price divergence: hours whose closes differ between two venues.

Plain pandas. Two venues "carry the same market" when they list the same base and quote;
each venue's candles become hourly closes (the close of the last candle of the hour), and
an hour diverges when |close_a - close_b| / mean(close_a, close_b) exceeds the tolerance.
"""

from __future__ import annotations

import pandas as pd

DIVERGENCE_COLUMNS = ["symbol", "hour", "close_a", "close_b", "divergence"]


def shared_markets(markets: pd.DataFrame, exchange_a: str, exchange_b: str) -> list[str]:
    """Symbols (`BASE/QUOTE`) both exchanges list, active or not."""
    if markets.empty:
        return []
    pairs = {
        ex: set(zip(rows["base"], rows["quote"], strict=True))
        for ex, rows in markets.groupby("exchange")
    }
    both = pairs.get(exchange_a, set()) & pairs.get(exchange_b, set())
    return sorted(f"{base}/{quote}" for base, quote in both)


def hourly_closes(candles: pd.DataFrame) -> pd.Series:
    """Close of the last candle of each (symbol, hour)."""
    if candles.empty:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=["symbol", "hour"]))
    frame = candles.sort_values("ts").assign(hour=candles["ts"].dt.floor("1h"))
    return frame.groupby(["symbol", "hour"])["close"].last()


def divergent_hours(
    candles_a: pd.DataFrame, candles_b: pd.DataFrame, tolerance: float = 0.02
) -> tuple[pd.DataFrame, int]:
    """(hours whose closes differ by more than `tolerance`, hours compared)."""
    if tolerance <= 0:
        raise ValueError(f"tolerance must be > 0 (e.g. 0.02 for 2%), got {tolerance}")
    joined = pd.concat(
        {"close_a": hourly_closes(candles_a), "close_b": hourly_closes(candles_b)}, axis=1
    ).dropna()
    if joined.empty:
        return pd.DataFrame(columns=DIVERGENCE_COLUMNS), 0
    mean = (joined["close_a"] + joined["close_b"]) / 2
    joined["divergence"] = (joined["close_a"] - joined["close_b"]).abs() / mean
    out = joined[joined["divergence"] > tolerance].reset_index()
    return out[DIVERGENCE_COLUMNS].reset_index(drop=True), len(joined)
