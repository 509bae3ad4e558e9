"""The two write semantics inside one transaction: replace a slice, or upsert facts into it.

`replace` (derived tables): delete the slice, insert the frame. `upsert` (facts: candles,
markets, articles): rows are added and corrected, stored rows the frame does not hold are kept
and counted. An upsert into an empty slice is a plain insert (COPY speed); otherwise the frame
is staged in a temporary table and merged with `INSERT ... ON CONFLICT DO UPDATE ... WHERE
(...) IS DISTINCT FROM (...)`, so unchanged rows cost no write.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import PreparedFrame
from coinwatch_assets.lib.storage.pg_copy import copy_in
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.sqlite_rows import insert_rows
from coinwatch_assets.lib.storage.tables import TableSpec

_stage_names = itertools.count()


@dataclass(frozen=True)
class WriteResult:
    """What one write did to its slice."""

    mode: str
    rows_written: int  # rows in the frame
    rows_deleted: int = 0  # replace: stored rows removed from the slice
    rows_inserted: int = 0  # upsert: new keys
    rows_updated: int = 0  # upsert: stored rows whose values changed
    rows_not_returned: int = 0  # upsert: stored rows of the slice the frame did not hold
    # upsert: stored rows not returned, per (key values, UTC day) - for warnings
    not_returned_by_cell: dict[str, int] = field(default_factory=dict)

    @property
    def rows_unchanged(self) -> int:
        return self.rows_written - self.rows_inserted - self.rows_updated


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _value_columns(spec: TableSpec) -> list[str]:
    return [c.name for c in spec.table.columns if c.name not in spec.primary_key]


def _stage_table(spec: TableSpec, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), *(sa.Column(c.name, c.type) for c in spec.table.columns))


def _not_returned(
    conn: sa.Connection, spec: TableSpec, where: Slice, stage: sa.Table | None, day: Any
) -> dict[str, int]:
    """Stored rows of the slice missing from the stage (all of them without a stage),
    counted per UTC day and key values, e.g. {"2024-01-02 binance BTC/USDT 5m": 288}."""
    table = spec.table
    keys = sorted({col for cell in where.cells or () for col, _ in cell.equals})
    group = [day(table.c[spec.time_column])] if spec.time_column is not None else []
    group += [table.c[k] for k in keys]
    stmt = sa.select(*group, sa.func.count()).where(where.where(table))
    if stage is not None:
        same = sa.and_(*(stage.c[k] == table.c[k] for k in spec.primary_key))
        stmt = stmt.where(~sa.exists().where(same))
    if group:
        stmt = stmt.group_by(*group)
    counts = {" ".join(map(str, labels)) or spec.name: int(n) for *labels, n in conn.execute(stmt)}
    return {label: n for label, n in sorted(counts.items()) if n}


def _has_rows(conn: sa.Connection, spec: TableSpec, where: Slice) -> bool:
    stmt = sa.select(sa.literal(1)).where(where.where(spec.table)).limit(1)
    return conn.execute(stmt).first() is not None


def _upsert_sql(spec: TableSpec, stage: str, *, postgres: bool) -> str:
    cols = [c.name for c in spec.table.columns]
    values = _value_columns(spec)
    target = _q(spec.name)
    names = ", ".join(map(_q, cols))
    conflict = ", ".join(map(_q, spec.primary_key))
    # SQLite needs a WHERE on INSERT ... SELECT to parse the ON CONFLICT clause.
    sql = f"INSERT INTO {target} ({names}) SELECT {names} FROM {_q(stage)} WHERE true "
    if not values:
        return sql + f"ON CONFLICT ({conflict}) DO NOTHING"
    sets = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in values)
    if postgres:
        changed = (
            f"({', '.join(f'{target}.{_q(c)}' for c in values)}) IS DISTINCT FROM "
            f"({', '.join(f'excluded.{_q(c)}' for c in values)})"
        )
    else:
        changed = " OR ".join(f"{target}.{_q(c)} IS NOT excluded.{_q(c)}" for c in values)
    return sql + f"ON CONFLICT ({conflict}) DO UPDATE SET {sets} WHERE {changed}"


def lock_slice(conn: sa.Connection, where: Slice) -> None:
    """Serialize writers of the same slice cells (PostgreSQL advisory transaction locks).

    Cell writers share a lock on the table, a whole-table writer takes it alone; each cell's
    column values are one exclusive lock, taken in sorted order so two writers never deadlock.
    """
    lock = "SELECT pg_advisory_xact_lock{}(hashtextextended(:key, 0))"
    if where.cells is None:
        conn.execute(sa.text(lock.format("")), {"key": where.table})
        return
    conn.execute(sa.text(lock.format("_shared")), {"key": where.table})
    for key in where.lock_keys():
        conn.execute(sa.text(lock.format("")), {"key": key})


def _pg_day(column: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")


def _sqlite_day(column: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.substr(column, 1, 10)


def pg_write(
    conn: sa.Connection, spec: TableSpec, prepared: PreparedFrame, where: Slice, mode: str
) -> WriteResult:
    """Write on TimescaleDB inside `conn`'s transaction (binary COPY for the rows)."""
    raw = conn.connection.driver_connection
    n = len(prepared.rows)
    lock_slice(conn, where)
    if mode == "replace":
        deleted = conn.execute(sa.delete(spec.table).where(where.where(spec.table)))
        copy_in(raw, spec, prepared)
        return WriteResult(mode, n, rows_deleted=max(deleted.rowcount, 0))
    if not _has_rows(conn, spec, where):
        copy_in(raw, spec, prepared)
        return WriteResult(mode, n, rows_inserted=n)
    if n == 0:
        missing = _not_returned(conn, spec, where, None, _pg_day)
        return WriteResult(
            mode, 0, rows_not_returned=sum(missing.values()), not_returned_by_cell=missing
        )
    name = f"_stage_{spec.name}_{next(_stage_names)}"
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {_q(name)} (LIKE {_q(spec.name)}) ON COMMIT DROP")
    copy_in(raw, spec, prepared, table_name=name)
    stage = _stage_table(spec, name)
    missing = _not_returned(conn, spec, where, stage, _pg_day)
    counted = conn.exec_driver_sql(
        f"WITH up AS ({_upsert_sql(spec, name, postgres=True)} RETURNING (xmax = 0) AS fresh) "
        "SELECT count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE NOT fresh) FROM up"
    ).one()
    return WriteResult(
        mode,
        n,
        rows_inserted=int(counted[0]),
        rows_updated=int(counted[1]),
        rows_not_returned=sum(missing.values()),
        not_returned_by_cell=missing,
    )


