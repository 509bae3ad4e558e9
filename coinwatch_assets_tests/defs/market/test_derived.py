"""Derived bars (`ohlcv_1h`, `ohlcv_1d`) on month partitions: resampled in the same run when
the checks pass, blocked when they fail, requested by declarative automation only for
partitions whose upstream partitions' blocking checks all passed, after a human accepted a
month's holes with the accept-holes job, and recomputed only for the days ohlcv touched."""

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import (
    FETCHED_FROM,
    FETCHED_TO,
    CoinwatchIOManager,
    DatabaseResource,
)
from coinwatch_assets.lib.market.resample import resample_ohlcv
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.lib.market.indicator_reference import recorded_series
from coinwatch_assets_tests.venue_defs import (
    DEFAULT,
    EXCHANGE,
    VENUE,
    ohlcv,
    ohlcv_1d,
    ohlcv_1h,
    ohlcv_quality_checks,
)

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
CLEAN, HOLED = "2024-03|BTC-USDT", "2024-03|ETH-USDT"  # sample ETH misses 02:00-02:15 daily
MARCH_DAYS = 31
BARS = [ohlcv_1h, ohlcv_1d]
accept_holes_job = DEFAULT.accept_holes_job


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions("symbols", ["BTC-USDT", "ETH-USDT"])
        yield inst


@pytest.fixture
def resources(database_url: str) -> dict[str, object]:
    database = DatabaseResource(url=database_url)
    return {
        "market_source": MarketSourceResource(source="sample", label=EXCHANGE),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
        "quality_policy": QualityPolicyResource(),
    }


def run(instance, resources, key, assets, selection=None):
    return dg.materialize(
        assets,
        instance=instance,
        partition_key=key,
        resources=resources,
        raise_on_error=False,
        selection=selection,
    )


def run_bars(instance, resources, key):
    """What the automation sensor's run does: the bars alone, ohlcv read from storage."""
    return run(instance, resources, key, [ohlcv, *BARS], selection=BARS)


def accept(instance, resources, partitions, note="exchange outage, nothing to fetch"):
    return accept_holes_job.execute_in_process(
        run_config={"ops": {"accept_holes": {"config": {"partitions": partitions, "note": note}}}},
        instance=instance,
        resources={k: resources[k] for k in ("database", "quality_policy")},
        raise_on_error=False,
    )


def requested(tick, asset) -> set[str]:
    return {str(k) for k in tick.get_requested_partitions(asset.key)}


def test_clean_day_is_resampled_in_the_same_run(instance, resources) -> None:
    result = run(instance, resources, CLEAN, [ohlcv, ohlcv_quality_checks, *BARS])
    assert result.success
    database = resources["database"]
    candles = database.read("ohlcv")
    hourly, daily = database.read("ohlcv_1h"), database.read("ohlcv_1d")
    assert len(hourly) == 24 * MARCH_DAYS and len(daily) == MARCH_DAYS
    for bars, rule in ((hourly, "1h"), (daily, "1D")):
        expected = resample_ohlcv(candles, rule, "5m")
        assert bars.reset_index(drop=True).equals(expected.reset_index(drop=True))
    assert (hourly["candles"] == 12).all() and (daily["candles"] == 288).all()
    assert (daily["expected_candles"] == daily["candles"]).all()


def test_failed_blocking_check_keeps_the_month_out_of_derived_bars(instance, resources) -> None:
    result = run(instance, resources, HOLED, [ohlcv, ohlcv_quality_checks, *BARS])
    assert not result.success
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == {"ohlcv"}
    assert resources["database"].read("ohlcv_1h").empty
    assert resources["database"].read("ohlcv_1d").empty


