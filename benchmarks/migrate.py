"""Schema upgrades: what they cost on a database full of candles, and what the check costs.

For TimescaleDB (a private cluster) and SQLite: builds the pre-revision schema (the frozen
`create_all` DDL the tests use), fills `ohlcv` with N 1-minute candles, then times
  - the adoption upgrade (compare with revision 0001, stamp, upgrade to head);
  - a second, no-op upgrade;
  - the per-process schema check the storage layer does on first use (median of 20).
Row counts before and after are printed: an upgrade rewrites nothing.

    python benchmarks/migrate.py [--rows 1000000]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coinwatch_assets.lib.storage.schema import ensure_current, upgrade_database  # noqa: E402
from coinwatch_assets_tests.lib.storage.legacy_schema import create_legacy_schema  # noqa: E402
from coinwatch_assets_tests.timescale import TimescaleCluster  # noqa: E402

_FILL = {
    "postgresql": (
        "INSERT INTO ohlcv SELECT 'binance', 'S' || (i % 10) || '/USDT', '1m', "
        "timestamptz '2024-01-01' + (i / 10) * interval '1 minute', 1, 2, 0.5, 1.5, 10 "
        "FROM generate_series(0, :n - 1) AS i"
    ),
    "sqlite": (
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < :n - 1) "
        "INSERT INTO ohlcv SELECT 'binance', 'S' || (i % 10) || '/USDT', '1m', "
        "datetime('2024-01-01', '+' || (i / 10) || ' minutes'), 1, 2, 0.5, 1.5, 10 FROM s"
    ),
}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(url: str, rows: int) -> None:
    create_legacy_schema(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(_FILL[engine.dialect.name]), {"n": rows})
    count = "SELECT count(*) FROM ohlcv"
    with engine.connect() as conn:
        before = conn.exec_driver_sql(count).scalar()
    adopt = _timed(lambda: upgrade_database(url))
    noop = _timed(lambda: upgrade_database(url))
    checks = [_timed(lambda: ensure_current(engine)) for _ in range(20)]
    with engine.connect() as conn:
        after = conn.exec_driver_sql(count).scalar()
    engine.dispose()
    print(f"{engine.dialect.name}: ohlcv rows before {before:,}, after {after:,}")
    print(f"  adopt + stamp + upgrade : {adopt * 1000:8.1f} ms")
    print(f"  second upgrade (no-op)  : {noop * 1000:8.1f} ms")
    print(f"  first-use schema check  : {statistics.median(checks) * 1000:8.1f} ms (median of 20)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    cluster = TimescaleCluster()
    cluster.start()
    try:
        bench(cluster.create_database("bench_migrate"), args.rows)
    finally:
        cluster.stop()
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{Path(tmp) / 'bench.sqlite'}", args.rows)


if __name__ == "__main__":
    main()
