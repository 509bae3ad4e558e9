"""CoinGecko market info: `coingecko_trending` (hourly) and `coingecko_exchanges` (daily)."""

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.fundamentals.current import current_partition_start
from coinwatch_assets.defs.fundamentals.resources import CoinGeckoResource
from coinwatch_assets.defs.storage import table_metadata
from coinwatch_assets.defs.venues import START_DATE
from coinwatch_assets.lib.fundamentals.market_info import exchange_rows, trending_rows

POOL = "coingecko"
# end_offset=1: the current hour/day exists; both endpoints only describe "now".
trending_partitions = dg.HourlyPartitionsDefinition(
    start_date=f"{START_DATE}-00:00", timezone="UTC", end_offset=1
)
exchanges_partitions = dg.DailyPartitionsDefinition(
    start_date=START_DATE, timezone="UTC", end_offset=1
)
EXCHANGES_PER_PAGE = 250


@dg.asset(
    group_name="fundamentals",
    partitions_def=trending_partitions,
    metadata=table_metadata("coingecko_trending"),
    pool=POOL,
    kinds={"python", "sql"},
)
def coingecko_trending(
    context: dg.AssetExecutionContext, coingecko: CoinGeckoResource
) -> pd.DataFrame:
    """CoinGecko's most searched coins, NFTs and categories of the hour (/search/trending)."""
    hour = current_partition_start(context, "CoinGecko")
    with coingecko.client() as client:
        # the answer has been seen with stray Latin-1 bytes: read them, don't refuse the body
        rows = trending_rows(client.get("/search/trending", repair_text=True), hour)
        calls = client.calls
    counts = rows["kind"].value_counts().to_dict()
    context.add_output_metadata(
        {
            "coins": counts.get("coin", 0),
            "nfts": counts.get("nft", 0),
            "categories": counts.get("category", 0),
            "calls": calls,
        }  # fmt: skip
    )
    return rows


@dg.asset(
    group_name="fundamentals",
    partitions_def=exchanges_partitions,
    metadata=table_metadata("coingecko_exchanges"),
    pool=POOL,
    kinds={"python", "sql"},
)
def coingecko_exchanges(
    context: dg.AssetExecutionContext, coingecko: CoinGeckoResource
) -> pd.DataFrame:
    """Exchanges by CoinGecko trust score: country, year, trust, 24h BTC volume (/exchanges)."""
    day = current_partition_start(context, "CoinGecko")
    with coingecko.client() as client:
        body = client.get("/exchanges", {"per_page": EXCHANGES_PER_PAGE, "page": 1})
        calls = client.calls
    rows = exchange_rows(body, day)
    context.add_output_metadata({"exchanges": len(rows), "calls": calls})
    return rows


coingecko_trending_job = dg.define_asset_job("coingecko_trending_job", [coingecko_trending])
coingecko_exchanges_job = dg.define_asset_job("coingecko_exchanges_job", [coingecko_exchanges])


@dg.schedule(
    cron_schedule="10 * * * *",
    job=coingecko_trending_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def coingecko_trending_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Ten past every hour: the current hour's trending searches."""
    moment = context.scheduled_execution_time
    key = trending_partitions.get_partition_key_for_timestamp(moment.timestamp())
    return dg.RunRequest(run_key=f"coingecko_trending-{key}", partition_key=key)


@dg.schedule(
    cron_schedule="45 0 * * *",
    job=coingecko_exchanges_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def coingecko_exchanges_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """00:45 UTC daily: the day's exchange list."""
    moment = context.scheduled_execution_time
    key = exchanges_partitions.get_partition_key_for_timestamp(moment.timestamp())
    return dg.RunRequest(run_key=f"coingecko_exchanges-{key}", partition_key=key)
