"""The market domain's definitions: one factory call per venue (see venue.py)."""

from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.lib.venues import Venue


def definitions(venues: Sequence[Venue]) -> dg.Definitions:
    """Every venue's assets, checks, partitions, jobs, schedules, sensors and source."""
    return dg.Definitions.merge(*(build_venue(venue).definitions() for venue in venues))
