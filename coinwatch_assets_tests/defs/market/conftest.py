"""Market tests: real ccxt against the Binance emulator, real Dagster, both storage backends."""

import json
from collections.abc import Iterator

import dagster as dg
import numpy as np
import pytest

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets_tests.emulators.binance import BinanceEmulator
from coinwatch_assets_tests.shared_data import read_candles_csv, shared_path

SYMBOL_FILES = {"ETH/BTC": "ETH_BTC-5m.csv", "LTC/BTC": "LTC_BTC-5m.csv"}


@pytest.fixture(scope="session")
def recorded_5m() -> dict[str, np.ndarray]:
    """Real Binance 5m candles, 2018-01-10 -> 01-30."""
    return {
        s: read_candles_csv(shared_path("ohlcv", "freqtrade", f)) for s, f in SYMBOL_FILES.items()
    }


@pytest.fixture
def emulator(recorded_5m: dict[str, np.ndarray]) -> Iterator[BinanceEmulator]:
    with BinanceEmulator() as emu:
        for symbol, candles in recorded_5m.items():
            emu.add_market(symbol, candles, interval="5m", quote_volume=1e6)
        yield emu


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions("symbols", ["ETH-BTC", "LTC-BTC"])
        yield inst


@pytest.fixture
def resources(emulator: BinanceEmulator, database_url: str) -> dict[str, object]:
    database = DatabaseResource(url=database_url)
    return {
        "market_source": MarketSourceResource(
            source="live",
            exchange="binance",
            ccxt_config=json.dumps(emulator.ccxt_config()),
            max_attempts=3,
            base_delay_seconds=0.01,
            max_delay_seconds=0.05,
        ),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }
