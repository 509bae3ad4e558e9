"""Schedules and the symbol discovery sensor against a real Dagster instance and database."""

from datetime import UTC, date, datetime

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.market.assets import EXCHANGE, markets
from coinwatch_assets.defs.market.automation import (
    RANGE_END,
    RANGE_START,
    ohlcv_daily_close_schedule,
    ohlcv_intraday_schedule,
    symbol_discovery_sensor,
)
from coinwatch_assets.defs.market.partitions import SETTINGS
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.market.universe import merge_markets
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import table_spec


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


def test_intraday_schedule_requests_one_run_for_today_and_all_symbols(instance) -> None:
    instance.add_dynamic_partitions("symbols", ["BTC-USDT", "ETH-USDT", "SOL-USDT"])
    tick = datetime(2024, 3, 5, 12, 5, tzinfo=UTC)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
    request = ohlcv_intraday_schedule.evaluate_tick(context).run_requests
    assert len(request) == 1
    assert request[0].tags[RANGE_START] == "2024-03-05|BTC-USDT"
    assert request[0].tags[RANGE_END] == "2024-03-05|SOL-USDT"
    assert request[0].asset_selection == [dg.AssetKey("ohlcv")]
    assert ohlcv_intraday_schedule.cron_schedule == "*/5 * * * *"
    assert ohlcv_intraday_schedule.execution_timezone == "UTC"


def test_daily_close_schedule_requests_yesterday(instance) -> None:
    instance.add_dynamic_partitions("symbols", ["BTC-USDT", "ETH-USDT"])
    tick = datetime(2024, 3, 6, 0, 15, tzinfo=UTC)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
    (request,) = ohlcv_daily_close_schedule.evaluate_tick(context).run_requests
    assert request.tags[RANGE_START] == "2024-03-05|BTC-USDT"
    assert request.tags[RANGE_END] == "2024-03-05|ETH-USDT"
    assert request.run_key == "close-2024-03-05"


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
    assert table["active"].all() and len(table) == SETTINGS.top_n

    result = symbol_discovery_sensor(context)
    (add,) = result.dynamic_partitions_requests
    expected = sorted(s.replace("/", "-") for s in table["symbol"])
    assert sorted(add.partition_keys) == expected
    assert len(result.run_requests) == len(expected)
    first = result.run_requests[0]
    key = first.tags[RANGE_START].split("|")[1]
    assert first.tags[RANGE_START] == f"{SETTINGS.start_date}|{key}"
    assert first.tags[RANGE_END] == f"{datetime.now(UTC):%Y-%m-%d}|{key}"
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
