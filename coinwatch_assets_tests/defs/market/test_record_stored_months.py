"""Upgrading a day-grain deployment: `record_stored_months_job` records the stored months as
materialized with their exact row counts, leaves every stored row as it was, records nothing
new when run again, and gives a fresh instance the symbols and months it did not know.

The database and the instance are filled by the day-grain code (`day_grain.py`), on both
backends: SQLite data + SQLite instance, TimescaleDB data + PostgreSQL instance.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.definitions import build_definitions
from coinwatch_assets.defs.market import stored_months
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.market.stored_months import JOB_NAME, month_assets
from coinwatch_assets.defs.market.venue import build_venue, market_source_resource
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.market.grain import join_key, month_key, month_keys
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.symbols import symbol_to_key
from coinwatch_assets.lib.venues import Venue
from coinwatch_assets_tests.defs.market.day_grain import day_grain_assets
from coinwatch_assets_tests.venue_defs import DEFAULT, EXCHANGE, VENUE

SYMBOLS = ["BTC-USDT", "ETH-USDT"]
# Symbol-days stored by the day grain: two months for BTC, one for ETH.
DAY_KEYS = ["2024-01-31|BTC-USDT", "2024-02-01|BTC-USDT", "2024-02-01|ETH-USDT"]
ASSETS = month_assets(DEFAULT)
_names = itertools.count()


@contextmanager
def dagster_instance(database_url: str, request: pytest.FixtureRequest) -> Iterator:
    """A SQLite instance next to SQLite data; a PostgreSQL instance next to TimescaleDB."""
    if not database_url.startswith("postgresql"):
        with dg.instance_for_test() as instance:
            yield instance
        return
    cluster = request.getfixturevalue("timescale")
    name = f"dagster{os.getpid()}_{next(_names)}"
    cluster.create_database(name, timescale=False)
    # psycopg2 scheme: dagster-postgres fails on psycopg 3 (see README, Instance storage).
    url = cluster.url(name, driver="psycopg2")
    with dg.instance_for_test(overrides={"storage": {"postgres": {"postgres_url": url}}}) as inst:
        yield inst


@pytest.fixture
def instance(database_url: str, request: pytest.FixtureRequest) -> Iterator:
    with dagster_instance(database_url, request) as inst:
        inst.add_dynamic_partitions(DEFAULT.partitions.symbols.name, SYMBOLS)
        yield inst


@pytest.fixture
def database(database_url: str) -> DatabaseResource:
    return DatabaseResource(url=database_url)


def resources(database: DatabaseResource) -> dict[str, object]:
    return {
        DEFAULT.source_key: MarketSourceResource(source="sample", label=EXCHANGE),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
        "quality_policy": QualityPolicyResource(),
    }


def fill_day_grain(instance: dg.DagsterInstance, database: DatabaseResource, keys) -> None:
    """What the day-grain code did: one run per symbol-day of ohlcv, bars and indicators."""
    for key in keys:
        result = dg.materialize(
            day_grain_assets(DEFAULT),
            instance=instance,
            partition_key=key,
            resources=resources(database),
        )
        assert result.success


def stored(storage: Storage) -> dict[str, pd.DataFrame]:
    """Every row of the venue's month tables."""
    return {
        a.key.path[-1]: storage.read(table_spec(a.key.path[-1]), Slice.whole_table(a.key.path[-1]))
        for a in ASSETS
    }


def expected_counts(rows: dict[str, pd.DataFrame]) -> dict[str, dict[str, int]]:
    """{asset: {month partition key: rows}}, counted here in pandas from the stored rows."""
    out = {}
    for asset in ASSETS:
        frame = rows[asset.key.path[-1]]
        frame = frame[(frame["exchange"] == EXCHANGE) & (frame["timeframe"] == VENUE.timeframe)]
        keys = [
            join_key(month_key(ts.to_pydatetime()), symbol_to_key(symbol))
            for symbol, ts in zip(frame["symbol"], frame["ts"], strict=True)
        ]
        out[asset.key.to_user_string()] = pd.Series(keys).value_counts().to_dict()
    return out


def recorded_counts(instance: dg.DagsterInstance) -> dict[str, dict[str, int]]:
    """{asset: {partition: row count}} of the materializations the upgrade step recorded."""
    out: dict[str, dict[str, int]] = {}
    for asset in ASSETS:
        records = instance.fetch_materializations(asset.key, limit=1000).records
        found = out.setdefault(asset.key.to_user_string(), {})
        for record in reversed(records):  # oldest first: the latest count wins
            event = record.asset_materialization
            if event.metadata.get("recorded_by") is not None:
                found[event.partition] = event.metadata["dagster/row_count"].value
    return out


def materialization_count(instance: dg.DagsterInstance) -> int:
    return sum(len(instance.fetch_materializations(a.key, limit=1000).records) for a in ASSETS)


def upgrade(instance: dg.DagsterInstance, database: DatabaseResource) -> list[str]:
    """Launch the job of the month-grain code location; returns its log lines."""
    job = build_definitions([VENUE], database).resolve_job_def(JOB_NAME)
    result = job.execute_in_process(instance=instance)
    assert result.success
    return [e.user_message for e in instance.all_logs(result.run_id) if e.user_message]


def status(instance: dg.DagsterInstance, asset: dg.AssetsDefinition) -> dict[str, str]:
    """The UI's per-partition status of the month asset, for the stored symbols' months."""
    keys = [
        join_key(m, s)
        for m in month_keys(VENUE.start_date, pd.Timestamp("2024-03-31"))
        for s in SYMBOLS
    ]
    by_key = instance.get_status_by_partition(asset.key, keys, asset.partitions_def)
    return {k: v.value for k, v in by_key.items() if v is not None}


