"""Partitions of a venue's market assets: UTC days x symbols (dynamic, filled by discovery)."""

from dataclasses import dataclass

import dagster as dg

from coinwatch_assets.lib.venues import Venue


@dataclass(frozen=True)
class VenuePartitions:
    symbols: dg.DynamicPartitionsDefinition
    daily: dg.DailyPartitionsDefinition
    ohlcv: dg.MultiPartitionsDefinition


def venue_partitions(venue: Venue) -> VenuePartitions:
    """`<venue>_symbols` x daily UTC days from the venue's start date."""
    symbols = dg.DynamicPartitionsDefinition(name=venue.named("symbols"))
    # end_offset=1: today's partition exists and holds the candles closed so far.
    daily = dg.DailyPartitionsDefinition(
        start_date=venue.start_date.isoformat(), timezone="UTC", end_offset=1
    )
    # symbols x days is the partition count the UI and daemon handle: keep it under 100k
    # (e.g. 50 symbols x 5 years = 91k). See README, "Partitions".
    return VenuePartitions(
        symbols, daily, dg.MultiPartitionsDefinition({"date": daily, "symbol": symbols})
    )


def split_key(key: str) -> tuple[str, str]:
    """(day, symbol key) of an `ohlcv` partition key `2024-01-02|BTC-USDT`."""
    day, symbol = key.split("|", 1)
    return day, symbol
