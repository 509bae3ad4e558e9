"""The month grain in the venue's schedules and discovery sensor: one run per month for every
symbol, fetching what is new; a new symbol's history as a bounded number of runs."""

from datetime import UTC, datetime

import dagster as dg
import pytest

from coinwatch_assets.defs.market.automation import (
    HISTORY_MONTHS_PER_RUN,
    RANGE_END,
    RANGE_START,
)
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.market.fetch_plan import FETCH_FROM_TAG, LAST_STORED
from coinwatch_assets.lib.market.grain import month_keys
from coinwatch_assets_tests.venue_defs import (
    EXCHANGE,
    VENUE,
    markets,
    ohlcv_daily_close_schedule,
    ohlcv_intraday_schedule,
    symbol_discovery_sensor,
)


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_intraday_requests_the_current_month_of_every_symbol_from_the_last_candle(
    instance,
) -> None:
    instance.add_dynamic_partitions("symbols", ["BTC-USDT", "ETH-USDT", "SOL-USDT"])
    tick = datetime(2024, 3, 31, 23, 55, tzinfo=UTC)  # late in the month: still one cheap run
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
    (request,) = ohlcv_intraday_schedule.evaluate_tick(context).run_requests
    assert request.tags[RANGE_START] == "2024-03|BTC-USDT"
    assert request.tags[RANGE_END] == "2024-03|SOL-USDT"
    assert request.tags[FETCH_FROM_TAG] == LAST_STORED
    assert request.run_key == "intraday-202403312355"


def test_daily_close_refetches_yesterday_in_its_month(instance) -> None:
    instance.add_dynamic_partitions("symbols", ["BTC-USDT", "ETH-USDT"])
    tick = datetime(2024, 4, 1, 0, 15, tzinfo=UTC)  # yesterday is the previous month's last day
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
    (request,) = ohlcv_daily_close_schedule.evaluate_tick(context).run_requests
    assert request.tags[RANGE_START] == "2024-03|BTC-USDT"
    assert request.tags[RANGE_END] == "2024-03|ETH-USDT"
    assert request.tags[FETCH_FROM_TAG] == "2024-03-31T00:00:00+00:00"
    assert request.run_key == "close-2024-03-31"


def test_discovery_backfills_a_new_symbols_history_in_bounded_runs(instance, tmp_path) -> None:
    database = DatabaseResource(url=f"sqlite:///{tmp_path / 'cw.sqlite'}")
    source = MarketSourceResource(source="sample", label=EXCHANGE)
    resources = {
        "market_source": source,
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }
    assert dg.materialize([markets], instance=instance, resources=resources).success
    context = dg.build_sensor_context(
        instance=instance, resources={"database": database, "market_source": source}
    )
    result = symbol_discovery_sensor(context)
    symbols = len(result.dynamic_partitions_requests[0].partition_keys)
    months = month_keys(VENUE.start_date, datetime.now(UTC).date())
    runs_per_symbol = -(-len(months) // HISTORY_MONTHS_PER_RUN)
    assert len(result.run_requests) == symbols * runs_per_symbol
    mine = [r for r in result.run_requests if r.tags[RANGE_START].endswith("|BTC-USDT")]
    assert len(mine) == runs_per_symbol
    # Consecutive chunks of at most HISTORY_MONTHS_PER_RUN months cover the history once.
    covered = []
    for request in mine:
        first, last = (request.tags[t].split("|")[0] for t in (RANGE_START, RANGE_END))
        chunk = month_keys(
            datetime.fromisoformat(first + "-01"), datetime.fromisoformat(last + "-01")
        )
        assert len(chunk) <= HISTORY_MONTHS_PER_RUN
        covered += chunk
    assert covered == months
    assert len({r.run_key for r in result.run_requests}) == len(result.run_requests)
