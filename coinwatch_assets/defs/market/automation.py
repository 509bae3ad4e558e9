"""Schedules and the symbol discovery sensor of the market assets."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from coinwatch_assets.defs.market.assets import markets, ohlcv
from coinwatch_assets.defs.market.partitions import SETTINGS, symbols_partitions
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.market.universe import plan_symbol_changes

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def ohlcv_day_request(
    instance: dg.DagsterInstance, day: str, run_key: str | None = None
) -> dg.RunRequest | dg.SkipReason:
    """ONE run covering `day` for every symbol (a run per symbol would cost seconds each)."""
    keys = instance.get_dynamic_partitions(symbols_partitions.name)
    if not keys:
        return dg.SkipReason("no symbols yet: materialize `markets` and let discovery run")
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=[ohlcv.key],
        tags={RANGE_START: f"{day}|{keys[0]}", RANGE_END: f"{day}|{keys[-1]}"},
    )


def _tick(context: dg.ScheduleEvaluationContext) -> datetime:
    return context.scheduled_execution_time


@dg.schedule(
    cron_schedule=SETTINGS.intraday_cron,
    target=[ohlcv],
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Refreshes today's candles of every symbol in one run (COINWATCH_INTRADAY_CRON).",
)
def ohlcv_intraday_schedule(context: dg.ScheduleEvaluationContext):
    """Every 5 minutes (COINWATCH_INTRADAY_CRON): refresh today's candles in one run."""
    tick = _tick(context)
    return ohlcv_day_request(context.instance, f"{tick:%Y-%m-%d}", f"intraday-{tick:%Y%m%d%H%M}")


@dg.schedule(
    cron_schedule="15 0 * * *",
    target=[ohlcv],
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="00:15 UTC: re-fetches yesterday for every symbol, so its last candles are final.",
)
def ohlcv_daily_close_schedule(context: dg.ScheduleEvaluationContext):
    """Shortly after 00:00 UTC: close yesterday's partitions with their final candles."""
    day = (_tick(context) - timedelta(days=1)).strftime("%Y-%m-%d")
    return ohlcv_day_request(context.instance, day, f"close-{day}")


markets_schedule = dg.ScheduleDefinition(
    name="markets_schedule",
    cron_schedule="5 0 * * *",
    target=[markets],
    execution_timezone="UTC",
    description="Daily refresh of the symbol universe (discovery follows it).",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    target=[ohlcv],
    description="After each markets refresh: adds new symbols as partitions, backfills them.",
)
def symbol_discovery_sensor(
    context: dg.SensorEvaluationContext,
    database: DatabaseResource,
    market_source: MarketSourceResource,
):
    """Adds new symbols as partitions and backfills their history; notes delisted ones."""
    records = context.instance.fetch_materializations(markets.key, limit=1).records
    event = records[0] if records else None
    if event is None:
        return dg.SkipReason("`markets` has never been materialized")
    if context.cursor and int(context.cursor) >= event.storage_id:
        return dg.SkipReason("no new `markets` materialization")
    existing = context.instance.get_dynamic_partitions(symbols_partitions.name)
    table = database.read("markets")
    add, delisted, unusable = plan_symbol_changes(
        table, list(existing), market_source.exchange_label
    )
    for symbol in unusable:
        context.log.warning(f"{symbol}: cannot be a partition key, not tracked")
    for key in delisted:
        context.log.info(f"{key}: delisted; its history is kept, no new candles are fetched")
    start, end = SETTINGS.start_date, f"{datetime.now(UTC):%Y-%m-%d}"
    requests = [
        dg.RunRequest(
            run_key=f"history-{key}-{event.storage_id}",
            asset_selection=[ohlcv.key],
            tags={RANGE_START: f"{start}|{key}", RANGE_END: f"{end}|{key}"},
        )
        for key in add
    ]
    context.update_cursor(str(event.storage_id))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[symbols_partitions.build_add_request(add)] if add else [],
    )
