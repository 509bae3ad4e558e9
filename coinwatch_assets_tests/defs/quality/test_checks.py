"""The quality checks under real Dagster runs on crafted candles: each rule fails and passes,
blocking stops downstream assets in the run and under declarative automation."""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.quality.judge import (
    PRICE_JUMPS,
    QUALITY,
    day_window,
)
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import FETCHED_WINDOWS, CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.quality.window import evaluate_window, rules_metadata
from coinwatch_assets_tests.defs.quality.helpers import evaluations_by_check, latest_evaluation
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.venue_defs import (
    ohlcv_freshness,
    ohlcv_partitions,
    ohlcv_quality_checks,
)

DAY = "2024-01-02"
MONTH = "2024-01"
CLEAN, HOLED = f"{MONTH}|BTC-USDT", f"{MONTH}|ETH-USDT"
TODAY = pd.Timestamp.now(tz="UTC").floor("D")
# The venue and timeframe every test candle carries (the slice pins them).
PINS = {"exchange": "binance", "timeframe": "5m"}


class Candles(dg.Config):
    drop: list[int] = []  # row positions removed (holes)
    corrupt: str = ""  # an integrity rule to break on row 10
    jump_row: int = -1  # row whose close (and later prices) jump by +50%
    fetched_at: str = ""  # the moment the fetch claims to have happened (output metadata)
    day: str = ""  # the day of the month fetched (default: DAY, or today in this month)


