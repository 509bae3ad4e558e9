"""A frozen copy of the day-grain market assets, to fill a database and an instance as a
deployment of that code did (the upgrade tests start from there).

Same asset keys, same dynamic `<venue>_symbols`, same tables and IO manager; partitions are
UTC days x symbols with the old dimension names (`date`, `symbol`), so the instance holds the
day keys (`2024-01-31|BTC-USDT`) the old code recorded. Kept minimal: what shapes the stored
rows and the recorded history, not the old checks or automation.
"""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.market.venue import VenueDefs
from coinwatch_assets.defs.storage import table_metadata
from coinwatch_assets.lib.market.indicators import compute_indicators
from coinwatch_assets.lib.market.resample import BAR_TABLES, resample_ohlcv
from coinwatch_assets.lib.symbols import key_to_symbol


def day_partitions(venue_defs: VenueDefs) -> dg.MultiPartitionsDefinition:
    """The day grain's partitions: UTC days from the venue's start x `<venue>_symbols`."""
    days = dg.DailyPartitionsDefinition(
        start_date=venue_defs.venue.start_date.isoformat(), timezone="UTC", end_offset=1
    )
    return dg.MultiPartitionsDefinition({"date": days, "symbol": venue_defs.partitions.symbols})


def day_grain_assets(venue_defs: VenueDefs) -> list[dg.AssetsDefinition]:
    """`ohlcv`, its bars and `indicators` of the venue, partitioned by day x symbol."""
    venue = venue_defs.venue
    pdef = day_partitions(venue_defs)
    pins = {"exchange": venue.exchange_label, "timeframe": venue.timeframe}
    source_key = venue.named("market_source")

    @dg.asset(
        key=venue_defs.ohlcv.key,
        partitions_def=pdef,
        metadata=table_metadata("ohlcv", **pins),
        required_resource_keys={source_key},
    )
    def ohlcv(context: dg.AssetExecutionContext) -> pd.DataFrame:
        source: MarketSourceResource = getattr(context.resources, source_key)
        symbol = key_to_symbol(context.partition_key.keys_by_dimension["symbol"])
        window = context.partition_time_window
        return source.build().fetch_ohlcv(
            symbol, venue.timeframe, window.start, window.end, now=datetime.now(UTC)
        )

    def bars(table: str) -> dg.AssetsDefinition:
        @dg.asset(
            key=venue_defs.bar(table).key,
            partitions_def=pdef,
            metadata=table_metadata(table, **pins),
            ins={"ohlcv": dg.AssetIn(key=ohlcv.key)},
        )
        def bar(ohlcv: pd.DataFrame) -> pd.DataFrame:
            return resample_ohlcv(ohlcv, BAR_TABLES[table], venue.timeframe)

        return bar

    @dg.asset(
        key=venue_defs.indicators.key,
        partitions_def=pdef,
        metadata=table_metadata("indicators", **pins),
        ins={"ohlcv": dg.AssetIn(key=ohlcv.key)},
    )
    def indicators(ohlcv: pd.DataFrame) -> pd.DataFrame:
        return compute_indicators(ohlcv)

    return [ohlcv, *(bars(b.key.path[-1]) for b in venue_defs.bars), indicators]
