"""Partitions of a venue's market assets: UTC months x symbols (dynamic, filled by discovery).

The grain itself (key format, windows, keys of a range) is owned by lib/market/grain.py.
"""

from dataclasses import dataclass

import dagster as dg

from coinwatch_assets.lib.market.grain import (
    MONTH_FMT,
    SYMBOL_DIMENSION,
    TIME_DIMENSION,
    month_start,
    split_key,
)
from coinwatch_assets.lib.venues import Venue

__all__ = ["VenuePartitions", "split_key", "venue_partitions"]


@dataclass(frozen=True)
class VenuePartitions:
    symbols: dg.DynamicPartitionsDefinition
    months: dg.MonthlyPartitionsDefinition
    ohlcv: dg.MultiPartitionsDefinition


def venue_partitions(venue: Venue) -> VenuePartitions:
    """`<venue>_symbols` x UTC calendar months from the venue's start month."""
    symbols = dg.DynamicPartitionsDefinition(name=venue.named("symbols"))
    # end_offset=1: the current month's partition exists and holds the candles closed so far.
    months = dg.MonthlyPartitionsDefinition(
        start_date=month_start(venue.start_date).strftime(MONTH_FMT),
        timezone="UTC",
        fmt=MONTH_FMT,
        end_offset=1,
    )
    # 500 symbols x 8 years = 48,500 partitions: under Dagster's 100k comfort limit.
    return VenuePartitions(
        symbols,
        months,
        dg.MultiPartitionsDefinition({TIME_DIMENSION: months, SYMBOL_DIMENSION: symbols}),
    )
