"""The code location: the shared resources and every domain's definitions, nothing else.

Each domain exposes `definitions(venues) -> dg.Definitions` in `defs/<domain>/definitions.py`;
venues come from the venue file (`COINWATCH_CONFIG`, or `coinwatch.yaml`), else from the
`COINWATCH_*` variables (see `defs/venues.py`).
"""

from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.consumers import definitions as consumers
from coinwatch_assets.defs.fundamentals import definitions as fundamentals
from coinwatch_assets.defs.market import definitions as market
from coinwatch_assets.defs.monitor import definitions as monitor
from coinwatch_assets.defs.news import definitions as news
from coinwatch_assets.defs.quality import definitions as quality
from coinwatch_assets.defs.shared import database_resource, shared_definitions, with_ui_attributes
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.defs.venues import VENUES
from coinwatch_assets.lib.venues import Venue

DOMAINS = (market, quality, fundamentals, news, monitor, consumers)


def build_definitions(venues: Sequence[Venue], database: DatabaseResource) -> dg.Definitions:
    """The shared parts and every domain's definitions for `venues`."""
    return with_ui_attributes(
        dg.Definitions.merge(
            shared_definitions(database), *(domain.definitions(venues) for domain in DOMAINS)
        )
    )


defs = build_definitions(VENUES, database_resource())
