"""Partitions of the fundamentals: hourly market metrics, weekly coin metadata."""

import dagster as dg

from coinwatch_assets.defs.venues import START_DATE

# Closed hours only: the hour just closed is fetched live (/coins/markets) within the
# resource's live grace; older hours come from market_chart/range (see README).
market_metrics_partitions = dg.HourlyPartitionsDefinition(
    start_date=f"{START_DATE}-00:00", timezone="UTC"
)
# end_offset=1: the current week exists; /coins/{id} only describes a coin as it is now.
coin_metadata_partitions = dg.WeeklyPartitionsDefinition(
    start_date=START_DATE, timezone="UTC", day_offset=1, end_offset=1
)
