"""Derived bars (`ohlcv_1h`, `ohlcv_1d`): resampled in the same run when the checks pass,
blocked when they fail, requested by declarative automation only for partitions whose blocking
checks passed, and after a human accepted a day's holes with the accept-holes job."""

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
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
CLEAN, HOLED = "2024-03-01|BTC-USDT", "2024-03-01|ETH-USDT"  # sample ETH misses 02:00-02:15
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
    assert len(hourly) == 24 and len(daily) == 1
    for bars, rule in ((hourly, "1h"), (daily, "1D")):
        expected = resample_ohlcv(candles, rule, "5m")
        assert bars.reset_index(drop=True).equals(expected.reset_index(drop=True))
    assert (hourly["candles"] == 12).all() and daily["candles"].item() == 288
    assert (daily["expected_candles"] == daily["candles"]).all()


def test_failed_blocking_check_keeps_the_day_out_of_derived_bars(instance, resources) -> None:
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

    # Nothing changes by itself: the holed day waits.
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
    no_gaps = [e for e in evaluations if e.check_name == "ohlcv_no_gaps"]
    assert [(e.partition, e.passed) for e in no_gaps] == [(HOLED, True)]
    assert no_gaps[0].target_materialization_data is not None
    # The quality node of the graph: ohlcv_gaps observed with the holes by reason.
    observed = instance.fetch_observations(DEFAULT.gaps.key, limit=1).records[0]
    assert observed.asset_observation.metadata["holes_accepted"].value == 1

    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert requested(tick, ohlcv_1h) == requested(tick, ohlcv_1d) == {HOLED}
    assert run_bars(instance, resources, HOLED).success
    daily = resources["database"].read("ohlcv_1d").set_index("symbol")
    # Accepted, never silently complete: the day's bar says 3 candles are missing.
    assert daily.loc["ETH/USDT", ["candles", "expected_candles"]].tolist() == [285, 288]
    hourly = resources["database"].read("ohlcv_1h")
    partial = hourly[hourly["candles"] < hourly["expected_candles"]]
    assert partial[["symbol", "candles"]].values.tolist() == [["ETH/USDT", 9]]

    # A re-fetch that sees the same hole keeps it accepted: the check passes on its own.
    result = run(instance, resources, HOLED, [ohlcv, ohlcv_quality_checks])
    assert result.success
    gaps = resources["database"].read("ohlcv_gaps")
    assert set(gaps.loc[gaps["symbol"] == "ETH/USDT", "reason"]) == {"accepted"}


@pytest.mark.parametrize(
    ("partitions", "note", "message"),
    [
        (["2024-03-01|DOGE-USDT"], "ok", "'2024-03-01|DOGE-USDT': not a partition of ohlcv"),
        (["2024-13-01|ETH-USDT"], "ok", "'2024-13-01|ETH-USDT': not a partition of ohlcv"),
        (["ETH-USDT"], "ok", "'ETH-USDT': not a partition"),
        ([], "ok", "no partition given"),
        ([HOLED], "  ", "`note` is empty"),
        (["2024-03-02|ETH-USDT"], "ok", "2024-03-02|ETH-USDT never materialized"),
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
    assert "ohlcv_integrity" in failure.description


def test_no_hourly_bars_from_hourly_candles() -> None:
    hourly = build_venue(VENUE.model_copy(update={"timeframe": "1h"}))
    assert [a.key.path[-1] for a in hourly.derived] == ["ohlcv_1d", "indicators"]
    with pytest.raises(KeyError, match="its 1h candles are not finer than that bar"):
        hourly.bar("ohlcv_1h")
    assert [
        a.key.path[-1] for a in build_venue(VENUE.model_copy(update={"timeframe": "1d"})).derived
    ] == ["indicators"]


def test_indicators_wait_on_holed_lookback_days_until_they_are_accepted(
    instance, resources
) -> None:
    # Sample ETH misses 02:00-02:15 every day: all four days fail their gap check.
    days = ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"]
    keys = [f"{day}|ETH-USDT" for day in days]
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
        tags={RANGE_START: keys[0], RANGE_END: keys[-1]},
        raise_on_error=False,
    )
    assert not result.success
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert tick.total_requested == 0

    assert accept(instance, resources, keys[:3]).success  # not yet the day itself
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert requested(tick, DEFAULT.indicators) == set()  # 02-27's look-back was never fetched
    assert requested(tick, ohlcv_1d) == set(keys[:3])

    assert accept(instance, resources, keys[3:]).success
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert requested(tick, DEFAULT.indicators) == {keys[3]}
    assert requested(tick, ohlcv_1d) == {keys[3]}


def test_a_recorded_day_with_holes_gives_partial_bars_on_both_backends(resources) -> None:
    # Binance ADA/BTC 2018-01-15 (freqtrade's recording): 40 candles missing in 5 holes.
    candles = recorded_series("ADA_BTC", exchange=EXCHANGE, symbol="ADA/BTC")
    day = pd.Timestamp("2018-01-15", tz="UTC")
    candles = candles[(candles["ts"] >= day) & (candles["ts"] < day + pd.Timedelta(days=1))]
    database = resources["database"]
    cell = Cell(equals=(("symbol", "ADA/BTC"),), start=day, end=day + pd.Timedelta(days=1))
    pins = {"exchange": EXCHANGE, "timeframe": "5m"}
    database.storage().write(
        table_spec("ohlcv"), candles, Slice("ohlcv", "ts", (cell,)).pinned(pins)
    )
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("symbols", ["ADA-BTC"])
        assert run_bars(instance, resources, "2018-01-15|ADA-BTC").success
    daily = database.read("ohlcv_1d")
    assert daily[["candles", "expected_candles"]].values.tolist() == [[248, 288]]
    hourly = database.read("ohlcv_1h").set_index("ts")
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
