"""Schema revisions: where a database stands against this code's Alembic head, and upgrades.

- SQLite (the embedded default) upgrades itself on first use: `ensure_current`.
- PostgreSQL/TimescaleDB: an EMPTY database (no coinwatch table, no revision) is initialized
  to head on first use. An existing schema upgrades by one explicit command (`coinwatch-db
  upgrade`, `make migrate`, the `migrate_database_job`); until then the first read or write
  fails with `SchemaBehind`, which names the database, both revisions and the command.
- A database at a revision this code does not know (a newer coinwatch migrated it) is refused
  with `SchemaAhead`: coinwatch never downgrades by itself.
- A database created before revisions existed (`create_all`: coinwatch tables, no
  alembic_version) is checked against the initial revision, stamped there, then upgraded.
"""

import functools
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from coinwatch_assets.lib.storage.db_errors import explain_connect_failure
from coinwatch_assets.lib.storage.frames import StorageError
from coinwatch_assets.lib.storage.hypertables import create_hypertable
from coinwatch_assets.lib.storage.tables import metadata as code_metadata

SCRIPT_LOCATION = "coinwatch_assets.lib.storage:migrations"
INITIAL_REVISION = "0001"
UPGRADE_COMMAND = "coinwatch-db upgrade"
_HOW = (
    f"run `{UPGRADE_COMMAND}` with COINWATCH_DATABASE_URL set to this database (or `make "
    "migrate`), or launch the job migrate_database_job in the Dagster UI"
)
# The advisory lock the storage layer has always taken around schema changes.
_LOCK_KEY = 7316001


class SchemaBehind(StorageError):
    """The database's schema is older than this code's: it must be upgraded first."""


class SchemaAhead(StorageError):
    """The database was migrated by a newer coinwatch than this one."""


@dataclass(frozen=True)
class SchemaState:
    database: str  # URL with the password hidden
    current: tuple[str, ...]  # revisions stored in alembic_version
    head: str  # this code's revision
    legacy: bool  # coinwatch tables without alembic_version (created by `create_all`)
    ahead: bool  # a stored revision this code does not know

    @property
    def up_to_date(self) -> bool:
        return self.current == (self.head,)

    @property
    def revision(self) -> str:
        if self.current:
            return ", ".join(self.current)
        return "unversioned (tables from before revisions)" if self.legacy else "empty"

    def describe(self) -> str:
        if self.current:
            return f"is at schema revision {self.revision}"
        if self.legacy:
            return "holds coinwatch tables created before schema revisions (no alembic_version)"
        return "has no coinwatch schema yet"


def alembic_config(
    connection: sa.Connection | None = None, script_location: str = SCRIPT_LOCATION
) -> Config:
    """An Alembic Config without alembic.ini; env.py runs on `connection`."""
    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def _script(script_location: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(script_location=script_location))


@functools.cache
def _known_revisions(script_location: str) -> frozenset[str]:
    return frozenset(s.revision for s in _script(script_location).walk_revisions())


def head_revision(script_location: str = SCRIPT_LOCATION) -> str:
    """This code's revision (the history is linear: more than one head is an error)."""
    return _script(script_location).get_current_head()


def _initial(script_location: str):
    return _script(script_location).get_revision(INITIAL_REVISION).module


def schema_state(conn: sa.Connection, script_location: str = SCRIPT_LOCATION) -> SchemaState:
    current = tuple(MigrationContext.configure(conn).get_current_heads())
    legacy = False
    if not current:
        ours = set(_initial(script_location).table_items())
        legacy = bool(ours & set(sa.inspect(conn).get_table_names()))
    return SchemaState(
        database=conn.engine.url.render_as_string(hide_password=True),
        current=current,
        head=head_revision(script_location),
        legacy=legacy,
        ahead=any(rev not in _known_revisions(script_location) for rev in current),
    )


def ahead_error(state: SchemaState) -> SchemaAhead:
    return SchemaAhead(
        f"database {state.database} is at schema revision {state.revision}, which this "
        f"coinwatch (schema revision {state.head}) does not know: a newer coinwatch upgraded "
        "it. Run the coinwatch version that upgraded it, or restore a backup taken before that "
        "upgrade: coinwatch never downgrades a database (`coinwatch-db current` shows both "
        "revisions)."
    )


