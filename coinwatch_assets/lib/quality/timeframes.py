"""THE timeframe module: ccxt timeframes (1s..1w) as durations, and the grid candles open on.

Durations come from ccxt's own `parse_timeframe`, grid rounding from its `round_timeframe`,
so coinwatch and the exchange client never disagree. One set of timeframes is supported
everywhere (sources, checks, venue validation): :data:`TIMEFRAME_MS`. All arithmetic is in
integer epoch milliseconds, the unit ccxt and exchanges speak. Candles of every timeframe up
to 1d open on multiples of their duration since the Unix epoch; weekly candles open on
Mondays 00:00 UTC (the epoch, 1970-01-01, was a Thursday: the weekly grid starts 1970-01-05).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ccxt
import numpy as np
import pandas as pd
from ccxt.base.decimal_to_precision import ROUND_DOWN, ROUND_UP

from coinwatch_assets.lib.quality.errors import UnknownTimeframeError

# The supported timeframes, shortest first so error messages and guesses read naturally:
# those exchanges commonly offer, with a fixed length (months and years have none).
SUPPORTED_TIMEFRAMES = (
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w",
)  # fmt: skip
TIMEFRAME_MS: dict[str, int] = {
    tf: ccxt.Exchange.parse_timeframe(tf) * 1000 for tf in SUPPORTED_TIMEFRAMES
}
MINUTE_MS = TIMEFRAME_MS["1m"]
HOUR_MS = TIMEFRAME_MS["1h"]
DAY_MS = TIMEFRAME_MS["1d"]
WEEK_MS = TIMEFRAME_MS["1w"]

# 1970-01-05 (the first Monday after the epoch) is where the weekly grid starts.
WEEK_ORIGIN_MS = 4 * DAY_MS

TimeLike = pd.Timestamp | datetime | int | np.integer


def timeframe_ms(timeframe: str) -> int:
    """Duration of one candle of `timeframe` in milliseconds.

    Raises UnknownTimeframeError (a ValueError) naming the timeframe if it is not supported.
    """
    try:
        return TIMEFRAME_MS[timeframe]
    except (KeyError, TypeError):
        raise UnknownTimeframeError(unknown_timeframe_message(timeframe)) from None


def unknown_timeframe_message(timeframe: object) -> str:
    """Error text naming the bad timeframe and the supported ones."""
    return f"unknown timeframe {timeframe!r}: supported timeframes are {', '.join(TIMEFRAME_MS)}"


def parse_timeframe(timeframe: str) -> pd.Timedelta:
    """Duration of one candle of `timeframe` as a pandas Timedelta (e.g. '8h' -> 8 hours)."""
    return pd.Timedelta(milliseconds=timeframe_ms(timeframe))


def grid_origin_ms(timeframe: str) -> int:
    """Epoch-ms of the grid's origin: 0 for 1m..3d, the first Monday 00:00 UTC for 1w."""
    return WEEK_ORIGIN_MS if timeframe_ms(timeframe) == WEEK_MS else 0


def floor_to_grid(ts_ms: int, timeframe: str) -> int:
    """Latest grid point <= ts_ms (ccxt's round_timeframe: weeks start on Mondays)."""
    timeframe_ms(timeframe)  # refuses unsupported timeframes with our message
    return int(ccxt.Exchange.round_timeframe(timeframe, int(ts_ms), ROUND_DOWN))


def ceil_to_grid(ts_ms: int, timeframe: str) -> int:
    """Earliest grid point >= ts_ms."""
    floor = floor_to_grid(ts_ms, timeframe)
    if floor == ts_ms:
        return floor
    return int(ccxt.Exchange.round_timeframe(timeframe, int(ts_ms), ROUND_UP))


def grid_distance_ms(ts_ms: np.ndarray, timeframe: str) -> np.ndarray:
    """Signed distance of each timestamp to its nearest grid point (positive = stamped late)."""
    step, origin = timeframe_ms(timeframe), grid_origin_ms(timeframe)
    rel = np.asarray(ts_ms, dtype=np.int64) - origin
    # Shift by half a step so the remainder is centred: [-step/2, step/2).
    return (rel + step // 2) % step - step // 2


def is_on_grid(ts_ms: np.ndarray, timeframe: str, tolerance_ms: int = 0) -> np.ndarray:
    """Boolean mask: timestamps within `tolerance_ms` of a grid point of `timeframe`."""
    return np.abs(grid_distance_ms(ts_ms, timeframe)) <= tolerance_ms


def to_ms(value: TimeLike) -> int:
    """One instant as epoch milliseconds: ints are taken as ms, naive datetimes as UTC."""
    if isinstance(value, int | np.integer):
        return int(value)
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.as_unit("ns").value // 1_000_000)


def to_tolerance_ms(tolerance: timedelta | pd.Timedelta | int | None) -> int:
    """A jitter tolerance as ms: None -> 0, ints are ms, timedeltas are converted."""
    if tolerance is None:
        return 0
    if isinstance(tolerance, int | np.integer):
        ms = int(tolerance)
    else:
        ms = int(pd.Timedelta(tolerance).as_unit("ns").value // 1_000_000)
    if ms < 0:
        raise ValueError(f"tolerance must not be negative, got {tolerance!r}")
    return ms


def ms_to_timestamp(ts_ms: int) -> pd.Timestamp:
    """Epoch ms -> tz-aware UTC pandas Timestamp."""
    return pd.Timestamp(int(ts_ms), unit="ms", tz="UTC")


def guess_timeframe(ts_ms: np.ndarray) -> str | None:
    """The ccxt timeframe whose duration equals the typical spacing of `ts_ms`, if any.

    Uses the median spacing of the distinct sorted timestamps so that a few holes or duplicates
    do not change the answer; spacing within 1% of a duration (jitter) still matches.
    """
    stamps = np.unique(np.asarray(ts_ms, dtype=np.int64))
    if stamps.size < 2:
        return None
    spacing = float(np.median(np.diff(stamps)))
    for name, step in TIMEFRAME_MS.items():
        if abs(spacing - step) <= 0.01 * step:
            return name
    return None


def timestamps_to_ms(timestamps: object) -> np.ndarray:
    """Candle open times as an int64 array of epoch milliseconds.

    Accepts datetime-like values (pandas Series / DatetimeIndex / numpy datetime64; naive values
    are taken as UTC) or numbers, which are taken as epoch milliseconds (floats are accepted
    because numeric CSV readers produce them, but must be whole numbers). Sub-millisecond parts
    are floored: exchanges stamp candles in ms.
    """
    if isinstance(timestamps, pd.Series | pd.Index):
        if timestamps.dtype.kind == "M" or isinstance(timestamps.dtype, pd.DatetimeTZDtype):
            return _datetimes_to_ms(pd.DatetimeIndex(timestamps))
        timestamps = timestamps.to_numpy()
    arr = np.asarray(timestamps)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)):
            raise ValueError("numeric timestamps must be finite whole epoch milliseconds")
        return arr.astype(np.int64)
    if arr.dtype.kind == "M":
        return _datetimes_to_ms(pd.DatetimeIndex(arr))
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    return _datetimes_to_ms(pd.DatetimeIndex(pd.to_datetime(arr, utc=True)))


def _datetimes_to_ms(index: pd.DatetimeIndex) -> np.ndarray:
    if index.hasnans:
        raise ValueError("timestamps contain NaT (missing open times)")
    if index.tz is None:
        index = index.tz_localize("UTC")
    return index.as_unit("ns").asi8 // 1_000_000
