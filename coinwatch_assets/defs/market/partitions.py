"""Partitions of the market assets: UTC days x symbols (dynamic, filled by discovery)."""

import dagster as dg

from coinwatch_assets.lib.settings import Settings

SETTINGS = Settings.from_env()

symbols_partitions = dg.DynamicPartitionsDefinition(name="symbols")

# end_offset=1: today's partition exists and holds the candles closed so far.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=SETTINGS.start_date, timezone="UTC", end_offset=1
)

# symbols x days is the partition count the UI and daemon handle: keep it under 100k
# (e.g. 50 symbols x 5 years = 91k). See README, "Partitions".
ohlcv_partitions = dg.MultiPartitionsDefinition(
    {"date": daily_partitions, "symbol": symbols_partitions}
)
