"""One symbol-year of 1m candles: archive path (data.binance.vision files) vs REST path.

    .venv/bin/python benchmarks/archive.py [--year 2023] [--window-seconds 60] [--concurrency 4]

Both paths run the real clients over loopback: the archive path is `ArchivedSource` against
the data.binance.vision emulator (12 monthly zips with .CHECKSUM files, verified and parsed);
the REST path is ccxt's Binance client (`ExchangeSource`, 1000-candle pages) against the
Binance emulator enforcing Binance's documented REST budget: 6,000 request weight per minute,
klines weigh 2 (confirmed in Binance's spot API "limits" page and ccxt's binance cost table,
0.4 = 0.2 x weight 2). The client's own budget is the same (`requests_per_minute=1200`: ccxt
cost units of 5 weight). `--window-seconds N` scales the minute to N seconds with the same
weight limit (the client's budget scaled alike), to shorten the REST path; it is printed.
Printed: both times, the ratio, bytes downloaded, requests, 429s, and rows/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

SYMBOL, MARKET_ID = "BTC/USDT", "BTCUSDT"


def year_of_candles(year: int):
    import numpy as np

    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp() * 1000)
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp() * 1000)
    ts = np.arange(start, end, 60_000, dtype=np.int64)
    rng = np.random.default_rng(7)
    close = 20_000 * np.exp(np.cumsum(rng.normal(0, 0.0005, len(ts))))
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.0005, len(ts)))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.0005, len(ts)))
    volume = rng.gamma(2.0, 5.0, len(ts))
    rows = np.column_stack([ts, open_, high, low, close, volume])
    return np.round(rows, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--window-seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    from coinwatch_assets.lib.sources.exchange import ExchangeSource
    from coinwatch_assets.lib.sources.factory import build_source
    from coinwatch_assets.lib.sources.retry import RetryPolicy
    from coinwatch_assets_tests.emulators.binance import BinanceEmulator
    from coinwatch_assets_tests.emulators.binance_vision import BinanceVisionEmulator
    from coinwatch_assets_tests.emulators.binance_weights import DOCUMENTED_LIMIT, WeightBudget

    candles = year_of_candles(args.year)
    start = datetime(args.year, 1, 1, tzinfo=UTC)
    end = datetime(args.year + 1, 1, 1, tzinfo=UTC)
    rpm = round(1200 * 60 / args.window_seconds)  # ccxt cost units: 5 weight each
    print(f"{len(candles):,} 1m candles of {SYMBOL}, {start:%Y-%m-%d} -> {end:%Y-%m-%d}")
    print(
        f"REST budget: {DOCUMENTED_LIMIT} weight per {args.window_seconds:g} s "
        f"({'Binance documented' if args.window_seconds == 60 else 'scaled from 60 s'}), "
        "klines weight 2, 1000 candles per request"
    )
    with BinanceEmulator() as rest, BinanceVisionEmulator() as vision:
        rest.add_market(SYMBOL, candles, interval="1m", quote_volume=1e9)
        for month in range(1, 13):
            vision.publish_candles(MARKET_ID, "1m", "monthly", f"{args.year}-{month:02d}", candles)
        rest.weights = WeightBudget(DOCUMENTED_LIMIT, args.window_seconds)

        archived = build_source(
            "live",
            "binance",
            rest.ccxt_config(),
            requests_per_minute=rpm,
            archive="binance_vision",
            archive_url=vision.base_url,
            archive_concurrency=args.concurrency,
        )
        began = time.perf_counter()
        from_archive = archived.fetch_ohlcv(SYMBOL, "1m", start, end, now=end)
        archive_s = time.perf_counter() - began
        stats = archived.stats  # type: ignore[attr-defined]
        archive_requests = sum(rest.request_counts.values())

        plain = ExchangeSource(
            "binance",
            rest.ccxt_config(),
            requests_per_minute=rpm,
            retry=RetryPolicy(max_attempts=8, budget_window=args.window_seconds),
        )
        plain.list_markets(symbols=[SYMBOL])  # markets load before the timed fetch
        rest.request_counts.clear()
        began = time.perf_counter()
        from_rest = plain.fetch_ohlcv(SYMBOL, "1m", start, end, now=end)
        rest_s = time.perf_counter() - began
        klines = rest.request_counts["/api/v3/klines"]

    assert len(from_archive) == len(from_rest) == len(candles), "both paths must be complete"
    assert (from_archive["close"].to_numpy() == from_rest["close"].to_numpy()).all()
    rows = len(candles)
    print(
        f"archive path: {archive_s:7.2f} s  {rows / archive_s:>11,.0f} rows/s  "
        f"{stats.files_downloaded} files, {stats.bytes_downloaded / 1e6:.1f} MB downloaded "
        f"(concurrency {args.concurrency}), {archive_requests} REST requests"
    )
    print(
        f"REST path:    {rest_s:7.2f} s  {rows / rest_s:>11,.0f} rows/s  "
        f"{klines} klines requests = {2 * klines} weight, "
        f"{rest.weights.refused} answered 429"
    )
    print(f"archive is {rest_s / archive_s:.1f}x faster (goal >= 10x); identical candles")
    floor = 2 * klines / DOCUMENTED_LIMIT * args.window_seconds
    print(
        f"budget floor of the REST path: {floor:.1f} s per symbol-year at the budget alone "
        f"(one client per IP); a 500-symbol universe: {500 * floor / 60:.0f} min"
    )


if __name__ == "__main__":
    main()
