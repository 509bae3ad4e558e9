"""How much of a venue's request budget a long fetch uses, and whether it ever exceeds it.

    .venv/bin/python benchmarks/rate_budget.py [--budget 300] [--pages 40]

The Kraken emulator enforces a server-side limit equal to the budget (scaled to a 1-second
sliding window: `budget / 60` requests per second, so a run takes seconds) and answers 429
beyond it. A fetch of `--pages` pages of 1m candles goes through the real ccxt client with
`requests_per_minute=--budget`. Printed: requests, 429s, elapsed time, and budget use — the
ccxt cost units spent per minute over the budget (ccxt weighs Kraken's OHLC endpoint 1.2,
so raw requests per minute are 1/1.2 of that; both are printed).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

START = datetime(2024, 1, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=300, help="requests per minute")
    parser.add_argument("--pages", type=int, default=40, help="720-candle pages to fetch")
    args = parser.parse_args()

    import numpy as np

    from coinwatch_assets.lib.sources.exchange import ExchangeSource
    from coinwatch_assets.lib.sources.retry import RetryPolicy
    from coinwatch_assets_tests.emulators.kraken import KrakenEmulator

    minutes = args.pages * 720
    ts = START.timestamp() * 1000 + np.arange(minutes) * 60_000
    close = 100 + np.cumsum(np.random.default_rng(1).normal(0, 0.1, minutes))
    candles = np.column_stack([ts, close, close + 0.5, close - 0.5, close, np.ones(minutes)])
    with KrakenEmulator(limit=max(1, args.budget // 60), window_seconds=1.0) as emu:
        emu.add_market("BTC/USD", candles, interval="1m")
        source = ExchangeSource(
            "kraken",
            emu.ccxt_config(),
            requests_per_minute=args.budget,
            retry=RetryPolicy(max_attempts=1),
        )
        spent: list[float] = []
        throttle = source.client.throttle

        def counting(cost=None):
            spent.append(1.0 if cost is None else float(cost))
            return throttle(cost)

        source.client.throttle = counting
        source.list_markets(quote="USD")  # markets load before the timed fetch
        spent.clear()
        started = time.perf_counter()
        first_request = len(emu.requests)
        frame = source.fetch_ohlcv("BTC/USD", "1m", START, START + timedelta(minutes=minutes))
        elapsed = time.perf_counter() - started
        stamps = [t for t, _, _ in emu.requests[first_request:]]
    requests = len(stamps)
    span_min = (stamps[-1] - stamps[0]) / 60 if requests > 1 else elapsed / 60
    # n requests spaced evenly take (n - 1) intervals: use per-interval rates
    use_cost = (sum(spent) - spent[-1]) / span_min / args.budget
    use_raw = (requests - 1) / span_min / args.budget
    print(f"budget: {args.budget} requests/min (server: {max(1, args.budget // 60)} per 1 s)")
    print(f"fetched {len(frame)} candles in {requests} requests, {elapsed:.2f} s")
    print(f"429s: {emu.rejected}")
    print(f"budget use (ccxt cost units): {use_cost:.1%}")
    print(f"raw requests per minute / budget: {use_raw:.1%}")


if __name__ == "__main__":
    main()
