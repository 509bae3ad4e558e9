"""Turn a run's partition keys into as few source fetches as possible (plain Python)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta

from coinwatch_assets.lib.market.grain import clip_to_month, join_key, month_window
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


# Run tags that narrow what an `ohlcv` run fetches of its partitions (set by the schedules and
# the repair sensor; a run without them fetches its partitions' whole windows):
# - FETCH_FROM_TAG: LAST_STORED (from each symbol's last stored candle, minus an overlap) or an
#   ISO time (the daily close re-fetches yesterday whole);
# - FETCH_WINDOWS_TAG: a JSON list of [start, end] ISO pairs (the holes a repair re-fetches).
FETCH_FROM_TAG = "coinwatch/fetch_from"
FETCH_WINDOWS_TAG = "coinwatch/fetch_windows"
LAST_STORED = "last_stored"
# Candles re-fetched before the last stored one: confirms the tail the previous run saw.
OVERLAP_CANDLES = 3


def encode_windows(windows: list[tuple[datetime, datetime]]) -> str:
    """The FETCH_WINDOWS_TAG value of `windows`."""
    return json.dumps([[lo.isoformat(), hi.isoformat()] for lo, hi in windows])


def decode_windows(value: str) -> list[tuple[datetime, datetime]]:
    """FETCH_WINDOWS_TAG's windows, with an error naming the tag and the expected form."""
    try:
        pairs = [
            (datetime.fromisoformat(lo), datetime.fromisoformat(hi)) for lo, hi in json.loads(value)
        ]
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"run tag {FETCH_WINDOWS_TAG}={value!r}: expected a JSON list of "
            f'["<ISO start>", "<ISO end>"] pairs ({exc})'
        ) from None
    if any(lo.tzinfo is None or hi.tzinfo is None for lo, hi in pairs):
        raise ValueError(f"run tag {FETCH_WINDOWS_TAG}: times need a UTC offset, e.g. +00:00")
    return pairs


def narrow_plan(
    plan: list[tuple[str, datetime, datetime]],
    *,
    latest: dict[str, datetime] | None = None,
    overlap: timedelta = timedelta(0),
    fetch_from: datetime | None = None,
    windows: list[tuple[datetime, datetime]] | None = None,
) -> list[tuple[str, datetime, datetime]]:
    """`plan` cut to what a run needs: from each symbol's last stored candle (`latest`, by
    symbol key) minus `overlap`, from `fetch_from`, or to `windows`; never before a window's
    own start (the month's, the venue's)."""
    out = []
    for symbol, start, end in plan:
        if latest is not None and symbol in latest:
            start = max(start, min(end, latest[symbol] - overlap))
        if fetch_from is not None:
            start = max(start, fetch_from)
        spans = (
            [(start, end)]
            if windows is None
            else [(max(start, lo), min(end, hi)) for lo, hi in merge_windows(windows)]
        )
        out += [(symbol, lo, hi) for lo, hi in spans if lo < hi]
    return out


def partition_windows(
    plan: list[tuple[str, datetime, datetime]], keys: list[tuple[str, str]]
) -> dict[str, list[tuple[datetime, datetime]]]:
    """{partition key: the parts of its month the plan fetches} for the run's (month, symbol)."""
    by_symbol: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for symbol, start, end in plan:
        by_symbol[symbol].append((start, end))
    out = {}
    for month, symbol in keys:
        spans = [clip_to_month(month, lo, hi) for lo, hi in by_symbol.get(symbol, [])]
        out[join_key(month, symbol)] = [s for s in spans if s is not None]
    return out
