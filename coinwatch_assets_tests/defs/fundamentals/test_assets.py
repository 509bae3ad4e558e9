"""coin_ids and market_metrics end to end: httpx -> emulator -> IO manager -> database."""

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from coinwatch_assets.defs.fundamentals.assets import coin_ids, market_metrics
from coinwatch_assets.defs.fundamentals.checks import (
    coin_ids_resolved,
    market_metrics_expectations,
)
from coinwatch_assets.lib.fundamentals.guards import forget_guards
from coinwatch_assets.lib.fundamentals.parse import PAST_HOUR_NULL_COLUMNS
from coinwatch_assets_tests.defs.fundamentals.conftest import (
    KEY,
    coingecko,
    hour_key,
    last_closed_hour,
)

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def run(assets, resources, instance, **kwargs):
    return dg.materialize(assets, resources=resources, instance=instance, **kwargs)


def check_result(result, name):
    evaluations = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    assert len(evaluations) == 1, [e.check_name for e in result.get_asset_check_evaluations()]
    return evaluations[0]


def test_ids_then_current_hour_fill_the_tables_and_the_key_is_never_stored(
    resources, instance, emulator
):
    result = run([coin_ids, coin_ids_resolved], resources, instance)
    ids = resources["database"].read("coin_ids").set_index("ticker")
    assert ids.loc["BTC", "coin_id"] == "bitcoin" and ids.loc["BTC", "status"] == "override"
    assert ids.loc["ETH", "coin_id"] == "ethereum"  # ambiguous on /coins/list; override wins
    assert ids.loc["NEAR", "coin_id"] == "near" and ids.loc["NEAR", "status"] == "mapped"
    assert ids.loc["LUNA", "status"] == "ambiguous" and pd.isna(ids.loc["LUNA", "coin_id"])
    assert ids.loc["LUNA", "candidates"] == "luna-a,luna-b"
    assert ids.loc["PEPE", "status"] == "unmapped"
    warn = check_result(result, "coin_ids_resolved")
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    assert warn.metadata["unresolved"].value == 2

    hour = last_closed_hour()
    # the schedule runs 2 minutes after the hour; the test may run up to 59 minutes after it
    live = {**resources, "coingecko": coingecko(emulator, live_grace_minutes=61)}
    result = run(
        [market_metrics, market_metrics_expectations],
        live,
        instance,
        partition_key=hour_key(hour),
    )
    rows = resources["database"].read("market_metrics").set_index("coin_id")
    assert sorted(rows.index) == ["bitcoin", "ethereum", "near"]  # never a guessed LUNA
    assert (rows["ts"] == pd.Timestamp(hour)).all()
    assert set(rows["source"]) == {"coins/markets"}
    assert rows.loc["bitcoin", "symbol"] == "BTC" and rows.loc["bitcoin", "market_cap_rank"] >= 1
    assert (
        rows[["price", "circulating_supply", "ath", "ath_date", "last_updated"]].notna().all().all()
    )
    assert check_result(result, "market_metrics_expectations").passed
    assert "/api/v3/coins/markets" in emulator.call_paths()

    # the key: sent in its header, never in run storage, event logs or metadata
    assert all(headers.get("x-cg-demo-api-key") == KEY for *_, headers in emulator.calls)
    stored = [p.read_bytes() for p in Path(instance.root_directory).rglob("*") if p.is_file()]
    assert stored and not any(KEY.encode() in blob for blob in stored)
    for record in instance.get_run_records():
        assert KEY not in str(record.dagster_run.run_config)
        assert not any(KEY in str(e) for e in instance.all_logs(record.dagster_run.run_id))


def test_an_override_maps_an_ambiguous_ticker(resources, instance, emulator):
    resources = {**resources, "coingecko": coingecko(emulator, id_overrides="LUNA=luna-b")}
    result = run([coin_ids, coin_ids_resolved], resources, instance)
    ids = resources["database"].read("coin_ids").set_index("ticker")
    assert ids.loc["LUNA", "coin_id"] == "luna-b" and ids.loc["LUNA", "status"] == "override"
    assert check_result(result, "coin_ids_resolved").metadata["unresolved"].value == 1  # PEPE


