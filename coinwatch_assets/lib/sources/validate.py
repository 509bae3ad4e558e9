"""Strict checks on candle rows as ccxt parses them, before anything is stored.

ccxt turns unparsable fields into None (or NaN for the string "NaN") and silently drops rows
whose timestamp it cannot read, so every row is checked as it comes out of the exchange's
`parse_ohlcv` (see :mod:`coinwatch_assets.lib.sources.exchange`), not only the survivors.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

_FIELDS = ("timestamp", "open", "high", "low", "close", "volume")


def row_problem(row: object, grid: int) -> str | None:
    """Why a parsed `[ms, o, h, l, c, v]` row is unusable, or None if it is fine."""
    if not isinstance(row, list | tuple) or len(row) != 6:
        return f"expected 6 fields, got {row!r}"
    ts = row[0]
    if isinstance(ts, bool) or not isinstance(ts, int):
        return f"timestamp {ts!r} is not an integer number of milliseconds"
    if ts % grid:
        return f"timestamp {ts} is not on the {grid} ms grid"
    for name, value in zip(_FIELDS[1:], row[1:], strict=True):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{name} {value!r} is not a number"
        if not math.isfinite(value):
            return f"{name} is {value!r}, not a finite number"
    return None


def day_of(ts_ms: int) -> str:
    """`2019-10-11` for a UTC epoch-ms timestamp."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def first_problem(rows: list[object], grid: int) -> tuple[int, object, str] | None:
    """(index, row, reason) of the first unusable row, or None if all are fine."""
    for index, row in enumerate(rows):
        problem = row_problem(row, grid)
        if problem is not None:
            return index, row, problem
    return None
