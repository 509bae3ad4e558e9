"""Turn a run's partition keys into as few source fetches as possible (plain Python)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from coinwatch_assets.lib.storage.slices import merge_windows


def fetch_windows(
    days_by_symbol: dict[str, list[str]], now: datetime
) -> list[tuple[str, datetime, datetime]]:
    """(symbol, start, end) per run of consecutive days; windows end at `now` at the latest.

    A single-run backfill of 365 days of one symbol becomes one paginated fetch, not 365.
    """
    plan = []
    for symbol in sorted(days_by_symbol):
        windows = []
        for day in days_by_symbol[symbol]:
            start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
            windows.append((start, start + timedelta(days=1)))
        for start, end in merge_windows(windows):
            if start >= now:
                continue
            plan.append((symbol, start, min(end, now)))
    return plan


def group_days(keys: list[tuple[str, str]]) -> dict[str, list[str]]:
    """[(day, symbol), ...] -> {symbol: [days]}."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for day, symbol in keys:
        grouped[symbol].append(day)
    return dict(grouped)