def test_upgrade_records_stored_months_with_their_row_counts(instance, database) -> None:
    fill_day_grain(instance, database, DAY_KEYS)
    storage = database.storage()
    before = stored(storage)
    expected = expected_counts(before)
    jan, feb = month_key(pd.Timestamp("2024-01-15")), month_key(pd.Timestamp("2024-02-15"))
    # A 5m day holds 288 candles; the sample's ETH misses 02:00-02:10 every day.
    assert expected["ohlcv"] == {
        join_key(jan, "BTC-USDT"): 288,
        join_key(feb, "BTC-USDT"): 288,
        join_key(feb, "ETH-USDT"): 285,
    }
    assert expected["ohlcv_1h"][join_key(feb, "ETH-USDT")] == 24

    # The derived automation as the daemon runs it: a first tick before the upgrade.
    automation = dg.Definitions(
        assets=[DEFAULT.ohlcv, DEFAULT.gaps, *DEFAULT.derived],
        asset_checks=[DEFAULT.quality_checks],
        resources=resources(database),
    )
    tick = dg.evaluate_automation_conditions(defs=automation, instance=instance)

    lines = upgrade(instance, database)

    assert recorded_counts(instance) == expected
    # Recorded months are not re-derived: nothing was fetched and no check ran on them.
    tick = dg.evaluate_automation_conditions(defs=automation, instance=instance, cursor=tick.cursor)
    assert tick.total_requested == 0
    for name, frame in stored(storage).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)
    for asset in ASSETS:
        assert status(instance, asset) == dict.fromkeys(expected["ohlcv"], "MATERIALIZED")
    assert "ohlcv: 3 partition(s) recorded" in lines
    latest = instance.get_latest_materialization_event(DEFAULT.indicators.key)
    assert latest.asset_materialization.metadata["fetched"].value is False

    # Again: every month is already recorded with its stored count.
    events = materialization_count(instance)
    lines = upgrade(instance, database)
    assert materialization_count(instance) == events
    assert any(line.startswith("nothing new to record: all 12 stored") for line in lines)


def test_a_month_whose_stored_count_changed_is_recorded_again(
    instance, database, monkeypatch
) -> None:
    # Recorded counts are read in chunks of partitions: several chunks here.
    monkeypatch.setattr(stored_months, "_BATCH", 2)
    fill_day_grain(instance, database, DAY_KEYS)
    upgrade(instance, database)
    events = materialization_count(instance)
    # Another February day of BTC, stored by the day-grain code after the upgrade ran.
    fill_day_grain(instance, database, ["2024-02-02|BTC-USDT"])
    events += len(ASSETS)

    lines = upgrade(instance, database)

    # One new event per asset: BTC's February; January and ETH stay as recorded.
    assert materialization_count(instance) == events + len(ASSETS)
    feb = month_key(pd.Timestamp("2024-02-15"))
    assert recorded_counts(instance)["ohlcv"][join_key(feb, "BTC-USDT")] == 2 * 288
    assert (
        "ohlcv: 1 partition(s) recorded, 2 already recorded with the same row count "
        "(skipped)" in lines
    )


def test_a_fresh_instance_gets_the_symbols_and_months_of_the_database(
    instance, database, database_url, request
) -> None:
    fill_day_grain(instance, database, DAY_KEYS)
    expected = expected_counts(stored(database.storage()))
    with dagster_instance(database_url, request) as fresh:
        symbols = DEFAULT.partitions.symbols.name
        assert fresh.get_dynamic_partitions(symbols) == []

        upgrade(fresh, database)

        assert sorted(fresh.get_dynamic_partitions(symbols)) == SYMBOLS
        assert recorded_counts(fresh) == expected
        assert status(fresh, DEFAULT.ohlcv) == dict.fromkeys(expected["ohlcv"], "MATERIALIZED")


def test_every_venue_counts_only_its_own_rows(instance, database) -> None:
    # Two venues storing the same symbol and day in the shared tables: 5m and 1h candles.
    venues = [
        Venue(name=name, exchange="sample", label=name, timeframe=tf, symbols=("BTC/USDT",))
        for name, tf in (("alpha", "5m"), ("beta", "1h"))
    ]
    for venue in venues:
        venue_defs = build_venue(venue)
        instance.add_dynamic_partitions(venue_defs.partitions.symbols.name, ["BTC-USDT"])
        result = dg.materialize(
            day_grain_assets(venue_defs),
            instance=instance,
            partition_key="2024-02-01|BTC-USDT",
            resources={
                venue_defs.source_key: market_source_resource(venue),
                "io_manager": CoinwatchIOManager(database=database),
            },
        )
        assert result.success

    job = build_definitions(venues, database).resolve_job_def(JOB_NAME)
    assert job.execute_in_process(instance=instance).success

    feb = join_key(month_key(pd.Timestamp("2024-02-15")), "BTC-USDT")
    counts = {
        key.to_user_string(): {
            r.asset_materialization.partition: r.asset_materialization.metadata[
                "dagster/row_count"
            ].value
            for r in instance.fetch_materializations(key, limit=10).records
            if "recorded_by" in r.asset_materialization.metadata
        }
        for key in instance.get_asset_keys()
        if key.path[0] in ("alpha", "beta")
    }
    assert counts == {
        "alpha/ohlcv": {feb: 288},
        "alpha/ohlcv_1h": {feb: 24},
        "alpha/ohlcv_1d": {feb: 1},
        "alpha/indicators": {feb: 288},
        "beta/ohlcv": {feb: 24},
        "beta/ohlcv_1d": {feb: 1},
        "beta/indicators": {feb: 24},
    }
