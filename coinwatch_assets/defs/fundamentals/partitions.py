"""Partitions of the fundamentals: hourly market metrics, weekly coin metadata."""

import dagster as dg

from coinwatch_assets.lib.venues import load_venues

# The tracked coins are the base assets of every venue's markets: the venues shape these
# definitions (start date, the `markets` and `ohlcv` assets they depend on).
VENUES = load_venues()
START_DATE = min(v.start_date for v in VENUES).isoformat()
MARKETS_KEYS = [dg.AssetKey([*v.key_prefix(), "markets"]) for v in VENUES]
OHLCV_KEYS = [dg.AssetKey([*v.key_prefix(), "ohlcv"]) for v in VENUES]

# Closed hours only: the hour just closed is fetched live (/coins/markets) within the
# resource's live grace; older hours come from market_chart/range (see README).
market_metrics_partitions = dg.HourlyPartitionsDefinition(
    start_date=f"{START_DATE}-00:00", timezone="UTC"
)
# end_offset=1: the current week exists; /coins/{id} only describes a coin as it is now.
coin_metadata_partitions = dg.WeeklyPartitionsDefinition(
    start_date=START_DATE, timezone="UTC", day_offset=1, end_offset=1
)
