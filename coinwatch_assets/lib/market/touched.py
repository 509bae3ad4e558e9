"""Which days of a month partition a derived run recomputes (plain Python, no Dagster).

A run of `ohlcv` records, per partition it materialized, the span of candle times it fetched
(ISO times, end exclusive; see `defs.storage.FETCHED_FROM`): late in a month an intraday run
touched today only, a backfill the whole month. The derived tables recompute the whole UTC
days those windows cover, plus, for indicators, the days whose look-back reads them; the rest
of the month keeps its rows. No window known: the whole month.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from coinwatch_assets.lib.market.grain import month_key, month_window, parse_month
from coinwatch_assets.lib.storage.slices import merge_windows

DAY = timedelta(days=1)
Window = tuple[datetime, datetime]


def _midnight(value: datetime) -> datetime:
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value.date(), datetime.min.time(), UTC)


def whole_days(start: datetime, end: datetime) -> Window:
    """The UTC days covering [start, end): midnight before `start` to midnight at/after `end`."""
    last = _midnight(end)
    return _midnight(start), last if last == end.astimezone(UTC) else last + DAY


def touched_window(start: object, end: object) -> Window | None:
    """[start, end) from an `ohlcv` materialization's recorded ISO times; None when either is
    missing or unreadable (then its whole month is recomputed)."""
    if start is None or end is None:
        return None
    try:
        lo, hi = datetime.fromisoformat(str(start)), datetime.fromisoformat(str(end))
    except ValueError:
        return None
    utc = [t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC) for t in (lo, hi)]
    return utc[0], utc[1]


def previous_month(month: str) -> str:
    """`2024-01` -> `2023-12`."""
    return month_key(parse_month(month) - DAY)


def lookback_months(days: int) -> int:
    """Months before a month that a look-back of `days` days can reach (1 up to 28 days)."""
    return max(1, math.ceil(days / 28))


def months_read(month: str, days: int) -> list[str]:
    """The months a look-back of `days` days from any day of `month` reads, oldest first."""
    months = [month]
    for _ in range(lookback_months(days)):
        months.insert(0, previous_month(months[0]))
    return months


def derive_windows(
    month: str,
    touched: Iterable[Window] | None,
    *,
    follow_days: int = 0,
    since: date | None = None,
) -> list[Window]:
    """Whole days of `month` to recompute, merged; `touched` None: the whole month.

    `follow_days`: days after a touched one that read it (the indicators' look-back), so a
    touched 31 January recomputes the first days of February. `since`: the venue's first day.
    """
    lo, hi = month_window(month)
    if since is not None:
        lo = max(lo, datetime.combine(since, datetime.min.time(), UTC))
    if touched is None:
        return [(lo, hi)] if lo < hi else []
    out = []
    for start, end in touched:
        first, last = whole_days(start, end)
        first, last = max(first, lo), min(last + follow_days * DAY, hi)
        if first < last:
            out.append((first, last))
    return merge_windows(out)
