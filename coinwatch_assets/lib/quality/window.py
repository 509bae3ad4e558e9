"""All quality findings of one partition window (one series, one UTC day), for the checks.

Plain Python: the Dagster asset checks call `evaluate_window` once per partition key and turn
the findings into check results and `ohlcv_gaps` rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coinwatch_assets.lib.quality.errors import CandleSeriesError
from coinwatch_assets.lib.quality.gaps import GapReport, scan_gaps
from coinwatch_assets.lib.quality.integrity import run_all_rules
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
        jumps=find_price_jumps(frame, threshold=jump_threshold),
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
