"""The accept-holes job on month partitions: a whole month's open holes, or one day's."""

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.quality.judge import QUALITY
from coinwatch_assets_tests.defs.quality.helpers import latest_evaluation
from coinwatch_assets_tests.defs.quality.test_checks import CLEAN, crafted, instance, resources
from coinwatch_assets_tests.venue_defs import DEFAULT

__all__ = ["instance", "resources"]  # the fixtures of test_checks, shared
NOTE = "exchange outage, nothing to fetch"


def accept(instance, resources, partitions, note=NOTE) -> dg.ExecuteInProcessResult:
    return DEFAULT.accept_holes_job.execute_in_process(
        run_config={"ops": {"accept_holes": {"config": {"partitions": partitions, "note": note}}}},
        instance=instance,
        resources={k: resources[k] for k in ("database", "quality_policy")},
        raise_on_error=False,
    )


def holes(resources) -> dict[str, tuple[str, object]]:
    rows = resources["database"].read("ohlcv_gaps")
    return {f"{r.gap_start:%Y-%m-%d}": (r.reason, r.note) for r in rows.itertuples()}


@pytest.fixture
def two_holed_days(instance, resources) -> None:
    """BTC-USDT's January: one missed candle on Jan 2 and one on Jan 3 (two runs)."""
    assert not crafted(instance, resources, CLEAN, drop=[50]).success
    assert not crafted(instance, resources, CLEAN, drop=[60], day="2024-01-03").success
    assert {d: r for d, (r, _) in holes(resources).items()} == {
        "2024-01-02": "missed",
        "2024-01-03": "missed",
    }


def test_accepting_one_day_leaves_the_months_other_holes_blocking(
    instance, resources, two_holed_days
) -> None:
    result = accept(instance, resources, ["2024-01-02|BTC-USDT"])
    assert not result.success  # Jan 3's hole still fails the month
    found = holes(resources)
    assert found["2024-01-02"][0] == "accepted" and NOTE in found["2024-01-02"][1]
    assert found["2024-01-03"][0] == "missed" and pd.isna(found["2024-01-03"][1])
    evaluation = latest_evaluation(instance, QUALITY, CLEAN)
    assert not evaluation.passed and evaluation.metadata["holes"].value == 2


def test_accepting_the_month_accepts_every_open_hole_and_passes(
    instance, resources, two_holed_days
) -> None:
    result = accept(instance, resources, ["2024-01|BTC-USDT"])
    assert result.success
    assert {d: r for d, (r, _) in holes(resources).items()} == {
        "2024-01-02": "accepted",
        "2024-01-03": "accepted",
    }
    evaluation = latest_evaluation(instance, QUALITY, CLEAN)
    assert evaluation.passed and evaluation.metadata["holes"].value == 2
    # Only the quality verdict is recorded again (the jump result stays the fetch run's).
    checks = {e.check_name for e in result.get_asset_check_evaluations()}
    assert checks == {QUALITY}


@pytest.mark.parametrize("bad", ["2024-13|BTC-USDT", "2024-01-32|BTC-USDT", "2024-01|NOPE-USDT"])
def test_a_bad_key_fails_naming_it_and_both_forms(instance, resources, bad) -> None:
    result = accept(instance, resources, [bad])
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = str(failure.event_specific_data.error)
    assert repr(bad) in message and "<YYYY-MM>|<SYMBOL>" in message
    assert "<YYYY-MM-DD>|<SYMBOL>" in message
