"""The fundamentals domain's definitions (CoinGecko)."""

import os
from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.fundamentals.assets import coin_ids, coin_metadata, market_metrics
from coinwatch_assets.defs.fundamentals.checks import (
    coin_ids_resolved,
    coin_metadata_expectations,
    market_metrics_expectations,
    market_metrics_vs_ohlcv,
)
from coinwatch_assets.defs.fundamentals.resources import CoinGeckoResource
from coinwatch_assets.defs.fundamentals.schedules import (
    coin_ids_schedule,
    coin_metadata_schedule,
    market_metrics_schedule,
)
from coinwatch_assets.defs.resource_defaults import with_defaults
from coinwatch_assets.defs.venues import SOURCE
from coinwatch_assets.lib.fundamentals.client import PUBLIC_ROOT
from coinwatch_assets.lib.venues import Venue

# Settings of the CoinGecko resource: COINGECKO_* variable -> field (see README, Fundamentals).
_FIELDS = {
    "COINGECKO_API_URL": "api_url",
    "COINGECKO_API_PLAN": "plan",
    "COINGECKO_CALLS_PER_MINUTE": "calls_per_minute",
    "COINGECKO_ID_OVERRIDES": "id_overrides",
}


def coingecko_resource() -> CoinGeckoResource:
    """The resource as configured by the environment; values stay env references (dg.EnvVar)."""
    fields: dict[str, object] = {"source": SOURCE, "api_url": PUBLIC_ROOT}
    for variable, name in _FIELDS.items():
        if os.environ.get(variable):
            is_int = name == "calls_per_minute"
            fields[name] = dg.EnvVar.int(variable) if is_int else dg.EnvVar(variable)
    tolerance = os.environ.get("COINGECKO_PRICE_TOLERANCE")
    if tolerance:
        try:
            fields["price_tolerance"] = float(tolerance)
        except ValueError:
            raise ValueError(
                f"COINGECKO_PRICE_TOLERANCE must be a fraction like 0.02, got {tolerance!r}"
            ) from None
    if os.environ.get("COINGECKO_API_KEY"):
        # dg.EnvVar: Dagster resolves it in the run's process; run storage keeps the name only
        fields["api_key"] = dg.EnvVar("COINGECKO_API_KEY")
    # as field defaults: a run-config override of one field keeps the environment's others
    return with_defaults(
        CoinGeckoResource, fields, "EnvCoinGeckoResource", "CoinGecko as the environment sets it."
    )


def definitions(venues: Sequence[Venue]) -> dg.Definitions:
    """CoinGecko ids, metadata and hourly metrics with their checks and schedules."""
    return dg.Definitions(
        assets=[coin_ids, coin_metadata, market_metrics],
        asset_checks=[
            coin_ids_resolved,
            coin_metadata_expectations,
            market_metrics_expectations,
            market_metrics_vs_ohlcv,
        ],
        schedules=[market_metrics_schedule, coin_metadata_schedule, coin_ids_schedule],
        resources={"coingecko": coingecko_resource()},
    )
