"""The consumer views and the freqtrade export on a table full of candles.

For TimescaleDB (a private cluster, or --url) and SQLite: fills `ohlcv` with N 1-minute
candles of 10 symbols (every 997th minute missing), then times
  - a query of each view (`SELECT * FROM <view>`, median of 3);
  - the coverage per calendar month (the `coverage_by_month` check's computation);
  - a full freqtrade export of the 10 pairs, then an incremental one with nothing new.

    python benchmarks/consumers.py [--rows 1000000] [--url postgresql+psycopg://...]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_db import timescale_database  # noqa: E402
from coinwatch_assets.lib.consumers.coverage import coverage_by_month  # noqa: E402
from coinwatch_assets.lib.consumers.freqtrade import export_freqtrade  # noqa: E402
from coinwatch_assets.lib.consumers.views import VIEWS, read_view  # noqa: E402
from coinwatch_assets.lib.storage.schema import upgrade_database  # noqa: E402
from coinwatch_assets.lib.storage.store import Storage  # noqa: E402

_FILL = {
    "postgresql": (
        "INSERT INTO ohlcv SELECT 'binance', 'S' || (i % 10) || '/USDT', '1m', "
        "timestamptz '2024-01-01 00:00:00+00' + (i / 10) * interval '1 minute', 1, 2, 0.5, 1.5, 10 "
        "FROM generate_series(0, :n - 1) AS i WHERE (i / 10) % 997 <> 996"
    ),
    # SQLAlchemy's SQLite text format, microseconds included
    "sqlite": (
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < :n - 1) "
        "INSERT INTO ohlcv SELECT 'binance', 'S' || (i % 10) || '/USDT', '1m', "
        "strftime('%Y-%m-%d %H:%M:%f', '2024-01-01', '+' || (i / 10) || ' minutes') || '000', "
        "1, 2, 0.5, 1.5, 10 FROM s WHERE (i / 10) % 997 <> 996"
    ),
}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(url: str, rows: int, scratch: Path) -> None:
    upgrade_database(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(_FILL[engine.dialect.name]), {"n": rows})
    engine.dispose()
    storage = Storage(url)
    backend = storage.backend
    for view in VIEWS:
        median = statistics.median(_timed(lambda v=view: read_view(storage, v)) for _ in range(3))
        print(f"{backend}: SELECT * FROM {view}: {median * 1000:.0f} ms")
    print(f"{backend}: coverage per month: {_timed(lambda: coverage_by_month(storage)):.2f} s")
    dest = scratch / backend
    full = _timed(lambda: export_freqtrade(storage, "binance", "1m", dest))
    again = _timed(lambda: export_freqtrade(storage, "binance", "1m", dest))
    print(f"{backend}: freqtrade export of {rows} candles (10 pairs): {full:.2f} s")
    print(f"{backend}: incremental export, nothing new: {again:.2f} s")
    storage.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", help="a TimescaleDB database at schema head (default: private)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        bench(f"sqlite:///{Path(scratch) / 'bench.sqlite'}", args.rows, Path(scratch))
        with timescale_database("bench_consumers", args.url) as url:
            bench(url, args.rows, Path(scratch))


if __name__ == "__main__":
    main()
