"""The partition grain of a venue's market tables: UTC calendar month x symbol.

The one owner of the grain: which month a time falls in, the window of a month key, the keys
covering a range and the key format. Everything else (assets, checks, sensors, the upgrade
step, benchmarks) asks this module instead of assuming months or days.

Why months: each partition a run touches costs Dagster events (~5 per partition, 50-90 ms
here). Day x symbol put a 500-symbol venue started 8 years ago at 1.46M partitions and made
orchestration 50-75x the data work; month x symbol puts it at 48,500 and keeps per-symbol
status in the UI. Holes and outcomes stay per day inside a month (registry rows, metadata).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

# Dimension names of the MultiPartitionsDefinition; Dagster orders a multi key's parts by
# dimension name, so a key reads `2024-01|BTC-USDT`.
TIME_DIMENSION = "month"
SYMBOL_DIMENSION = "symbol"
# strftime format of a month key (Dagster's MonthlyPartitionsDefinition `fmt`).
MONTH_FMT = "%Y-%m"


def month_start(value: date | datetime) -> date:
    """The first day of the UTC month holding `value`."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date() if value.tzinfo else value.date()
    return value.replace(day=1)


def next_month(first: date) -> date:
    """The first day of the month after the one starting on `first`."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_key(value: date | datetime) -> str:
    """`2024-01` for any time or day in January 2024 (UTC)."""
    return month_start(value).strftime(MONTH_FMT)


def parse_month(key: str) -> date:
    """First day of the month key `2024-01`, with an error naming the expected form."""
    try:
        parsed = datetime.strptime(key, MONTH_FMT).date()
    except ValueError:
        raise ValueError(f"month key {key!r} is not of the form YYYY-MM, e.g. 2024-01") from None
    return parsed


def month_window(key: str) -> tuple[datetime, datetime]:
    """[start, end) of a month key in UTC."""
    first = parse_month(key)
    start = datetime.combine(first, datetime.min.time(), UTC)
    return start, datetime.combine(next_month(first), datetime.min.time(), UTC)


def month_keys(start: date | datetime, end: date | datetime) -> list[str]:
    """Month keys whose windows intersect [start, end] (both ends' months included)."""
    first, last = month_start(start), month_start(end)
    keys = []
    while first <= last:
        keys.append(first.strftime(MONTH_FMT))
        first = next_month(first)
    return keys


def days_of_month(key: str) -> list[date]:
    """Every UTC day of the month key."""
    first = parse_month(key)
    end = next_month(first)
    return [first + timedelta(days=i) for i in range((end - first).days)]


def split_key(key: str) -> tuple[str, str]:
    """(month, symbol key) of an `ohlcv` partition key `2024-01|BTC-USDT`."""
    month, symbol = key.split("|", 1)
    return month, symbol


def join_key(month: str, symbol_key: str) -> str:
    """The `ohlcv` partition key of a month and a symbol key."""
    return f"{month}|{symbol_key}"


def day_start(day: date) -> datetime:
    """00:00 UTC of `day`."""
    return datetime.combine(day, datetime.min.time(), UTC)


def days_between(start: datetime, end: datetime) -> list[date]:
    """The UTC days whose windows intersect [start, end) (none when the window is empty)."""
    if end <= start:
        return []
    first = start.astimezone(UTC).date()
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def clip_to_month(key: str, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """[start, end) cut to the month key's window; None when they do not intersect."""
    lo, hi = month_window(key)
    start, end = max(start, lo), min(end, hi)
    return (start, end) if start < end else None
