"""Database failures explained: what went wrong, where (password hidden), and the fix."""

from __future__ import annotations

import psycopg
import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import StorageError


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def connect_failure(engine: sa.Engine, exc: BaseException) -> StorageError:
    """The server could not be reached or refused the login."""
    where = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "sqlite":
        return StorageError(
            f"cannot open the SQLite database {where}: {_first_line(exc)}. Check "
            "COINWATCH_SQLITE_PATH (or COINWATCH_DATABASE_URL) and the folder's permissions."
        )
    return StorageError(
        f"cannot connect to the database {where} (COINWATCH_DATABASE_URL): {_first_line(exc)}. "
        "Check that the server is running and reachable, and the host, port, database, user "
        "and password in COINWATCH_DATABASE_URL."
    )


def explain_connect_failure(ctx: sa.engine.ExceptionContext) -> Exception | None:
    """`handle_error` hook: a failed connect (not a failed statement) becomes a StorageError."""
    if ctx.is_pre_ping or ctx.connection is not None or ctx.engine is None:
        return None
    original = ctx.original_exception
    if isinstance(original, psycopg.OperationalError) or (
        ctx.engine.dialect.name == "sqlite" and isinstance(original, ctx.dialect.loaded_dbapi.Error)
    ):
        return connect_failure(ctx.engine, original)
    return None


def extension_failure(display_url: str, exc: BaseException) -> StorageError:
    """`CREATE EXTENSION timescaledb` failed: not installed, not preloaded, or not allowed."""
    reason = _first_line(exc)
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return StorageError(
            f"permission denied to create the TimescaleDB extension on {display_url} "
            f"({reason}): this role may not create it. Ask a database administrator (a "
            "superuser) to run CREATE EXTENSION timescaledb in this database once, or connect "
            "as a role that may; coinwatch then only uses it."
        )
    return StorageError(
        f"the TimescaleDB extension is not available on {display_url}: {reason}. Install it on "
        "the server (scripts/install_timescaledb.sh) and set "
        "shared_preload_libraries=timescaledb."
    )