def sqlite_write(
    conn: sa.Connection, spec: TableSpec, prepared: PreparedFrame, where: Slice, mode: str
) -> WriteResult:
    """Write on SQLite inside `conn`'s (IMMEDIATE, so already exclusive) transaction."""
    raw = conn.connection.driver_connection
    rows = prepared.rows
    n = len(rows)
    if mode == "replace":
        deleted = conn.execute(sa.delete(spec.table).where(where.where(spec.table)))
        insert_rows(raw, spec, rows)
        return WriteResult(mode, n, rows_deleted=max(deleted.rowcount, 0))
    if not _has_rows(conn, spec, where):
        insert_rows(raw, spec, rows)
        return WriteResult(mode, n, rows_inserted=n)
    name = f"_stage_{spec.name}"
    raw.execute(f"DROP TABLE IF EXISTS temp.{_q(name)}")
    raw.execute(f"CREATE TEMP TABLE {_q(name)} AS SELECT * FROM main.{_q(spec.name)} WHERE 0")
    insert_rows(raw, spec, rows, table_name=name)
    stage = _stage_table(spec, name)
    missing = _not_returned(conn, spec, where, stage, _sqlite_day)
    same = sa.and_(*(stage.c[k] == spec.table.c[k] for k in spec.primary_key))
    fresh = conn.execute(
        sa.select(sa.func.count()).select_from(stage).where(~sa.exists().where(same))
    ).scalar_one()
    before = raw.total_changes
    raw.execute(_upsert_sql(spec, name, postgres=False))
    changed = raw.total_changes - before
    raw.execute(f"DROP TABLE temp.{_q(name)}")
    return WriteResult(
        mode,
        n,
        rows_inserted=int(fresh),
        rows_updated=int(changed - fresh),
        rows_not_returned=sum(missing.values()),
        not_returned_by_cell=missing,
    )
