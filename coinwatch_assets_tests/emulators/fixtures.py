"""pytest fixtures for the emulators; import them into a conftest.py to use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coinwatch_assets_tests.emulators.binance import BinanceEmulator


@pytest.fixture
def binance_emulator() -> Iterator[BinanceEmulator]:
    """A running, empty Binance emulator (add markets and candles in the test)."""
    with BinanceEmulator() as emulator:
        yield emulator
