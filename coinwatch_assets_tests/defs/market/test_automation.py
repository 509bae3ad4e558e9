"""Schedules and the symbol discovery sensor against a real Dagster instance and database."""

from datetime import UTC, date, datetime

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.market.automation import (
    HISTORY_MONTHS_PER_RUN,
    RANGE_END,
    RANGE_START,
)
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.market.fetch_plan import FETCH_FROM_TAG, LAST_STORED
from coinwatch_assets.lib.market.grain import month_key, month_keys
from coinwatch_assets.lib.market.universe import merge_markets
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.venue_defs import (
    EXCHANGE,
    VENUE,
    markets,
    ohlcv_daily_close_schedule,
    ohlcv_intraday_schedule,
    symbol_discovery_sensor,
)


def sample_resources(tmp_path) -> dict[str, object]:
    """The sample source writing into an embedded database in `tmp_path`."""
    database = DatabaseResource(url=f"sqlite:///{tmp_path / 'cw.sqlite'}")
    return {
        "market_source": MarketSourceResource(source="sample", label=EXCHANGE),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }


def sensor_resources(database: DatabaseResource) -> dict[str, object]:
    return {
        "database": database,
        "market_source": MarketSourceResource(source="sample", label=EXCHANGE),
    }


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_intraday_schedule_requests_one_run_for_the_current_month_and_all_symbols(
    instance,
) -> None:
    instance.add_dynamic_partitions("symbols", ["BTC-USDT", "ETH-USDT", "SOL-USDT"])
    tick = datetime(2024, 3, 5, 12, 5, tzinfo=UTC)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
    request = ohlcv_intraday_schedule.evaluate_tick(context).run_requests
    assert len(request) == 1
    assert request[0].tags[RANGE_START] == "2024-03|BTC-USDT"
    assert request[0].tags[RANGE_END] == "2024-03|SOL-USDT"
    # Incremental: each symbol from its last stored candle, not the whole month.
    assert request[0].tags[FETCH_FROM_TAG] == LAST_STORED
    assert request[0].asset_selection == [dg.AssetKey("ohlcv")]
    assert ohlcv_intraday_schedule.cron_schedule == "*/5 * * * *"
    assert ohlcv_intraday_schedule.execution_timezone == "UTC"


@pytest.mark.parametrize(
    ("tick", "month", "day"),
    [
        (datetime(2024, 3, 6, 0, 15, tzinfo=UTC), "2024-03", "2024-03-05"),
        # On the 1st, yesterday is the last day of the previous month's partitions.
        (datetime(2024, 4, 1, 0, 15, tzinfo=UTC), "2024-03", "2024-03-31"),
    ],
)
def test_daily_close_schedule_requests_yesterday(instance, tick, month, day) -> None:
    instance.add_dynamic_partitions("symbols", ["BTC-USDT", "ETH-USDT"])
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
    (request,) = ohlcv_daily_close_schedule.evaluate_tick(context).run_requests
    assert request.tags[RANGE_START] == f"{month}|BTC-USDT"
    assert request.tags[RANGE_END] == f"{month}|ETH-USDT"
    # Yesterday whole, from its midnight: its last candles become final.
    assert request.tags[FETCH_FROM_TAG] == f"{day}T00:00:00+00:00"
    assert request.run_key == f"close-{day}"


def test_schedules_skip_without_symbols(instance) -> None:
    tick = datetime(2024, 3, 5, 12, 5, tzinfo=UTC)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
    data = ohlcv_intraday_schedule.evaluate_tick(context)
    assert not data.run_requests and "no symbols yet" in data.skip_message


def test_discovery_adds_symbols_requests_history_and_marks_delisted(instance, tmp_path) -> None:
    resources = sample_resources(tmp_path)
    database = resources["database"]
    context = dg.build_sensor_context(instance=instance, resources=sensor_resources(database))
    assert "never been materialized" in symbol_discovery_sensor(context).skip_message

    assert dg.materialize([markets], instance=instance, resources=resources).success
    table = database.read("markets")
    assert table["active"].all() and len(table) == 10

    result = symbol_discovery_sensor(context)
    (add,) = result.dynamic_partitions_requests
    expected = sorted(s.replace("/", "-") for s in table["symbol"])
    assert sorted(add.partition_keys) == expected
    # Each symbol's history from the venue's start month to now, a bounded number of runs.
    months = month_keys(VENUE.start_date, datetime.now(UTC))
    runs = -(-len(months) // HISTORY_MONTHS_PER_RUN)
    assert len(result.run_requests) == len(expected) * runs
    key = result.run_requests[0].tags[RANGE_START].split("|")[1]
    mine = [r for r in result.run_requests if r.tags[RANGE_START].endswith(f"|{key}")]
    assert len(mine) == runs
    assert mine[0].tags[RANGE_START] == f"{month_key(VENUE.start_date)}|{key}"
    assert mine[-1].tags[RANGE_END] == f"{month_key(datetime.now(UTC))}|{key}"
    covered = [(r.tags[RANGE_START].split("|")[0], r.tags[RANGE_END].split("|")[0]) for r in mine]
    assert all(months.index(b) - months.index(a) < HISTORY_MONTHS_PER_RUN for a, b in covered)
    assert [months.index(a) for a, _ in covered[1:]] == [
        months.index(b) + 1 for _, b in covered[:-1]
    ]
    instance.add_dynamic_partitions("symbols", add.partition_keys)

    # Nothing new since the cursor: skip.
    context = dg.build_sensor_context(
        instance=instance, resources=sensor_resources(database), cursor=context.cursor
    )
    assert "no new" in symbol_discovery_sensor(context).skip_message

    # SOL/USDT leaves the universe: marked delisted, its partitions and history stay.
    current = table[table["symbol"] != "SOL/USDT"][
        ["exchange", "symbol", "base", "quote", "active", "quote_volume_24h"]
    ]
    now = datetime.now(UTC)
    updated = merge_markets(table, current, today=date(2030, 1, 2), now=now)
    database.storage().write(table_spec("markets"), updated, Slice.whole_table("markets"))
    instance.report_runless_asset_event(dg.AssetMaterialization("markets"))
    result = symbol_discovery_sensor(context)
    assert result.run_requests == [] and result.dynamic_partitions_requests == []
    assert "SOL-USDT" in instance.get_dynamic_partitions("symbols")
    sol = database.read("markets").set_index("symbol").loc["SOL/USDT"]
    assert not sol["active"] and sol["delisted"] == date(2030, 1, 2)
    assert sol["first_seen"] == now.date()


def test_markets_keeps_first_seen_across_refreshes(instance, tmp_path) -> None:
    resources = sample_resources(tmp_path)
    database = resources["database"]
    old = pd.DataFrame(
        [
            [
                EXCHANGE,
                "BTC/USDT",
                "BTC",
                "USDT",
                True,
                1.0,
                date(2020, 1, 1),
                None,
                datetime(2020, 1, 1, tzinfo=UTC),
            ]
        ],
        columns=list(database.read("markets").columns),
    )
    database.storage().write(table_spec("markets"), old, Slice.whole_table("markets"))
    assert dg.materialize([markets], instance=instance, resources=resources).success
    table = database.read("markets").set_index("symbol")
    assert table.loc["BTC/USDT", "first_seen"] == date(2020, 1, 1)
    assert table.loc["ETH/USDT", "first_seen"] == datetime.now(UTC).date()
