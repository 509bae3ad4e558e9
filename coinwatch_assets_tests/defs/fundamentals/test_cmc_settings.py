"""CoinMarketCap settings from the environment: the key stays an env reference."""

import dagster as dg
import pytest

from coinwatch_assets.defs.fundamentals.cmc_settings import (
    coinmarketcap_resource,
    fundamentals_providers,
)


def test_settings_come_from_the_environment_and_the_key_stays_an_env_reference(monkeypatch):
    monkeypatch.setenv("COINMARKETCAP_API_KEY", "cmc-from-env-1234")
    monkeypatch.setenv("COINMARKETCAP_MONTHLY_CREDITS", "333")
    monkeypatch.setenv("COINMARKETCAP_DEX_NETWORKS", "ethereum,solana")
    resource = coinmarketcap_resource()
    assert resource.api_key == dg.EnvVar("COINMARKETCAP_API_KEY")
    assert "cmc-from-env-1234" not in repr(resource)
    assert resource.monthly_credits == dg.EnvVar.int("COINMARKETCAP_MONTHLY_CREDITS")
    assert resource.dex_networks == dg.EnvVar("COINMARKETCAP_DEX_NETWORKS")


def test_the_providers_setting_is_checked(monkeypatch):
    monkeypatch.setenv("COINWATCH_FUNDAMENTALS", "coingecko, CoinMarketCap")
    assert "coinmarketcap" in fundamentals_providers()
    for bad in ("coingecko,cmc", "coinmarketcap"):
        monkeypatch.setenv("COINWATCH_FUNDAMENTALS", bad)
        with pytest.raises(ValueError, match="COINWATCH_FUNDAMENTALS"):
            fundamentals_providers()
