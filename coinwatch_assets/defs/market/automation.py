"""A venue's schedules and symbol discovery sensor."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from coinwatch_assets.defs.market.partitions import VenuePartitions
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.market.fetch_plan import FETCH_FROM_TAG, LAST_STORED
from coinwatch_assets.lib.market.grain import day_start, join_key, month_key, month_keys
from coinwatch_assets.lib.market.universe import plan_symbol_changes
from coinwatch_assets.lib.venues import Venue

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


# A new symbol's history is backfilled as one run per this many months: a 5m year is ~105k
# candles per run (tens of MB), and 8 years of history are 8 runs, not one per month.
HISTORY_MONTHS_PER_RUN = 12


def ohlcv_month_request(
    instance: dg.DagsterInstance,
    month: str,
    run_key: str | None = None,
    *,
    ohlcv_key: dg.AssetKey,
    symbols_partitions: str,
    fetch_from: str,
) -> dg.RunRequest | dg.SkipReason:
    """ONE run covering `month` for every symbol (a run per symbol would cost seconds each),
    fetching from `fetch_from` (FETCH_FROM_TAG) so it costs what is new, not the month."""
    keys = instance.get_dynamic_partitions(symbols_partitions)
    if not keys:
        return dg.SkipReason("no symbols yet: materialize `markets` and let discovery run")
    return dg.RunRequest(
        run_key=run_key,
        asset_selection=[ohlcv_key],
        tags={
            RANGE_START: join_key(month, keys[0]),
            RANGE_END: join_key(month, keys[-1]),
            FETCH_FROM_TAG: fetch_from,
        },
    )


def history_requests(
    symbol_key: str, first: date, last: date, run_key: str, ohlcv_key: dg.AssetKey
) -> list[dg.RunRequest]:
    """A new symbol's months [first, last] as runs of HISTORY_MONTHS_PER_RUN months each."""
    months = month_keys(first, last)
    requests = []
    for i in range(0, len(months), HISTORY_MONTHS_PER_RUN):
        chunk = months[i : i + HISTORY_MONTHS_PER_RUN]
        requests.append(
            dg.RunRequest(
                run_key=f"{run_key}-{chunk[0]}",
                asset_selection=[ohlcv_key],
                tags={
                    RANGE_START: join_key(chunk[0], symbol_key),
                    RANGE_END: join_key(chunk[-1], symbol_key),
                },
            )
        )
    return requests


def build_automation(
    venue: Venue,
    partitions: VenuePartitions,
    markets: dg.AssetsDefinition,
    ohlcv: dg.AssetsDefinition,
) -> tuple[list[dg.ScheduleDefinition], list[dg.SensorDefinition]]:
    """The venue's intraday, daily-close and markets schedules and its discovery sensor."""
    symbols_name = partitions.symbols.name
    source_key = venue.named("market_source")

    def month_request(instance: dg.DagsterInstance, month: str, run_key: str, fetch_from: str):
        return ohlcv_month_request(
            instance,
            month,
            run_key,
            ohlcv_key=ohlcv.key,
            symbols_partitions=symbols_name,
            fetch_from=fetch_from,
        )

    @dg.schedule(
        name=venue.named("ohlcv_intraday_schedule"),
        cron_schedule=venue.intraday_cron,
        target=[ohlcv],
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=(
            "Fetches every symbol's new candles of the current month in one run, from its last "
            "stored candle (intraday_cron)."
        ),
    )
    def intraday(context: dg.ScheduleEvaluationContext):
        """Every 5 minutes (intraday_cron): the current month's new candles, in one run."""
        tick = context.scheduled_execution_time
        return month_request(
            context.instance, month_key(tick), f"intraday-{tick:%Y%m%d%H%M}", LAST_STORED
        )

    @dg.schedule(
        name=venue.named("ohlcv_daily_close_schedule"),
        cron_schedule="15 0 * * *",
        target=[ohlcv],
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="00:15 UTC: re-fetches yesterday for every symbol, so its candles are final.",
    )
    def daily_close(context: dg.ScheduleEvaluationContext):
        """Shortly after 00:00 UTC: yesterday re-fetched whole, in its month's partitions."""
        yesterday = (context.scheduled_execution_time - timedelta(days=1)).date()
        return month_request(
            context.instance,
            month_key(yesterday),
            f"close-{yesterday}",
            day_start(yesterday).isoformat(),
        )

    markets_schedule = dg.ScheduleDefinition(
        name=venue.named("markets_schedule"),
        cron_schedule="5 0 * * *",
        target=[markets],
        execution_timezone="UTC",
        description="Daily refresh of the symbol universe (discovery follows it).",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    start = venue.start_date  # the partitions' start: shapes the definitions

    @dg.sensor(
        name=venue.named("symbol_discovery_sensor"),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        target=[ohlcv],
        required_resource_keys={"database", source_key},
        description=(
            "After each markets refresh: adds new symbols as partitions and backfills their "
            f"history, {HISTORY_MONTHS_PER_RUN} months per run."
        ),
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
        today = datetime.now(UTC).date()
        requests = [
            request
            for key in add
            for request in history_requests(
                key, start, today, f"history-{key}-{event.storage_id}", ohlcv.key
            )
        ]
        context.update_cursor(str(event.storage_id))
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[partitions.symbols.build_add_request(add)] if add else [],
        )

    return [intraday, daily_close, markets_schedule], [discovery]
