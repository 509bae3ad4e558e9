"""Market assets: the symbol universe (`markets`) and exchange candles (`ohlcv`)."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.partitions import SETTINGS, ohlcv_partitions
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import DatabaseResource, table_metadata
from coinwatch_assets.lib.market.fetch_plan import fetch_windows, group_days
from coinwatch_assets.lib.market.universe import delisted_since, merge_markets
from coinwatch_assets.lib.ohlcv_frame import empty_ohlcv
from coinwatch_assets.lib.symbols import key_to_symbol


@dg.asset(
    group_name="market",
    metadata=table_metadata("markets"),
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
    mine = table[table["exchange"] == source.exchange_id]
    context.add_output_metadata(
        {
            "active": int(mine["active"].sum()),
            "delisted": int((~mine["active"].astype(bool)).sum()),
            "symbols": ", ".join(mine.loc[mine["active"], "symbol"]),
        }
    )
    return table


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
    metadata=table_metadata("ohlcv"),
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
    frames, rows_by_key = [], {}
    for symbol_key, start, end in fetch_windows(days_by_symbol, now):
        symbol = key_to_symbol(symbol_key)
        if symbol in delisted and start.date() >= delisted[symbol]:
            # History stays; days after delisting have nothing to fetch (and live
            # exchanges answer "bad symbol").
            context.log.info(f"{symbol}: delisted on {delisted[symbol]}, nothing to fetch")
            continue
        frame = source.fetch_ohlcv(symbol, SETTINGS.timeframe, start, end, now=now)
        context.log.info(f"{symbol} [{start:%Y-%m-%d %H:%M}, {end:%Y-%m-%d %H:%M}): {len(frame)}")
        frames.append(frame)
        for day, count in frame.groupby(frame["ts"].dt.strftime("%Y-%m-%d")).size().items():
            rows_by_key[f"{day}|{symbol_key}"] = int(count)
    keys = [f"{day}|{sym}" for day, sym in _run_keys(context)]
    empty = [k for k in keys if k not in rows_by_key]
    context.add_output_metadata(
        {
            "timeframe": SETTINGS.timeframe,
            "source": source.exchange_id,
            "fetches": len(frames),
            # Empty partitions are recorded, not errors: an exchange can have no trades.
            "empty_partitions": len(empty),
            "empty_partition_keys": ", ".join(empty[:50]),
        }
    )
    return pd.concat(frames, ignore_index=True) if frames else empty_ohlcv()
