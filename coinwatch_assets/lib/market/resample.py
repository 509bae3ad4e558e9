"""Resampling candles to a coarser timeframe (plain pandas, no Dagster)."""

from __future__ import annotations

import pandas as pd

from coinwatch_assets.lib.ohlcv_frame import OHLCV_COLUMNS, empty_ohlcv, to_canonical

_AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def resample_ohlcv(candles: pd.DataFrame, rule: str = "1h") -> pd.DataFrame:
    """Bars of `rule` (a pandas offset, e.g. "1h") from canonical candles, per series.

    A bar aggregates the candles present in its interval: open of the first, close of the
    last, high/low extremes, volume summed. Bars with no candle are not invented; holes are
    the gap checks' business (and a blocking gap check keeps holed days from being
    resampled at all). `timeframe` keeps the source candles' timeframe.
    """
    if candles.empty:
        return empty_ohlcv()
    frame = candles.sort_values("ts")
    frame = frame.assign(ts=frame["ts"].dt.floor(rule))
    bars = frame.groupby(["exchange", "symbol", "timeframe", "ts"], sort=True).agg(_AGG)
    return to_canonical(bars.reset_index()[OHLCV_COLUMNS])
