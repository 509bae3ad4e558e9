"""The CoinGecko client against the local emulator: raw call rate, and the budget held.

    .venv/bin/python benchmarks/coingecko.py [--calls 200] [--budget 20] [--window 2]

Two figures: calls/s of GET /coins/markets (10 coins) with an unlimited budget (httpx, JSON
parsing, the breaker and tenacity wrappers), and a burst of `--budget` x 3 calls under
`--budget` calls per `--window` seconds: the most calls the emulator saw in any window, and
the time the burst took (the budget, not the client, sets it). Needs ../shared/data.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--budget", type=int, default=20)
    parser.add_argument("--window", type=int, default=2)
    args = parser.parse_args()

    from coinwatch_assets.lib.fundamentals.client import ClientPolicy, CoinGeckoClient
    from coinwatch_assets.lib.fundamentals.guards import forget_guards
    from coinwatch_assets_tests.emulators.coingecko import CoinGeckoEmulator

    params = {"vs_currency": "usd", "per_page": 250}
    with CoinGeckoEmulator() as emu:
        emu.add_many(10)
        client = CoinGeckoClient(emu.api_url, policy=ClientPolicy(calls_per_minute=10**6))
        client.get("/coins/markets", params)  # warm-up: connection, imports
        started = time.perf_counter()
        for _ in range(args.calls):
            client.get("/coins/markets", params)
        rate = args.calls / (time.perf_counter() - started)
        print(f"unthrottled: {rate:,.0f} calls/s ({args.calls} x GET /coins/markets, 10 coins)")

        forget_guards()
        emu.calls.clear()
        policy = ClientPolicy(calls_per_minute=args.budget, budget_window_seconds=args.window)
        client = CoinGeckoClient(emu.api_url, policy=policy)
        burst = args.budget * 3
        started = time.perf_counter()
        for _ in range(burst):
            client.get("/ping")
        took = time.perf_counter() - started
        seen = emu.max_calls_in_window(float(args.window))
        print(
            f"budget {args.budget}/{args.window} s: {burst} calls took {took:.2f} s; the "
            f"emulator saw at most {seen} in any {args.window} s window"
        )


if __name__ == "__main__":
    main()
