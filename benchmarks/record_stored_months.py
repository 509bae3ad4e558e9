"""The upgrade from the day grain: what `record_stored_months_job`'s work costs.

Fills `ohlcv` with S symbols x M months of 5m candles (SQL, no Dagster), then, against a
fresh Dagster instance, times
  - the grouped count of `ohlcv` (one query);
  - the first run (a grouped count per table: `ohlcv`, its bars, `indicators`, and one
    runless materialization per stored month x symbol);
  - a second run (nothing new to record).
SQLite data + SQLite instance, and TimescaleDB data + PostgreSQL instance (a private cluster).

    python benchmarks/record_stored_months.py [--symbols 20] [--months 24] [--sqlite-only]
"""

import argparse
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

import dagster as dg
import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coinwatch_assets.defs.market.stored_months import record_stored_months  # noqa: E402
from coinwatch_assets.defs.market.venue import build_venue  # noqa: E402
from coinwatch_assets.lib.market.stored_months import stored_month_counts  # noqa: E402
from coinwatch_assets.lib.storage.schema import upgrade_database  # noqa: E402
from coinwatch_assets.lib.storage.store import Storage  # noqa: E402
from coinwatch_assets.lib.venues import Venue  # noqa: E402
from coinwatch_assets_tests.timescale import TimescaleCluster  # noqa: E402

VENUE = Venue(exchange="sample", timeframe="5m", start_date=date(2020, 1, 1))
_FILL = {
    "postgresql": (
        "INSERT INTO ohlcv SELECT :ex, 'S' || s || '/USDT', '5m', t, 1, 2, 0.5, 1.5, 10 "
        "FROM generate_series(0, :symbols - 1) AS s, generate_series(timestamptz "
        "'2020-01-01 00:00+00', timestamptz '2020-01-01 00:00+00' + :months * interval "
        "'1 month' - interval '5 minutes', interval '5 minutes') AS t"
    ),
    "sqlite": (
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < :symbols - 1),"
        " t(m) AS (SELECT 0 UNION ALL SELECT m + 5 FROM t WHERE m + 5 < :minutes) "
        "INSERT INTO ohlcv SELECT :ex, 'S' || i || '/USDT', '5m', strftime("
        "'%Y-%m-%d %H:%M:%S.000000', '2020-01-01', '+' || m || ' minutes'), 1, 2, 0.5, 1.5, 10 "
        "FROM s, t"
    ),
}


def _fill(url: str, symbols: int, months: int) -> int:
    upgrade_database(url)
    engine = sa.create_engine(url)
    end = date(2020 + months // 12, months % 12 + 1, 1)
    minutes = (end - date(2020, 1, 1)).days * 1440
    params = {"ex": VENUE.exchange_label, "symbols": symbols, "months": months}
    with engine.begin() as conn:
        conn.execute(sa.text(_FILL[engine.dialect.name]), {**params, "minutes": minutes})
        rows = conn.exec_driver_sql("SELECT count(*) FROM ohlcv").scalar()
    engine.dispose()
    return rows


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def bench(label: str, url: str, instance: dg.DagsterInstance, symbols: int, months: int) -> None:
    rows, fill = _timed(lambda: _fill(url, symbols, months))
    storage = Storage(url)
    storage.ensure_schema()  # once per process in any run: not part of the count
    pins = {"exchange": VENUE.exchange_label, "timeframe": VENUE.timeframe}
    counts, count = _timed(lambda: stored_month_counts(storage, "ohlcv", pins))
    venue_defs = build_venue(VENUE)
    first, first_s = _timed(lambda: record_stored_months(instance, [venue_defs], storage))
    second, second_s = _timed(lambda: record_stored_months(instance, [venue_defs], storage))
    recorded = sum(o.recorded for o in first)
    print(f"{label}: {rows:,} candles, {symbols} symbols x {months} months (fill {fill:.1f} s)")
    print(f"  grouped count of ohlcv   : {count * 1000:8.1f} ms -> {len(counts)} partitions")
    print(
        f"  first run                : {first_s:8.2f} s, {recorded} recorded "
        f"({first_s / max(recorded, 1) * 1000:.1f} ms per partition)"
    )
    print(
        f"  second run               : {second_s:8.2f} s, "
        f"{sum(o.recorded for o in second)} recorded, {sum(o.unchanged for o in second)} skipped"
    )


def main() -> None:
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, dg.instance_for_test(temp_dir=tmp) as instance:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        bench("SQLite data + SQLite instance", url, instance, args.symbols, args.months)
    if args.sqlite_only:
        return
    cluster = TimescaleCluster()
    cluster.start()
    try:
        url = cluster.create_database("bench_months")
        with psycopg.connect(cluster.dsn("postgres"), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "bench_months_dagster"')
        # psycopg2 scheme: dagster-postgres fails on psycopg 3 (see README, Instance storage).
        pg = {"postgres_url": cluster.url("bench_months_dagster", driver="psycopg2")}
        with dg.instance_for_test(overrides={"storage": {"postgres": pg}}) as instance:
            label = "TimescaleDB data + PostgreSQL instance"
            bench(label, url, instance, args.symbols, args.months)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
