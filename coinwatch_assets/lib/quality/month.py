"""A month partition judged by spans of days (plain Python): which days a run judges, the
findings of those days summed for the month's check results, and the month's per-day table.

Holes and outcomes stay per UTC day inside a month partition: a run of consecutive judged days
is ONE window (a per-day loop of pandas calls cost ~50 ms a day: a symbol-year spent most of
its backfill there; the windows of a symbol's months go through one `evaluate_windows`), then
its holes are cut at midnight and its counts split per day; days not judged keep their
registry rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from coinwatch_assets.lib.market.grain import days_between, days_of_month, month_window
from coinwatch_assets.lib.quality.gaps import Gap
from coinwatch_assets.lib.quality.timeframes import timeframe_ms
from coinwatch_assets.lib.quality.window import WindowFindings

ONE_DAY = pd.Timedelta(days=1)


def day_window(day: str | date) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(day, tz="UTC")
    return start, start + ONE_DAY


def judged_days(
    month: str, fetched: tuple[pd.Timestamp, pd.Timestamp] | None, as_of: pd.Timestamp
) -> list[date]:
    """The days of `month` a run is judged on: those its fetch touched (whole month without a
    stated fetch span), up to the fetch's moment (later days expect nothing yet)."""
    if fetched is None:
        days = days_of_month(month)
    else:
        lo, hi = month_window(month)
        days = days_between(max(fetched[0], lo), min(fetched[1], hi))
    return [d for d in days if pd.Timestamp(d, tz="UTC") < as_of]


DAY_MS = 86_400_000


def day_spans(days: list[date]) -> list[list[date]]:
    """Runs of consecutive days, in order."""
    spans: list[list[date]] = []
    for day in sorted(days):
        if spans and (day - spans[-1][-1]).days == 1:
            spans[-1].append(day)
        else:
            spans.append([day])
    return spans


def _ms(value: pd.Timestamp) -> int:
    return int(pd.Timestamp(value).value // 1_000_000)


def split_gaps_by_day(gaps: tuple[Gap, ...] | list[Gap], timeframe: str) -> list[Gap]:
    """Holes cut at UTC midnight: each day keeps its own part of a hole (its registry row)."""
    step = timeframe_ms(timeframe)
    out: list[Gap] = []
    for gap in gaps:
        first, last = _ms(gap.start), _ms(gap.end)
        if first // DAY_MS == last // DAY_MS:
            out.append(gap)
            continue
        points = np.arange(first, last + 1, step, dtype=np.int64)
        days = points // DAY_MS
        cuts = np.flatnonzero(np.diff(days)) + 1
        for part in np.split(points, cuts):
            out.append(
                Gap(
                    pd.Timestamp(int(part[0]), unit="ms", tz="UTC"),
                    pd.Timestamp(int(part[-1]), unit="ms", tz="UTC"),
                    len(part),
                )
            )
    return out


def _per_day(ms: np.ndarray) -> dict[date, int]:
    days, counts = np.unique(ms // DAY_MS, return_counts=True)
    epoch = date(1970, 1, 1)
    return {
        date.fromordinal(epoch.toordinal() + int(d)): int(n)
        for d, n in zip(days, counts, strict=True)
    }


@dataclass
class MonthFindings:
    """The findings of a partition's judged days, summed; one line per judged day."""

    candles: int = 0
    expected: int = 0
    outages: int = 0
    broken: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    jumps: list[pd.DataFrame] = field(default_factory=list)
    grid_errors: list[str] = field(default_factory=list)
    status: str | None = None
    days: list[dict[str, object]] = field(default_factory=list)

    def add_span(
        self,
        days: list[date],
        findings: WindowFindings,
        rows: pd.DataFrame,
        status: str | None,
        timeframe: str,
    ) -> None:
        """One window over consecutive `days`: summed like `add`, one table line per day."""
        report = findings.gaps
        self.candles += findings.candles
        self.expected += report.expected if report else 0
        self.outages += len(findings.outages)
        for rule, bad in findings.broken_rules.items():
            self.broken.setdefault(rule, []).append(bad)
        if findings.jumps is not None and len(findings.jumps):
            self.jumps.append(findings.jumps)
        if findings.grid_error:
            self.grid_errors.append(f"{days[0]}..{days[-1]}: {findings.grid_error}")
        self.status = status or self.status
        candles = _per_day(findings.candle_ms) if findings.candle_ms is not None else {}
        expected: dict[date, int] = {}
        if report is not None and report.expected:
            step = timeframe_ms(timeframe)
            first = _ms(report.first_expected)
            expected = _per_day(first + step * np.arange(report.expected, dtype=np.int64))
        holes: dict[date, tuple[int, int]] = {}
        if len(rows):
            starts = pd.to_datetime(rows["gap_start"], utc=True).dt.date
            for day, group in rows.groupby(starts):
                holes[day] = (len(group), int(group["missing_candles"].sum()))
        for day in days:
            n_holes, missing = holes.get(day, (0, 0))
            self.days.append(
                {
                    "day": f"{day}",
                    "candles": candles.get(day, 0),
                    "expected": expected.get(day, 0),
                    "holes": n_holes,
                    "missing": missing,
                    "judged": "this run",
                }
            )

    def broken_rules(self) -> dict[str, pd.DataFrame]:
        return {rule: pd.concat(frames, ignore_index=True) for rule, frames in self.broken.items()}

    def all_jumps(self) -> pd.DataFrame:
        return pd.concat(self.jumps, ignore_index=True) if self.jumps else pd.DataFrame()


def days_markdown(days: list[dict[str, object]]) -> str:
    """The per-day table of a month's quality check: judged days that expected candles, and days
    with stored holes (days expecting nothing, e.g. before the listing, are left out)."""
    days = [d for d in days if d["candles"] or d["expected"] or d["holes"]]
    lines = ["| day | candles | expected | holes | missing | judged |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {d['day']} | {d['candles']} | {d['expected']} | {d['holes']} | {d['missing']} "
        f"| {d['judged']} |"
        for d in sorted(days, key=lambda d: str(d["day"]))
    ]
    return "\n".join(lines)


def kept_days(rows: pd.DataFrame) -> list[dict[str, object]]:
    """Per-day lines of registry rows kept from earlier runs (days this run did not judge)."""
    if not len(rows):
        return []
    by_day = rows.groupby(pd.to_datetime(rows["gap_start"], utc=True).dt.strftime("%Y-%m-%d"))
    return [
        {
            "day": day,
            "candles": "-",
            "expected": "-",
            "holes": len(group),
            "missing": int(group["missing_candles"].sum()),
            "judged": "earlier run (registry)",
        }
        for day, group in by_day
    ]
