"""A month partition judged day by day (plain Python): which days a run judges, the findings of
those days summed for the month's check results, and the month's per-day table.

Holes and outcomes stay per UTC day inside a month partition: each judged day is one
`evaluate_window` (as the day grain had); days not judged keep their registry rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from coinwatch_assets.lib.market.grain import days_between, days_of_month, month_window
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

    def add(self, day: date, findings: WindowFindings, rows: pd.DataFrame, status: str | None):
        expected = findings.gaps.expected if findings.gaps else 0
        self.candles += findings.candles
        self.expected += expected
        self.outages += len(findings.outages)
        for rule, bad in findings.broken_rules.items():
            self.broken.setdefault(rule, []).append(bad)
        if findings.jumps is not None and len(findings.jumps):
            self.jumps.append(findings.jumps)
        if findings.grid_error:
            self.grid_errors.append(f"{day}: {findings.grid_error}")
        self.status = status or self.status
        missing = int(rows["missing_candles"].sum()) if len(rows) else 0
        self.days.append(
            {
                "day": f"{day}",
                "candles": findings.candles,
                "expected": expected,
                "holes": len(rows),
                "missing": missing,
                "judged": "this run",
            }
        )

    def broken_rules(self) -> dict[str, pd.DataFrame]:
        return {rule: pd.concat(frames, ignore_index=True) for rule, frames in self.broken.items()}

    def all_jumps(self) -> pd.DataFrame:
        return pd.concat(self.jumps, ignore_index=True) if self.jumps else pd.DataFrame()


def days_markdown(days: list[dict[str, object]]) -> str:
    """The per-day table of a month's gap check: judged days that expected candles, and days
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
