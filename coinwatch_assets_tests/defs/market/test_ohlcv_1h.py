"""`ohlcv_1h`: resampled in the same run when the checks pass, blocked when they fail, and
requested by declarative automation only for partitions whose blocking checks passed."""

import dagster as dg
import pytest

from coinwatch_assets.defs.market.assets import EXCHANGE, ohlcv
from coinwatch_assets.defs.market.derived import ohlcv_1h
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.quality.checks import ohlcv_quality_checks
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.market.resample import resample_ohlcv

CLEAN, HOLED = "2024-03-01|BTC-USDT", "2024-03-01|ETH-USDT"  # sample ETH misses 02:00-02:15


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


def run(instance, resources, key, assets):
    return dg.materialize(
        assets, instance=instance, partition_key=key, resources=resources, raise_on_error=False
    )


def test_clean_day_is_resampled_in_the_same_run(instance, resources) -> None:
    result = run(instance, resources, CLEAN, [ohlcv, ohlcv_quality_checks, ohlcv_1h])
    assert result.success
    database = resources["database"]
    bars = database.read("ohlcv_1h")
    assert len(bars) == 24
    expected = resample_ohlcv(database.read("ohlcv"))
    assert bars.reset_index(drop=True).equals(expected.reset_index(drop=True))


def test_failed_blocking_check_keeps_the_day_out_of_ohlcv_1h(instance, resources) -> None:
    result = run(instance, resources, HOLED, [ohlcv, ohlcv_quality_checks, ohlcv_1h])
    assert not result.success
    materialized = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert materialized == {"ohlcv"}
    assert resources["database"].read("ohlcv_1h").empty


def test_automation_requests_only_partitions_whose_checks_passed(instance, resources) -> None:
    defs = dg.Definitions(
        assets=[ohlcv, ohlcv_1h], asset_checks=[ohlcv_quality_checks], resources=resources
    )
    # A first tick (as the daemon has) so that later updates of `ohlcv` count as new.
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert tick.total_requested == 0
    assert run(instance, resources, CLEAN, [ohlcv, ohlcv_quality_checks]).success
    assert not run(instance, resources, HOLED, [ohlcv, ohlcv_quality_checks]).success
    tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    assert {str(k) for k in tick.get_requested_partitions(ohlcv_1h.key)} == {CLEAN}
