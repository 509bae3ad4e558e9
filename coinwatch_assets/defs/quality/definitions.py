"""The quality domain's cross-venue definitions (per-venue checks come with each venue)."""

from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.quality.divergence import divergence_definitions
from coinwatch_assets.lib.venues import Venue


def definitions(venues: Sequence[Venue]) -> dg.Definitions:
    """One price-divergence check per pair of venues."""
    return divergence_definitions(venues)
