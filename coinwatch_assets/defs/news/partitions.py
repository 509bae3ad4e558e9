"""Partitions of the news assets: UTC publication days (today's exists and fills up)."""

import dagster as dg

from coinwatch_assets.defs.venues import START_DATE

news_partitions = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone="UTC", end_offset=1)
