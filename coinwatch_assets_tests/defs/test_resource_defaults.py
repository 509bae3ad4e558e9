"""Resources configured by the environment keep its values when run config sets one field."""

from pathlib import Path

import dagster as dg
import pytest

from coinwatch_assets.defs.fundamentals.definitions import coingecko_resource
from coinwatch_assets.defs.fundamentals.resources import CoinGeckoResource
from coinwatch_assets.defs.monitor.definitions import definitions as monitor_definitions
from coinwatch_assets.defs.monitor.resources import AlertWebhookResource
from coinwatch_assets.defs.shared import database_resource
from coinwatch_assets.defs.storage import DatabaseResource

KEY = "CG-env-key-never-stored-51c2"
HOOK = "https://hooks.example.com/services/T000/B000/tok3n-never-stored"
DB = "postgresql+psycopg://app:db-pw-never-stored@127.0.0.1:1/coinwatch"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINGECKO_API_KEY", KEY)
    monkeypatch.setenv("COINGECKO_API_URL", "https://pro-api.coingecko.com/api/v3")
    monkeypatch.setenv("COINWATCH_ALERT_WEBHOOK", HOOK)
    monkeypatch.setenv("COINWATCH_DATABASE_URL", DB)


def test_one_overridden_field_keeps_the_environments_others(environment, tmp_path: Path):
    seen: dict[str, dict] = {}

    @dg.asset
    def probe(
        coingecko: CoinGeckoResource,
        database: DatabaseResource,
        alert_webhook: AlertWebhookResource,
    ) -> None:
        seen["coingecko"] = coingecko.model_dump()
        seen["database"] = database.model_dump()
        seen["alert_webhook"] = alert_webhook.model_dump()

    resources = {
        "coingecko": coingecko_resource(),
        "database": database_resource(),
        "alert_webhook": monitor_definitions([]).resources["alert_webhook"],
    }
    overrides = {
        "coingecko": {"config": {"per_page": 10}},
        "database": {"config": {"sqlite_path": str(tmp_path / "other.sqlite")}},
        "alert_webhook": {"config": {"attempts": 2}},
    }
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [probe], resources=resources, instance=instance, run_config={"resources": overrides}
        )
        assert result.success
        stored = [p.read_bytes() for p in Path(instance.root_directory).rglob("*") if p.is_file()]
    assert seen["coingecko"]["per_page"] == 10
    assert seen["coingecko"]["api_key"] == KEY
    assert seen["coingecko"]["api_url"] == "https://pro-api.coingecko.com/api/v3"
    assert seen["database"]["url"] == DB
    assert seen["database"]["sqlite_path"] == str(tmp_path / "other.sqlite")
    assert (seen["alert_webhook"]["url"], seen["alert_webhook"]["attempts"]) == (HOOK, 2)
    for secret in (KEY, HOOK, "db-pw-never-stored"):
        assert not any(secret.encode() in blob for blob in stored)  # env references only
