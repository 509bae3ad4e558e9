"""The two write semantics inside one transaction: replace a slice, or upsert facts into it.

`replace` (derived tables, or a deliberate replacement of facts): delete the slice, insert the
frame; a replacement of facts that would leave a stored (day, keys) cell with no row is refused
unless the mode is `replace_allow_empty`. `upsert` (facts: candles,
markets, articles): rows are added and corrected, stored rows the frame does not hold are kept
and counted. An upsert into an empty slice is a plain insert (COPY speed); otherwise the frame
is staged in a temporary table and merged with `INSERT ... ON CONFLICT DO UPDATE ... WHERE
(...) IS DISTINCT FROM (...)`, so unchanged rows cost no write.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import PreparedFrame, RefusedWrite, day_labels
from coinwatch_assets.lib.storage.pg_copy import copy_in
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.sqlite_rows import insert_rows
from coinwatch_assets.lib.storage.tables import TableSpec

_stage_names = itertools.count()


class EmptyReplacement(RefusedWrite):
    """A replacement of facts would leave stored (day, keys) cells with no row."""

    def __init__(self, message: str, emptied: dict[str, int]) -> None:
        super().__init__(message)
        self.emptied = emptied


@dataclass(frozen=True)
class WriteResult:
    """What one write did to its slice."""

    mode: str
    rows_written: int  # rows in the frame
    rows_deleted: int = 0  # replace: stored rows removed from the slice
    rows_inserted: int = 0  # upsert: new keys
    rows_updated: int = 0  # upsert: stored rows whose values changed
    rows_not_returned: int = 0  # upsert: stored rows of the slice the frame did not hold
    rows_kept: int = 0  # upsert: frame rows the table's keep rule turned away (TableSpec)
    # upsert: stored rows not returned, per (key values, UTC day) - for warnings
    not_returned_by_cell: dict[str, int] = field(default_factory=dict)

    @property
    def rows_unchanged(self) -> int:
        return self.rows_written - self.rows_inserted - self.rows_updated - self.rows_kept


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


def cell_counts(spec: TableSpec, frame: pd.DataFrame, where: Slice) -> dict[str, int]:
    """Rows per (UTC day, key values) of a frame, labelled like `not_returned_by_cell`."""
    if frame is None or frame.empty:
        return {}
    keys = sorted({col for cell in where.cells or () for col, _ in cell.equals})
    parts = [frame[k].astype(str) for k in keys]
    if spec.time_column is not None:
        day = day_labels(frame[spec.time_column], "%Y-%m-%d")
        parts.insert(0, day)
    if not parts:
        return {spec.name: len(frame)}
    labels = parts[0].str.cat(parts[1:], sep=" ") if len(parts) > 1 else parts[0]
    return labels.value_counts().to_dict()


def _refuse_emptying(
    conn: sa.Connection, spec: TableSpec, prepared: PreparedFrame, where: Slice, day: Any
) -> None:
    """A replacement of facts never turns stored rows of a (day, keys) cell into none."""
    stored = _not_returned(conn, spec, where, None, day)
    emptied = {c: n for c, n in stored.items() if c not in cell_counts(spec, prepared.rows, where)}
    if emptied:
        shown = ", ".join(f"{c} ({n} {spec.noun})" for c, n in list(emptied.items())[:10])
        raise EmptyReplacement(
            f"{spec.name} partition {where.label}: the replacement holds no {spec.noun} for "
            f"{len(emptied)} day(s) that store some: {shown}; the source answered nothing for "
            "them. Nothing was written: the slice keeps its rows.",
            emptied,
        )


def _count(conn: sa.Connection, spec: TableSpec, where: Slice) -> int:
    stmt = sa.select(sa.func.count()).select_from(spec.table).where(where.where(spec.table))
    return int(conn.execute(stmt).scalar_one())


def _kept_sql(spec: TableSpec) -> str:
    """True for a stored row (`cur`) the table's keep rule protects from its staged row (`s`)."""
    column, value = spec.keep_stored
    literal = "'" + value.replace("'", "''") + "'"
    return (
        f"cur.{_q(column)} = {literal} AND (s.{_q(column)} IS NULL OR s.{_q(column)} <> {literal})"
    )


def _kept(conn: sa.Connection, spec: TableSpec, stage: str) -> int:
    """Staged rows the keep rule turns away (counted under the slice lock, before the merge)."""
    if spec.keep_stored is None:
        return 0
    on = " AND ".join(f"s.{_q(k)} = cur.{_q(k)}" for k in spec.primary_key)
    sql = (
        f"SELECT count(*) FROM {_q(stage)} AS s JOIN {_q(spec.name)} AS cur ON {on} "
        f"WHERE {_kept_sql(spec)}"
    )
    return int(conn.exec_driver_sql(sql).scalar_one())


