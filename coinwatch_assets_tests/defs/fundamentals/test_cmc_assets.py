"""CoinMarketCap assets against the CMC emulator (real recorded bodies), beside CoinGecko."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.fundamentals.assets import coin_ids, market_metrics
from coinwatch_assets.defs.fundamentals.cmc_assets import cmc_ids, cmc_market_metrics, cmc_metadata
from coinwatch_assets.defs.fundamentals.cmc_checks import (
    cmc_ids_resolved,
    market_metrics_cross_provider,
)
from coinwatch_assets.defs.fundamentals.cmc_dex import current_slot, dex_pairs, dex_pairs_partitions
from coinwatch_assets.defs.fundamentals.cmc_resources import CoinMarketCapResource
from coinwatch_assets.defs.fundamentals.resources import CoinGeckoResource
from coinwatch_assets.defs.monitor.failure_sensor import pipeline_failure_sensor
from coinwatch_assets.defs.monitor.resources import AlertWebhookResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.fundamentals.cmc_credits import CreditLedger, month_of
from coinwatch_assets.lib.fundamentals.cmc_dex import DEX_COLUMNS
from coinwatch_assets.lib.storage.schema import upgrade_database
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.defs.fundamentals.conftest import (
    KEY,
    coingecko,
    hour_key,
    last_closed_hour,
    seed_markets,
)
from coinwatch_assets_tests.emulators.coinmarketcap import CoinMarketCapEmulator, recorded

TICKERS = ["BTC", "ETH", "ADA", "ATOM", "ONE", "PEPE"]


@pytest.fixture
def cmc_emulator() -> Iterator[CoinMarketCapEmulator]:
    recorded("v1_listings_latest_2021-10-24.json")  # skips, naming the folder, without data
    with CoinMarketCapEmulator() as emu:
        yield emu


def cmc(emu: CoinMarketCapEmulator, **fields) -> CoinMarketCapResource:
    defaults = {
        "api_url": emu.api_url,
        "api_key": dg.EnvVar("COINMARKETCAP_API_KEY"),
        "calls_per_minute": 600,
        "timeout_seconds": 5.0,
        "live_grace_minutes": 61,  # the test may run up to 59 minutes after the hour
    }
    return CoinMarketCapResource(**{**defaults, **fields})


def make_resources(emulator, cmc_emulator, url, monkeypatch, **cmc_fields):
    monkeypatch.setenv("COINGECKO_API_KEY", KEY)
    monkeypatch.setenv("COINMARKETCAP_API_KEY", cmc_emulator.key)
    database = DatabaseResource(url=url)
    seed_markets(database, TICKERS)
    return {
        "coingecko": coingecko(emulator, live_grace_minutes=61),
        "coinmarketcap": cmc(cmc_emulator, **cmc_fields),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'coinwatch.sqlite'}"
    upgrade_database(url)
    return url


def run(assets, resources, instance, **kwargs):
    return dg.materialize(assets, resources=resources, instance=instance, **kwargs)


def run_cmc_hour(resources, instance, hour: str):
    """CMC's metrics of `hour` and the cross-provider check (CoinGecko's rows are stored)."""
    return run(
        [cmc_market_metrics, market_metrics, market_metrics_cross_provider],
        resources,
        instance,
        partition_key=hour,
        selection=dg.AssetSelection.assets(cmc_market_metrics)
        | dg.AssetSelection.checks(market_metrics_cross_provider),
    )


def ledger_credits(url: str) -> int:
    return CreditLedger(DatabaseResource(url=url).storage()).used(month_of(datetime.now(UTC)))


def test_both_providers_fill_market_metrics_side_by_side_and_the_ledger_matches(
    emulator, cmc_emulator, database_url, instance, monkeypatch
):
    resources = make_resources(emulator, cmc_emulator, database_url, monkeypatch)
    result = run([cmc_ids, cmc_ids_resolved], resources, instance)
    ids = resources["database"].read("cmc_ids").set_index("ticker")
    assert ids.loc["BTC", ["cmc_id", "status"]].tolist() == ["1", "override"]
    assert ids.loc["ADA", ["cmc_id", "status"]].tolist() == ["2010", "mapped"]
    # Cosmos; the inactive Atomic Coin of the recorded body is set aside by the tie-break
    assert ids.loc["ATOM", ["cmc_id", "status"]].tolist() == ["3794", "active_only"]
    assert "1420:Atomic Coin:inactive:-" in ids.loc["ATOM", "candidates"]
    # Harmony and BigONE Token are both active and ranked: never guessed
    assert ids.loc["ONE", "status"] == "ambiguous" and pd.isna(ids.loc["ONE", "cmc_id"])
    assert ids.loc["PEPE", "status"] == "unmapped"
    assert [e.passed for e in result.get_asset_check_evaluations()] == [False]  # ONE, PEPE

    hour = hour_key(last_closed_hour())
    assert run([coin_ids], resources, instance).success
    assert run([market_metrics], resources, instance, partition_key=hour).success
    result = run_cmc_hour(resources, instance, hour)
    rows = resources["database"].read("market_metrics")
    by = rows.groupby("provider")["symbol"].apply(sorted).to_dict()
    assert by == {"coingecko": ["BTC", "ETH"], "coinmarketcap": ["ADA", "ATOM", "BTC", "ETH"]}
    cmc_rows = rows[rows["provider"] == "coinmarketcap"].set_index("symbol")
    assert cmc_rows.loc["ATOM", "coin_id"] == "3794"
    assert set(cmc_rows["source"]) == {"quotes/latest"}
    # the recorded bodies' prices (2019 and 2021) are far from the CoinGecko emulator's
    check = next(iter(result.get_asset_check_evaluations()))
    assert check.severity == dg.AssetCheckSeverity.WARN and not check.passed
    assert check.metadata["compared"].value == 2  # BTC and ETH: the only coins both know
    assert check.metadata["divergent_price"].value == 2

    # a CoinGecko re-run of the hour replaces CoinGecko's rows only
    assert run([market_metrics], resources, instance, partition_key=hour).success
    again = resources["database"].read("market_metrics")
    assert sorted(again["provider"].value_counts().items()) == [
        ("coingecko", 2),
        ("coinmarketcap", 4),
    ]
    assert ledger_credits(database_url) == sum(cmc_emulator.credits_sent) == 2


def test_cmc_metadata_from_info(emulator, cmc_emulator, sqlite_url, instance, monkeypatch):
    resources = make_resources(emulator, cmc_emulator, sqlite_url, monkeypatch)
    run([cmc_ids], resources, instance)
    week = dg.WeeklyPartitionsDefinition(start_date="2017-01-01", day_offset=1, end_offset=1)
    key = week.get_last_partition_key()
    assert run([cmc_metadata], resources, instance, partition_key=key).success
    meta = resources["database"].read("cmc_metadata").set_index("cmc_id")
    assert sorted(meta.index) == ["1", "1027", "2010", "3794"]
    assert meta.loc["3794", "name"] == "Cosmos" and meta.loc["1", "homepage"] == "https://weth.io/"
    assert "Wrapped Tokens" in meta.loc["1", "tags"]


def test_the_allowance_stops_the_run_before_any_call(
    emulator, cmc_emulator, sqlite_url, instance, monkeypatch
):
    resources = make_resources(emulator, cmc_emulator, sqlite_url, monkeypatch)
    run([cmc_ids], resources, instance)
    calls = len(cmc_emulator.calls)
    tight = {**resources, "coinmarketcap": cmc(cmc_emulator, monthly_credits=1)}
    hour = hour_key(last_closed_hour())
    result = run([cmc_market_metrics], tight, instance, partition_key=hour, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "cmc_credit_ledger" in message and "COINMARKETCAP_MONTHLY_CREDITS" in message
    assert len(cmc_emulator.calls) == calls  # nothing was sent
    assert resources["database"].read("market_metrics").empty


def test_an_echoed_key_never_reaches_the_instance(
    emulator, cmc_emulator, sqlite_url, monkeypatch, tmp_path
):
    wrong = "cmc-wrong-key-9d8e7f6a5b4c3d2e1f"
    resources = make_resources(emulator, cmc_emulator, sqlite_url, monkeypatch)
    monkeypatch.setenv("COINMARKETCAP_API_KEY", wrong)
    cmc_emulator.echo_key = True
    (tmp_path / "home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "home")) as instance:
        result = run([cmc_ids], resources, instance, raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert "1001" in str(failure.event_specific_data.error)
        assert "***" in str(failure.event_specific_data.error)
        # the server did echo it: the redaction is what keeps it out
        stored = [p.read_bytes() for p in Path(instance.root_directory).rglob("*") if p.is_file()]
        assert stored and not any(wrong.encode() in blob for blob in stored)
        for record in instance.get_run_records():
            assert not any(wrong in str(e) for e in instance.all_logs(record.dagster_run.run_id))
        # the run-failure monitor records the failure in pipeline_errors: without the key
        run_failure = dg.DagsterEventType.RUN_FAILURE
        (failed,) = [e for e in result.all_events if e.event_type == run_failure]
        context = dg.build_run_status_sensor_context(
            sensor_name="pipeline_failure_sensor",
            dagster_event=failed,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            resources={"database": resources["database"], "alert_webhook": AlertWebhookResource()},
        ).for_run_failure()
        pipeline_failure_sensor(context)
        errors = resources["database"].read("pipeline_errors")
        assert len(errors) and errors["message"].str.contains("1001").any()
        assert not errors.astype(str).apply(lambda c: c.str.contains(wrong)).any().any()


def test_dex_pairs_of_each_network_from_the_emulator(
    emulator, cmc_emulator, sqlite_url, instance, monkeypatch
):
    resources = make_resources(emulator, cmc_emulator, sqlite_url, monkeypatch)
    resources["coinmarketcap"] = cmc(cmc_emulator, dex_networks="ethereum, solana")
    key = dex_pairs_partitions.get_partition_key_for_timestamp(datetime.now(UTC).timestamp())
    # an earlier slot of the day, stored by an earlier run: a run owns only its own slot
    earlier = current_slot(datetime.now(UTC)) - timedelta(minutes=5)
    kept = pd.DataFrame([{c: None for c in DEX_COLUMNS}]).assign(
        network="ethereum", contract_address="0xearlier", ts=pd.Timestamp(earlier)
    )
    store = resources["database"].storage()
    store.write(table_spec("dex_pairs"), kept, Slice.whole_table("dex_pairs"))
    for _ in range(2):  # a re-run of the slot replaces it
        assert run([dex_pairs], resources, instance, partition_key=key).success
    rows = resources["database"].read("dex_pairs")
    assert rows.loc[rows["contract_address"] == "0xearlier", "ts"].tolist() == [kept["ts"][0]]
    rows = rows[rows["contract_address"] != "0xearlier"]
    assert rows["network"].value_counts().to_dict() == {"ethereum": 3, "solana": 2}
    weth = rows[rows["base_symbol"] == "WETH"].iloc[0]
    assert (weth["dex"], weth["quote_symbol"], weth["price"]) == ("uniswap-v3", "USDC", 3500.0)
    assert ledger_credits(sqlite_url) == sum(cmc_emulator.credits_sent) == 4


def test_the_offline_sample_fills_every_cmc_asset_and_the_providers_agree(sqlite_url, instance):
    database = DatabaseResource(url=sqlite_url)
    seed_markets(database, ["BTC", "ETH", "SOL"])
    resources = {
        "coingecko": CoinGeckoResource(source="sample"),
        "coinmarketcap": CoinMarketCapResource(source="sample", live_grace_minutes=61),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }
    assert run([coin_ids, cmc_ids], resources, instance).success
    ids = database.read("cmc_ids").set_index("ticker")
    assert ids.loc["SOL", ["cmc_id", "status"]].tolist() == ["5426", "override"]
    hour = hour_key(last_closed_hour())
    assert run([market_metrics], resources, instance, partition_key=hour).success
    result = run_cmc_hour(resources, instance, hour)
    check = next(iter(result.get_asset_check_evaluations()))
    assert check.passed and check.metadata["compared"].value == 3
    week = dg.WeeklyPartitionsDefinition(start_date="2017-01-01", day_offset=1, end_offset=1)
    assert run([cmc_metadata], resources, instance, partition_key=week.get_last_partition_key())
    slot = dex_pairs_partitions.get_partition_key_for_timestamp(datetime.now(UTC).timestamp())
    assert run([dex_pairs], resources, instance, partition_key=slot).success
    assert len(database.read("cmc_metadata")) == 3 and len(database.read("dex_pairs")) == 2
    assert ledger_credits(sqlite_url) == 0  # the sample spends no credits