def corrupt(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    """Break `rule` on row 10 in a way the storage layer accepts."""
    row = frame.index[10]
    if rule == "low_above_open_close":
        frame.loc[row, "low"] = frame.loc[row, "open"] + 0.001
    elif rule == "high_below_open_close":
        frame.loc[row, "high"] = frame.loc[row, "open"] - 0.001
    elif rule == "invalid_price":
        frame.loc[row, ["open", "low"]] = -1.0
    elif rule == "invalid_volume":
        frame.loc[row, "volume"] = -5.0
    elif rule == "off_grid_timestamp":
        frame.loc[row, "ts"] += pd.Timedelta(seconds=90)
    elif rule:
        raise ValueError(rule)
    return frame


@dg.asset(name="ohlcv", metadata=PINS, partitions_def=ohlcv_partitions)
def crafted_ohlcv(context: dg.AssetExecutionContext, config: Candles) -> pd.DataFrame:
    """Candles of one day of a (month, symbol) partition, with the holes and faults asked for.

    It states the day as its fetched window: the write and the checks cover that day only.
    """
    parts = context.partition_key.keys_by_dimension
    symbol = parts["symbol"].replace("-", "/")
    day = config.day or (f"{TODAY:%Y-%m-%d}" if parts["month"] == f"{TODAY:%Y-%m}" else DAY)
    frame = ohlcv_frame(symbol, day)
    frame = corrupt(frame.drop(frame.index[config.drop]), config.corrupt)
    if config.jump_row >= 0:
        frame.loc[frame.index >= config.jump_row, ["open", "high", "low", "close"]] *= 1.5
    if parts["symbol"] == "ETH-USDT":
        frame = frame.drop(frame.index[100:112])  # one hour of missing candles
    if config.fetched_at:
        context.add_output_metadata({"fetched_at": config.fetched_at})
        cut = pd.Timestamp(config.fetched_at) - pd.Timedelta(minutes=5)
        frame = frame[frame["ts"] <= cut]  # only candles closed at the fetch
    start, end = day_window(day)
    frame.attrs[FETCHED_WINDOWS] = {context.partition_key: [(start, end)]}
    return frame


@dg.asset(partitions_def=ohlcv_partitions, deps=["ohlcv"])
def ohlcv_downstream() -> None:
    """Stands in for ohlcv_1h & co: must never run on a partition whose blocking check failed."""


automated_downstream = ohlcv_downstream.with_attributes(
    automation_condition=dg.AutomationCondition.missing()
    & ~dg.AutomationCondition.any_deps_missing()
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions("symbols", ["BTC-USDT", "ETH-USDT"])
        yield inst


@pytest.fixture
def resources(tmp_path) -> dict[str, Any]:
    database = DatabaseResource(url=f"sqlite:///{tmp_path / 'coinwatch.sqlite'}")
    return {
        "io_manager": CoinwatchIOManager(database=database),
        "database": database,
        "quality_policy": QualityPolicyResource(),
    }


def crafted(instance, resources, key, *, extra=(), **config) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        [crafted_ohlcv, ohlcv_quality_checks, *extra],
        instance=instance,
        partition_key=key,
        resources=resources,
        run_config={"ops": {"ohlcv": {"config": config}}},
        raise_on_error=False,
    )
    return result


def only(result: dg.ExecuteInProcessResult, check: str) -> dg.AssetCheckEvaluation:
    (evaluation,) = evaluations_by_check(result)[check]
    return evaluation


def test_clean_day_passes_every_check(instance, resources) -> None:
    result = crafted(instance, resources, CLEAN)
    assert result.success
    evaluation = only(result, QUALITY)
    assert evaluation.passed and evaluation.partition == CLEAN
    assert evaluation.metadata["broken_rules"].value == "none"
    assert evaluation.metadata["broken_days"].value == {}
    # Price jumps: one result per run, over the run's partitions.
    jumps = only(result, PRICE_JUMPS)
    assert jumps.passed and jumps.partition is None
    assert jumps.metadata["partitions_judged"].value == 1 and jumps.metadata["jumps"].value == 0
    assert resources["database"].read("ohlcv_gaps").empty


def test_a_late_check_judges_what_the_fetch_saw(instance, resources) -> None:
    # Fetched at 23:59:50 (287 closed candles), checked long after midnight: no hole.
    result = crafted(instance, resources, CLEAN, fetched_at=f"{DAY}T23:59:50+00:00")
    assert result.success
    evaluation = only(result, QUALITY)
    assert evaluation.passed and evaluation.metadata["candles"].value == 287
    assert evaluation.metadata["judged_as_of"].value == f"{DAY}T23:59:50+00:00"
    # Without the fetch's time the same 287 candles would be a hole at 23:55.
    findings = evaluate_window(
        resources["database"].read("ohlcv"), "5m", *day_window(DAY), pd.Timestamp.now(tz="UTC")
    )
    assert findings.gaps.missing == 1


@pytest.mark.parametrize(
    "rule",
    [
        "low_above_open_close",
        "high_below_open_close",
        "invalid_price",
        "invalid_volume",
        "off_grid_timestamp",
    ],
)
def test_each_storable_rule_fails_the_blocking_integrity_check(instance, resources, rule) -> None:
    result = crafted(instance, resources, CLEAN, corrupt=rule)
    assert not result.success
    evaluation = only(result, QUALITY)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert rule in evaluation.metadata["broken_rules"].value.split(", ")
    assert evaluation.metadata[f"{rule}_rows"].value >= 1
    assert evaluation.metadata[f"{rule}_examples"].value  # example rows for the UI
    assert evaluation.metadata["broken_days"].value == {DAY: [rule]}
    # The same result counts the holes: only the moved candle leaves its grid slot empty.
    assert evaluation.metadata["holes"].value == (rule == "off_grid_timestamp")


def test_future_candle_fails_on_todays_partition(instance, resources) -> None:
    key = f"{TODAY:%Y-%m}|BTC-USDT"
    result = crafted(instance, resources, key)  # 288 candles: the later ones are in the future
    evaluation = only(result, QUALITY)
    if TODAY + pd.Timedelta(hours=23, minutes=55) <= pd.Timestamp.now(tz="UTC"):
        pytest.skip("run in the last 5 minutes of the UTC day: no future candle possible")
    assert "future_candle" in evaluation.metadata["broken_rules"].value
    # Today's gap window ends at "now": the candles not closed yet are not holes.
    assert evaluation.metadata["holes"].value == 0
    assert evaluation.description.startswith("no holes; broken: future_candle")


def frame_with(rule: str) -> pd.DataFrame:
    frame = ohlcv_frame("BTC/USDT", DAY)
    if rule == "duplicate_timestamp":
        return pd.concat([frame, frame.iloc[[10]]], ignore_index=True)
    return pd.concat([frame, ohlcv_frame("BTC/USDT", "2024-01-03", periods=1)], ignore_index=True)


@pytest.mark.parametrize("rule", ["duplicate_timestamp", "outside_window"])
def test_rules_the_storage_layer_refuses_are_still_checked(rule) -> None:
    """The table's primary key and slice guard make these unstorable; the per-window
    evaluation the check runs still reports them (fail and pass)."""
    start, end = day_window(DAY)
    now = pd.Timestamp.now(tz="UTC")
    bad = evaluate_window(frame_with(rule), "5m", start, end, now)
    good = evaluate_window(ohlcv_frame("BTC/USDT", DAY), "5m", start, end, now)
    assert rule in bad.broken_rules and not good.broken_rules
    assert rule in rules_metadata(bad.broken_rules)["broken_rules"]


def test_price_jump_warns_without_blocking(instance, resources) -> None:
    result = crafted(instance, resources, CLEAN, jump_row=50)
    assert result.success  # WARN never blocks
    evaluation = only(result, PRICE_JUMPS)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["jumps"].value == 1
    # The run's one result names the partition holding the jump and its size.
    assert evaluation.metadata["jumps_by_partition"].value == {CLEAN: 1}
    assert f"| {CLEAN} | 1 | 50.0% |" in evaluation.metadata["jumps_table"].value
    assert evaluation.metadata["examples"].value.startswith(f"{CLEAN}:")


def test_failed_gap_check_stops_downstream_in_the_same_run(instance, resources) -> None:
    holed = crafted(instance, resources, HOLED, extra=[ohlcv_downstream])
    assert not holed.success
    materialized = {e.asset_key.path[-1] for e in holed.get_asset_materialization_events()}
    assert materialized == {"ohlcv"}  # stored, checked, and nothing downstream ran
    (gaps,) = evaluations_by_check(holed)[QUALITY]
    assert gaps.metadata["holes_json"].value[0]["missing_candles"] == 12

    clean = crafted(instance, resources, CLEAN, extra=[ohlcv_downstream])
    assert clean.success
    materialized = {e.asset_key.path[-1] for e in clean.get_asset_materialization_events()}
    assert materialized == {"ohlcv", "ohlcv_downstream"}


def test_failed_gap_check_blocks_declarative_automation(instance, resources) -> None:
    assert crafted(instance, resources, CLEAN).success
    assert not crafted(instance, resources, HOLED).success
    assert not latest_evaluation(instance, QUALITY, HOLED).passed
    result = dg.evaluate_automation_conditions(
        defs=dg.Definitions(
            assets=[crafted_ohlcv, automated_downstream],
            asset_checks=[ohlcv_quality_checks],
            resources=resources,
        ),
        instance=instance,
    )
    assert {str(k) for k in result.get_requested_partitions(automated_downstream.key)} == {CLEAN}


def test_freshness_warns_per_symbol(instance, resources) -> None:
    assert crafted(instance, resources, CLEAN).success  # BTC/USDT's latest candle: 2024-01-02
    result = dg.materialize(
        [crafted_ohlcv, ohlcv_freshness],
        instance=instance,
        resources=resources,
        selection=dg.AssetSelection.checks(ohlcv_freshness),
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["late_symbols"].value == "BTC/USDT, ETH/USDT"


def test_a_run_judges_the_days_it_touched_and_keeps_the_months_verdict(instance, resources) -> None:
    # Jan 2 fetched with a hole: the month fails.
    assert not crafted(instance, resources, CLEAN, drop=[50]).success
    # Jan 3 fetched clean: only Jan 3 is judged; Jan 2's hole stays in the registry and
    # still fails the month, listed per day.
    later = crafted(instance, resources, CLEAN, day="2024-01-03")
    assert not later.success
    gaps = only(later, QUALITY)
    assert not gaps.passed and gaps.metadata["days_judged"].value == 1
    assert gaps.metadata["judged_days"].value == "2024-01-03..2024-01-03"
    assert gaps.metadata["candles"].value == 288  # Jan 3's candles only were read
    table = gaps.metadata["days_table"].value
    assert "| 2024-01-02 | - | - | 1 | 1 | earlier run (registry) |" in table
    assert "| 2024-01-03 | 288 | 288 | 0 | 0 | this run |" in table
    registry = resources["database"].read("ohlcv_gaps")
    assert list(registry["gap_start"]) == [pd.Timestamp(DAY, tz="UTC") + pd.Timedelta(minutes=250)]
    assert list(registry["attempts"]) == [1]  # not re-seen: Jan 2 was not judged again
    # Jan 2 re-fetched whole: its hole is gone and the month passes.
    assert crafted(instance, resources, CLEAN).success
    assert resources["database"].read("ohlcv_gaps").empty


def test_broken_candles_of_a_day_not_judged_again_keep_the_month_failed(
    instance, resources
) -> None:
    # Jan 2 stored with a broken candle: the month fails.
    assert not crafted(instance, resources, CLEAN, corrupt="invalid_volume").success
    # Jan 3 fetched clean: only Jan 3 is judged, yet Jan 2's broken candle is still stored, so
    # the month's result stays a blocking ERROR naming that day.
    later = crafted(instance, resources, CLEAN, day="2024-01-03")
    assert not later.success
    evaluation = only(later, QUALITY)
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["broken_days"].value == {DAY: ["invalid_volume"]}
    assert evaluation.metadata["broken_days_from_earlier_runs"].value == DAY
    assert evaluation.metadata["holes"].value == 0
    # Jan 2 re-fetched clean (the write corrects the stored candle): the month passes.
    assert crafted(instance, resources, CLEAN).success
    assert latest_evaluation(instance, QUALITY, CLEAN).metadata["broken_days"].value == {}
