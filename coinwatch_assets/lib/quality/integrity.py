"""Row-level integrity rules for canonical OHLCV frames (see `coinwatch_assets.lib.ohlcv_frame`).

Each rule returns the OFFENDING rows (a subset of the input, original index kept, so callers can
report or drop them); an empty frame means the rule passes. `run_all_rules` runs them all and
returns {rule_name: offending_rows}. Rule names are stable: they appear in check metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pandas as pd

from coinwatch_assets.lib.quality.series import (
    constant_column,
    previous_in_series,
    series_codes,
    series_time_order,
)
from coinwatch_assets.lib.quality.timeframes import (
    TimeLike,
    grid_distance_ms,
    timestamps_to_ms,
    to_ms,
    to_tolerance_ms,
)

OHLC = ["open", "high", "low", "close"]

LOW_ABOVE_OPEN_CLOSE = "low_above_open_close"
HIGH_BELOW_OPEN_CLOSE = "high_below_open_close"
INVALID_PRICE = "invalid_price"
INVALID_VOLUME = "invalid_volume"
OFF_GRID_TIMESTAMP = "off_grid_timestamp"
DUPLICATE_TIMESTAMP = "duplicate_timestamp"
OUTSIDE_WINDOW = "outside_window"
FUTURE_CANDLE = "future_candle"

Tolerance = timedelta | pd.Timedelta | int | None


def _offending(frame: pd.DataFrame, bad: np.ndarray | pd.Series) -> pd.DataFrame:
    """The rows flagged in `bad`; selecting none costs nothing (most windows break no rule)."""
    bad = np.asarray(bad, dtype=bool)
    return frame.loc[bad] if bad.any() else frame.iloc[:0]


def low_above_open_close(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows breaking low <= min(open, close). NaNs are left to `invalid_price`."""
    body_low = np.minimum(frame["open"].to_numpy(), frame["close"].to_numpy())
    return _offending(frame, frame["low"].to_numpy() > body_low)


def high_below_open_close(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows breaking high >= max(open, close). NaNs are left to `invalid_price`."""
    body_high = np.maximum(frame["open"].to_numpy(), frame["close"].to_numpy())
    return _offending(frame, frame["high"].to_numpy() < body_high)


def invalid_price(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with any of open/high/low/close not finite or not > 0."""
    prices = frame[OHLC].to_numpy(dtype="float64")
    ok = np.isfinite(prices) & (prices > 0)
    return _offending(frame, ~ok.all(axis=1))


def invalid_volume(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose volume is negative or not finite (NaN included: it is not a volume)."""
    volume = frame["volume"].to_numpy(dtype="float64")
    return _offending(frame, ~(np.isfinite(volume) & (volume >= 0)))


def off_grid_timestamp(frame: pd.DataFrame, *, tolerance: Tolerance = None) -> pd.DataFrame:
    """Rows whose open time is not on their own `timeframe` column's grid (within tolerance).

    Raises UnknownTimeframeError for a timeframe value that is not a supported ccxt timeframe.
    """
    tol = to_tolerance_ms(tolerance)
    ts = timestamps_to_ms(frame["ts"])
    timeframes = frame["timeframe"].to_numpy(dtype=object)
    if constant_column(timeframes):  # the usual case: no per-timeframe masks needed
        if ts.size == 0:
            return frame.iloc[:0]
        return _offending(frame, np.abs(grid_distance_ms(ts, str(timeframes[0]))) > tol)
    bad = np.zeros(len(frame), dtype=bool)
    for timeframe in pd.unique(timeframes):
        rows = timeframes == timeframe
        bad[rows] = np.abs(grid_distance_ms(ts[rows], str(timeframe))) > tol
    return _offending(frame, bad)


def duplicate_timestamp(frame: pd.DataFrame) -> pd.DataFrame:
    """All rows sharing (exchange, symbol, timeframe, ts) with another row."""
    codes = series_codes(frame)
    ts = timestamps_to_ms(frame["ts"])
    # Sort by (series, ts) (free for already sorted input), then compare neighbours.
    order = series_time_order(codes, ts)
    same = previous_in_series(codes, order)
    same[1:] &= ts[order[1:]] == ts[order[:-1]]
    bad = np.zeros(len(frame), dtype=bool)
    hits = np.flatnonzero(same)
    bad[order[hits]] = True
    bad[order[hits - 1]] = True
    return _offending(frame, bad)


def outside_window(
    frame: pd.DataFrame, *, start: TimeLike | None = None, end: TimeLike | None = None
) -> pd.DataFrame:
    """Rows whose open time is outside the partition window [start, end); None = unbounded."""
    ts = timestamps_to_ms(frame["ts"])
    bad = np.zeros(len(frame), dtype=bool)
    if start is not None:
        bad |= ts < to_ms(start)
    if end is not None:
        bad |= ts >= to_ms(end)
    return _offending(frame, bad)


def future_candle(frame: pd.DataFrame, *, now: TimeLike | None = None) -> pd.DataFrame:
    """Rows whose open time is after `now` (default: current UTC time)."""
    now_ms = to_ms(now if now is not None else pd.Timestamp.now(tz="UTC"))
    return _offending(frame, timestamps_to_ms(frame["ts"]) > now_ms)


# Rules that need only the frame; the others get their parameters in run_all_rules.
_FRAME_RULES: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    LOW_ABOVE_OPEN_CLOSE: low_above_open_close,
    HIGH_BELOW_OPEN_CLOSE: high_below_open_close,
    INVALID_PRICE: invalid_price,
    INVALID_VOLUME: invalid_volume,
    DUPLICATE_TIMESTAMP: duplicate_timestamp,
}

RULE_NAMES: tuple[str, ...] = (
    LOW_ABOVE_OPEN_CLOSE,
    HIGH_BELOW_OPEN_CLOSE,
    INVALID_PRICE,
    INVALID_VOLUME,
    OFF_GRID_TIMESTAMP,
    DUPLICATE_TIMESTAMP,
    OUTSIDE_WINDOW,
    FUTURE_CANDLE,
)


def window_free_rules(
    frame: pd.DataFrame, *, tolerance: Tolerance = None
) -> dict[str, pd.DataFrame]:
    """The rules that judge rows without a window or a clock, as {rule_name: offending_rows}.

    Row by row (or, for duplicates, by time within a series): run over many windows of a series
    at once, each window's offending rows are those of the whole frame that lie in it.
    """
    results = {name: rule(frame) for name, rule in _FRAME_RULES.items()}
    results[OFF_GRID_TIMESTAMP] = off_grid_timestamp(frame, tolerance=tolerance)
    return results


def run_all_rules(
    frame: pd.DataFrame,
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    now: TimeLike | None = None,
    tolerance: Tolerance = None,
) -> dict[str, pd.DataFrame]:
    """Every rule, as {rule_name: offending_rows}, keys in `RULE_NAMES` order.

    start/end bound the partition window (None = unbounded), `now` defaults to the current UTC
    time (fixed once, so every rule sees the same instant), `tolerance` is the grid jitter.
    """
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    results = window_free_rules(frame, tolerance=tolerance)
    results[OUTSIDE_WINDOW] = outside_window(frame, start=start, end=end)
    results[FUTURE_CANDLE] = future_candle(frame, now=now)
    return {name: results[name] for name in RULE_NAMES}
