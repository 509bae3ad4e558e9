"""Partitions of the news assets: UTC publication days (today's exists and fills up)."""

import dagster as dg

from coinwatch_assets.defs.market.partitions import SETTINGS

news_partitions = dg.DailyPartitionsDefinition(
    start_date=SETTINGS.start_date, timezone="UTC", end_offset=1
)
