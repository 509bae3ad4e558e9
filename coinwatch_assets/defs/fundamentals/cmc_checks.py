"""Checks of the CoinMarketCap assets: unresolved tickers, CMC vs CoinGecko."""

import dagster as dg

from coinwatch_assets.defs.fundamentals.assets import market_metrics
from coinwatch_assets.defs.fundamentals.cmc_assets import cmc_ids, cmc_market_metrics
from coinwatch_assets.defs.fundamentals.cmc_resources import CoinMarketCapResource
from coinwatch_assets.defs.fundamentals.current import unresolved_tickers
from coinwatch_assets.defs.fundamentals.partitions import market_metrics_partitions
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice
from coinwatch_assets.lib.fundamentals.provider_check import provider_divergences
from coinwatch_assets.lib.storage.tables import table_spec


@dg.asset_check(asset=cmc_ids, description="Every tracked ticker maps to one CoinMarketCap id.")
def cmc_ids_resolved(database: DatabaseResource) -> dg.AssetCheckResult:
    return unresolved_tickers(database.read("cmc_ids"), "cmc_id", "COINMARKETCAP_ID_OVERRIDES")


@dg.asset_check(
    asset=cmc_market_metrics,
    partitions_def=market_metrics_partitions,
    additional_deps=[market_metrics],
    description="CoinMarketCap vs CoinGecko price and market cap of the same coin and hour.",
)
def market_metrics_cross_provider(
    context: dg.AssetCheckExecutionContext,
    database: DatabaseResource,
    coinmarketcap: CoinMarketCapResource,
) -> dg.AssetCheckResult:
    keys = list(context.partition_keys)
    spec = table_spec("market_metrics")
    rows = database.read(
        "market_metrics", partition_slice(spec, "market_metrics", market_metrics_partitions, keys)
    )
    tolerances = {
        "price": coinmarketcap.price_tolerance,
        "market_cap": coinmarketcap.market_cap_tolerance,
    }
    report = provider_divergences(rows, tolerances)
    return dg.AssetCheckResult(
        passed=report.passed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "compared": report.compared,
            "divergent_price": report.divergent["price"],
            "divergent_market_cap": report.divergent["market_cap"],
            "price_tolerance": tolerances["price"],
            "market_cap_tolerance": tolerances["market_cap"],
            "only_one_provider": report.only_one_provider,
            "examples": dg.MetadataValue.json(report.examples),
        },
    )
