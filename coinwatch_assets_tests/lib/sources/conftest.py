"""Fixtures for the source tests: the Binance emulator loaded with real recorded candles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from coinwatch_assets.lib.sources.exchange import ExchangeSource
from coinwatch_assets.lib.sources.retry import RetryPolicy
from coinwatch_assets_tests.emulators.binance import BinanceEmulator
from coinwatch_assets_tests.emulators.fixtures import binance_emulator  # noqa: F401
from coinwatch_assets_tests.shared_data import read_candles_csv, shared_path

# 2017-11-12 is the one complete day (1,440 candles) of UNITTEST_BTC-1m.csv
FULL_DAY = datetime(2017, 11, 12, tzinfo=UTC)
FULL_DAY_MS = int(FULL_DAY.timestamp() * 1000)
SYMBOL = "UNITTEST/BTC"


@pytest.fixture(scope="session")
def unittest_btc_1m() -> np.ndarray:
    """Real 1m candles, 2017-11-04 -> 11-14, with real no-trade holes."""
    return read_candles_csv(shared_path("ohlcv", "freqtrade", "UNITTEST_BTC-1m.csv"))


@pytest.fixture
def emulator(binance_emulator: BinanceEmulator, unittest_btc_1m: np.ndarray) -> BinanceEmulator:  # noqa: F811
    binance_emulator.add_market(SYMBOL, unittest_btc_1m, quote_volume=1.0e6)
    return binance_emulator


class SleepRecorder:
    """Stands in for time.sleep: records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_source(emulator: BinanceEmulator, sleeps: SleepRecorder) -> Callable[..., ExchangeSource]:
    """ExchangeSource against the emulator, with fast retries and recorded sleeps."""

    def make(**kwargs: Any) -> ExchangeSource:
        kwargs.setdefault("retry", RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=1.0))
        kwargs.setdefault("sleep", sleeps)
        return ExchangeSource("binance", emulator.ccxt_config(), **kwargs)

    return make


def day_of(data: np.ndarray, day_ms: int) -> np.ndarray:
    """The rows of a (n, 6) candle array with open time on the UTC day starting at day_ms."""
    return data[(data[:, 0] >= day_ms) & (data[:, 0] < day_ms + 86_400_000)]
