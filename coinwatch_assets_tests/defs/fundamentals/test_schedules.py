"""Fundamentals schedules: the hour just closed, the week that just began, ids weekly."""

from datetime import UTC, datetime

import dagster as dg

from coinwatch_assets.definitions import defs
from coinwatch_assets.defs.fundamentals.schedules import (
    coin_ids_schedule,
    coin_metadata_schedule,
    market_metrics_schedule,
)


def requests(schedule, moment: datetime) -> list[dg.RunRequest]:
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=moment,
            repository_def=defs.get_repository_def(),  # resolves the job's partitions
        )
        data = schedule.evaluate_tick(context)
    return list(data.run_requests or [])


def test_hourly_metrics_fetch_the_hour_just_closed():
    assert market_metrics_schedule.cron_schedule == "2 * * * *"
    [request] = requests(market_metrics_schedule, datetime(2026, 11, 30, 14, 2, tzinfo=UTC))
    assert request.partition_key == "2026-11-30-13:00"


def test_weekly_metadata_takes_the_week_that_just_began_and_ids_come_first():
    [request] = requests(coin_metadata_schedule, datetime(2026, 11, 30, 0, 30, tzinfo=UTC))
    assert request.partition_key == "2026-11-30"  # a Monday: the current week
    assert coin_ids_schedule.cron_schedule == "15 0 * * 1"
    assert coin_metadata_schedule.cron_schedule == "30 0 * * 1"


def test_the_code_location_carries_the_fundamentals_and_the_coingecko_pool():
    graph = defs.resolve_asset_graph()
    for name in ("coin_ids", "coin_metadata", "market_metrics"):
        node = graph.get(dg.AssetKey(name))
        assert node.pools == {"coingecko"}
    names = {s.name for s in defs.schedules}
    assert {"market_metrics_schedule", "coin_metadata_schedule", "coin_ids_schedule"} <= names
