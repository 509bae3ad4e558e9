"""TimescaleDB pieces of the schema: the extension and hypertables (no-ops on SQLite).

Revisions call `create_hypertable` right after `op.create_table` for a time-series table, so a
new table becomes a hypertable the same way everywhere (chunk interval, no default index).
"""

from datetime import timedelta

import sqlalchemy as sa

from coinwatch_assets.lib.storage.db_errors import extension_failure


def _bind(bind: sa.Connection | None) -> sa.Connection:
    if bind is not None:
        return bind
    from alembic import op  # only inside a running revision

    return op.get_bind()


def ensure_timescaledb(bind: sa.Connection | None = None) -> None:
    """CREATE EXTENSION timescaledb if missing, with a clear error when the server lacks it."""
    conn = _bind(bind)
    if conn.dialect.name != "postgresql":
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except sa.exc.DBAPIError as exc:
        # not installed, not preloaded, or this role may not create it: each with its fix
        where = conn.engine.url.render_as_string(hide_password=True)
        raise extension_failure(where, exc.orig) from None


def create_hypertable(
    table: str,
    time_column: str,
    chunk_interval: timedelta,
    *,
    bind: sa.Connection | None = None,
    if_not_exists: bool = False,
    migrate_data: bool = False,
) -> None:
    """Make `table` a hypertable on `time_column` with `chunk_interval` chunks (PostgreSQL only).

    Without TimescaleDB's default `time DESC` index: the primary key (which includes the time
    column) serves reads, and the extra index costs ~30% of ingest.
    """
    conn = _bind(bind)
    if conn.dialect.name != "postgresql":
        return
    conn.execute(
        sa.text(
            "SELECT create_hypertable(CAST(:table AS regclass), "
            "by_range(CAST(:column AS name), make_interval(secs => :secs)), "
            "create_default_indexes => false, if_not_exists => :if_not_exists, "
            "migrate_data => :migrate_data)"
        ),
        {
            "table": table,
            "column": time_column,
            "secs": int(chunk_interval.total_seconds()),
            "if_not_exists": if_not_exists,
            "migrate_data": migrate_data,
        },
    )
