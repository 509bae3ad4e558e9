"""The coingecko resource as the environment configures it: keys stay env references."""

import dagster as dg
import pytest

from coinwatch_assets.defs.fundamentals.definitions import coingecko_resource
from coinwatch_assets.defs.fundamentals.resources import CoinGeckoResource
from coinwatch_assets.lib.fundamentals.client import PRO_ROOT


def test_settings_come_from_the_environment_and_the_key_stays_an_env_reference(monkeypatch):
    monkeypatch.setenv("COINGECKO_API_KEY", "CG-from-env")
    monkeypatch.setenv("COINGECKO_CALLS_PER_MINUTE", "90")
    monkeypatch.setenv("COINGECKO_ID_OVERRIDES", "LUNA=terra-luna-2")
    resource = coingecko_resource()
    assert resource.api_key == dg.EnvVar("COINGECKO_API_KEY")  # never the value itself
    assert isinstance(resource.api_key, dg.EnvVar) and "CG-from-env" not in repr(resource)
    assert resource.calls_per_minute == dg.EnvVar.int("COINGECKO_CALLS_PER_MINUTE")
    monkeypatch.setenv("COINGECKO_PRICE_TOLERANCE", "two percent")
    with pytest.raises(ValueError, match="COINGECKO_PRICE_TOLERANCE must be a fraction"):
        coingecko_resource()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("COINGECKO_PRICE_TOLERANCE", "-0.02", "COINGECKO_PRICE_TOLERANCE must be a fraction"),
        ("COINGECKO_PRICE_TOLERANCE", "nan", "COINGECKO_PRICE_TOLERANCE must be a fraction"),
        ("COINGECKO_API_URL", "ftp://api.coingecko.com/api/v3", "COINGECKO_API_URL must be an"),
        ("COINGECKO_API_URL", "api.coingecko.com/api/v3", "COINGECKO_API_URL must be an http"),
    ],
)
def test_unusable_settings_fail_at_load_naming_the_variable(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message) as err:
        coingecko_resource()
    assert "such as" in str(err.value) or "like 0.02" in str(err.value)  # the fix


def test_the_plan_follows_the_root_and_the_key_unless_set():
    assert CoinGeckoResource().effective_plan() == "public"
    assert CoinGeckoResource(api_key="k").effective_plan() == "demo"
    assert CoinGeckoResource(api_url=PRO_ROOT, api_key="k").effective_plan() == "pro"
    assert CoinGeckoResource(api_key="k", plan="pro").effective_plan() == "pro"
    overrides = CoinGeckoResource(id_overrides="eth=ethereum-classic").overrides()
    assert overrides["ETH"] == "ethereum-classic" and overrides["BTC"] == "bitcoin"
