"""The storage layer: write a DataFrame into its partition slice, read any slice back.

Two backends behind one URL: TimescaleDB (`postgresql+psycopg://...`: hypertables, binary COPY)
and an embedded SQLite file (no URL: a first run needs no server). A write validates first,
then deletes the slice and inserts the frame in ONE transaction, so a failed write leaves the
slice as it was and a repeated write never duplicates rows.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg
import sqlalchemy as sa

from coinwatch_assets.lib.storage.db_errors import explain_connect_failure, extension_failure
from coinwatch_assets.lib.storage.frames import (
    RefusedWrite,
    StorageError,
    column_kind,
    examples,
    normalize_read,
    prepare_frame,
)
from coinwatch_assets.lib.storage.pg_copy import copy_in
from coinwatch_assets.lib.storage.pg_read import read_slice
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.sqlite_rows import insert_rows
from coinwatch_assets.lib.storage.tables import TABLE_SPECS, TableSpec, metadata
from coinwatch_assets.lib.storage.urls import normalize_database_url

DEFAULT_SQLITE_PATH = "data/coinwatch.sqlite"

_engines: dict[str, sa.Engine] = {}
_ready: set[str] = set()
_lock = threading.Lock()


@dataclass(frozen=True)
class WriteResult:
    rows_written: int
    rows_deleted: int


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
        """Create missing tables (and hypertables); once per process and database."""
        key = self.engine.url.render_as_string(hide_password=False)
        if key in _ready:
            return
        with _lock:
            if key in _ready:
                return
            with self.engine.begin() as conn:
                if self.backend == "timescaledb":
                    self._ensure_timescale(conn)
                metadata.create_all(conn, checkfirst=True)
                if self.backend == "timescaledb":
                    for spec in TABLE_SPECS.values():
                        if spec.chunk_interval is not None:
                            self._make_hypertable(conn, spec)
            _ready.add(key)

    def _ensure_timescale(self, conn: sa.Connection) -> None:
        # Parallel run workers may create the schema at once: serialise them.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7316001)")
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS timescaledb")
        except sa.exc.DBAPIError as exc:
            raise extension_failure(self.display_url, exc.orig) from None

    @staticmethod
    def _make_hypertable(conn: sa.Connection, spec: TableSpec) -> None:
        seconds = int(spec.chunk_interval.total_seconds())
        conn.execute(
            sa.text(
                "SELECT create_hypertable(CAST(:table AS regclass), "
                "by_range(CAST(:column AS name), make_interval(secs => :secs)), "
                "create_default_indexes => false, if_not_exists => true)"
            ),
            {"table": spec.name, "column": spec.time_column, "secs": seconds},
        )

    def write(self, spec: TableSpec, frame: pd.DataFrame, where: Slice) -> WriteResult:
        """Replace the rows of slice `where` with `frame`, atomically; refuse bad frames."""
        label = f"{spec.name} partition {where.label}"
        prepared = prepare_frame(spec, frame, label)
        rows = prepared.rows
        outside = ~where.mask(rows)
        if outside.any():
            raise RefusedWrite(
                f"{label}: rows outside the partition slice, {examples(rows, outside)}"
            )
        self.ensure_schema()
        try:
            with self.engine.begin() as conn:
                deleted = conn.execute(sa.delete(spec.table).where(where.where(spec.table)))
                if self.backend == "timescaledb":
                    copy_in(conn.connection.driver_connection, spec, prepared)
                else:
                    insert_rows(conn.connection.driver_connection, spec, rows)
        except (sa.exc.DBAPIError, psycopg.Error, sqlite3.Error) as exc:
            # COPY runs on the raw psycopg connection, so its errors arrive unwrapped.
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise StorageError(
                f"{label}: the write to {self.display_url} failed and was rolled back, "
                f"the slice keeps its previous rows: {reason}"
            ) from exc
        return WriteResult(rows_written=len(rows), rows_deleted=max(deleted.rowcount, 0))

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
                as_text = [
                    sa.type_coerce(c, sa.Text).label(c.name)
                    if column_kind(c) in ("timestamptz", "date")
                    else c
                    for c in spec.table.columns
                ]
                rows = conn.execute(stmt.with_only_columns(*as_text)).all()
                raw = pd.DataFrame(rows, columns=[c.name for c in spec.table.columns])
        return normalize_read(spec, raw)

    def dispose(self) -> None:
        self.engine.dispose()
