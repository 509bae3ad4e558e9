"""Write 1M OHLCV rows (10 symbols x 100k 1-minute candles) into the `ohlcv` hypertable.

Compares, in one run and on the same hypertable (emptied before every try):
  - server-side `COPY ohlcv FROM '<file>' (FORMAT BINARY)` of the same rows, pre-encoded in a
    file the server reads itself: the server's own ingest limit, no client or network at all
    (needs a superuser role and a server on this machine; skipped otherwise);
  - the IO manager (`CoinwatchIOManager.handle_output` for a 10 symbols x 70 days selection:
    validation, slice delete, vectorised binary COPY, one transaction);
  - raw binary COPY of pre-encoded bytes (the server's ingest limit: no Python work at all);
  - psycopg's own binary COPY writer (`copy.write_row`);
  - `DataFrame.to_sql`.
Prints rows/s (median of 5 after a warm-up) and the ratios, then the symbol-month read figures
of `io_read.py`. Uses COINWATCH_DATABASE_URL if set, else starts a private TimescaleDB cluster
(needs scripts/install_timescaledb.sh).

    python benchmarks/io_write.py [--rows-per-symbol 100000] [--repeat 3] [--skip-read]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_db import timescale_database  # noqa: E402
from benchmarks.io_read import run_read  # noqa: E402
from coinwatch_assets.defs.storage import (  # noqa: E402
    CoinwatchIOManager,
    DatabaseResource,
    partition_slice,
)
from coinwatch_assets.lib.storage.frames import prepare_frame  # noqa: E402
from coinwatch_assets.lib.storage.pg_copy import (  # noqa: E402
    HEADER,
    TRAILER,
    _encode_group,
    copy_in,
    layout_groups,
)
from coinwatch_assets.lib.storage.schema import upgrade_database  # noqa: E402
from coinwatch_assets.lib.storage.store import Storage  # noqa: E402
from coinwatch_assets.lib.storage.tables import table_spec  # noqa: E402

SPEC = table_spec("ohlcv")
COLS = ", ".join(c.name for c in SPEC.table.columns)


def build_frame(symbols: list[str], per_symbol: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ts = pd.date_range("2024-01-01", periods=per_symbol, freq="1min", tz="UTC")
    parts = []
    for sym in symbols:
        close = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, per_symbol)))
        parts.append(
            pd.DataFrame(
                {
                    "exchange": "binance",
                    "symbol": sym,
                    "timeframe": "1m",
                    "ts": ts,
                    "open": close * 0.999,
                    "high": close * 1.002,
                    "low": close * 0.997,
                    "close": close,
                    "volume": rng.uniform(1, 100, per_symbol),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class Variant:
    """One measured way of writing the frame; `reset` runs untimed before every try."""

    name: str
    fn: Callable[[], None]
    reset: Callable[[], None]


def timed(fn, reset, repeat: int) -> float:
    # One untimed warm-up: first calls pay one-off costs (allocator growth, lazy imports).
    reset()
    fn()
    times = []
    for _ in range(repeat):
        reset()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    print(f"  {fn.__name__}: {', '.join(f'{t:.2f}' for t in times)} s", flush=True)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-symbol", type=int, default=100_000)
    parser.add_argument("--symbols", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-to-sql", action="store_true")
    parser.add_argument("--skip-read", action="store_true")
    parser.add_argument("--skip-rewrite", action="store_true")
    parser.add_argument("--read-repeat", type=int, default=15)
    args = parser.parse_args()

    with timescale_database("bench", os.environ.get("COINWATCH_DATABASE_URL")) as url:
        run(url, args)
        if not args.skip_read:
            print()
            run_read(url, args.read_repeat)


def run(url: str, args: argparse.Namespace) -> None:
    upgrade_database(url)  # TimescaleDB upgrades by explicit command, never on first use
    storage = Storage(url)
    storage.ensure_schema()
    engine = storage.engine
    keys = [f"S{i:02d}-USDT" for i in range(args.symbols)]
    frame = build_frame([k.replace("-", "/") for k in keys], args.rows_per_symbol)
    n = len(frame)
    days = int(np.ceil(args.rows_per_symbol / 1440))
    end_day = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=days - 1)).strftime("%Y-%m-%d")

    def truncate() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE ohlcv")

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("symbols", keys)
    pdef = dg.MultiPartitionsDefinition(
        {
            "date": dg.DailyPartitionsDefinition(start_date="2024-01-01"),
            "symbol": dg.DynamicPartitionsDefinition(name="symbols"),
        }
    )
    manager = CoinwatchIOManager(database=DatabaseResource(url=url))

    # Dagster builds the output context before it calls the IO manager; build them ahead (a
    # context takes metadata once) so that only `handle_output` (validation, slice delete,
    # COPY) is timed.
    contexts = [
        dg.build_output_context(
            asset_key=dg.AssetKey("ohlcv"),
            asset_partitions_def=pdef,
            asset_partition_key_range=dg.PartitionKeyRange(
                f"2024-01-01|{keys[0]}", f"{end_day}|{keys[-1]}"
            ),
            instance=instance,
            # the slice pins venue and timeframe, taken from the asset's definition
            definition_metadata={"exchange": "binance", "timeframe": "1m"},
        )
        for _ in range(2 * args.repeat + 2)
    ]

    def via_io_manager() -> None:
        manager.handle_output(contexts.pop(), frame)

    run_keys = pdef.get_partition_keys_in_range(
        dg.PartitionKeyRange(f"2024-01-01|{keys[0]}", f"{end_day}|{keys[-1]}"),
        dynamic_partitions_store=instance,
    )
    where = partition_slice(SPEC, "ohlcv", pdef, run_keys).pinned(
        {"exchange": "binance", "timeframe": "1m"}
    )
    storage = Storage(url)

    def replace() -> None:
        storage.write(SPEC, frame, where, replace=True)

    prepared = prepare_frame(SPEC, frame, "bench")
    rows = prepared.rows
    kinds = ["text", "text", "text", "timestamptz", "float", "float", "float", "float", "float"]
    payload = b"".join(
        [HEADER]
        + [
            _encode_group(rows.iloc[idx], kinds, flags)
            for flags, idx in layout_groups(SPEC, prepared)
        ]
        + [TRAILER]
    )

    def raw_copy() -> None:
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY ohlcv ({COLS}) FROM STDIN (FORMAT BINARY)") as cp,
            ):
                for lo in range(0, len(payload), 1 << 23):
                    cp.write(payload[lo : lo + (1 << 23)])

    def psycopg_rows() -> None:
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY ohlcv ({COLS}) FROM STDIN (FORMAT BINARY)") as cp,
            ):
                cp.set_types(["text"] * 3 + ["timestamptz"] + ["float8"] * 5)
                for row in rows.itertuples(index=False):
                    cp.write_row(row)

    def our_copy_only() -> None:
        with engine.begin() as conn:
            copy_in(conn.connection.driver_connection, SPEC, prepared)

    def to_sql() -> None:
        frame.to_sql("ohlcv", engine, if_exists="append", index=False, chunksize=50_000)

    server_file = _server_readable_file(payload)

    def server_copy_from_file() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"COPY ohlcv ({COLS}) FROM '{server_file}' (FORMAT BINARY)")

    # Order matters: the baselines run first, so any warm-up the server needs is charged to
    # them, not to us. One line per variant: adding a figure is adding a line here.
    variants = [
        Variant("server COPY FROM file (binary)", server_copy_from_file, truncate),
        Variant("raw binary COPY (pre-encoded bytes)", raw_copy, truncate),
        Variant("io_manager first write (validate + COPY, one txn)", via_io_manager, truncate),
        Variant("vectorised encoder + COPY (no validation)", our_copy_only, truncate),
        Variant("psycopg binary COPY write_row", psycopg_rows, truncate),
    ]
    if not args.skip_rewrite:
        variants.insert(
            3,
            Variant("io_manager unchanged re-write (staged upsert)", via_io_manager, lambda: None),
        )
        # Yesterday's semantics and today's explicit replacement: delete the slice + COPY.
        variants.insert(
            4, Variant("replace re-write (delete + COPY, one txn)", replace, lambda: None)
        )
    if not args.skip_to_sql:
        variants.append(Variant("DataFrame.to_sql", to_sql, truncate))
    results: dict[str, float] = {}
    try:
        for v in variants:
            try:
                results[v.name] = timed(v.fn, v.reset, args.repeat)
            except sa.exc.DBAPIError as exc:
                if v.fn is not server_copy_from_file:
                    raise
                # not a superuser, or the server runs on another machine
                print(f"  {v.name}: skipped ({str(exc.orig).strip().splitlines()[0]})")
    finally:
        server_file.unlink(missing_ok=True)
        server_file.parent.rmdir()
    with engine.connect() as conn:
        server = conn.execute(
            sa.text("SELECT extversion FROM pg_extension WHERE extname='timescaledb'")
        ).scalar()
    raw_rate = n / results["raw binary COPY (pre-encoded bytes)"]
    file_seconds = results.get("server COPY FROM file (binary)")
    file_rate = n / file_seconds if file_seconds else None
    print(
        f"rows: {n:,} ({args.symbols} symbols x {args.rows_per_symbol:,} 1m candles), "
        f"timescaledb {server}, median of {args.repeat}"
    )
    print(f"{'method':50s} {'seconds':>8s} {'rows/s':>12s} {'vs raw COPY':>12s} {'vs server':>10s}")
    for name, seconds in results.items():
        rate = n / seconds
        vs_file = f"{rate / file_rate:9.0%}" if file_rate else "        -"
        print(f"{name:50s} {seconds:8.2f} {rate:12,.0f} {rate / raw_rate:11.0%} {vs_file}")
    first = results["io_manager first write (validate + COPY, one txn)"]
    unchanged = results.get("io_manager unchanged re-write (staged upsert)")
    replaced = results.get("replace re-write (delete + COPY, one txn)")
    if unchanged and replaced:
        print(
            f"unchanged re-write: {replaced / unchanged:.2f}x faster than delete + COPY "
            "(goal >= 1.5x)"
        )
    if file_seconds:
        print(
            f"io_manager first write: {file_seconds / first:.0%} of the server's own ingest limit "
            "(server-side COPY FROM file, binary format; goal >= 85%)"
        )


def _server_readable_file(payload: bytes) -> Path:
    """The pre-encoded rows in a file the server (running as user postgres) can read."""
    folder = Path(tempfile.mkdtemp(prefix="coinwatch-bench-"))
    folder.chmod(0o755)
    path = folder / "ohlcv.pgcopy"
    path.write_bytes(payload)
    path.chmod(0o644)
    return path


if __name__ == "__main__":
    main()