def check_schema(conn: sa.Connection, script_location: str = SCRIPT_LOCATION) -> SchemaState:
    """The state of `conn`'s database; raises unless it is exactly at this code's head."""
    state = schema_state(conn, script_location)
    if state.ahead:
        raise ahead_error(state)
    if not state.up_to_date:
        raise SchemaBehind(
            f"database {state.database} {state.describe()}; this coinwatch needs schema "
            f"revision {state.head}. To upgrade it, {_HOW}."
        )
    return state


def schema_drift(conn: sa.Connection, target: sa.MetaData | None = None) -> list:
    """Alembic's autogenerate diffs between the database and `target` (default: tables.py).

    Empty when the migrations build exactly the tables the code defines; a column added to a
    table definition without a revision shows up here as an `add_column`.
    """
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(ctx, code_metadata if target is None else target)


def connectable(url: str | sa.URL) -> sa.Engine:
    """A one-off engine whose failed connect is a clear StorageError (no driver traceback)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    sa.event.listen(engine, "handle_error", explain_connect_failure)
    return engine


def _sqlite_begin_immediate(engine: sa.Engine) -> None:
    # pysqlite leaves DDL outside transactions; take the write lock up front instead, so the
    # whole upgrade is one transaction and parallel processes queue for it (busy timeout).
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA busy_timeout=60000")
        # Batch mode rebuilds a table (create a copy, drop, rename the copy back); SQLite's
        # modern RENAME re-checks every view and fails while a view names the dropped table.
        # The legacy rename leaves views alone, and they name the table that comes back.
        dbapi_conn.execute("PRAGMA legacy_alter_table=ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _adopt_legacy(conn: sa.Connection, cfg: Config, state: SchemaState, location: str) -> None:
    """Stamp a `create_all` database at the initial revision once it matches it."""
    initial = _initial(location)
    frozen = initial.frozen_metadata()
    present = set(sa.inspect(conn).get_table_names())
    # What `create_all(checkfirst=True)` would still have added (a database from an older
    # commit may lack a later table).
    missing = [t for t in frozen.sorted_tables if t.name not in present]
    frozen.create_all(conn, tables=missing)
    ctx = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            "include_name": lambda name, kind, _parent: kind != "table" or name in frozen.tables,
        },
    )
    diffs = compare_metadata(ctx, frozen)
    if diffs:
        listed = "; ".join(str(d) for d in diffs[:5])
        raise StorageError(
            f"database {state.database} has coinwatch tables without a schema revision that "
            f"differ from revision {INITIAL_REVISION}, so it cannot be stamped: {listed}. Bring "
            "those tables to that layout by hand (or migrate the data into an empty database)."
        )
    for table, (column, interval) in initial.HYPERTABLES.items():
        create_hypertable(table, column, interval, bind=conn, if_not_exists=True, migrate_data=True)
    command.stamp(cfg, INITIAL_REVISION)


def upgrade_database(
    url: str | sa.URL, script_location: str = SCRIPT_LOCATION
) -> tuple[SchemaState, SchemaState]:
    """Bring the database at `url` to this code's head in ONE transaction: (before, after)."""
    engine = connectable(url)
    if engine.dialect.name == "sqlite":
        _sqlite_begin_immediate(engine)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # One upgrader at a time (the CLI, the job, several workers).
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
            before = schema_state(conn, script_location)
            if before.ahead:
                raise ahead_error(before)
            cfg = alembic_config(conn, script_location)
            if before.legacy:
                _adopt_legacy(conn, cfg, before, script_location)
            command.upgrade(cfg, "head")
            after = schema_state(conn, script_location)
    finally:
        engine.dispose()
    return before, after


def ensure_current(engine: sa.Engine, script_location: str = SCRIPT_LOCATION) -> SchemaState:
    """SQLite: upgrade when behind (a first run needs no command). PostgreSQL: initialize an
    EMPTY database (no coinwatch table, no revision), as Dagster does with its own storage;
    an existing schema is only checked (its upgrade stays an explicit command)."""
    with engine.connect() as conn:
        state = schema_state(conn, script_location)
    empty = not state.current and not state.legacy
    if (engine.dialect.name == "sqlite" and not state.up_to_date and not state.ahead) or empty:
        # upgrade_database takes the upgrade lock and re-reads the state under it, so
        # parallel first runs create the schema once
        return upgrade_database(engine.url, script_location)[1]
    with engine.connect() as conn:
        return check_schema(conn, script_location)
