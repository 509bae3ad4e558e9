"""Market assets: the symbol universe (`markets`) and exchange candles (`ohlcv`)."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.partitions import SETTINGS, ohlcv_partitions
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import SKIPPED_PARTITIONS, DatabaseResource, table_metadata
from coinwatch_assets.lib.market.fetch_plan import fetch_windows, group_days
from coinwatch_assets.lib.market.universe import delisted_since, merge_markets
from coinwatch_assets.lib.ohlcv_frame import empty_ohlcv
from coinwatch_assets.lib.symbols import key_to_symbol

EXCHANGE = SETTINGS.exchange_label
# When the fetch happened: the checks judge the candles closed by then, not by their own clock.
FETCHED_AT = "fetched_at"


@dg.asset(
    group_name="market",
    metadata=table_metadata("markets", exchange=EXCHANGE),
    kinds={"python", "sql"},
)
def markets(
    context: dg.AssetExecutionContext,
    market_source: MarketSourceResource,
    database: DatabaseResource,
) -> pd.DataFrame:
    """Tracked spot markets of the exchange, with first-seen and delisted dates."""
    source = market_source.build()
    current = source.list_markets(
        quote=SETTINGS.quote,
        top_n=None if SETTINGS.symbols else SETTINGS.top_n,
        symbols=list(SETTINGS.symbols) or None,
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


def _run_keys(context: dg.AssetExecutionContext) -> list[tuple[str, str]]:
    return [
        (key.keys_by_dimension["date"], key.keys_by_dimension["symbol"])
        for key in context.partition_keys
    ]


@dg.asset(
    group_name="market",
    partitions_def=ohlcv_partitions,
    # One run fetches many days of a symbol with one paginated loop (see README, Backfills).
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=f"exchange_{SETTINGS.exchange_label}",
    metadata=table_metadata("ohlcv", exchange=EXCHANGE, timeframe=SETTINGS.timeframe),
    deps=[markets],
    kinds={"python", "sql"},
)
def ohlcv(
    context: dg.AssetExecutionContext,
    market_source: MarketSourceResource,
    database: DatabaseResource,
) -> pd.DataFrame:
    """Closed OHLCV candles per UTC day and symbol (today's partition: up to now)."""
    source = market_source.build()
    now = datetime.now(UTC)
    delisted = delisted_since(database.read("markets"), source.exchange_id)
    days_by_symbol = group_days(_run_keys(context))
    frames, rows_by_key, skipped = [], {}, []
    for symbol_key, start, end in fetch_windows(days_by_symbol, now):
        symbol = key_to_symbol(symbol_key)
        gone = delisted.get(symbol)
        cut = datetime.combine(gone, datetime.min.time(), UTC) if gone else None
        if cut is not None and end > cut:
            # History stays; days from the delisting on have nothing to fetch (live
            # exchanges answer "bad symbol") and are not written at all.
            skipped += [f"{d}|{symbol_key}" for d in days_by_symbol[symbol_key] if d >= f"{gone}"]
            context.log.info(f"{symbol}: delisted on {gone}, days from then on not fetched")
            if start >= cut:
                continue
            end = cut
        frame = source.fetch_ohlcv(symbol, SETTINGS.timeframe, start, end, now=now)
        context.log.info(f"{symbol} [{start:%Y-%m-%d %H:%M}, {end:%Y-%m-%d %H:%M}): {len(frame)}")
        frames.append(frame)
        for day, count in frame.groupby(frame["ts"].dt.strftime("%Y-%m-%d")).size().items():
            rows_by_key[f"{day}|{symbol_key}"] = int(count)
    keys = [f"{day}|{sym}" for day, sym in _run_keys(context)]
    skipped = sorted(set(skipped))
    empty = [k for k in keys if k not in rows_by_key and k not in skipped]
    context.add_output_metadata(
        {
            "timeframe": SETTINGS.timeframe,
            "source": source.exchange_id,
            "fetches": len(frames),
            FETCHED_AT: now.isoformat(),
            # Empty answers are recorded, not errors: an exchange can have no trades. Stored
            # candles of such a day are kept (see candles_not_returned).
            "empty_partitions": len(empty),
            "empty_partition_keys": ", ".join(empty[:50]),
            SKIPPED_PARTITIONS: dg.MetadataValue.json(skipped),
        }
    )
    return pd.concat(frames, ignore_index=True) if frames else empty_ohlcv()
