"""`dex_pairs`: CoinMarketCap DEX latest spot pairs of the configured networks, every 5 min."""

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.fundamentals.cmc_resources import CoinMarketCapResource
from coinwatch_assets.defs.fundamentals.current import current_partition_start
from coinwatch_assets.defs.storage import DatabaseResource, table_metadata
from coinwatch_assets.defs.venues import START_DATE
from coinwatch_assets.lib.fundamentals.cmc_dex import DEX_COLUMNS, DEX_PATH, dex_rows

# end_offset=1: the current 5-minute slot exists; the endpoint only knows "now".
dex_pairs_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="*/5 * * * *",
    start=f"{START_DATE}-00:00",
    fmt="%Y-%m-%d-%H:%M",
    timezone="UTC",
    end_offset=1,
)


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
    slot = current_partition_start(context, "the CoinMarketCap DEX API")
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
    context.add_output_metadata(
        {
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
    """Every 5 minutes: the slot that just began."""
    moment = context.scheduled_execution_time
    key = dex_pairs_partitions.get_partition_key_for_timestamp(moment.timestamp())
    return dg.RunRequest(run_key=f"dex_pairs-{key}", partition_key=key)
