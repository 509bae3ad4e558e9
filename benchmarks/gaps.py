"""Benchmark: hole scan and full integrity run on one symbol-year of 1m candles.

Builds 525,600 one-minute candles (2023, a non-leap year) with holes punched in (scattered
single minutes plus a few multi-hour outages), then times `scan_gaps` on int64 ms and on a
datetime Series, `run_all_rules`, outage and jump detection; prints the median of several runs.

Run from the repo root: `.venv/bin/python benchmarks/gaps.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from coinwatch_assets.lib.ohlcv_frame import to_canonical
from coinwatch_assets.lib.quality.gaps import scan_gaps
from coinwatch_assets.lib.quality.integrity import run_all_rules
from coinwatch_assets.lib.quality.jumps import find_price_jumps
from coinwatch_assets.lib.quality.outages import find_suspected_outages
from coinwatch_assets.lib.quality.timeframes import timestamps_to_ms
from coinwatch_assets.lib.quality.window import evaluate_window

MINUTE_MS = 60_000
ROWS = 525_600
START = pd.Timestamp("2023-01-01", tz="UTC")
END = pd.Timestamp("2024-01-01", tz="UTC")


def build_year(seed: int = 7) -> tuple[pd.DataFrame, int]:
    """A canonical 1m frame for 2023 with holes; returns (frame, number of missing candles)."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(ROWS, dtype=np.int64)
    keep = rng.random(ROWS) > 0.002  # ~1,000 scattered no-trade minutes
    for begin in (10_000, 200_000, 400_000):  # three outages of 3 hours each
        keep[begin : begin + 180] = False
    minutes = minutes[keep]
    ts_ms = START.value // 1_000_000 + minutes * MINUTE_MS
    close = 30_000 * np.exp(np.cumsum(rng.normal(0, 5e-4, minutes.size)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    spread = np.abs(rng.normal(0, 5.0, minutes.size))
    frame = pd.DataFrame(
        {
            "exchange": "binance",
            "symbol": "BTC/USDT",
            "timeframe": "1m",
            "ts": pd.to_datetime(ts_ms, unit="ms", utc=True),
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": rng.gamma(2.0, 3.0, minutes.size),
        }
    )
    return to_canonical(frame), ROWS - minutes.size


def per_day_windows(frame: pd.DataFrame) -> None:
    """What the partitioned checks do for a one-symbol, 365-day single-run backfill."""
    days = frame["ts"].dt.floor("D")
    for day, part in frame.groupby(days, sort=True):
        evaluate_window(part, "1m", day, day + pd.Timedelta(days=1), END)


def median_seconds(func: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, min) wall time of `repeat` calls, after one warm-up call."""
    func()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        func()
        times.append(time.perf_counter() - began)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    frame, missing = build_year()
    ts_ms = timestamps_to_ms(frame["ts"])
    report = scan_gaps(ts_ms, "1m", start=START, end=END)
    assert report.missing == missing, (report.missing, missing)
    print(f"rows: {len(frame):,} present, {missing:,} missing in {len(report.gaps):,} holes")

    cases: dict[str, Callable[[], object]] = {
        "scan_gaps (int64 ms)": lambda: scan_gaps(ts_ms, "1m", start=START, end=END),
        "scan_gaps (datetime Series)": lambda: scan_gaps(frame["ts"], "1m", start=START, end=END),
        "run_all_rules (8 rules)": lambda: run_all_rules(frame, start=START, end=END),
        "find_suspected_outages": lambda: find_suspected_outages(frame),
        "find_price_jumps": lambda: find_price_jumps(frame),
        "checks per day (365 windows)": lambda: per_day_windows(frame),
    }
    print(f"{'case':<30} {'median ms':>10} {'min ms':>10}   (repeat={args.repeat})")
    for name, func in cases.items():
        med, best = median_seconds(func, args.repeat)
        print(f"{name:<30} {med * 1e3:>10.1f} {best * 1e3:>10.1f}")


if __name__ == "__main__":
    main()
