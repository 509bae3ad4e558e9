"""CoinGecko client tests: the real httpx client against the emulator on 127.0.0.1."""

from collections.abc import Iterator

import pytest

from coinwatch_assets.lib.fundamentals.guards import forget_guards
from coinwatch_assets_tests.emulators.coingecko import CoinGeckoEmulator
from coinwatch_assets_tests.emulators.coingecko_bodies import recorded


@pytest.fixture(autouse=True)
def fresh_guards() -> Iterator[None]:
    # budgets and breakers are process-wide by design; a reused port must not inherit them
    forget_guards()
    yield
    forget_guards()


@pytest.fixture
def emulator() -> Iterator[CoinGeckoEmulator]:
    recorded("GetMarkets.json")  # skips, naming the folder, without the recorded data
    with CoinGeckoEmulator() as emu:
        emu.add_coin("bitcoin", "btc", "Bitcoin", price=70_000.0, supply=19_675_987.0)
        emu.add_coin("ethereum", "eth", "Ethereum", price=3_500.0, supply=120_000_000.0)
        yield emu
