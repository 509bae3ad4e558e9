"""The look-back window of indicators and the holes in it nobody explained.

Plain Python (no Dagster). The indicators of some days are computed over the candles of
their look-back days and the days themselves; a hole there (a missing candle on the timeframe
grid between the first candle of the window and the last day's end) changes the values
unless it is a known fact of the market: a registry row (`ohlcv_gaps`) with a reason in
`EXPLAINED` covering it.
"""

from __future__ import annotations

import pandas as pd

from coinwatch_assets.lib.quality.gaps import find_gaps
from coinwatch_assets.lib.quality.registry import EXPLAINED
from coinwatch_assets.lib.quality.timeframes import parse_timeframe

UNREGISTERED = "unregistered"


def lookback_window(
    day: str | pd.Timestamp, days: int, end: str | pd.Timestamp | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the candles from `days` look-back days before UTC `day` up to `end`.

    `end`: the end of the days computed (default: the end of `day`).
    """
    start = _utc(day)
    stop = start + pd.Timedelta(days=1) if end is None else _utc(end)
    return start - pd.Timedelta(days=days), stop


def _utc(value: str | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _covered(rows: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, step) -> int:
    """Candles of [start, end] (inclusive open times) that registry `rows` cover."""
    total = 0
    for row in rows.itertuples(index=False):
        lo, hi = max(pd.Timestamp(row.gap_start), start), min(pd.Timestamp(row.gap_end), end)
        if hi >= lo:
            total += (hi - lo) // step + 1
    return int(total)


def unexplained_holes(
    stamps: pd.Series,
    timeframe: str,
    *,
    end: pd.Timestamp,
    now: pd.Timestamp,
    registry: pd.DataFrame,
) -> list[dict[str, object]]:
    """Holes between the first of `stamps` and `end` not covered by explained registry rows.

    `stamps`: candle open times of ONE series in the window (any order); `registry`: its
    `ohlcv_gaps` rows (columns gap_start, gap_end, reason). Each hole is listed with the
    reasons of the registry rows over it that explain nothing (missed, confirmed) and
    "unregistered" when part of it has no row at all. Candles not closed by `now` are not
    holes yet.
    """
    if stamps.empty:
        return []
    step = parse_timeframe(timeframe)
    gaps = find_gaps(stamps, timeframe, start=stamps.min(), end=end, now=now)
    out = []
    for gap in gaps:
        over = registry[(registry["gap_start"] <= gap.end) & (registry["gap_end"] >= gap.start)]
        explained = over[over["reason"].isin(EXPLAINED)]
        if _covered(explained, gap.start, gap.end, step) >= gap.missing:
            continue
        reasons = sorted(set(over["reason"]) - set(EXPLAINED))
        if _covered(over, gap.start, gap.end, step) < gap.missing:
            reasons.append(UNREGISTERED)
        out.append(
            {
                "gap_start": f"{gap.start:%Y-%m-%dT%H:%M:%SZ}",
                "gap_end": f"{gap.end:%Y-%m-%dT%H:%M:%SZ}",
                "missing_candles": int(gap.missing),
                "reason": ", ".join(reasons),
            }
        )
    return out
