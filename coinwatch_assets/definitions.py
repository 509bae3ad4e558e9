"""The one place where coinwatch's Dagster definitions are assembled.

Venues come from the venue file (`COINWATCH_CONFIG`, or `coinwatch.yaml` when present), else
one venue from the `COINWATCH_*` variables; each is built by the market factory. Other domains
add their own `dg.Definitions` to the merge below.
"""

import os

import dagster as dg

from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.defs.quality.divergence import divergence_definitions
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.schema import migrate_database_job
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.venues import Venue, load_venues


def _env_or_none(name: str) -> dg.EnvVar | None:
    # dg.EnvVar keeps the value out of the UI and run config; unset means "use the default".
    return dg.EnvVar(name) if os.environ.get(name) else None


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


def build_definitions(venues: list[Venue], database: DatabaseResource) -> dg.Definitions:
    """The code location: the shared parts, one factory call per venue, cross-venue checks."""
    built = [build_venue(venue) for venue in venues]
    return dg.Definitions.merge(
        shared_definitions(database),
        *(venue.definitions() for venue in built),
        divergence_definitions([(v.venue, v.ohlcv) for v in built]),
    )


# Read once at load: the venues shape the definitions (keys, partitions, pools, schedules).
VENUES = load_venues()
defs = build_definitions(
    VENUES,
    DatabaseResource(
        url=_env_or_none("COINWATCH_DATABASE_URL"),
        sqlite_path=os.environ.get("COINWATCH_SQLITE_PATH", "data/coinwatch.sqlite"),
    ),
)
