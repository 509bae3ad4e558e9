"""Schedules of the fundamentals: weekly ids and metadata, hourly metrics."""

from datetime import timedelta

import dagster as dg

from coinwatch_assets.defs.fundamentals.assets import coin_ids, coin_metadata, market_metrics
from coinwatch_assets.defs.fundamentals.partitions import (
    coin_metadata_partitions,
    market_metrics_partitions,
)

market_metrics_job = dg.define_asset_job("market_metrics_job", selection=[market_metrics])
coin_metadata_job = dg.define_asset_job("coin_metadata_job", selection=[coin_metadata])
coin_ids_job = dg.define_asset_job("coin_ids_job", selection=[coin_ids])


@dg.schedule(
    cron_schedule="2 * * * *",
    job=market_metrics_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def market_metrics_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Two minutes past the hour: the hour just closed, fetched live from /coins/markets."""
    closed = context.scheduled_execution_time - timedelta(hours=1)
    key = market_metrics_partitions.get_partition_key_for_timestamp(closed.timestamp())
    return dg.RunRequest(run_key=f"market_metrics-{key}", partition_key=key)


@dg.schedule(
    cron_schedule="30 0 * * 1",
    job=coin_metadata_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def coin_metadata_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Monday 00:30 UTC: the week that just began (only the current week is fetchable)."""
    moment = context.scheduled_execution_time
    key = coin_metadata_partitions.get_partition_key_for_timestamp(moment.timestamp())
    return dg.RunRequest(run_key=f"coin_metadata-{key}", partition_key=key)


coin_ids_schedule = dg.ScheduleDefinition(
    name="coin_ids_schedule",
    job=coin_ids_job,
    cron_schedule="15 0 * * 1",  # Monday 00:15 UTC, before the metadata
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
