"""CoinMarketCap's definitions: ids, hourly metrics, weekly metadata, DEX pairs, checks and
schedules."""

import dagster as dg

from coinwatch_assets.defs.fundamentals.cmc_assets import cmc_ids, cmc_market_metrics, cmc_metadata
from coinwatch_assets.defs.fundamentals.cmc_checks import (
    cmc_ids_resolved,
    market_metrics_cross_provider,
)
from coinwatch_assets.defs.fundamentals.cmc_dex import dex_pairs, dex_pairs_schedule
from coinwatch_assets.defs.fundamentals.cmc_schedules import (
    cmc_ids_schedule,
    cmc_market_metrics_schedule,
    cmc_metadata_schedule,
)
from coinwatch_assets.defs.fundamentals.cmc_settings import coinmarketcap_resource


def cmc_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[cmc_ids, cmc_market_metrics, cmc_metadata, dex_pairs],
        asset_checks=[cmc_ids_resolved, market_metrics_cross_provider],
        schedules=[
            cmc_ids_schedule,
            cmc_market_metrics_schedule,
            cmc_metadata_schedule,
            dex_pairs_schedule,
        ],
        resources={"coinmarketcap": coinmarketcap_resource()},
    )
