"""A venue's market assets: the symbol universe (`markets`) and exchange candles (`ohlcv`)."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.partitions import VenuePartitions
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import SKIPPED_PARTITIONS, DatabaseResource, table_metadata
from coinwatch_assets.lib.market.fetch_plan import fetch_windows, group_by_symbol
from coinwatch_assets.lib.market.grain import (
    MONTH_FMT,
    SYMBOL_DIMENSION,
    TIME_DIMENSION,
    join_key,
    month_window,
)
from coinwatch_assets.lib.market.universe import delisted_since, merge_markets
from coinwatch_assets.lib.ohlcv_frame import empty_ohlcv
from coinwatch_assets.lib.symbols import key_to_symbol
from coinwatch_assets.lib.venues import Venue

# When the fetch happened: the checks judge the candles closed by then, not by their own clock.
FETCHED_AT = "fetched_at"


def build_markets(venue: Venue) -> dg.AssetsDefinition:
    source_key = venue.named("market_source")

    @dg.asset(
        name="markets",
        key_prefix=venue.key_prefix(),
        group_name=venue.group,
        metadata=table_metadata("markets", exchange=venue.exchange_label),
        required_resource_keys={source_key, "database"},
        kinds={"python", "sql"},
    )
    def markets(context: dg.AssetExecutionContext) -> pd.DataFrame:
        """Tracked spot markets of the venue, with first-seen and delisted dates."""
        market_source: MarketSourceResource = getattr(context.resources, source_key)
        database: DatabaseResource = context.resources.database
        source = market_source.build()
        current = source.list_markets(
            quote=market_source.quote,
            top_n=None if market_source.symbols else market_source.top_n,
            symbols=list(market_source.symbols) or None,
        )
        now = datetime.now(UTC)
        table = merge_markets(database.read("markets"), current, today=now.date(), now=now)
        # This venue's rows only: the write is pinned to its exchange.
        mine = table[table["exchange"] == source.exchange_id].reset_index(drop=True)
        context.add_output_metadata(
            {
                "active": int(mine["active"].sum()),
                "delisted": int((~mine["active"].astype(bool)).sum()),
                "symbols": ", ".join(mine.loc[mine["active"], "symbol"]),
            }
        )
        return mine

    return markets


def _run_keys(context: dg.AssetExecutionContext) -> list[tuple[str, str]]:
    return [
        (key.keys_by_dimension[TIME_DIMENSION], key.keys_by_dimension[SYMBOL_DIMENSION])
        for key in context.partition_keys
    ]


def build_ohlcv(
    venue: Venue, partitions: VenuePartitions, markets: dg.AssetsDefinition
) -> dg.AssetsDefinition:
    source_key = venue.named("market_source")

    @dg.asset(
        name="ohlcv",
        key_prefix=venue.key_prefix(),
        group_name=venue.group,
        partitions_def=partitions.ohlcv,
        # One run fetches many months of a symbol with one paginated loop (see README, Backfills).
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=venue.pool,
        metadata=table_metadata("ohlcv", exchange=venue.exchange_label, timeframe=venue.timeframe),
        deps=[markets],
        required_resource_keys={source_key, "database"},
        kinds={"python", "sql"},
    )
    def ohlcv(context: dg.AssetExecutionContext) -> pd.DataFrame:
        """Closed OHLCV candles per UTC month and symbol (the current month: up to now)."""
        market_source: MarketSourceResource = getattr(context.resources, source_key)
        database: DatabaseResource = context.resources.database
        # The timeframe pins the slice in the definition metadata: it shapes the definition.
        timeframe = venue.timeframe
        source = market_source.build()
        now = datetime.now(UTC)
        delisted = delisted_since(database.read("markets"), source.exchange_id)
        months_by_symbol = group_by_symbol(_run_keys(context))
        since = datetime.combine(venue.start_date, datetime.min.time(), UTC)
        frames, rows_by_key, skipped = [], {}, []
        for symbol_key, start, end in fetch_windows(months_by_symbol, now, since):
            symbol = key_to_symbol(symbol_key)
            gone = delisted.get(symbol)
            cut = datetime.combine(gone, datetime.min.time(), UTC) if gone else None
            if cut is not None and end > cut:
                # History stays; months from the delisting's month on are fetched up to the
                # delisting (live exchanges answer "bad symbol" after it), later ones not at all.
                skipped += [
                    join_key(m, symbol_key)
                    for m in months_by_symbol[symbol_key]
                    if month_window(m)[0] >= cut
                ]
                context.log.info(f"{symbol}: delisted on {gone}, nothing fetched from then on")
                if start >= cut:
                    continue
                end = cut
            frame = source.fetch_ohlcv(symbol, timeframe, start, end, now=now)
            context.log.info(
                f"{symbol} [{start:%Y-%m-%d %H:%M}, {end:%Y-%m-%d %H:%M}): {len(frame)}"
            )
            frames.append(frame)
            for month, count in frame.groupby(frame["ts"].dt.strftime(MONTH_FMT)).size().items():
                rows_by_key[join_key(month, symbol_key)] = int(count)
        keys = [join_key(month, sym) for month, sym in _run_keys(context)]
        skipped = sorted(set(skipped))
        empty = [k for k in keys if k not in rows_by_key and k not in skipped]
        context.add_output_metadata(
            {
                "timeframe": timeframe,
                "source": source.exchange_id,
                "fetches": len(frames),
                FETCHED_AT: now.isoformat(),
                # Empty answers are recorded, not errors: an exchange can have no trades.
                # Stored candles of such a day are kept (see candles_not_returned).
                "empty_partitions": len(empty),
                "empty_partition_keys": ", ".join(empty[:50]),
                SKIPPED_PARTITIONS: dg.MetadataValue.json(skipped),
            }
        )
        return pd.concat(frames, ignore_index=True) if frames else empty_ohlcv()

    return ohlcv
