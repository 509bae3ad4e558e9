"""Candles per second fetched through the real ccxt binance client from the local emulator.

    .venv/bin/python benchmarks/fetch.py [--days 30] [--runs 3] [--no-throttled]

Serves `--days` of 1m candles (from the sample source's walk) for one market and times
ExchangeSource.fetch_ohlcv over the whole span (1,000-candle pages), median of `--runs`.
Two figures: with the emulator config (ccxt throttle 1 ms: parsing, HTTP and validation
cost) and with ccxt's real binance throttle (rateLimit 50 ms x cost 0.4 for spot klines =
20 ms between pages), which also bounds a real backfill (before network latency).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

START = datetime(2024, 1, 1, tzinfo=UTC)
SYMBOL = "BTC/USDT"


def _candles(days: int):
    from coinwatch_assets.lib.sources.sample import SampleSource

    frame = SampleSource().fetch_ohlcv(SYMBOL, "1m", START, START + timedelta(days=days))
    ts = frame["ts"].astype("int64").to_numpy() // 1000
    import numpy as np

    return np.column_stack([ts, frame[["open", "high", "low", "close", "volume"]].to_numpy()])


def _measure(config: dict, days: int, runs: int, expected: int) -> float:
    from coinwatch_assets.lib.sources.exchange import ExchangeSource

    rates = []
    for _ in range(runs):
        source = ExchangeSource("binance", config)
        source.list_markets(symbols=[SYMBOL])  # load markets outside the timing
        began = time.perf_counter()
        frame = source.fetch_ohlcv(SYMBOL, "1m", START, START + timedelta(days=days))
        elapsed = time.perf_counter() - began
        if len(frame) != expected:
            raise SystemExit(f"fetched {len(frame)} candles, expected {expected}")
        rates.append(len(frame) / elapsed)
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-throttled", action="store_true", help="skip the rate-limited run")
    args = parser.parse_args()

    from coinwatch_assets_tests.emulators.binance import BinanceEmulator

    data = _candles(args.days)
    with BinanceEmulator() as emulator:
        emulator.add_market(SYMBOL, data, quote_volume=1e9)
        fast = _measure(emulator.ccxt_config(), args.days, args.runs, len(data))
        print(
            f"{args.days} days of 1m candles ({len(data):,}), median of {args.runs}: "
            f"{fast:,.0f} candles/s through ccxt from the emulator (throttle 1 ms)"
        )
        if not args.no_throttled:
            config = emulator.ccxt_config(rate_limit_ms=50)  # ccxt's binance default
            slow = _measure(config, args.days, args.runs, len(data))
            print(f"{slow:,.0f} candles/s with Binance's ccxt rate limit (50 ms x 0.4 per page)")


if __name__ == "__main__":
    main()
