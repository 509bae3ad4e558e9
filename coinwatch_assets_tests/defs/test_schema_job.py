"""migrate_database_job upgrades the database a user points the `database` resource at."""

import sqlalchemy as sa

from coinwatch_assets.defs.schema import migrate_database_job
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.storage.schema import check_schema, head_revision


def test_the_job_upgrades_an_empty_timescaledb(empty_timescale_url: str) -> None:
    result = migrate_database_job.execute_in_process(
        resources={"database": DatabaseResource(url=empty_timescale_url)}
    )
    assert result.success
    engine = sa.create_engine(empty_timescale_url)
    with engine.connect() as conn:
        assert check_schema(conn).current == (head_revision(),)
    engine.dispose()
    (output,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    meta = output.event_specific_data.metadata
    assert (meta["revision_before"].value, meta["revision_after"].value) == (
        "empty",
        head_revision(),
    )
    # A second launch is a no-op.
    again = migrate_database_job.execute_in_process(
        resources={"database": DatabaseResource(url=empty_timescale_url)}
    )
    assert again.success


def test_the_job_is_in_the_code_location() -> None:
    from coinwatch_assets.definitions import defs

    assert defs.resolve_job_def("migrate_database_job").name == "migrate_database_job"
