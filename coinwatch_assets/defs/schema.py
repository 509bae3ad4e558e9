"""migrate_database_job: upgrade the coinwatch database to this code's schema revision."""

import dagster as dg

from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.storage.schema import upgrade_database
from coinwatch_assets.lib.storage.store import resolve_url


@dg.op(out=dg.Out(dg.Nothing))
def upgrade_database_schema(context: dg.OpExecutionContext, database: DatabaseResource):
    """Apply every schema revision the database lacks, in one transaction."""
    before, after = upgrade_database(resolve_url(database.url, database.sqlite_path))
    if before.current == after.current:
        context.log.info(f"{after.database}: already at schema revision {after.revision} (head)")
    else:
        context.log.info(
            f"{after.database}: upgraded from {before.revision} to {after.revision} (head)"
        )
    return dg.Output(
        None, metadata={"revision_before": before.revision, "revision_after": after.revision}
    )


@dg.job(
    description="Upgrade the coinwatch database (TimescaleDB or SQLite) to this code's schema "
    "revision; same as `coinwatch-db upgrade`. Launch it after installing a new coinwatch."
)
def migrate_database_job() -> None:
    upgrade_database_schema()
