"""A venue's schedules and symbol discovery sensor."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from coinwatch_assets.defs.market.partitions import VenuePartitions
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.market.universe import plan_symbol_changes
from coinwatch_assets.lib.venues import Venue

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def ohlcv_day_request(
    instance: dg.DagsterInstance,
    day: str,
    run_key: str | None = None,
    *,
    ohlcv_key: dg.AssetKey,
    symbols_partitions: str,
) -> dg.RunRequest | dg.SkipReason:
    """ONE run covering `day` for every symbol (a run per symbol would cost seconds each)."""
    keys = instance.get_dynamic_partitions(symbols_partitions)
    if not keys:
        return dg.SkipReason("no symbols yet: materialize `markets` and let discovery run")
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=[ohlcv_key],
        tags={RANGE_START: f"{day}|{keys[0]}", RANGE_END: f"{day}|{keys[-1]}"},
    )


def build_automation(
    venue: Venue,
    partitions: VenuePartitions,
    markets: dg.AssetsDefinition,
    ohlcv: dg.AssetsDefinition,
) -> tuple[list[dg.ScheduleDefinition], list[dg.SensorDefinition]]:
    """The venue's intraday, daily-close and markets schedules and its discovery sensor."""
    symbols_name = partitions.symbols.name
    source_key = venue.named("market_source")

    def day_request(instance: dg.DagsterInstance, day: str, run_key: str):
        return ohlcv_day_request(
            instance, day, run_key, ohlcv_key=ohlcv.key, symbols_partitions=symbols_name
        )

    @dg.schedule(
        name=venue.named("ohlcv_intraday_schedule"),
        cron_schedule=venue.intraday_cron,
        target=[ohlcv],
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Refreshes today's candles of every symbol in one run (intraday_cron).",
    )
    def intraday(context: dg.ScheduleEvaluationContext):
        """Every 5 minutes (intraday_cron): refresh today's candles in one run."""
        tick = context.scheduled_execution_time
        return day_request(context.instance, f"{tick:%Y-%m-%d}", f"intraday-{tick:%Y%m%d%H%M}")

    @dg.schedule(
        name=venue.named("ohlcv_daily_close_schedule"),
        cron_schedule="15 0 * * *",
        target=[ohlcv],
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="00:15 UTC: re-fetches yesterday for every symbol, so its candles are final.",
    )
    def daily_close(context: dg.ScheduleEvaluationContext):
        """Shortly after 00:00 UTC: close yesterday's partitions with their final candles."""
        day = (context.scheduled_execution_time - timedelta(days=1)).strftime("%Y-%m-%d")
        return day_request(context.instance, day, f"close-{day}")

    markets_schedule = dg.ScheduleDefinition(
        name=venue.named("markets_schedule"),
        cron_schedule="5 0 * * *",
        target=[markets],
        execution_timezone="UTC",
        description="Daily refresh of the symbol universe (discovery follows it).",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    start = venue.start_date.isoformat()  # the partitions' start: shapes the definitions

    @dg.sensor(
        name=venue.named("symbol_discovery_sensor"),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        target=[ohlcv],
        required_resource_keys={"database", source_key},
        description="After each markets refresh: adds new symbols as partitions, backfills them.",
    )
    def discovery(context: dg.SensorEvaluationContext, **_: object):
        """Adds new symbols as partitions and backfills their history; notes delisted ones."""
        # The venue's source resource has a venue-specific key, so it cannot be a parameter;
        # read both from the context (a direct call in tests also passes them as keywords,
        # the daemon does not).
        database = context.resources.database
        market_source = getattr(context.resources, source_key)
        assert isinstance(database, DatabaseResource)
        assert isinstance(market_source, MarketSourceResource)
        records = context.instance.fetch_materializations(markets.key, limit=1).records
        event = records[0] if records else None
        if event is None:
            return dg.SkipReason(f"`{markets.key.to_user_string()}` has never been materialized")
        if context.cursor and int(context.cursor) >= event.storage_id:
            return dg.SkipReason(f"no new `{markets.key.to_user_string()}` materialization")
        existing = context.instance.get_dynamic_partitions(symbols_name)
        add, delisted, unusable = plan_symbol_changes(
            database.read("markets"), list(existing), market_source.exchange_label
        )
        for symbol in unusable:
            context.log.warning(f"{symbol}: cannot be a partition key, not tracked")
        for key in delisted:
            context.log.info(f"{key}: delisted; its history is kept, no new candles are fetched")
        end = f"{datetime.now(UTC):%Y-%m-%d}"
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
            dynamic_partitions_requests=[partitions.symbols.build_add_request(add)] if add else [],
        )

    return [intraday, daily_close, markets_schedule], [discovery]
