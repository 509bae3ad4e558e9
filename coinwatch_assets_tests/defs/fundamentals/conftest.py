"""Fundamentals tests: real httpx against the CoinGecko emulator, real Dagster, both backends."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.fundamentals.resources import CoinGeckoResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.fundamentals.guards import forget_guards
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.emulators.coingecko import CoinGeckoEmulator
from coinwatch_assets_tests.emulators.coingecko_bodies import recorded

KEY = "CG-test-key-must-never-be-stored-7f3a9"
TICKERS = ["BTC", "ETH", "NEAR", "LUNA", "PEPE"]


@pytest.fixture(autouse=True)
def fresh_guards() -> Iterator[None]:
    forget_guards()
    yield
    forget_guards()


@pytest.fixture
def emulator() -> Iterator[CoinGeckoEmulator]:
    recorded("GetMarkets.json")  # skips, naming the folder, without the recorded data
    with CoinGeckoEmulator() as emu:
        emu.add_coin("bitcoin", "btc", "Bitcoin", price=70_000.0, supply=19.7e6, max_supply=21e6)
        emu.add_coin("ethereum", "eth", "Ethereum", price=3_500.0, supply=120e6, max_supply=None)
        emu.add_coin("ethereum-wormhole", "eth", "Ethereum (Wormhole)", price=3_499.0, supply=1e3)
        emu.add_coin("near", "near", "NEAR Protocol", price=5.0, supply=1e9, max_supply=None)
        emu.add_coin("luna-a", "luna", "Terra Luna A", price=0.5, supply=1e9)
        emu.add_coin(
            "luna-b",
            "luna",
            "Terra Luna B",
            price=0.6,
            supply=7e8,
            platforms={"ethereum": "0x" + "ab" * 20},
        )
        emu.require_key("x-cg-demo-api-key", KEY)
        yield emu


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst


def seed_markets(database: DatabaseResource, tickers: list[str] = TICKERS) -> None:
    now = datetime.now(UTC)
    frame = pd.DataFrame(
        {
            "exchange": "binance",
            "symbol": [f"{t}/USDT" for t in tickers],
            "base": tickers,
            "quote": "USDT",
            "active": True,
            "quote_volume_24h": 1e6,
            "first_seen": now.date(),
            "delisted": None,
            "updated_at": now,
        }
    )
    database.storage().write(table_spec("markets"), frame, Slice.whole_table("markets"))


def coingecko(emulator: CoinGeckoEmulator, **fields) -> CoinGeckoResource:
    defaults = {
        "api_url": emulator.api_url,
        "api_key": dg.EnvVar("COINGECKO_API_KEY"),
        "plan": "demo",
        "calls_per_minute": 600,
        "timeout_seconds": 5.0,
        "max_attempts": 3,
        "base_delay_seconds": 0.01,
        "max_delay_seconds": 0.05,
    }
    return CoinGeckoResource(**{**defaults, **fields})


@pytest.fixture
def resources(
    emulator: CoinGeckoEmulator, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, object]:
    monkeypatch.setenv("COINGECKO_API_KEY", KEY)
    database = DatabaseResource(url=database_url)
    seed_markets(database)
    return {
        "coingecko": coingecko(emulator),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }


def last_closed_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


def hour_key(hour: datetime) -> str:
    return hour.strftime("%Y-%m-%d-%H:%M")
