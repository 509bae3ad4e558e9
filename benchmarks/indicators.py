"""Indicators speed: one symbol-year of 5m candles (105,120) in ONE single-run backfill.

Seeds the year of candles (a deterministic random walk, no holes) into `ohlcv` through the
storage layer, then materializes the real `indicators` asset of coinwatch_assets.defs for the
12 months of that symbol in one run (range tags, as a single-run backfill launches it) through
a real Dagster instance. The run reads the year plus its look-back days, computes, lists the
look-back holes of every month, records per-partition metadata and replaces the year's rows.
Prints the run's wall time, the time inside `compute_indicators`, rows written and rows/s.

    python benchmarks/indicators.py [--days 365]                 # temp SQLite file
    python benchmarks/indicators.py --database-url postgresql+psycopg://...   # TimescaleDB
    python benchmarks/indicators.py --timescale    # a private TimescaleDB cluster is started
"""

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

# Sets the sample venue's COINWATCH_* variables; coinwatch_assets is imported after it.
from bench_db import timescale_database
from bench_setup import QUIET, RANGE

FIRST = date(2025, 1, 1)


def candles(days: int, exchange: str) -> pd.DataFrame:
    """`days` x 288 5m candles of BTC/USDT from FIRST: a seeded log-normal walk."""
    from coinwatch_assets.lib.ohlcv_frame import to_canonical

    n = days * 288
    rng = np.random.default_rng(20250101)
    close = 60_000 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate(([60_000.0], close[:-1]))
    spread = np.abs(rng.normal(0, 0.001, n)) * close
    return to_canonical(
        pd.DataFrame(
            {
                "exchange": exchange,
                "symbol": "BTC/USDT",
                "timeframe": "5m",
                "ts": pd.date_range(pd.Timestamp(FIRST, tz="UTC"), periods=n, freq="5min"),
                "open": open_,
                "high": np.maximum(open_, close) + spread,
                "low": np.minimum(open_, close) - spread,
                "close": close,
                "volume": rng.gamma(2.0, 5.0, n),
            }
        )
    )


def run(days: int, url: str) -> None:
    from coinwatch_assets.defs.market.venue import build_venue, market_source_resource
    from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
    from coinwatch_assets.lib.market.grain import month_key
    from coinwatch_assets.lib.storage.schema import upgrade_database
    from coinwatch_assets.lib.storage.slices import Cell, Slice
    from coinwatch_assets.lib.storage.tables import table_spec
    from coinwatch_assets.lib.venues import venue_from_env

    upgrade_database(url)
    venue = build_venue(venue_from_env())  # the COINWATCH_* venue: unprefixed keys
    exchange = venue.venue.exchange_label
    database = DatabaseResource(url=url)
    storage = database.storage()
    frame = candles(days, exchange)
    end = pd.Timestamp(FIRST + timedelta(days=days), tz="UTC")
    cell = Cell(equals=(("symbol", "BTC/USDT"),), start=pd.Timestamp(FIRST, tz="UTC"), end=end)
    where = Slice("ohlcv", "ts", (cell,)).pinned({"exchange": exchange, "timeframe": "5m"})
    storage.write(table_spec("ohlcv"), frame, where)
    resources = {
        venue.source_key: market_source_resource(venue.venue),  # ohlcv's, not run here
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }
    first, last = month_key(FIRST), month_key(FIRST + timedelta(days=days - 1))
    with tempfile.TemporaryDirectory(prefix="coinwatch-indicators-") as home:
        with dg.instance_for_test(temp_dir=home) as instance:
            instance.add_dynamic_partitions("symbols", ["BTC-USDT"])
            started = time.perf_counter()
            result = dg.materialize(
                [venue.ohlcv, venue.indicators],
                selection=[venue.indicators.key],
                instance=instance,
                tags={RANGE[0]: f"{first}|BTC-USDT", RANGE[1]: f"{last}|BTC-USDT"},
                run_config=QUIET,
                resources=resources,
            )
            seconds = time.perf_counter() - started
            assert result.success
            events = result.get_asset_materialization_events()
    meta = events[0].materialization.metadata
    compute = float(meta["compute_seconds"].value)
    rows = int(meta["rows_written"].value)
    stored = len(database.read("indicators"))
    storage.dispose()
    assert rows == stored == len(frame), (rows, stored, len(frame))
    print(
        f"{storage.backend}: indicators of {days} days x 1 symbol of 5m candles "
        f"({len(frame):,} candles) in one single-run backfill ({len(events)} partitions)"
    )
    print(f"  run wall time             : {seconds:8.2f} s")
    print(f"  inside compute_indicators : {compute:8.3f} s")
    print(f"  rows written              : {rows:8,}")
    print(f"  rows/s (run wall time)    : {rows / seconds:10,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database-url", help="TimescaleDB URL (default: a temp SQLite file)")
    parser.add_argument("--timescale", action="store_true", help="start a private cluster")
    args = parser.parse_args()
    if args.timescale:
        with timescale_database("bench_indicators") as url:
            run(args.days, url)
        return
    with tempfile.TemporaryDirectory(prefix="coinwatch-indicators-db-") as work:
        run(args.days, args.database_url or f"sqlite:///{Path(work) / 'coinwatch.sqlite'}")


if __name__ == "__main__":
    main()
