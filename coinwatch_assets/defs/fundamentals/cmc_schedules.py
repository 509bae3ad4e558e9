"""Schedules of the CoinMarketCap assets (the same rhythm as CoinGecko's, a few minutes on)."""

from datetime import timedelta

import dagster as dg

from coinwatch_assets.defs.fundamentals.cmc_assets import cmc_ids, cmc_market_metrics, cmc_metadata
from coinwatch_assets.defs.fundamentals.partitions import (
    coin_metadata_partitions,
    market_metrics_partitions,
)

cmc_market_metrics_job = dg.define_asset_job(
    "cmc_market_metrics_job", selection=[cmc_market_metrics]
)
cmc_metadata_job = dg.define_asset_job("cmc_metadata_job", selection=[cmc_metadata])
cmc_ids_job = dg.define_asset_job("cmc_ids_job", selection=[cmc_ids])


@dg.schedule(
    cron_schedule="4 * * * *",
    job=cmc_market_metrics_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def cmc_market_metrics_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Four minutes past the hour: the hour just closed (CMC quotes only know "now")."""
    closed = context.scheduled_execution_time - timedelta(hours=1)
    key = market_metrics_partitions.get_partition_key_for_timestamp(closed.timestamp())
    return dg.RunRequest(run_key=f"cmc_market_metrics-{key}", partition_key=key)


@dg.schedule(
    cron_schedule="40 0 * * 1",
    job=cmc_metadata_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def cmc_metadata_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Monday 00:40 UTC: the week that just began."""
    moment = context.scheduled_execution_time
    key = coin_metadata_partitions.get_partition_key_for_timestamp(moment.timestamp())
    return dg.RunRequest(run_key=f"cmc_metadata-{key}", partition_key=key)


cmc_ids_schedule = dg.ScheduleDefinition(
    name="cmc_ids_schedule",
    job=cmc_ids_job,
    cron_schedule="20 0 * * 1",  # Monday 00:20 UTC, before the metadata
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