def test_automation_waits_on_failed_checks_until_the_holes_are_accepted(
    instance, resources
) -> None:
    defs = dg.Definitions(
        assets=[ohlcv, DEFAULT.gaps, *DEFAULT.derived],
        asset_checks=[ohlcv_quality_checks],
        resources=resources,
    )
    # A first tick (as the daemon has) so that later updates of `ohlcv` count as new.
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert tick.total_requested == 0
    assert run(instance, resources, CLEAN, [ohlcv, ohlcv_quality_checks]).success
    assert not run(instance, resources, HOLED, [ohlcv, ohlcv_quality_checks]).success
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert requested(tick, ohlcv_1h) == requested(tick, ohlcv_1d) == {CLEAN}
    assert run_bars(instance, resources, CLEAN).success

    # Nothing changes by itself: the holed month waits.
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert tick.total_requested == 0

    result = accept(instance, resources, [HOLED])
    assert result.success
    gaps = resources["database"].read("ohlcv_gaps")
    holed = gaps[gaps["symbol"] == "ETH/USDT"]
    assert set(holed["reason"]) == {"accepted"}
    assert holed["note"].str.startswith("exchange outage, nothing to fetch (run ").all()
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    no_gaps = [e for e in evaluations if e.check_name == "ohlcv_quality"]
    assert [(e.partition, e.passed) for e in no_gaps] == [(HOLED, True)]
    assert no_gaps[0].target_materialization_data is not None
    # The quality node of the graph: ohlcv_gaps observed with the holes by reason.
    observed = instance.fetch_observations(DEFAULT.gaps.key, limit=1).records[0]
    assert observed.asset_observation.metadata["holes_accepted"].value == MARCH_DAYS  # one a day

    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert requested(tick, ohlcv_1h) == requested(tick, ohlcv_1d) == {HOLED}
    assert run_bars(instance, resources, HOLED).success
    daily = resources["database"].read("ohlcv_1d")
    daily = daily[daily["symbol"] == "ETH/USDT"]
    # Accepted, never silently complete: each day's bar says 3 candles are missing.
    assert len(daily) == MARCH_DAYS
    assert daily[["candles", "expected_candles"]].drop_duplicates().values.tolist() == [[285, 288]]
    hourly = resources["database"].read("ohlcv_1h")
    partial = hourly[hourly["candles"] < hourly["expected_candles"]]
    assert set(partial["symbol"]) == {"ETH/USDT"} and set(partial["candles"]) == {9}
    assert sorted(set(partial["ts"].dt.strftime("%d %H:%M"))) == [
        f"{d:02d} 02:00" for d in range(1, MARCH_DAYS + 1)
    ]

    # A re-fetch that sees the same hole keeps it accepted: the check passes on its own.
    result = run(instance, resources, HOLED, [ohlcv, ohlcv_quality_checks])
    assert result.success
    gaps = resources["database"].read("ohlcv_gaps")
    assert set(gaps.loc[gaps["symbol"] == "ETH/USDT", "reason"]) == {"accepted"}


@pytest.mark.parametrize(
    ("partitions", "note", "message"),
    [
        (["2024-03|DOGE-USDT"], "ok", "'2024-03|DOGE-USDT': not a partition of ohlcv"),
        (["2024-13|ETH-USDT"], "ok", "'2024-13|ETH-USDT': not a partition of ohlcv"),
        (["ETH-USDT"], "ok", "'ETH-USDT': not a partition"),
        ([], "ok", "no partition given"),
        ([HOLED], "  ", "`note` is empty"),
        (["2024-04|ETH-USDT"], "ok", "2024-04|ETH-USDT never materialized"),
    ],
)
def test_accept_step_refuses_bad_input_with_the_fix(
    instance, resources, partitions, note, message
) -> None:
    result = accept(instance, resources, partitions, note)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert message in failure.description
    assert resources["database"].read("ohlcv_gaps").empty


def test_accepting_never_hides_broken_candles(instance, resources) -> None:
    assert not run(instance, resources, HOLED, [ohlcv, ohlcv_quality_checks]).success
    database = resources["database"]
    with database.storage().engine.begin() as conn:  # a broken candle: low above high
        conn.exec_driver_sql("UPDATE ohlcv SET low = high + 1 WHERE symbol = 'ETH/USDT'")
    result = accept(instance, resources, [HOLED])
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert "ohlcv_quality" in failure.description
    assert "broken: low_above_open_close" in failure.description


def test_no_hourly_bars_from_hourly_candles() -> None:
    hourly = build_venue(VENUE.model_copy(update={"timeframe": "1h"}))
    assert [a.key.path[-1] for a in hourly.derived] == ["ohlcv_1d", "indicators"]
    with pytest.raises(KeyError, match="its 1h candles are not finer than that bar"):
        hourly.bar("ohlcv_1h")
    assert [
        a.key.path[-1] for a in build_venue(VENUE.model_copy(update={"timeframe": "1d"})).derived
    ] == ["indicators"]


def test_indicators_wait_on_every_holed_month_they_read_until_it_is_accepted(
    instance, resources
) -> None:
    # Sample ETH misses 02:00-02:15 every day: both months fail their gap check.
    feb, mar = "2024-02|ETH-USDT", "2024-03|ETH-USDT"
    defs = dg.Definitions(
        assets=[ohlcv, DEFAULT.gaps, *DEFAULT.derived],
        asset_checks=[ohlcv_quality_checks],
        resources=resources,
    )
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    result = dg.materialize(
        [ohlcv, ohlcv_quality_checks],
        instance=instance,
        resources=resources,
        tags={RANGE_START: feb, RANGE_END: mar},
        raise_on_error=False,
    )
    assert not result.success
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert tick.total_requested == 0

    assert accept(instance, resources, [mar]).success  # not yet February, which March reads
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert requested(tick, ohlcv_1d) == {mar}
    assert requested(tick, DEFAULT.indicators) == set()  # February's check still fails

    assert accept(instance, resources, [feb]).success
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert requested(tick, ohlcv_1d) == {feb}
    # February's own look-back month (January) was never fetched: it waits; March goes.
    assert requested(tick, DEFAULT.indicators) == {mar}


