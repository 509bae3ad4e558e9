"""Suspected hidden outages: runs of forward-filled candles.

Some vendors paper over an exchange outage by repeating the last close: the candle has zero
volume and open = high = low = close = the previous candle's close. One such candle is often a
genuinely quiet period; a run of several is a suspected outage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coinwatch_assets.lib.quality.timeframes import ms_to_timestamp, timestamps_to_ms

DEFAULT_MIN_CANDLES = 3
OHLC_V = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class SuspectedOutage:
    """A run of forward-filled candles: first and last open time (inclusive) and how many."""

    start: pd.Timestamp
    end: pd.Timestamp
    candles: int


def forward_filled_mask(frame: pd.DataFrame) -> np.ndarray:
    """Per row (in ts order): zero volume and O=H=L=C equal to the previous row's close.

    `frame` is one series with columns ts, open, high, low, close, volume, sorted by ts. The
    first row has no previous close, so it is never flagged.
    """
    o, h, lo, c, v = (frame[col].to_numpy(dtype="float64") for col in OHLC_V)
    prev_close = np.empty_like(c)
    prev_close[:1] = np.nan  # comparisons with NaN are False: row 0 is not flagged
    prev_close[1:] = c[:-1]
    flat = (o == h) & (h == lo) & (lo == c) & (c == prev_close)
    return flat & (v == 0)


def find_suspected_outages(
    frame: pd.DataFrame, *, min_candles: int = DEFAULT_MIN_CANDLES
) -> list[SuspectedOutage]:
    """Runs of at least `min_candles` consecutive forward-filled candles, oldest first.

    `frame` holds one series (any row order; it is sorted by `ts` here) with columns ts, open,
    high, low, close, volume; `ts` may be datetimes or epoch ms.
    """
    if min_candles < 1:
        raise ValueError(f"min_candles must be >= 1, got {min_candles}")
    ordered = frame.sort_values("ts", kind="stable")
    mask = forward_filled_mask(ordered)
    if not mask.any():
        return []
    ts = timestamps_to_ms(ordered["ts"])
    # Run boundaries from the edges of the mask, padded so runs touching either end close.
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)  # exclusive
    lengths = stops - starts
    keep = lengths >= min_candles
    return [
        SuspectedOutage(ms_to_timestamp(ts[a]), ms_to_timestamp(ts[b - 1]), int(b - a))
        for a, b in zip(starts[keep].tolist(), stops[keep].tolist(), strict=True)
    ]
