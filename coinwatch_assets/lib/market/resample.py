"""Resampling candles to coarser bars that count their candles (plain pandas, no Dagster)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinwatch_assets.lib.ohlcv_frame import OHLCV_COLUMNS, to_canonical
from coinwatch_assets.lib.quality.timeframes import timeframe_ms

# The bars derived from a venue's candles: table name -> pandas rule of one bar.
BAR_TABLES = {"ohlcv_1h": "1h", "ohlcv_1d": "1D"}
BAR_COLUMNS = [*OHLCV_COLUMNS, "candles", "expected_candles"]

_AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def bar_ms(rule: str) -> int:
    return int(pd.Timedelta(rule).total_seconds() * 1000)


def derived_bar_tables(base_timeframe: str) -> tuple[str, ...]:
    """The bar tables that are coarser than `base_timeframe` and made of whole candles.

    An hourly bar of 1h candles would copy them and one of 4h candles cannot exist; a bar
    that is not a whole number of candles would hold candles reaching past its end.
    """
    base = timeframe_ms(base_timeframe)
    return tuple(
        name
        for name, rule in BAR_TABLES.items()
        if bar_ms(rule) > base and bar_ms(rule) % base == 0
    )


def expected_candles(bar_starts: pd.Series, rule: str, base_timeframe: str) -> np.ndarray:
    """Candles a complete bar holds: the base grid's open times inside [start, start + bar)."""
    step = timeframe_ms(base_timeframe)
    start = bar_starts.astype("datetime64[ms, UTC]").astype("int64").to_numpy()
    end = start + bar_ms(rule)
    return (-(-end // step) - -(-start // step)).astype("int64")


def empty_bars() -> pd.DataFrame:
    frame = pd.DataFrame(columns=BAR_COLUMNS)
    out = to_canonical(frame)
    return out.assign(candles=pd.Series(dtype="int64"), expected_candles=pd.Series(dtype="int64"))


def resample_ohlcv(candles: pd.DataFrame, rule: str, base_timeframe: str) -> pd.DataFrame:
    """Bars of `rule` ("1h", "1D") from canonical candles of `base_timeframe`, per series.

    A bar aggregates the candles present in its interval: open of the first, close of the
    last, high/low extremes, volume summed, and counts them: `candles < expected_candles`
    marks a partial bar (a hole, the listing day, or today's still open bar). Bars with no
    candle are not invented. `timeframe` keeps the source candles' timeframe.
    """
    if candles.empty:
        return empty_bars()
    frame = candles.sort_values("ts")
    frame = frame.assign(ts=frame["ts"].dt.floor(rule), candles=1)
    groups = frame.groupby(["exchange", "symbol", "timeframe", "ts"], sort=True)
    bars = groups.agg({**_AGG, "candles": "sum"}).reset_index()
    out = to_canonical(bars)
    out["candles"] = bars["candles"].astype("int64").to_numpy()
    out["expected_candles"] = expected_candles(out["ts"], rule, base_timeframe)
    return out
