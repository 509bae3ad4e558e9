"""Asset checks of the fundamentals: unresolved tickers, GX suites, price vs exchange close."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.fundamentals.assets import coin_ids, coin_metadata, market_metrics
from coinwatch_assets.defs.fundamentals.current import unresolved_tickers
from coinwatch_assets.defs.fundamentals.partitions import (
    coin_metadata_partitions,
    market_metrics_partitions,
)
from coinwatch_assets.defs.fundamentals.resources import CoinGeckoResource
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice
from coinwatch_assets.defs.venues import OHLCV_KEYS
from coinwatch_assets.lib.fundamentals.crosscheck import price_divergences
from coinwatch_assets.lib.fundamentals.suites import (
    Failure,
    coin_metadata_suite,
    market_metrics_suite,
    validate,
)
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.tables import table_spec


def _read(database: DatabaseResource, table: str, pdef, keys: list[str]) -> pd.DataFrame:
    where = partition_slice(table_spec(table), table, pdef, keys)
    if table == "market_metrics":  # CoinGecko's rows; CoinMarketCap's have their own checks
        where = where.pinned({"provider": "coingecko"})
    return database.read(table, where)


def _gx_result(rows: int, evaluated: int, failures: list[Failure]) -> dg.AssetCheckResult:
    meta: dict[str, object] = {"rows": rows, "expectations": evaluated, "failed": len(failures)}
    for f in failures:
        meta[f"failed: {f.expectation}"] = dg.MetadataValue.json(
            {"unexpected_count": f.unexpected_count, "examples": f.examples}
        )
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=meta,
        description=(
            "failed: " + "; ".join(f"{f.expectation} ({f.unexpected_count})" for f in failures)
            if failures
            else f"all {evaluated} expectations hold on {rows} rows"
        ),
    )


@dg.asset_check(asset=coin_ids, description="Every tracked ticker maps to one CoinGecko id.")
def coin_ids_resolved(database: DatabaseResource) -> dg.AssetCheckResult:
    return unresolved_tickers(database.read("coin_ids"), "coin_id", "COINGECKO_ID_OVERRIDES")


def _hours_window(keys: list[str]) -> tuple[datetime, datetime]:
    """[start of the first, end of the last) hourly partition of `keys`, in UTC."""
    first = market_metrics_partitions.time_window_for_partition_key(keys[0])
    last = market_metrics_partitions.time_window_for_partition_key(keys[-1])
    return first.start.astimezone(UTC), last.end.astimezone(UTC)


@dg.asset_check(
    asset=market_metrics,
    partitions_def=market_metrics_partitions,
    blocking=True,
    description="great-expectations suite: ranges, uniqueness, supplies, last_updated.",
)
def market_metrics_expectations(
    context: dg.AssetCheckExecutionContext,
    database: DatabaseResource,
    coingecko: CoinGeckoResource,
) -> dg.AssetCheckResult:
    keys = list(context.partition_keys)
    rows = _read(database, "market_metrics", market_metrics_partitions, keys)
    start, end = _hours_window(keys)
    grace = timedelta(minutes=coingecko.live_grace_minutes)
    suite = market_metrics_suite(start, end + grace)
    return _gx_result(len(rows), *validate(rows, suite, "market_metrics", ["coin_id", "ts"]))


@dg.asset_check(
    asset=coin_metadata,
    partitions_def=coin_metadata_partitions,
    blocking=True,
    description="great-expectations suite: ids unique, names present, URLs well formed.",
)
def coin_metadata_expectations(
    context: dg.AssetCheckExecutionContext, database: DatabaseResource
) -> dg.AssetCheckResult:
    rows = _read(database, "coin_metadata", coin_metadata_partitions, list(context.partition_keys))
    return _gx_result(
        len(rows), *validate(rows, coin_metadata_suite(), "coin_metadata", ["coin_id"])
    )


@dg.asset_check(
    asset=market_metrics,
    partitions_def=market_metrics_partitions,
    additional_deps=OHLCV_KEYS,
    description="CoinGecko price vs the exchange close of the same hour, within a tolerance.",
)
def market_metrics_vs_ohlcv(
    context: dg.AssetCheckExecutionContext,
    database: DatabaseResource,
    coingecko: CoinGeckoResource,
) -> dg.AssetCheckResult:
    keys = list(context.partition_keys)
    metrics = _read(database, "market_metrics", market_metrics_partitions, keys)
    start, end = _hours_window(keys)
    window = Cell(start=start, end=end)
    candles = database.read("ohlcv", Slice("ohlcv", "ts", (window,), f"{keys[0]}..{keys[-1]}"))
    report = price_divergences(metrics, candles, coingecko.price_tolerance)
    return dg.AssetCheckResult(
        passed=report.divergent == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "compared": report.compared,
            "divergent": report.divergent,
            "tolerance": coingecko.price_tolerance,
            "without_candles": report.without_candles,
            "examples": dg.MetadataValue.json(report.examples),
        },
    )
