"""Fundamentals checks in Dagster: GX suites on stored rows, price vs exchange close, metadata."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.fundamentals.assets import coin_ids, coin_metadata, market_metrics
from coinwatch_assets.defs.fundamentals.checks import (
    coin_metadata_expectations,
    market_metrics_expectations,
    market_metrics_vs_ohlcv,
)
from coinwatch_assets.defs.fundamentals.partitions import (
    coin_metadata_partitions,
    market_metrics_partitions,
)
from coinwatch_assets.defs.storage import partition_slice
from coinwatch_assets.lib.fundamentals.parse import MARKET_COLUMNS
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.defs.fundamentals.conftest import hour_key
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.venue_defs import ohlcv_partitions

HOUR = datetime(2024, 3, 1, 10, tzinfo=UTC)


def store(database, table, pdef, key, frame):
    spec = table_spec(table)
    database.storage().write(spec, frame, partition_slice(spec, table, pdef, [key]))


def metrics_rows(**columns) -> pd.DataFrame:
    base = {c: None for c in MARKET_COLUMNS}
    base.update(ts=HOUR, source="coins/markets", last_updated=HOUR + timedelta(minutes=59))
    base["provider"] = "coingecko"
    frame = pd.DataFrame([base] * len(columns["coin_id"]))
    for name, values in columns.items():
        frame[name] = values
    return frame


def run_checks(checks, assets, resources, instance, key):
    """Only `checks`, on what is stored (a check-only job of the metrics partitions)."""
    # partition_key= is refused for a selection without assets; the run tag is what it sets
    result = dg.materialize(
        [*assets, *checks],
        selection=dg.AssetSelection.checks(*checks),
        tags={"dagster/partition": key},
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_gx_check_fails_on_a_crafted_bad_batch_naming_the_expectations(resources, instance):
    bad = metrics_rows(
        coin_id=["bitcoin", "ethereum"],
        symbol=["BTC", "ETH"],
        price=[-5.0, 3000.0],
        market_cap=[1e9, 2e9],
        market_cap_rank=[1, 1],
        circulating_supply=[30.0, 1.0],
        total_supply=[21.0, 2.0],
    )
    key = hour_key(HOUR)
    store(resources["database"], "market_metrics", market_metrics_partitions, key, bad)
    found = run_checks([market_metrics_expectations], [market_metrics], resources, instance, key)
    gx = found["market_metrics_expectations"]
    assert not gx.passed and gx.severity == dg.AssetCheckSeverity.ERROR
    price = gx.metadata["failed: ExpectColumnValuesToBeBetween(column=price, min_value=0)"].value
    assert price["unexpected_count"] == 1 and price["examples"][0]["coin_id"] == "bitcoin"
    assert gx.metadata["failed"].value == 3  # price, rank twice in the hour, supplies
    assert "ExpectCompoundColumnsToBeUnique(column_list=['ts', 'market_cap_rank']" in (
        gx.description
    )


def test_cross_source_check_warns_when_price_and_exchange_close_diverge(resources, instance):
    key = hour_key(HOUR)
    rows = metrics_rows(
        coin_id=["bitcoin", "ethereum"], symbol=["BTC", "ETH"], price=[101.0, 100.0]
    )
    store(resources["database"], "market_metrics", market_metrics_partitions, key, rows)
    candles = pd.concat(
        [
            ohlcv_frame("BTC/USDT", start="2024-03-01", periods=288, base_price=100.0),
            ohlcv_frame("ETH/USDT", start="2024-03-01", periods=288, base_price=125.0),
        ]
    )
    spec = table_spec("ohlcv")
    for symbol_key in ("BTC-USDT", "ETH-USDT"):
        symbol = symbol_key.replace("-", "/")
        where = partition_slice(spec, "ohlcv", ohlcv_partitions, [f"2024-03|{symbol_key}"])
        resources["database"].storage().write(spec, candles[candles["symbol"] == symbol], where)
    found = run_checks([market_metrics_vs_ohlcv], [market_metrics], resources, instance, key)
    check = found["market_metrics_vs_ohlcv"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["compared"].value == 2 and check.metadata["divergent"].value == 1
    example = check.metadata["examples"].value[0]
    assert example["coin_id"] == "ethereum" and example["market"] == "binance ETH/USDT"
    assert example["deviation"] == pytest.approx(100.0 / (125.0 + 131 * 0.01) - 1, abs=1e-6)


def test_coin_metadata_of_the_current_week_is_plain_and_passes_its_suite(
    resources, instance, emulator
):
    dg.materialize([coin_ids], resources=resources, instance=instance)
    key = coin_metadata_partitions.get_last_partition_key()
    result = dg.materialize(
        [coin_metadata, coin_metadata_expectations],
        partition_key=key,
        resources=resources,
        instance=instance,
    )
    rows = resources["database"].read("coin_metadata").set_index("coin_id")
    assert sorted(rows.index) == ["bitcoin", "ethereum", "near"]
    assert rows.loc["bitcoin", "description"] == "A coin with a site ."
    assert rows.loc["bitcoin", "hashing_algorithm"] == "SHA-256"  # from the real body
    assert rows.loc["bitcoin", "platforms"] == "{}"
    assert rows.loc["bitcoin", "homepage"] == "https://example.org"
    evaluation = result.get_asset_check_evaluations()[0]
    assert evaluation.passed, evaluation.metadata
    past = coin_metadata_partitions.get_partition_keys()[-3]
    failed = dg.materialize(
        [coin_metadata], partition_key=past, resources=resources, instance=instance,
        raise_on_error=False,
    )  # fmt: skip
    assert not failed.success
    error = next(e for e in failed.all_events if e.event_type_value == "STEP_FAILURE")
    assert "a past week cannot be recovered" in str(error.event_specific_data.error)
