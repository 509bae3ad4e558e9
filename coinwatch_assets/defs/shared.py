"""What every domain shares: the database, the IO manager, the schema job, UI attributes."""

import os
from datetime import timedelta

import dagster as dg

from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.resource_defaults import with_defaults
from coinwatch_assets.defs.schema import migrate_database_job
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource


def env_or_none(name: str) -> dg.EnvVar | None:
    """`dg.EnvVar(name)` when the variable is set (the value stays out of the UI), else None."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def database_resource() -> DatabaseResource:
    """The database of the environment: `COINWATCH_DATABASE_URL`, else the SQLite file (as
    field defaults: a run-config override of one field keeps the others)."""
    defaults = {
        "url": env_or_none("COINWATCH_DATABASE_URL"),
        "sqlite_path": os.environ.get("COINWATCH_SQLITE_PATH", "data/coinwatch.sqlite"),
    }
    return with_defaults(
        DatabaseResource, defaults, "EnvDatabaseResource", "The database of the environment."
    )


def shared_definitions(database: DatabaseResource) -> dg.Definitions:
    """Resources and jobs every domain shares."""
    return dg.Definitions(
        jobs=[migrate_database_job],
        resources={
            "io_manager": CoinwatchIOManager(database=database),
            "database": database,
            "quality_policy": QualityPolicyResource(),
        },
    )


def owners() -> list[str]:
    """Owners shown on every asset: COINWATCH_OWNERS, emails or `team:<name>` (Dagster's forms)."""
    found = [o.strip() for o in os.environ.get("COINWATCH_OWNERS", "team:coinwatch").split(",")]
    for owner in found:
        if not (owner.startswith("team:") and len(owner) > 5) and "@" not in owner:
            raise ValueError(
                f"COINWATCH_OWNERS: {owner!r} is neither an email nor team:<name>, "
                "e.g. COINWATCH_OWNERS=team:data,alice@example.com"
            )
    return found


# ohlcv's freshness on its own cadence: Dagster's freshness daemon judges the time since the
# last materialization (warn after the intraday interval + grace, fail after an hour), so the
# UI shows it whichever run ran last; ohlcv_freshness adds the per-symbol lags and the reason.
OHLCV_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=1), warn_window=timedelta(minutes=20)
)


def with_ui_attributes(defs: dg.Definitions) -> dg.Definitions:
    """Owners on every asset, the freshness policy on every venue's candles."""
    found = owners()

    def attributes(spec: dg.AssetSpec) -> dg.AssetSpec:
        spec = spec.replace_attributes(owners=found)
        if spec.key.path[-1] == "ohlcv":
            spec = spec.replace_attributes(freshness_policy=OHLCV_FRESHNESS)
        return spec

    return defs.map_asset_specs(func=attributes)
