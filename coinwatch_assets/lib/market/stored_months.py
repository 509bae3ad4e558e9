"""Rows stored per (symbol, UTC month) of a venue's table: one grouped query per table.

The upgrade from the day grain records the months already stored as materialized; it counts
them here, in the database, so years of candles cost one query, not one read per partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import sqlalchemy as sa

from coinwatch_assets.lib.market.grain import month_key
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec


def _month_start(dialect: str, ts: sa.ColumnElement) -> sa.ColumnElement:
    """SQL: the first day of the UTC month of `ts` (a date, or its ISO text on SQLite)."""
    if dialect == "postgresql":
        # AT TIME ZONE 'UTC' first: the session's time zone must not move a month boundary.
        return sa.cast(sa.func.date_trunc("month", sa.func.timezone("UTC", ts)), sa.Date)
    # SQLite stores UTC text (`2024-01-31 23:55:00.000000`); strftime reads it as UTC.
    return sa.func.strftime("%Y-%m-01", ts)


def _as_day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def stored_month_counts(
    storage: Storage, table: str, pins: Mapping[str, object]
) -> dict[tuple[str, str], int]:
    """{(symbol, month key): rows} of `table` restricted to `pins` (venue, timeframe)."""
    spec = table_spec(table)
    if spec.time_column is None or "symbol" not in spec.table.c:
        raise ValueError(f"table {table!r} is not a per-symbol time series; nothing to count")
    storage.ensure_schema()
    t = spec.table
    month = _month_start(storage.engine.dialect.name, t.c[spec.time_column]).label("month")
    where = Slice.whole_table(table).pinned(dict(pins)).where(t)
    stmt = (
        sa.select(t.c.symbol, month, sa.func.count().label("rows"))
        .where(where)
        .group_by(t.c.symbol, month)
    )
    with storage.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return {(symbol, month_key(_as_day(first))): int(n) for symbol, first, n in rows}
