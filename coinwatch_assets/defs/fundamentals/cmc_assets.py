"""CoinMarketCap assets: `cmc_ids`, `coinmarketcap/market_metrics` (hourly), `cmc_metadata`."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.fundamentals.assets import tracked_tickers
from coinwatch_assets.defs.fundamentals.cmc_resources import CoinMarketCapResource
from coinwatch_assets.defs.fundamentals.current import current_partition_start
from coinwatch_assets.defs.fundamentals.partitions import (
    coin_metadata_partitions,
    market_metrics_partitions,
)
from coinwatch_assets.defs.storage import DatabaseResource, table_metadata
from coinwatch_assets.defs.venues import MARKETS_KEYS
from coinwatch_assets.lib.fundamentals.cmc_fetch import fetch_candidates, fetch_info, fetch_quotes
from coinwatch_assets.lib.fundamentals.cmc_parse import PROVIDER, map_cmc_tickers

POOL = "coinmarketcap"
GROUP = "fundamentals_cmc"


def mapped_cmc_ids(database: DatabaseResource) -> dict[str, str]:
    """{cmc id: ticker} of the tickers `cmc_ids` could map; fails clearly when none."""
    table = database.read("cmc_ids")
    table = table[table["cmc_id"].notna()]
    if table.empty:
        raise dg.Failure(
            "cmc_ids maps no ticker to a CoinMarketCap id: materialize `markets` and `cmc_ids` "
            "first (and add COINMARKETCAP_ID_OVERRIDES for ambiguous tickers)."
        )
    return dict(zip(table["cmc_id"], table["ticker"], strict=True))


def _spent(client) -> dict[str, object]:
    return {"calls": client.calls, "credits": getattr(client, "credits", 0)}


@dg.asset(
    group_name=GROUP,
    metadata=table_metadata("cmc_ids"),
    deps=MARKETS_KEYS,
    pool=POOL,
    kinds={"python", "sql"},
)
def cmc_ids(
    context: dg.AssetExecutionContext,
    coinmarketcap: CoinMarketCapResource,
    database: DatabaseResource,
) -> pd.DataFrame:
    """Ticker -> CoinMarketCap id (overrides, unique match, documented tie-breaks; no guess)."""
    tickers = tracked_tickers(database)
    if not tickers:
        raise dg.Failure("the markets table has no active market: materialize `markets` first")
    with coinmarketcap.client(database.storage()) as client:
        coins = fetch_candidates(client, tickers)
        spent = _spent(client)
    table = map_cmc_tickers(tickers, coins, coinmarketcap.overrides())
    table["updated_at"] = datetime.now(UTC)
    unresolved = table[table["cmc_id"].isna()]
    context.add_output_metadata(
        {
            "tickers": len(table),
            "mapped": int(table["cmc_id"].notna().sum()),
            "tie_broken": ", ".join(
                f"{r.ticker} ({r.status})"
                for r in table.itertuples()
                if r.status in ("active_only", "ranked_only")
            )
            or "none",
            "unresolved": ", ".join(
                f"{r.ticker} ({r.status}: {r.candidates or 'no candidate'})"
                for r in unresolved.itertuples()
            )
            or "none",
            **spent,
        }
    )
    return table


@dg.asset(
    key=[PROVIDER, "market_metrics"],
    group_name=GROUP,
    partitions_def=market_metrics_partitions,
    metadata=table_metadata("market_metrics", provider=PROVIDER),
    deps=[cmc_ids],
    pool=POOL,
    kinds={"python", "sql"},
)
def cmc_market_metrics(
    context: dg.AssetExecutionContext,
    coinmarketcap: CoinMarketCapResource,
    database: DatabaseResource,
) -> pd.DataFrame:
    """Per coin and hour, from CoinMarketCap quotes: price, cap, rank, volume, supplies (USD)."""
    tickers = mapped_cmc_ids(database)
    hours = [
        market_metrics_partitions.time_window_for_partition_key(k).start.astimezone(UTC)
        for k in context.partition_keys
    ]
    now = datetime.now(UTC)
    grace = timedelta(minutes=coinmarketcap.live_grace_minutes)
    with coinmarketcap.client(database.storage()) as client:
        rows, live, past = fetch_quotes(client, tickers, hours, now, grace)
        spent = _spent(client)
    stale = rows[
        pd.to_datetime(rows["last_updated"], utc=True)
        < pd.to_datetime(rows["ts"], utc=True) - timedelta(days=1)
    ]
    context.add_output_metadata(
        {
            "coins": len(tickers),
            "live_hours": len(live),
            # quotes/latest only knows "now": a past hour cannot be fetched from CMC
            "past_hours_not_fetchable": len(past),
            "stale_quotes (last_updated > 1 day before the hour)": ", ".join(
                sorted(set(stale["symbol"]))
            )
            or "none",
            **spent,
        }
    )
    return rows


@dg.asset(
    group_name=GROUP,
    partitions_def=coin_metadata_partitions,
    metadata=table_metadata("cmc_metadata"),
    deps=[cmc_ids],
    pool=POOL,
    kinds={"python", "sql"},
)
def cmc_metadata(
    context: dg.AssetExecutionContext,
    coinmarketcap: CoinMarketCapResource,
    database: DatabaseResource,
) -> pd.DataFrame:
    """Per coin and week, from CoinMarketCap info: name, slug, tags, description, platform."""
    week = current_partition_start(context, "CoinMarketCap's info")
    ids = mapped_cmc_ids(database)
    with coinmarketcap.client(database.storage()) as client:
        rows = fetch_info(client, list(ids), week, datetime.now(UTC))
        spent = _spent(client)
    context.add_output_metadata({"coins": len(rows), **spent})
    return rows
