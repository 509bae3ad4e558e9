"""Alembic environment of coinwatch, driven by the Core metadata in lib/storage/tables.py.

There is no alembic.ini: `coinwatch_assets.lib.storage.schema` builds the Config and hands in
an open connection whose transaction it owns (one transaction per upgrade).
"""

from alembic import context

from coinwatch_assets.lib.storage.tables import metadata

if context.is_offline_mode():
    raise RuntimeError("coinwatch migrations run online only: use `coinwatch-db upgrade`")

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run coinwatch migrations through `coinwatch-db` or coinwatch_assets.lib.storage.schema"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    # Batch operations make one revision run on both backends: SQLite rebuilds the table
    # (it cannot ALTER most things), PostgreSQL gets plain ALTER TABLE statements.
    render_as_batch=True,
    compare_type=True,
    # The caller's one transaction holds every revision; SQLite included (schema.py opens it
    # with BEGIN IMMEDIATE), so a failed upgrade leaves no half-applied revision.
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
