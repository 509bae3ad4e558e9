"""Turn a run's partition keys into as few source fetches as possible (plain Python)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from coinwatch_assets.lib.market.grain import month_window
from coinwatch_assets.lib.storage.slices import merge_windows


def fetch_windows(
    months_by_symbol: dict[str, list[str]], now: datetime, since: datetime | None = None
) -> list[tuple[str, datetime, datetime]]:
    """(symbol, start, end) per run of consecutive months; from `since`, up to `now` at most.

    A single-run backfill of a symbol's years becomes one paginated fetch, not one per month.
    """
    plan = []
    for symbol in sorted(months_by_symbol):
        windows = [month_window(month) for month in months_by_symbol[symbol]]
        for start, end in merge_windows(windows):
            if since is not None:
                start = max(start, since)
            if start >= now or start >= end:
                continue
            plan.append((symbol, start, min(end, now)))
    return plan


def group_by_symbol(keys: list[tuple[str, str]]) -> dict[str, list[str]]:
    """[(month, symbol), ...] -> {symbol: [months]}."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for month, symbol in keys:
        grouped[symbol].append(month)
    return dict(grouped)
