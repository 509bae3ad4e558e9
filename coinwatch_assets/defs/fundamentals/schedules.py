"""Schedules of the fundamentals: weekly ids and metadata, hourly metrics."""

import dagster as dg

from coinwatch_assets.defs.fundamentals.assets import coin_ids, coin_metadata, market_metrics
from coinwatch_assets.defs.fundamentals.partitions import (
    coin_metadata_partitions,
    market_metrics_partitions,
)

market_metrics_job = dg.define_asset_job(
    "market_metrics_job", selection=[market_metrics], partitions_def=market_metrics_partitions
)
coin_metadata_job = dg.define_asset_job(
    "coin_metadata_job", selection=[coin_metadata], partitions_def=coin_metadata_partitions
)
coin_ids_job = dg.define_asset_job("coin_ids_job", selection=[coin_ids])

# Two minutes past the hour: the hour just closed (the latest partition), fetched live.
market_metrics_schedule = dg.build_schedule_from_partitioned_job(
    market_metrics_job,
    minute_of_hour=2,
    default_status=dg.DefaultScheduleStatus.STOPPED,
)


@dg.schedule(
    cron_schedule="30 0 * * 1",
    job=coin_metadata_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def coin_metadata_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Monday 00:30 UTC: the week that just started (only the current week is fetchable)."""
    moment = context.scheduled_execution_time
    key = coin_metadata_partitions.get_last_partition_key(current_time=moment)
    return dg.RunRequest(partition_key=key)


coin_ids_schedule = dg.ScheduleDefinition(
    job=coin_ids_job,
    cron_schedule="15 0 * * 1",  # Monday 00:15 UTC, before the metadata
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
