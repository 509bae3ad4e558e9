"""The consumers domain: views over the tables, and the export for freqtrade."""

from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.consumers.export import build_export_job
from coinwatch_assets.defs.consumers.views import coverage_by_month_check, view_specs
from coinwatch_assets.lib.venues import Venue


def definitions(venues: Sequence[Venue]) -> dg.Definitions:
    """The views downstream of what they read, their coverage check, the export job."""
    return dg.Definitions(
        assets=view_specs(venues),
        asset_checks=[coverage_by_month_check],
        jobs=[build_export_job(venues)],
    )
