"""The market domain's definitions: one factory call per venue (see venue.py)."""

from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.market.stored_months import build_record_stored_months_job
from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.lib.venues import Venue


def definitions(venues: Sequence[Venue]) -> dg.Definitions:
    """Every venue's assets, checks, partitions, jobs, schedules, sensors and source, and the
    step that upgrades a deployment from the day grain (all venues at once)."""
    built = [build_venue(venue) for venue in venues]
    return dg.Definitions.merge(
        *(venue_defs.definitions() for venue_defs in built),
        dg.Definitions(jobs=[build_record_stored_months_job(built)]),
    )
