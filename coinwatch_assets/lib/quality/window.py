"""All quality findings of a window of candles (one series, one or more UTC days).

Plain Python: the Dagster asset checks call `evaluate_windows` once per series and batch (one
window per span of judged days) and turn the findings into check results and `ohlcv_gaps`
rows; `evaluate_window` judges one window of any frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coinwatch_assets.lib.quality.errors import CandleSeriesError
from coinwatch_assets.lib.quality.gaps import GapReport, scan_gaps
from coinwatch_assets.lib.quality.integrity import (
    FUTURE_CANDLE,
    OUTSIDE_WINDOW,
    RULE_NAMES,
    future_candle,
    outside_window,
    run_all_rules,
    window_free_rules,
)
from coinwatch_assets.lib.quality.jumps import DEFAULT_JUMP_THRESHOLD, find_price_jumps
from coinwatch_assets.lib.quality.outages import SuspectedOutage, find_suspected_outages

EXAMPLE_ROWS = 5
_SHOWN = ["ts", "open", "high", "low", "close", "volume"]


@dataclass(frozen=True)
class WindowFindings:
    """What is wrong with the candles of [start, end)."""

    start: pd.Timestamp
    end: pd.Timestamp
    candles: int
    # None when no candle is stored (an empty partition: not listed yet, or no trades at all)
    # or when the stamps are mostly off the timeframe's grid (see `grid_error`).
    gaps: GapReport | None
    broken_rules: dict[str, pd.DataFrame] = field(default_factory=dict)
    jumps: pd.DataFrame | None = None
    outages: list[SuspectedOutage] = field(default_factory=list)
    grid_error: str | None = None
    # The candles' open times (epoch ms, sorted), for per-day counts of a multi-day window.
    candle_ms: np.ndarray | None = None


def evaluate_window(
    frame: pd.DataFrame,
    timeframe: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    now: pd.Timestamp,
    *,
    jump_threshold: float = DEFAULT_JUMP_THRESHOLD,
    expect: bool = False,
) -> WindowFindings:
    """Holes (only candles closed by `now`), broken integrity rules, jumps and outages.

    With `expect`, an empty window is a hole over all of it (the symbol traded then);
    without it, an empty window has no findings (not listed yet, delisted).
    """
    frame = frame.sort_values("ts", kind="stable")
    rules = run_all_rules(frame, start=start, end=end, now=now)
    broken = {name: rows for name, rows in rules.items() if len(rows)}
    jumps = find_price_jumps(frame, threshold=jump_threshold)
    return _findings(frame, timeframe, start, end, now, expect, broken, jumps)


@dataclass(frozen=True)
class Window:
    """One window of `evaluate_windows`: candles stamped in [rows_from, rows_to), judged over
    [start, end) as of `now` (`expect`: an empty window is a hole)."""

    rows_from: pd.Timestamp
    rows_to: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    now: pd.Timestamp
    expect: bool = False


def evaluate_windows(
    frame: pd.DataFrame,
    timeframe: str,
    windows: list[Window],
    *,
    jump_threshold: float = DEFAULT_JUMP_THRESHOLD,
) -> list[WindowFindings]:
    """`evaluate_window` of each window of ONE series whose rows are sorted by `ts`.

    The row rules and close-to-close moves run once over the frame (their fixed cost per call
    dominated a month-by-month backfill); each window keeps the findings stamped in it, and a
    window's first candle has no previous close inside the window, so it is never a jump.
    """
    frame = frame.reset_index(drop=True)  # labels = positions: a window's first row is known
    ts = frame["ts"]
    whole = {n: r for n, r in window_free_rules(frame).items() if len(r)}
    moves = find_price_jumps(frame, threshold=jump_threshold)
    out = []
    for w in windows:
        part = frame.iloc[ts.searchsorted(w.rows_from) : ts.searchsorted(w.rows_to)]
        rules = {n: _stamped(r, w.rows_from, w.rows_to) for n, r in whole.items()}
        rules[OUTSIDE_WINDOW] = outside_window(part, start=w.start, end=w.end)
        rules[FUTURE_CANDLE] = future_candle(part, now=w.now)
        broken = {n: rules[n] for n in RULE_NAMES if n in rules and len(rules[n])}
        jumps = _stamped(moves, w.rows_from, w.rows_to)
        if len(jumps):
            jumps = jumps[jumps.index != part.index[0]]
        out.append(_findings(part, timeframe, w.start, w.end, w.now, w.expect, broken, jumps))
    return out


def _stamped(rows: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """The rows stamped in [lo, hi) (most finding frames are empty: nothing to cut)."""
    if not len(rows):
        return rows
    return rows[(rows["ts"] >= lo) & (rows["ts"] < hi)]


def _findings(
    frame: pd.DataFrame,
    timeframe: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    now: pd.Timestamp,
    expect: bool,
    broken: dict[str, pd.DataFrame],
    jumps: pd.DataFrame,
) -> WindowFindings:
    report, grid_error = None, None
    if len(frame) or expect:
        try:
            report = scan_gaps(frame["ts"], timeframe, start=start, end=end, now=now)
        except CandleSeriesError as exc:
            grid_error = str(exc)
    return WindowFindings(
        start=start,
        end=end,
        candles=len(frame),
        gaps=report,
        broken_rules=broken,
        jumps=jumps,
        outages=find_suspected_outages(frame) if len(frame) else [],
        grid_error=grid_error,
        candle_ms=frame["ts"].to_numpy(dtype="datetime64[ms]").astype(np.int64),
    )


def examples(rows: pd.DataFrame, extra: tuple[str, ...] = ()) -> str:
    """The first offending rows as text (time and prices only)."""
    shown = [c for c in [*_SHOWN, *extra] if c in rows.columns]
    text = rows[shown].head(EXAMPLE_ROWS).to_string(index=False)
    more = f"\n... {len(rows) - EXAMPLE_ROWS} more" if len(rows) > EXAMPLE_ROWS else ""
    return text + more


def rules_metadata(broken: dict[str, pd.DataFrame]) -> dict[str, object]:
    """Check metadata: the broken rules, their row counts and example rows."""
    meta: dict[str, object] = {
        "broken_rules": ", ".join(broken) or "none",
        "offending_rows": int(sum(len(rows) for rows in broken.values())),
    }
    for name, rows in broken.items():
        meta[f"{name}_rows"] = len(rows)
        meta[f"{name}_examples"] = examples(rows)
    return meta
