"""Price jumps: close-to-close moves too large to be believed without a second look.

A 20%+ move between consecutive candles happens (flash crashes, listings) but far more often
it is a bad print, a unit change or a mixed-up symbol, so it is flagged for review.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinwatch_assets.lib.quality.series import (
    previous_in_series,
    series_codes,
    series_time_order,
)
from coinwatch_assets.lib.quality.timeframes import timestamps_to_ms

DEFAULT_JUMP_THRESHOLD = 0.2


def find_price_jumps(
    frame: pd.DataFrame, *, threshold: float = DEFAULT_JUMP_THRESHOLD
) -> pd.DataFrame:
    """Rows whose close moved by more than `threshold` (relative) from the previous close.

    The move is close / previous_close - 1 (0.25 = +25%, -0.3 = -30%), flagged when its absolute
    value exceeds `threshold`. Rows are compared within their series (exchange, symbol,
    timeframe when those columns exist) in `ts` order. Returns the offending rows, original
    index kept, with two extra columns: `prev_close` and `move`. A previous close that is zero,
    negative or NaN gives no move (the `invalid_price` integrity rule reports those).
    """
    if threshold <= 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    codes = series_codes(frame)
    order = series_time_order(codes, timestamps_to_ms(frame["ts"]))
    close = frame["close"].to_numpy(dtype="float64")[order]
    prev = np.full(close.size, np.nan)
    has_prev = previous_in_series(codes, order)
    prev[has_prev] = close[np.flatnonzero(has_prev) - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        move = np.where(prev > 0, close / prev - 1.0, np.nan)
    hit = np.abs(move) > threshold  # NaN compares False
    rows = np.sort(order[hit])  # back to the caller's row order
    out = frame.iloc[rows].copy()
    # Map each flagged position's values from time order back to row order.
    by_row = np.argsort(order[hit], kind="stable")
    out["prev_close"] = prev[hit][by_row]
    out["move"] = move[hit][by_row]
    return out
