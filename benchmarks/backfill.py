"""Backfill speed: 12 months x 1 symbol of 5m sample candles, one run vs one run per partition.

Both ways run the real `ohlcv` asset and its quality checks from coinwatch_assets.defs,
(sample source, IO manager, embedded SQLite data unless COINWATCH_DATABASE_URL is set),
in-process against the same kind of Dagster instance, a fresh one each: `--instance sqlite`
(the local default of `dagster dev`) or `--instance postgres` (dagster-postgres storage, as
deployed by docker/; a private cluster is started). Both end with the same 105k rows.
Prints both times and the ratio.

    python benchmarks/backfill.py [--months 12] [--instance sqlite|postgres|both]
    python benchmarks/backfill.py --processes [--sample-runs 20]

`--processes` measures what a user pays: every run is its own `dagster asset materialize`
process (code location load included), as with Dagster's default run launcher. The single
run uses `--partition-range`; the per-partition side times `--sample-runs` runs and scales
them to all months (printed as such). Partition keys come from lib/market/grain.py.
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import dagster as dg
import psycopg

# Sets the sample venue's COINWATCH_* variables; coinwatch_assets is imported after it.
from bench_setup import QUIET, RANGE, postgres_instance

from coinwatch_assets.lib.market.grain import join_key, month_keys

WORK = Path(tempfile.mkdtemp(prefix="coinwatch-backfill-"))


def run(months: list[str], single: bool, tag: str) -> tuple[float, int, int]:
    from coinwatch_assets.definitions import defs
    from coinwatch_assets.defs.market.venue import build_venue
    from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
    from coinwatch_assets.lib.venues import venue_from_env

    database = DatabaseResource(
        url=os.environ.get("COINWATCH_DATABASE_URL"), sqlite_path=str(WORK / f"{tag}.sqlite")
    )
    venue = build_venue(venue_from_env())  # the COINWATCH_* venue: unprefixed keys
    ohlcv, ohlcv_quality_checks = venue.ohlcv, venue.quality_checks

    resources = {
        **defs.resources,
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }
    with make_instance(tag) as instance:
        instance.add_dynamic_partitions("symbols", ["BTC-USDT"])
        started = time.perf_counter()
        if single:
            result = dg.materialize(
                [ohlcv, ohlcv_quality_checks],
                instance=instance,
                tags={
                    RANGE[0]: join_key(months[0], "BTC-USDT"),
                    RANGE[1]: join_key(months[-1], "BTC-USDT"),
                },
                run_config=QUIET,
                resources=resources,
            )
            assert result.success
        else:
            for month in months:
                result = dg.materialize(
                    [ohlcv, ohlcv_quality_checks],
                    instance=instance,
                    partition_key=join_key(month, "BTC-USDT"),
                    run_config=QUIET,
                    resources=resources,
                )
                assert result.success
        seconds = time.perf_counter() - started
        runs = len(instance.get_run_records())
    rows = len(database.read("ohlcv"))
    database.storage().dispose()
    return seconds, rows, runs


_PG = {}


@contextlib.contextmanager
def make_instance(tag: str):
    home = WORK / tag
    home.mkdir()
    if not _PG:
        with dg.instance_for_test(temp_dir=str(home)) as instance:
            yield instance
        return
    cluster = _PG["cluster"]
    with psycopg.connect(cluster.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{tag}"')
    # psycopg2 scheme: dagster-postgres fails on psycopg 3 (see README, Instance storage).
    with postgres_instance(home, cluster.url(tag, driver="psycopg2")) as instance:
        yield instance


def run_processes(months: list[str], sample_runs: int) -> None:
    import subprocess

    home = WORK / "cli"
    home.mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "COINWATCH_SQLITE_PATH": str(WORK / "cli.sqlite"),
    }
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import dagster as dg; dg.DagsterInstance.get().add_dynamic_partitions("
            "'symbols', ['BTC-USDT'])",
        ],
        env=env,
        check=True,
    )
    cli = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m"]
    cli += ["coinwatch_assets.definitions", "--select", "ohlcv"]

    def timed_cli(*extra: str) -> float:
        started = time.perf_counter()
        subprocess.run([*cli, *extra], env=env, check=True, capture_output=True)
        return time.perf_counter() - started

    first, last = join_key(months[0], "BTC-USDT"), join_key(months[-1], "BTC-USDT")
    one = timed_cli("--partition-range", f"{first}...{last}")
    step = max(1, len(months) // sample_runs)
    sampled = [
        timed_cli("--partition", join_key(m, "BTC-USDT")) for m in months[::step][:sample_runs]
    ]
    per_run = sum(sampled) / len(sampled)
    print(f"run per process: {len(months)} months x 1 symbol of 5m sample candles")
    print(f"  single-run backfill : {one:8.2f} s in 1 run")
    print(
        f"  run per partition   : {per_run * len(months):8.2f} s for {len(months)} runs "
        f"(measured {len(sampled)} runs, mean {per_run:.2f} s each, scaled)"
    )
    print(f"  single run is {per_run * len(months) / one:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--instance", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--processes", action="store_true")
    parser.add_argument("--sample-runs", type=int, default=20)
    args = parser.parse_args()
    first = date(2025, 1, 1)
    months = month_keys(first, date(2025 + (args.months - 1) // 12, (args.months - 1) % 12 + 1, 1))
    if args.processes:
        run_processes(months, args.sample_runs)
        return
    kinds = ["sqlite", "postgres"] if args.instance == "both" else [args.instance]
    for kind in kinds:
        if kind == "postgres":
            from coinwatch_assets_tests.timescale import TimescaleCluster

            _PG["cluster"] = TimescaleCluster()
            _PG["cluster"].start()
        try:
            one_s, one_rows, one_runs = run(months, single=True, tag=f"single_{kind}")
            many_s, many_rows, many_runs = run(months, single=False, tag=f"per_partition_{kind}")
        finally:
            if _PG:
                _PG.pop("cluster").stop()
        assert one_rows == many_rows, (one_rows, many_rows)
        print(
            f"{kind} instance: {args.months} months x 1 symbol of 5m sample candles "
            f"({one_rows:,} rows each way)"
        )
        print(f"  single-run backfill : {one_s:8.2f} s in {one_runs} run")
        print(f"  run per partition   : {many_s:8.2f} s in {many_runs} runs")
        print(f"  single run is {many_s / one_s:.1f}x faster")


if __name__ == "__main__":
    main()
