"""The fundamentals domain's definitions (CoinGecko; CoinMarketCap when enabled)."""

import math
import os
from collections.abc import Sequence
from urllib.parse import urlsplit

import dagster as dg

from coinwatch_assets.defs.fundamentals.assets import coin_ids, coin_metadata, market_metrics
from coinwatch_assets.defs.fundamentals.checks import (
    coin_ids_resolved,
    coin_metadata_expectations,
    market_metrics_expectations,
    market_metrics_vs_ohlcv,
)
from coinwatch_assets.defs.fundamentals.cmc_definitions import cmc_definitions
from coinwatch_assets.defs.fundamentals.cmc_settings import fundamentals_providers
from coinwatch_assets.defs.fundamentals.market_info import (
    coingecko_exchanges,
    coingecko_exchanges_schedule,
    coingecko_trending,
    coingecko_trending_schedule,
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


def _check_env() -> None:
    """COINGECKO_* values that would fail only at run time (or never) refused at load."""
    url = os.environ.get("COINGECKO_API_URL")
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise ValueError(
            f"COINGECKO_API_URL must be an http(s) URL such as {PUBLIC_ROOT}, got one with "
            f"scheme {urlsplit(url).scheme!r}; fix or unset it"
        )
    tolerance = os.environ.get("COINGECKO_PRICE_TOLERANCE")
    try:
        valid = tolerance is None or (math.isfinite(float(tolerance)) and float(tolerance) >= 0)
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(
            "COINGECKO_PRICE_TOLERANCE must be a fraction like 0.02 (zero or more), "
            f"got {tolerance!r}"
        )


def coingecko_resource() -> CoinGeckoResource:
    """The resource as configured by the environment; values stay env references (dg.EnvVar)."""
    _check_env()
    fields: dict[str, object] = {"source": SOURCE, "api_url": PUBLIC_ROOT}
    for variable, name in _FIELDS.items():
        if os.environ.get(variable):
            is_int = name == "calls_per_minute"
            fields[name] = dg.EnvVar.int(variable) if is_int else dg.EnvVar(variable)
    tolerance = os.environ.get("COINGECKO_PRICE_TOLERANCE")
    if tolerance:
        fields["price_tolerance"] = float(tolerance)
    if os.environ.get("COINGECKO_API_KEY"):
        # dg.EnvVar: Dagster resolves it in the run's process; run storage keeps the name only
        fields["api_key"] = dg.EnvVar("COINGECKO_API_KEY")
    # as field defaults: a run-config override of one field keeps the environment's others
    return with_defaults(
        CoinGeckoResource, fields, "EnvCoinGeckoResource", "CoinGecko as the environment sets it."
    )


def definitions(venues: Sequence[Venue]) -> dg.Definitions:
    """CoinGecko ids, metadata and hourly metrics with their checks and schedules; the same
    from CoinMarketCap (and its DEX pairs) when COINWATCH_FUNDAMENTALS lists it."""
    coingecko = dg.Definitions(
        assets=[coin_ids, coin_metadata, market_metrics, coingecko_trending, coingecko_exchanges],
        asset_checks=[
            coin_ids_resolved,
            coin_metadata_expectations,
            market_metrics_expectations,
            market_metrics_vs_ohlcv,
        ],
        schedules=[
            market_metrics_schedule,
            coin_metadata_schedule,
            coin_ids_schedule,
            coingecko_trending_schedule,
            coingecko_exchanges_schedule,
        ],
        resources={"coingecko": coingecko_resource()},
    )
    if "coinmarketcap" not in fundamentals_providers():
        return coingecko
    return dg.Definitions.merge(coingecko, cmc_definitions())
