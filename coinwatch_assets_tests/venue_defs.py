"""The definitions of the test session's single venue (from the COINWATCH_* variables).

Tests pick assets, checks and sensors from here; conftest.py fixes the variables first.
"""

from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.lib.venues import venue_from_env

DEFAULT = build_venue(venue_from_env())
VENUE = DEFAULT.venue
EXCHANGE = VENUE.exchange_label
markets = DEFAULT.markets
ohlcv = DEFAULT.ohlcv
ohlcv_1h = DEFAULT.bar("ohlcv_1h")
ohlcv_1d = DEFAULT.bar("ohlcv_1d")
indicators = DEFAULT.indicators
ohlcv_quality_checks = DEFAULT.quality_checks
ohlcv_freshness = DEFAULT.freshness
ohlcv_partitions = DEFAULT.partitions.ohlcv
symbols_partitions = DEFAULT.partitions.symbols
ohlcv_intraday_schedule, ohlcv_daily_close_schedule, markets_schedule, ohlcv_freshness_schedule = (
    DEFAULT.schedules
)
symbol_discovery_sensor, gap_repair_sensor, derived_automation_sensor = DEFAULT.sensors
