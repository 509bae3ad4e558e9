"""The Binance emulator's weight budget (what benchmarks/archive.py runs the REST path under)."""

from __future__ import annotations

import time

import httpx

from coinwatch_assets_tests.emulators.binance import BinanceEmulator
from coinwatch_assets_tests.emulators.binance_weights import WeightBudget


def test_klines_weigh_two_and_the_budget_answers_429_with_retry_after():
    with BinanceEmulator() as emu:
        emu.add_market("BTC/USDT", [[0, 1, 2, 0.5, 1, 10]])
        emu.weights = WeightBudget(limit=10, window_seconds=60)
        query = {"symbol": "BTCUSDT", "interval": "1m", "limit": "1000"}
        with httpx.Client(base_url=emu.base_url) as client:
            codes = [client.get("/api/v3/klines", params=query).status_code for _ in range(6)]
            refused = client.get("/api/v3/klines", params=query)
            info = client.get("/api/v3/exchangeInfo")
    assert codes == [200] * 5 + [429]  # 5 x weight 2 = the 10 allowed
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert info.status_code == 429 and emu.weights.refused == 3  # exchangeInfo weighs 20


def test_the_window_slides():
    budget = WeightBudget(limit=2, window_seconds=0.05)
    assert budget.charge("/api/v3/klines", {}) is None
    assert budget.charge("/api/v3/klines", {})[0] == 429  # type: ignore[index]
    time.sleep(0.06)
    assert budget.charge("/api/v3/klines", {}) is None