def test_a_week_of_past_hours_backfills_from_market_chart_range_in_one_run(
    resources, instance, emulator
):
    # a budget of 2 calls per second: the run's 3 chart calls must spread out
    resources = {
        **resources,
        "coingecko": coingecko(emulator, calls_per_minute=2, budget_window_seconds=1),
    }
    run([coin_ids], resources, instance)
    last = last_closed_hour() - timedelta(days=1)
    first = last - timedelta(hours=167)
    result = run(
        [market_metrics, market_metrics_expectations],
        resources,
        instance,
        tags={RANGE_START: hour_key(first), RANGE_END: hour_key(last)},
    )
    assert len(instance.get_run_records()) == 2  # coin_ids + ONE backfill run
    rows = resources["database"].read("market_metrics")
    assert len(rows) == 3 * 168
    assert rows["ts"].min() == pd.Timestamp(first) and rows["ts"].max() == pd.Timestamp(last)
    assert set(rows["source"]) == {"market_chart/range"}
    assert rows["price"].notna().all() and rows["market_cap_rank"].isna().all()
    paths = emulator.call_paths()
    assert sum(p.endswith("/market_chart/range") for p in paths) == 3  # one call per coin
    assert "/api/v3/coins/markets" not in paths
    assert emulator.max_calls_in_window(1.0) <= 2  # counted by the emulator
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["null_in_past_hours"].value == ", ".join(PAST_HOUR_NULL_COLUMNS)
    assert meta["past_hours (market_chart/range)"].value == 168
    assert check_result(result, "market_metrics_expectations").passed
    storage = resources["database"].storage()
    if storage.backend == "timescaledb":
        with storage.engine.connect() as conn:
            hypertables = conn.execute(
                sa.text("SELECT hypertable_name FROM timescaledb_information.hypertables")
            ).scalars()
            assert "market_metrics" in set(hypertables)


def test_a_backfill_keeps_the_full_rows_the_schedule_fetched_live(resources, instance, emulator):
    live = {**resources, "coingecko": coingecko(emulator, live_grace_minutes=61)}
    run([coin_ids], live, instance)
    hour = last_closed_hour()
    assert run([market_metrics], live, instance, partition_key=hour_key(hour)).success
    first = hour - timedelta(hours=2)
    result = run(
        [market_metrics],
        {**resources, "coingecko": coingecko(emulator, live_grace_minutes=0)},  # all past now
        instance,
        tags={RANGE_START: hour_key(first), RANGE_END: hour_key(hour)},
    )
    rows = resources["database"].read("market_metrics")
    at_hour = rows[rows["ts"] == pd.Timestamp(hour)]
    assert len(rows) == 9 and set(at_hour["source"]) == {"coins/markets"}
    assert at_hour["market_cap_rank"].notna().all()  # not erased by the range's NULLs
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows_kept"].value == 3


def test_each_error_answer_fails_the_run_and_writes_nothing(resources, instance, emulator):
    resources = {**resources, "coingecko": coingecko(emulator, live_grace_minutes=61)}
    run([coin_ids], resources, instance)
    hour = hour_key(last_closed_hour())
    assert run([market_metrics], resources, instance, partition_key=hour).success
    before = resources["database"].read("market_metrics")
    faults = [
        ({"kind": "code", "code": 10005}, "not in your plan"),
        ({"kind": "code", "code": 10010}, "pro-api.coingecko.com"),
        ({"kind": "code", "code": 10011}, "Demo key needs the public root"),
        ({"kind": "cdn_block"}, "1020"),
        ({"kind": "truncated"}, "truncated"),
        ({"kind": "html"}, "answered GET /coins/markets with text/html, not JSON"),
        ({"kind": "non_utf8"}, "not valid UTF-8"),
        ({"kind": "status", "status": 429, "retry_after": "0"}, "gave up after 3 attempts"),
    ]
    for fault, says in faults:
        forget_guards()  # each case on its own: the breaker would count them together
        emulator.clear_faults()
        emulator.fail_always(**fault)
        result = run(
            [market_metrics], resources, instance, partition_key=hour, raise_on_error=False
        )
        assert not result.success, fault
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert says in str(failure.event_specific_data.error), (fault, failure)
        after = resources["database"].read("market_metrics")
        pd.testing.assert_frame_equal(after, before)  # the partition keeps its rows


def test_bad_values_for_a_stored_hour_fail_the_run_and_keep_the_good_row(
    resources, instance, emulator
):
    resources = {**resources, "coingecko": coingecko(emulator, live_grace_minutes=61)}
    run([coin_ids], resources, instance)
    hour = hour_key(last_closed_hour())
    assert run([market_metrics], resources, instance, partition_key=hour).success
    before = resources["database"].read("market_metrics")
    for value, shown in ((-70_000.0, "-"), (float("nan"), "nan"), (float("inf"), "inf")):
        emulator.coins["bitcoin"].price = value
        result = run(
            [market_metrics], resources, instance, partition_key=hour, raise_on_error=False
        )
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        message = str(failure.event_specific_data.error)
        assert f"price {shown}" in message and "coin 'bitcoin'" in message, message
        pd.testing.assert_frame_equal(resources["database"].read("market_metrics"), before)
