"""Which fundamentals providers run, and the CoinMarketCap resource from the environment."""

import os

import dagster as dg

from coinwatch_assets.defs.fundamentals.cmc_resources import CoinMarketCapResource
from coinwatch_assets.defs.venues import SOURCE
from coinwatch_assets.lib.fundamentals.cmc_client import CMC_ROOT

PROVIDERS = ("coingecko", "coinmarketcap")
# COINMARKETCAP_* variable -> (field, is an integer)
_FIELDS = {
    "COINMARKETCAP_API_URL": ("api_url", False),
    "COINMARKETCAP_MONTHLY_CREDITS": ("monthly_credits", True),
    "COINMARKETCAP_CALLS_PER_MINUTE": ("calls_per_minute", True),
    "COINMARKETCAP_ID_OVERRIDES": ("id_overrides", False),
    "COINMARKETCAP_DEX_NETWORKS": ("dex_networks", False),
}


def fundamentals_providers() -> tuple[str, ...]:
    """COINWATCH_FUNDAMENTALS (default `coingecko`); the offline sample runs every provider."""
    raw = os.environ.get("COINWATCH_FUNDAMENTALS") or "coingecko"
    names = tuple(dict.fromkeys(p.strip().lower() for p in raw.split(",") if p.strip()))
    unknown = [p for p in names if p not in PROVIDERS]
    if unknown or "coingecko" not in names:
        raise ValueError(
            f"COINWATCH_FUNDAMENTALS={raw!r}: a comma-separated list of {', '.join(PROVIDERS)} "
            "that includes coingecko (the reference provider the cross-provider check compares "
            "with), e.g. coingecko,coinmarketcap"
        )
    return PROVIDERS if SOURCE == "sample" else names


def coinmarketcap_resource() -> CoinMarketCapResource:
    """The resource as configured by the environment; values stay env references (dg.EnvVar)."""
    fields: dict[str, object] = {"source": SOURCE, "api_url": CMC_ROOT}
    if SOURCE == "sample":
        # the sample answers any time: the hour just closed is always "live"
        fields["live_grace_minutes"] = 60
    for variable, (name, is_int) in _FIELDS.items():
        if os.environ.get(variable):
            fields[name] = dg.EnvVar.int(variable) if is_int else dg.EnvVar(variable)
    if os.environ.get("COINMARKETCAP_API_KEY"):
        # dg.EnvVar: Dagster resolves it in the run's process; run storage keeps the name only
        fields["api_key"] = dg.EnvVar("COINMARKETCAP_API_KEY")
    return CoinMarketCapResource(**fields)
