"""The venues of this code location, read once when it loads (they shape the definitions).

Every domain takes them from here: the market factory builds one set of definitions per venue,
fundamentals and news start their partitions at the earliest venue's start date and go offline
with the venues.
"""

import dagster as dg

from coinwatch_assets.lib.venues import load_venues

VENUES = load_venues()
START_DATE = min(v.start_date for v in VENUES).isoformat()
# Offline venues only (the demo, tests): the other domains use their offline sources too.
SOURCE = "sample" if all(v.source == "sample" for v in VENUES) else "live"
# Symbols configured explicitly on any venue (the tracked coins before `markets` is filled).
SYMBOLS = tuple(dict.fromkeys(s for v in VENUES for s in v.symbols))
MARKETS_KEYS = [dg.AssetKey([*v.key_prefix(), "markets"]) for v in VENUES]
OHLCV_KEYS = [dg.AssetKey([*v.key_prefix(), "ohlcv"]) for v in VENUES]