def _upsert_sql(spec: TableSpec, stage: str, *, postgres: bool) -> str:
    """INSERT the staged rows that are new or differ from the stored ones.

    The join filters unchanged rows out before the INSERT: ON CONFLICT ... WHERE false alone
    would still lock (and so write) every conflicting row.
    """
    cols = [c.name for c in spec.table.columns]
    values = _value_columns(spec)
    target = _q(spec.name)
    names = ", ".join(map(_q, cols))
    conflict = ", ".join(map(_q, spec.primary_key))
    on = " AND ".join(f"s.{_q(k)} = cur.{_q(k)}" for k in spec.primary_key)
    if postgres:
        differs = (
            f"({', '.join(f'cur.{_q(c)}' for c in values)}) IS DISTINCT FROM "
            f"({', '.join(f's.{_q(c)}' for c in values)})"
        )
    else:
        differs = " OR ".join(f"cur.{_q(c)} IS NOT s.{_q(c)}" for c in values)
    if spec.keep_stored is not None and values:
        differs = f"({differs}) AND NOT ({_kept_sql(spec)})"
    new_or_changed = f"cur.{_q(spec.primary_key[0])} IS NULL" + (f" OR {differs}" if values else "")
    # (A WHERE also keeps SQLite from reading the ON CONFLICT as a join constraint.)
    sql = (
        f"INSERT INTO {target} ({names}) "
        f"SELECT {', '.join(f's.{_q(c)}' for c in cols)} FROM {_q(stage)} AS s "
        f"LEFT JOIN {target} AS cur ON {on} WHERE {new_or_changed} "
    )
    if not values:
        return sql + f"ON CONFLICT ({conflict}) DO NOTHING"
    sets = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in values)
    return sql + f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}"


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
    if mode == "replace" and spec.write_mode == "upsert":
        _refuse_emptying(conn, spec, prepared, where, _pg_day)
    if mode in ("replace", "replace_allow_empty"):
        deleted = conn.execute(sa.delete(spec.table).where(where.where(spec.table)))
        copy_in(raw, spec, prepared)
        return WriteResult("replace", n, rows_deleted=max(deleted.rowcount, 0))
    stored = _count(conn, spec, where)
    if stored == 0:
        copy_in(raw, spec, prepared)
        return WriteResult(mode, n, rows_inserted=n)
    if n == 0:
        missing = _not_returned(conn, spec, where, None, _pg_day)
        return WriteResult(mode, 0, rows_not_returned=stored, not_returned_by_cell=missing)
    name = f"_stage_{spec.name}_{next(_stage_names)}"
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {_q(name)} (LIKE {_q(spec.name)}) ON COMMIT DROP")
    copy_in(raw, spec, prepared, table_name=name)
    # Without statistics the planner takes the fresh temp table for a few rows and joins it
    # row by row (quadratic on a 1M-row backfill); ANALYZE samples it in milliseconds.
    conn.exec_driver_sql(f"ANALYZE {_q(name)}")
    kept = _kept(conn, spec, name)
    fresh, updated = conn.exec_driver_sql(
        f"WITH up AS ({_upsert_sql(spec, name, postgres=True)} RETURNING (xmax = 0) AS fresh) "
        "SELECT count(*) FILTER (WHERE fresh), count(*) FILTER (WHERE NOT fresh) FROM up"
    ).one()
    return _upserted(
        conn, spec, where, _stage_table(spec, name), _pg_day, n, stored, (fresh, updated, kept)
    )


def _upserted(
    conn: sa.Connection,
    spec: TableSpec,
    where: Slice,
    stage: sa.Table,
    day: Any,
    n: int,
    stored: int,
    counts: tuple[int, int, int],
) -> WriteResult:
    """The result of an upsert; stored rows it was not sent are counted per day only when
    there are some (the anti-join is the costly part of an unchanged re-write).
    `counts`: (new, updated, kept by the keep rule) rows of the frame."""
    fresh, updated, kept = counts
    not_returned = stored - (n - int(fresh))
    missing = _not_returned(conn, spec, where, stage, day) if not_returned else {}
    return WriteResult(
        "upsert",
        n,
        rows_inserted=int(fresh),
        rows_updated=int(updated),
        rows_not_returned=not_returned,
        not_returned_by_cell=missing,
        rows_kept=kept,
    )


def sqlite_write(
    conn: sa.Connection, spec: TableSpec, prepared: PreparedFrame, where: Slice, mode: str
) -> WriteResult:
    """Write on SQLite inside `conn`'s (IMMEDIATE, so already exclusive) transaction."""
    raw = conn.connection.driver_connection
    rows = prepared.rows
    n = len(rows)
    if mode == "replace" and spec.write_mode == "upsert":
        _refuse_emptying(conn, spec, prepared, where, _sqlite_day)
    if mode in ("replace", "replace_allow_empty"):
        deleted = conn.execute(sa.delete(spec.table).where(where.where(spec.table)))
        insert_rows(raw, spec, rows)
        return WriteResult("replace", n, rows_deleted=max(deleted.rowcount, 0))
    stored = _count(conn, spec, where)
    if stored == 0:
        insert_rows(raw, spec, rows)
        return WriteResult(mode, n, rows_inserted=n)
    name = f"_stage_{spec.name}"
    raw.execute(f"DROP TABLE IF EXISTS temp.{_q(name)}")
    raw.execute(f"CREATE TEMP TABLE {_q(name)} AS SELECT * FROM main.{_q(spec.name)} WHERE 0")
    insert_rows(raw, spec, rows, table_name=name)
    stage = _stage_table(spec, name)
    same = sa.and_(*(stage.c[k] == spec.table.c[k] for k in spec.primary_key))
    fresh = conn.execute(
        sa.select(sa.func.count()).select_from(stage).where(~sa.exists().where(same))
    ).scalar_one()
    kept = _kept(conn, spec, name)
    before = raw.total_changes
    raw.execute(_upsert_sql(spec, name, postgres=False))
    changed = raw.total_changes - before
    counts = (fresh, changed - fresh, kept)
    result = _upserted(conn, spec, where, stage, _sqlite_day, n, stored, counts)
    raw.execute(f"DROP TABLE temp.{_q(name)}")
    return result