def store_recorded_january(database: DatabaseResource) -> pd.DataFrame:
    """Binance ADA/BTC 2018-01-10..30 (freqtrade's recording), written as stored candles."""
    candles = recorded_series("ADA_BTC", exchange=EXCHANGE, symbol="ADA/BTC")
    start, end = pd.Timestamp("2018-01-01", tz="UTC"), pd.Timestamp("2018-02-01", tz="UTC")
    cell = Cell(equals=(("symbol", "ADA/BTC"),), start=start, end=end)
    pins = {"exchange": EXCHANGE, "timeframe": "5m"}
    database.storage().write(
        table_spec("ohlcv"), candles, Slice("ohlcv", "ts", (cell,)).pinned(pins)
    )
    return candles


def test_a_recorded_month_with_holes_gives_partial_bars_on_both_backends(resources) -> None:
    # 2018-01-15: 40 candles missing in 5 holes.
    database = resources["database"]
    candles = store_recorded_january(database)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("symbols", ["ADA-BTC"])
        assert run_bars(instance, resources, "2018-01|ADA-BTC").success
    daily = database.read("ohlcv_1d").set_index("ts")
    assert len(daily) == candles["ts"].dt.floor("D").nunique()
    day = pd.Timestamp("2018-01-15", tz="UTC")
    assert daily.loc[day, ["candles", "expected_candles"]].tolist() == [248, 288]
    candles = candles[(candles["ts"] >= day) & (candles["ts"] < day + pd.Timedelta(days=1))]
    hourly = database.read("ohlcv_1h").set_index("ts")
    hourly = hourly[(hourly.index >= day) & (hourly.index < day + pd.Timedelta(days=1))]
    reference = (
        candles.set_index("ts")
        .resample("1h")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    )
    reference["candles"] = candles.set_index("ts")["close"].resample("1h").count()
    empty = reference.index[reference["candles"] == 0]  # hours with no candle: no bar
    assert [f"{t:%H}" for t in empty] == ["12", "13"]
    reference = reference.drop(empty)
    pd.testing.assert_frame_equal(
        hourly[[*reference.columns]], reference, check_dtype=False, check_freq=False
    )
    partial = hourly.index[hourly["candles"] < hourly["expected_candles"]]
    assert list(partial) == list(reference.index[reference["candles"] < 12])
    assert [f"{t:%H}" for t in partial] == ["10", "11", "14"]


def test_an_intraday_run_recomputes_only_the_bars_of_the_day_it_touched(resources) -> None:
    database = resources["database"]
    candles = store_recorded_january(database)
    key = "2018-01|ADA-BTC"
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("symbols", ["ADA-BTC"])
        assert run_bars(instance, resources, key).success
        with database.storage().engine.begin() as conn:  # marks: which rows get rewritten
            for table in ("ohlcv_1h", "ohlcv_1d"):
                conn.exec_driver_sql(f"UPDATE {table} SET volume = -1")
        # What an intraday run of ohlcv records: it wrote 2018-01-20 09:00-10:00.
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                ohlcv.key,
                partition=key,
                metadata={
                    FETCHED_FROM: "2018-01-20T09:00:00+00:00",
                    FETCHED_TO: "2018-01-20T10:00:00+00:00",
                },
            )
        )
        result = run_bars(instance, resources, key)
        assert result.success
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        assert meta["derived_days"].value == 1
        assert meta["derived_windows"].value == "2018-01-20..2018-01-21"
    day = pd.Timestamp("2018-01-20", tz="UTC")
    one_day = candles[(candles["ts"] >= day) & (candles["ts"] < day + pd.Timedelta(days=1))]
    for table, rule in (("ohlcv_1h", "1h"), ("ohlcv_1d", "1D")):
        stored = database.read(table)
        rewritten = stored[stored["volume"] != -1].reset_index(drop=True)
        expected = resample_ohlcv(one_day, rule, "5m")
        assert rewritten.equals(expected.reset_index(drop=True)), table
        # The month's other bars are still there, untouched.
        others = stored[stored["ts"].dt.floor("D") != day]
        assert len(others) == len(resample_ohlcv(candles, rule, "5m")) - len(expected)
        assert (others["volume"] == -1).all(), table
