"""Fundamentals assets: `coin_ids`, `coin_metadata` (weekly), `market_metrics` (hourly)."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.fundamentals.partitions import (
    coin_metadata_partitions,
    market_metrics_partitions,
)
from coinwatch_assets.defs.fundamentals.resources import CoinGeckoResource
from coinwatch_assets.defs.storage import DatabaseResource, table_metadata
from coinwatch_assets.defs.venues import MARKETS_KEYS
from coinwatch_assets.lib.fundamentals.coin_ids import map_tickers
from coinwatch_assets.lib.fundamentals.errors import CoinGeckoAnswerError
from coinwatch_assets.lib.fundamentals.fetch import fetch_metrics
from coinwatch_assets.lib.fundamentals.parse import (
    METADATA_COLUMNS,
    PAST_HOUR_NULL_COLUMNS,
    coins_list,
    metadata_row,
)

POOL = "coingecko"
PROVIDER = "coingecko"  # this asset's rows of market_metrics (CoinMarketCap writes its own)
DETAIL_PARAMS = {
    "localization": "false",
    "tickers": "false",
    "market_data": "false",
    "community_data": "false",
    "developer_data": "false",
    "sparkline": "false",
}


def tracked_tickers(database: DatabaseResource) -> list[str]:
    """Base assets of every active tracked market (all venues)."""
    table = database.read("markets")
    if table.empty:
        return []
    return sorted(set(table.loc[table["active"].astype(bool), "base"].str.upper()))


def mapped_ids(database: DatabaseResource) -> dict[str, str]:
    """{coin id: ticker} of the tickers `coin_ids` could map; fails clearly when none."""
    table = database.read("coin_ids")
    table = table[table["coin_id"].notna()]
    if table.empty:
        raise dg.Failure(
            "coin_ids maps no ticker to a CoinGecko id: materialize `markets` and `coin_ids` "
            "first (and add COINGECKO_ID_OVERRIDES for ambiguous tickers)."
        )
    return dict(zip(table["coin_id"], table["ticker"], strict=True))


@dg.asset(
    group_name="fundamentals",
    metadata=table_metadata("coin_ids"),
    deps=MARKETS_KEYS,
    pool=POOL,
    kinds={"python", "sql"},
)
def coin_ids(
    context: dg.AssetExecutionContext, coingecko: CoinGeckoResource, database: DatabaseResource
) -> pd.DataFrame:
    """Ticker -> CoinGecko id of the tracked base assets (overrides first, never guessed)."""
    tickers = tracked_tickers(database)
    if not tickers:
        raise dg.Failure("the markets table has no active market: materialize `markets` first")
    with coingecko.client() as client:
        coins = coins_list(client.get("/coins/list"))
        calls = client.calls
    table = map_tickers(tickers, coins, coingecko.overrides())
    table["updated_at"] = datetime.now(UTC)
    unresolved = table[table["coin_id"].isna()]
    context.add_output_metadata(
        {
            "tickers": len(table),
            "mapped": int(table["coin_id"].notna().sum()),
            "unresolved": ", ".join(
                f"{r.ticker} ({r.status}: {r.candidates or 'no candidate'})"
                for r in unresolved.itertuples()
            )
            or "none",
            "coins_listed": len(coins),
            "calls": calls,
        }
    )
    return table


def _hours(context: dg.AssetExecutionContext) -> list[datetime]:
    return [
        market_metrics_partitions.time_window_for_partition_key(k).start.astimezone(UTC)
        for k in context.partition_keys
    ]


@dg.asset(
    group_name="fundamentals",
    partitions_def=market_metrics_partitions,
    # a week of hours is one run and one market_chart/range call per coin
    backfill_policy=dg.BackfillPolicy.single_run(),
    metadata=table_metadata("market_metrics", provider=PROVIDER),
    deps=[coin_ids],
    pool=POOL,
    kinds={"python", "sql"},
)
def market_metrics(
    context: dg.AssetExecutionContext, coingecko: CoinGeckoResource, database: DatabaseResource
) -> pd.DataFrame:
    """Per coin and hour: price, cap, rank, volume, supplies, ATH/ATL, 24h change (USD)."""
    tickers = mapped_ids(database)
    hours = _hours(context)
    with coingecko.client() as client:
        fetched = fetch_metrics(
            client,
            tickers,
            hours,
            now=datetime.now(UTC),
            live_grace=timedelta(minutes=coingecko.live_grace_minutes),
            vs_currency=coingecko.vs_currency,
            per_page=coingecko.per_page,
        )
        calls = client.calls
    meta: dict[str, object] = {
        "coins": len(tickers),
        "hours": len(hours),
        "live_hours (coins/markets)": len(fetched.live_hours),
        "past_hours (market_chart/range)": len(fetched.past_hours),
        "missing": len(fetched.missing),
        "missing_examples": ", ".join(fetched.missing[:20]) or "none",
        "calls": calls,
    }
    if fetched.past_hours:
        # market_chart/range only knows price, cap and volume: say what is NULL and why
        meta["null_in_past_hours"] = ", ".join(PAST_HOUR_NULL_COLUMNS)
    context.add_output_metadata(meta)
    # the write keeps a stored full coins/markets row against a range row (rows_kept)
    return fetched.rows.assign(provider=PROVIDER)


@dg.asset(
    group_name="fundamentals",
    partitions_def=coin_metadata_partitions,
    metadata=table_metadata("coin_metadata"),
    deps=[coin_ids],
    pool=POOL,
    kinds={"python", "sql"},
)
def coin_metadata(
    context: dg.AssetExecutionContext, coingecko: CoinGeckoResource, database: DatabaseResource
) -> pd.DataFrame:
    """Per coin and week: names, categories, plain-text description, links, platforms."""
    window = context.partition_time_window
    now = datetime.now(UTC)
    if not window.start <= now < window.end:
        raise dg.Failure(
            f"coin_metadata {context.partition_key}: only the current week can be fetched; "
            "CoinGecko's /coins/{id} describes a coin as it is now, so a past week cannot be "
            "recovered (nothing was written)."
        )
    tickers = mapped_ids(database)
    week = window.start.astimezone(UTC)
    rows, not_found = [], []
    with coingecko.client() as client:
        for coin_id in sorted(tickers):
            try:
                body = client.get(f"/coins/{coin_id}", DETAIL_PARAMS)
            except CoinGeckoAnswerError as exc:  # e.g. 404: an id CoinGecko retired
                context.log.warning(f"{coin_id}: {exc}")
                not_found.append(coin_id)
                continue
            rows.append(metadata_row(body, coin_id, week, now))
        calls = client.calls
    frame = pd.DataFrame(rows, columns=METADATA_COLUMNS)
    context.add_output_metadata(
        {"coins": len(frame), "not_found": ", ".join(not_found) or "none", "calls": calls}
    )
    return frame
