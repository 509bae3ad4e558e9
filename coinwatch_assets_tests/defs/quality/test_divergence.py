"""`price_divergence` between two sample venues in one code location, on both backends."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.definitions import build_definitions
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.quality.divergence import divergent_hours, shared_markets
from coinwatch_assets.lib.venues import Venue
from coinwatch_assets_tests.defs.quality.helpers import day_tags

YESTERDAY = f"{datetime.now(UTC).date() - timedelta(days=1)}"
MONTH = YESTERDAY[:7]
CHECK = "price_divergence_vs_beta"


def venues(offset_b: float) -> list[Venue]:
    common = {"exchange": "sample", "symbols": ("BTC/USDT", "SOL/USDT"), "start_date": "2024-01-01"}
    return [
        Venue(name="alpha", seed=1, **common),
        Venue(name="beta", seed=2, price_offset=offset_b, **common),
    ]


def run_check(offset_b: float, database_url: str) -> dg.AssetCheckEvaluation:
    defs = build_definitions(venues(offset_b), DatabaseResource(url=database_url))
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.instance_for_test() as instance:
        for name in ("alpha", "beta"):
            instance.add_dynamic_partitions(f"{name}_symbols", ["BTC-USDT", "SOL-USDT"])
            for table in ("markets", "ohlcv"):
                result = job.execute_in_process(
                    instance=instance,
                    asset_selection=[dg.AssetKey([name, table])],
                    tags={
                        "dagster/asset_partition_range_start": f"{MONTH}|BTC-USDT",
                        "dagster/asset_partition_range_end": f"{MONTH}|SOL-USDT",
                        **day_tags(YESTERDAY),  # yesterday's candles of the month
                    }
                    if table == "ohlcv"
                    else {},
                )
                assert result.success
        check = dg.AssetCheckKey(dg.AssetKey(["alpha", "ohlcv"]), CHECK)
        only_check = job.get_subset(asset_selection=set(), asset_check_selection={check})
        result = only_check.execute_in_process(instance=instance)
        (evaluation,) = result.get_asset_check_evaluations()
        return evaluation


def test_divergence_check_flags_a_crafted_pair_and_passes_equal_prices(database_url) -> None:
    diverging = run_check(0.05, database_url)
    assert not diverging.passed and diverging.severity == dg.AssetCheckSeverity.WARN
    meta = diverging.metadata
    assert meta["shared_markets"].value == "BTC/USDT, SOL/USDT"
    assert meta["divergent_hours"].value == meta["hours_compared"].value == 48
    assert meta["max_divergence"].value == pytest.approx(0.05 / 1.025, rel=1e-6)
    equal = run_check(0.0, database_url)  # other seeds: other wicks and volumes, same closes
    assert equal.passed and equal.metadata["hours_compared"].value == 48
    assert equal.metadata["divergent_hours"].value == 0


def test_divergent_hours_and_shared_markets() -> None:
    hours = pd.date_range("2024-01-01", periods=4, freq="30min", tz="UTC")
    a = pd.DataFrame({"symbol": "BTC/USDT", "ts": hours, "close": [100.0, 101, 102, 103]})
    b = a.assign(close=[100.0, 100, 102, 110])
    found, compared = divergent_hours(a, b, 0.02)
    # hourly close = the last candle of the hour: 101 vs 100 (1%), 103 vs 110 (6.6%)
    assert compared == 2 and list(found["hour"]) == [hours[2]]
    assert found["divergence"].iloc[0] == pytest.approx(7 / 106.5)
    assert divergent_hours(a, a, 0.02)[0].empty
    with pytest.raises(ValueError, match="tolerance"):
        divergent_hours(a, b, 0)
    markets = pd.DataFrame(
        {
            "exchange": ["x", "x", "y", "y"],
            "base": ["BTC", "ETH", "BTC", "SOL"],
            "quote": ["USDT", "USDT", "USDT", "USDT"],
        }
    )
    assert shared_markets(markets, "x", "y") == ["BTC/USDT"]
    assert shared_markets(markets, "x", "z") == []
