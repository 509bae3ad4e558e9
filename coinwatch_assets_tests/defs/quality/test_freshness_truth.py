"""ohlcv_freshness tells why candles are late: "schedules are off" when nothing refreshes them."""

import dagster as dg

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.quality.freshness import freshness_description
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets_tests.venue_defs import EXCHANGE, ohlcv, ohlcv_freshness


def test_late_candles_with_the_schedule_off_say_schedules_are_off(tmp_path) -> None:
    database = DatabaseResource(url=f"sqlite:///{tmp_path / 'cw.sqlite'}")
    resources = {
        "io_manager": CoinwatchIOManager(database=database),
        "database": database,
        "quality_policy": QualityPolicyResource(),
        "market_source": MarketSourceResource(source="sample", label=EXCHANGE),
    }
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("symbols", ["BTC-USDT", "SOL-USDT"])
        for key in ("BTC-USDT", "SOL-USDT"):  # an old day: its latest candle is long past
            dg.materialize(
                [ohlcv], instance=instance, partition_key=f"2024-03|{key}", resources=resources
            )
        result = dg.materialize(
            [ohlcv, ohlcv_freshness],
            instance=instance,
            resources=resources,
            selection=dg.AssetSelection.checks(ohlcv_freshness),
        )
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.description.startswith(
        "schedules are off: ohlcv_intraday_schedule is stopped"
    ), evaluation.description
    assert "(2 of 2 symbol(s) behind)" in evaluation.description
    assert evaluation.metadata["refresh_schedule"].value == "ohlcv_intraday_schedule: off"


def test_with_the_schedule_on_lateness_is_reported_as_such() -> None:
    assert freshness_description(1, 3, refresh_on=True) == "1 of 3 symbol(s) late"
    assert freshness_description(0, 3, refresh_on=False) == "all fresh"
