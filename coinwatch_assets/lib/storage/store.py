"""The storage layer: write a DataFrame into its partition slice, read any slice back.

Two backends behind one URL: TimescaleDB (`postgresql+psycopg://...`: hypertables, binary COPY)
and an embedded SQLite file (no URL: a first run needs no server). A write validates first,
then, in ONE transaction, upserts facts or replaces a derived slice (see `writes`), so a
failed write leaves the slice as it was and a repeated write never duplicates rows.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import sqlalchemy as sa

from coinwatch_assets.lib.storage.db_errors import explain_connect_failure
from coinwatch_assets.lib.storage.frames import (
    RefusedWrite,
    StorageError,
    column_kind,
    examples,
    normalize_read,
    prepare_frame,
)
from coinwatch_assets.lib.storage.hypertables import ensure_timescaledb
from coinwatch_assets.lib.storage.pg_read import read_slice
from coinwatch_assets.lib.storage.schema import ensure_current
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import TableSpec
from coinwatch_assets.lib.storage.urls import normalize_database_url
from coinwatch_assets.lib.storage.writes import WriteResult, pg_write, sqlite_write

DEFAULT_SQLITE_PATH = "data/coinwatch.sqlite"

_engines: dict[str, sa.Engine] = {}
_ready: set[str] = set()
_lock = threading.Lock()


@contextlib.contextmanager
def _immediate(conn: sa.Connection) -> Iterator[None]:
    """One SQLite transaction that holds the write lock from its start (BEGIN IMMEDIATE).

    A deferred transaction that reads first and writes later fails at once when another
    writer committed in between; an immediate one waits (busy_timeout) and then goes ahead.
    """
    raw = conn.connection.driver_connection
    previous = raw.isolation_level
    raw.isolation_level = None  # we issue BEGIN/COMMIT ourselves
    try:
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
    finally:
        raw.isolation_level = previous


def resolve_url(url: str | None, sqlite_path: str = DEFAULT_SQLITE_PATH) -> str:
    """The SQLAlchemy URL to use: PostgreSQL URLs run on psycopg 3; none means SQLite."""
    if not url:
        path = Path(sqlite_path).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    return normalize_database_url(url)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets readers (the UI, checks) run while a materialization writes; the busy timeout
    # makes parallel run workers queue for the write lock instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.close()


def _engine(url: str) -> sa.Engine:
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = sa.create_engine(url, pool_pre_ping=True)
            sa.event.listen(engine, "handle_error", explain_connect_failure)
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", _sqlite_pragmas)
            _engines[url] = engine
        return engine


# Cells per min/max query (SQLite's limit on the terms of a compound SELECT is 500).
_CELLS_PER_QUERY = 200


def _utc_timestamp(value: object) -> pd.Timestamp:
    """A stored time (aware datetime from PostgreSQL, UTC text from SQLite) as UTC."""
    ts = pd.Timestamp(value)
    return ts.tz_convert("UTC") if ts.tzinfo is not None else ts.tz_localize("UTC")


class Storage:
    """Slice-level reads and writes for every table in `TABLE_SPECS`."""

    def __init__(self, url: str | None = None, sqlite_path: str = DEFAULT_SQLITE_PATH) -> None:
        self.engine = _engine(resolve_url(url, sqlite_path))
        self.backend = "timescaledb" if self.engine.dialect.name == "postgresql" else "sqlite"

    @property
    def display_url(self) -> str:
        """The URL with its password hidden: safe for logs and errors."""
        return self.engine.url.render_as_string(hide_password=True)

    def ensure_schema(self) -> None:
        """Schema at this code's revision (SQLite upgrades itself, TimescaleDB is checked and
        fails naming the upgrade command); once per process and database."""
        key = self.engine.url.render_as_string(hide_password=False)
        if key in _ready:
            return
        with _lock:
            if key in _ready:
                return
            if self.backend == "timescaledb":
                with self.engine.begin() as conn:
                    self._ensure_timescale(conn)
            ensure_current(self.engine)
            _ready.add(key)

    def _ensure_timescale(self, conn: sa.Connection) -> None:
        # Parallel run workers may create the schema at once: serialise them.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7316001)")
        ensure_timescaledb(conn)

    def write(
        self,
        spec: TableSpec,
        frame: pd.DataFrame,
        where: Slice,
        *,
        replace: bool = False,
        allow_empty: bool = False,
    ) -> WriteResult:
        """Write `frame` into slice `where`, atomically; refuse bad frames before writing.

        Facts tables (`write_mode="upsert"`) add and correct rows and keep stored rows the
        frame does not hold; `replace=True` (a deliberate user action) or a derived table
        replaces the slice. A replacement of facts that would leave a stored (day, keys) cell
        with no row raises EmptyReplacement unless `allow_empty` says so. Writers of one slice
        wait for each other.
        """
        label = f"{spec.name} partition {where.label}"
        prepared = prepare_frame(spec, frame, label)
        rows = prepared.rows
        outside = ~where.mask(rows)
        if outside.any():
            raise RefusedWrite(
                f"{label}: rows outside the partition slice, {examples(rows, outside)}"
            )
        mode = "replace" if replace or spec.write_mode == "replace" else "upsert"
        if mode == "replace" and allow_empty:
            mode = "replace_allow_empty"
        self.ensure_schema()
        try:
            if self.backend == "timescaledb":
                with self.engine.begin() as conn:
                    return pg_write(conn, spec, prepared, where, mode)
            with self.engine.connect() as conn, _immediate(conn):
                return sqlite_write(conn, spec, prepared, where, mode)
        except (sa.exc.DBAPIError, psycopg.Error, sqlite3.Error) as exc:
            # COPY runs on the raw psycopg connection, so its errors arrive unwrapped.
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise StorageError(
                f"{label}: the write to {self.display_url} failed and was rolled back, "
                f"the slice keeps its previous rows: {reason}"
            ) from exc

    def read(self, spec: TableSpec, where: Slice) -> pd.DataFrame:
        """All rows of slice `where`, ordered by primary key, with storage dtypes."""
        self.ensure_schema()
        stmt = (
            sa.select(*spec.table.columns)
            .where(where.where(spec.table))
            .order_by(*(spec.table.c[c] for c in spec.primary_key))
        )
        with self.engine.connect() as conn:
            if self.backend == "timescaledb":
                rows = read_slice(conn.connection.driver_connection, spec, where)
                conn.rollback()
                return rows
            else:
                # Stored date/time text comes back as text: pandas parses whole columns far
                # faster than SQLAlchemy's per-row datetime processing.
                # Columns the slice fixes (venue, timeframe) are not read back row by row.
                fixed = where.fixed_values()
                read = [c for c in spec.table.columns if c.name not in fixed]
                as_text = [
                    sa.type_coerce(c, sa.Text).label(c.name)
                    if column_kind(c) in ("timestamptz", "date")
                    else c
                    for c in read
                ]
                result = conn.execute(stmt.with_only_columns(*as_text))
                # The driver's plain tuples: no column here needs SQLAlchemy's per-row
                # processing, which cost a third of a million-candle read (and pandas probes
                # every Row object for namedtuple-ness).
                raw = pd.DataFrame.from_records(
                    result.cursor.fetchall(), columns=[c.name for c in read]
                )
                for name, value in fixed.items():
                    raw[name] = pd.Series([value] * len(raw), dtype=object)
        return normalize_read(spec, raw)

    def first_times(self, spec: TableSpec, where: Slice, by: str) -> dict[object, pd.Timestamp]:
        """{value of column `by`: earliest time stored} within slice `where`."""
        return self._edge_times(spec, where, by, sa.func.min, min)

    def last_times(self, spec: TableSpec, where: Slice, by: str) -> dict[object, pd.Timestamp]:
        """{value of column `by`: latest time stored} within slice `where`."""
        return self._edge_times(spec, where, by, sa.func.max, max)

    def _edge_times(
        self, spec: TableSpec, where: Slice, by: str, agg: Any, pick: Any
    ) -> dict[object, pd.Timestamp]:
        if not where.cells or any(by not in dict(c.equals) for c in where.cells):
            rows = self._grouped(spec, where, by, agg)
        else:
            # Every cell fixes `by` (a symbol): one min/max per cell walks the primary key
            # index to its edge instead of grouping every stored row of those symbols.
            rows = self._per_cell(spec, where, by, agg)
        out: dict[object, pd.Timestamp] = {}
        for key, value in rows:
            if value is not None:
                ts = _utc_timestamp(value)
                out[key] = pick(out[key], ts) if key in out else ts
        return out

    def _per_cell(self, spec: TableSpec, where: Slice, by: str, agg: Any) -> list[Any]:
        self.ensure_schema()
        table, cells = spec.table, list(where.cells or ())
        rows: list[Any] = []
        with self.engine.connect() as conn:
            for i in range(0, len(cells), _CELLS_PER_QUERY):
                parts = [
                    sa.select(
                        sa.literal(dict(cell.equals)[by]).label(by),
                        agg(table.c[spec.time_column]).label("edge"),
                    ).where(Slice(where.table, where.time_column, (cell,)).where(table))
                    for cell in cells[i : i + _CELLS_PER_QUERY]
                ]
                rows += conn.execute(sa.union_all(*parts)).all()
        return rows

    def row_counts(self, spec: TableSpec, where: Slice, by: str) -> dict[object, int]:
        """{value of column `by`: rows stored} within slice `where` (one query)."""
        return {key: int(n) for key, n in self._grouped(spec, where, by, sa.func.count)}

    def _grouped(self, spec: TableSpec, where: Slice, by: str, agg: Any) -> list[Any]:
        self.ensure_schema()
        table = spec.table
        stmt = (
            sa.select(table.c[by], agg(table.c[spec.time_column]))
            .where(where.where(table))
            .group_by(table.c[by])
        )
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).all())

    def dispose(self) -> None:
        self.engine.dispose()
