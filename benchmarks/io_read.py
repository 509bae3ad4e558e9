"""Read a symbol-month of 1m candles (44,640 rows) from the `ohlcv` hypertable.

Compares, on the same rows (3 symbols x one month stored, one symbol read):
  - the IO manager (`CoinwatchIOManager.load_input` for the 31 days of one symbol: grouped
    binary arrays decoded with numpy);
  - `pd.read_sql` of the same query (`SELECT * ... WHERE <slice> ORDER BY <key>`);
  - the previous IO manager path: CSV `COPY (...) TO STDOUT` parsed by pandas.
Prints milliseconds (median of --repeat after a warm-up) and each against `pd.read_sql`. Uses
COINWATCH_DATABASE_URL if set, else starts a private TimescaleDB cluster. `io_write.py` runs
this too, so one run of it prints write and read figures.

    python benchmarks/io_read.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_db import timescale_database  # noqa: E402
from coinwatch_assets.defs.storage import (  # noqa: E402
    CoinwatchIOManager,
    DatabaseResource,
    partition_slice,
)
from coinwatch_assets.lib.storage.frames import normalize_read  # noqa: E402
from coinwatch_assets.lib.storage.pg_copy import copy_out  # noqa: E402
from coinwatch_assets.lib.storage.schema import upgrade_database  # noqa: E402
from coinwatch_assets.lib.storage.store import Storage  # noqa: E402
from coinwatch_assets.lib.storage.tables import table_spec  # noqa: E402

SPEC = table_spec("ohlcv")
MONTH = ("2024-03-01", "2024-03-31")
SYMBOLS = ["BTC-USDT", "ETH-USDT", "SOL-USDT"]


def month_frame(symbol: str) -> pd.DataFrame:
    ts = pd.date_range(MONTH[0], periods=31 * 1440, freq="1min", tz="UTC")
    close = 100.0 + (pd.Series(range(len(ts))) % 977) * 0.01
    return pd.DataFrame(
        {
            "exchange": "binance",
            "symbol": symbol,
            "timeframe": "1m",
            "ts": ts,
            "open": close - 0.005,
            "high": close + 0.02,
            "low": close - 0.02,
            "close": close,
            "volume": close * 3.0,
        }
    )


def medians_ms(variants: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median ms per variant; rounds interleave the variants, so load spikes hit all alike."""
    for fn in variants.values():
        fn()  # warm-up: connection pool, lazy imports, the server's caches
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeat):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    for name, values in times.items():
        print(f"  {name}: {', '.join(f'{t:.0f}' for t in values)} ms", flush=True)
    return {name: statistics.median(values) for name, values in times.items()}


def run_read(url: str, repeat: int) -> dict[str, float]:
    """Store 3 symbol-months, time the variants reading one, print the table; returns ms."""
    upgrade_database(url)  # TimescaleDB upgrades by explicit command, never on first use
    storage = Storage(url)
    storage.ensure_schema()
    pdef = dg.MultiPartitionsDefinition(
        {
            "date": dg.DailyPartitionsDefinition(start_date="2024-01-01"),
            "symbol": dg.DynamicPartitionsDefinition(name="symbols"),
        }
    )
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("symbols", SYMBOLS)
    pins = {"exchange": "binance", "timeframe": "1m"}
    for key in SYMBOLS:
        days = pd.date_range(*MONTH, freq="D").strftime("%Y-%m-%d")
        where = partition_slice(SPEC, "ohlcv", pdef, [f"{d}|{key}" for d in days])
        storage.write(SPEC, month_frame(key.replace("-", "/")), where.pinned(pins))
    with storage.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE ohlcv")

    key_range = dg.PartitionKeyRange(f"{MONTH[0]}|{SYMBOLS[0]}", f"{MONTH[1]}|{SYMBOLS[0]}")
    # the slice pins venue and timeframe, taken from the upstream asset's definition
    context = dg.build_input_context(
        asset_key=dg.AssetKey("ohlcv"),
        asset_partitions_def=pdef,
        asset_partition_key_range=key_range,
        instance=instance,
        upstream_output=dg.build_output_context(
            asset_key=dg.AssetKey("ohlcv"), definition_metadata=pins
        ),
    )
    manager = CoinwatchIOManager(database=DatabaseResource(url=url))
    keys = list(context.asset_partition_keys)
    where = partition_slice(SPEC, "ohlcv", pdef, keys).pinned(pins)
    stmt = (
        sa.select(*SPEC.table.columns)
        .where(where.where(SPEC.table))
        .order_by(*(SPEC.table.c[c] for c in SPEC.primary_key))
    )

    def csv_copy() -> pd.DataFrame:
        with storage.engine.connect() as conn:
            frame = copy_out(conn.connection.driver_connection, SPEC, stmt)
            conn.rollback()
        return normalize_read(SPEC, frame)

    # One entry per measured variant: adding a figure is adding a line here.
    variants: dict[str, Callable[[], pd.DataFrame]] = {
        "pd.read_sql (same query)": lambda: pd.read_sql(stmt, storage.engine),
        "io_manager load_input (binary arrays + numpy)": lambda: manager.load_input(context),
        "previous path: CSV COPY parsed by pandas": csv_copy,
    }
    loaded = manager.load_input(context)
    assert len(loaded) == 31 * 1440, len(loaded)
    pd.testing.assert_frame_equal(loaded, csv_copy())

    results = medians_ms(variants, repeat)
    base = results["pd.read_sql (same query)"]
    print(f"read: {len(loaded):,} rows (one symbol-month of 1m candles), median of {repeat}")
    print(f"{'method':50s} {'ms':>8s} {'vs read_sql':>12s}")
    for name, ms in results.items():
        print(f"{name:50s} {ms:8.1f} {base / ms:11.1f}x")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with timescale_database("bench_read", os.environ.get("COINWATCH_DATABASE_URL")) as url:
        run_read(url, args.repeat)


if __name__ == "__main__":
    main()
