"""`dex_pairs`: CoinMarketCap DEX latest spot pairs of the configured networks, every 5 min."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.fundamentals.cmc_resources import CoinMarketCapResource
from coinwatch_assets.defs.fundamentals.current import current_partition_start
from coinwatch_assets.defs.storage import FETCHED_WINDOWS, DatabaseResource, table_metadata
from coinwatch_assets.defs.venues import START_DATE
from coinwatch_assets.lib.fundamentals.cmc_dex import DEX_COLUMNS, DEX_PATH, dex_rows

# One partition per UTC day, one run per 5-minute slot: a partition per slot would be 105k
# partitions a year (Dagster's bookkeeping grows with partitions); each run owns only its slot
# of the day (FETCHED_WINDOWS). end_offset=1: today exists; the endpoint only knows "now".
SLOT = timedelta(minutes=5)
dex_pairs_partitions = dg.DailyPartitionsDefinition(
    start_date=START_DATE, timezone="UTC", end_offset=1
)


def current_slot(now: datetime) -> datetime:
    """The 5-minute slot (UTC) holding `now`."""
    now = now.astimezone(UTC)
    return now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)


@dg.asset(
    group_name="fundamentals_cmc",
    partitions_def=dex_pairs_partitions,
    metadata=table_metadata("dex_pairs"),
    pool="coinmarketcap",
    kinds={"python", "sql"},
)
def dex_pairs(
    context: dg.AssetExecutionContext,
    coinmarketcap: CoinMarketCapResource,
    database: DatabaseResource,
) -> pd.DataFrame:
    """Latest DEX spot pairs per network (CMC DEX): price, 24h volume, liquidity (USD)."""
    current_partition_start(context, "the CoinMarketCap DEX API")
    slot = current_slot(datetime.now(UTC))
    networks = coinmarketcap.networks()
    frames = []
    with coinmarketcap.client(database.storage()) as client:
        client.ensure_allowance(len(networks))
        for network in networks:
            params = {"network_slug": network, "limit": coinmarketcap.dex_pairs_per_network}
            frames.append(dex_rows(client.get(DEX_PATH, params), network, slot))
        calls, credits = client.calls, getattr(client, "credits", 0)
    frames = [f for f in frames if len(f)]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DEX_COLUMNS)
    # this run owns its slot only: the day's earlier slots stay as they are
    rows.attrs[FETCHED_WINDOWS] = {context.partition_key: [(slot, slot + SLOT)]}
    context.add_output_metadata(
        {
            "slot": slot.isoformat(),
            "pairs": len(rows),
            "by_network": dg.MetadataValue.json(rows["network"].value_counts().to_dict()),
            "calls": calls,
            "credits": credits,
        }
    )
    return rows


dex_pairs_job = dg.define_asset_job("dex_pairs_job", selection=[dex_pairs])


@dg.schedule(
    cron_schedule="*/5 * * * *",
    job=dex_pairs_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def dex_pairs_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every 5 minutes: the slot that just began, in today's partition."""
    moment = context.scheduled_execution_time
    key = dex_pairs_partitions.get_partition_key_for_timestamp(moment.timestamp())
    return dg.RunRequest(
        run_key=f"dex_pairs-{current_slot(moment):%Y-%m-%d-%H:%M}", partition_key=key
    )
