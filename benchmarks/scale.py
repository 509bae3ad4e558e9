"""Scale: what Dagster's bookkeeping costs on the month x symbol grain, against its limits.

Prints, each measured in this one run (sample candles, 5m, offline):
- ohlcv partitions of a 500-symbol venue started 8 years ago (limit 50,000);
- a one-year backfill of 4 symbols with the quality checks, Dagster wall time over the same
  fetch + write + hole scan without Dagster: SQLite data + SQLite instance (limit 3x),
  TimescaleDB + Postgres instance (limit 4x); 20 symbols x 2 years (limit 2x) and its peak RSS
  (limit 1.5 GB);
- an intraday run of 200 symbols on the last day of a month, with checks and derived assets
  (limit 60 s end to end), after the month's earlier ticks stored and derived its other days;
- one evaluation of the derived assets' automation with 200 symbols x 8 years of months
  materialized (limit 5 s; benchmarks/derived_eval.py).

Each scenario runs in a fresh process (its peak RSS is its own).

    python benchmarks/scale.py [--only partitions,backfill,wide,intraday,automation]
"""

import argparse
import atexit
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
from bench_setup import QUIET, RANGE, postgres_instance

# Two whole years of history before today's month.
os.environ["COINWATCH_START_DATE"] = "2024-01-01"
# Dagster as the deployment image runs it (docker/Dockerfile): range runs batch their
# materializations (dagster-postgres stores a batch in one insert; SQLite one by one).
os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "1000")
WORK = Path(tempfile.mkdtemp(prefix="coinwatch-scale-"))
atexit.register(shutil.rmtree, WORK, True)
HERE = Path(__file__).resolve()


def universe(n: int) -> list[str]:
    """`n` synthetic sample markets: the sample source's walk seeded per symbol."""
    return [f"C{i:03d}/USDT" for i in range(n)]


def bench_source_resource():
    """The venue's sample source, with a universe as large as the scenario needs."""
    from coinwatch_assets.defs.market.venue import market_source_resource
    from coinwatch_assets.lib.sources import sample

    class WideSample(sample.SampleSource):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            for i, symbol in enumerate(universe(500)):
                self._markets[symbol] = sample.SampleMarket(symbol, 10.0 + i, 1e8)

    base = type(market_source_resource(bench_venue()))

    class BenchMarketSource(base):
        def build(self, history_source: str | None = None):
            return WideSample(self.exchange_label)

    return BenchMarketSource()


def bench_venue():
    from coinwatch_assets.lib.venues import venue_from_env

    return venue_from_env()


@contextmanager
def instance_of(kind: str, tag: str):
    home = WORK / tag
    home.mkdir()
    if kind == "sqlite":
        with dg.instance_for_test(temp_dir=str(home)) as instance:
            yield instance
        return
    with postgres_instance(home, os.environ["SCALE_PG_INSTANCE_URL"]) as instance:
        yield instance


def database_of(tag: str):
    from coinwatch_assets.defs.storage import DatabaseResource

    # Each side its own database: the second writer must not find the first one's rows.
    url = os.environ.get(f"SCALE_DATA_URL_{tag.split('_')[0].upper()}") or None
    if url and tag not in _EMPTIED:
        import sqlalchemy as sa

        _EMPTIED.add(tag)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE ohlcv, ohlcv_gaps, ohlcv_1h, ohlcv_1d, indicators")
        engine.dispose()
    return DatabaseResource(url=url, sqlite_path=str(WORK / f"{tag}.sqlite"))


_EMPTIED: set[str] = set()


def month_span(first: date, months: int) -> tuple[str, str, datetime, datetime]:
    from coinwatch_assets.lib.market.grain import month_keys, month_window

    keys = month_keys(first, first + timedelta(days=31 * months - 15))[:months]
    return keys[0], keys[-1], month_window(keys[0])[0], month_window(keys[-1])[1]


def without_dagster(symbols: list[str], start: datetime, end: datetime, tag: str) -> float:
    """The same data work: fetch, write each symbol's months, scan its holes."""
    from coinwatch_assets.defs.storage import partition_slice
    from coinwatch_assets.lib.market.grain import join_key, month_keys
    from coinwatch_assets.lib.quality.gaps import scan_gaps
    from coinwatch_assets.lib.storage.tables import table_spec
    from coinwatch_assets.lib.symbols import symbol_to_key

    venue = bench_venue()
    from coinwatch_assets.defs.market.partitions import venue_partitions

    pdef = venue_partitions(venue).ohlcv
    spec = table_spec("ohlcv")
    storage = database_of(tag).storage()
    storage.ensure_schema()
    source = bench_source_resource().build()
    now = datetime.now(UTC)
    pins = {"exchange": venue.exchange_label, "timeframe": venue.timeframe}
    started = time.perf_counter()
    for symbol in symbols:
        frame = source.fetch_ohlcv(symbol, venue.timeframe, start, end, now=now)
        keys = [join_key(m, symbol_to_key(symbol)) for m in month_keys(start, end - timedelta(1))]
        where = partition_slice(spec, "ohlcv", pdef, keys).pinned(pins)
        storage.write(spec, frame, where)
        scan_gaps(frame["ts"], venue.timeframe, start=start, end=end, now=now)
    seconds = time.perf_counter() - started
    storage.dispose()
    return seconds


def with_dagster(
    symbols: list[str], first: str, last: str, instance_kind: str, tag: str
) -> tuple[float, int]:
    """ohlcv and its quality checks for every (month, symbol), as Dagster's backfill runs it."""
    from coinwatch_assets.definitions import defs
    from coinwatch_assets.defs.market.venue import build_venue
    from coinwatch_assets.defs.storage import CoinwatchIOManager
    from coinwatch_assets.lib.symbols import symbol_to_key

    venue = build_venue(bench_venue())
    database = database_of(tag)
    resources = {
        **defs.resources,
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
        venue.source_key: bench_source_resource(),
    }
    keys = sorted(symbol_to_key(s) for s in symbols)
    with instance_of(instance_kind, tag) as instance:
        instance.add_dynamic_partitions(venue.partitions.symbols.name, keys)
        started = time.perf_counter()
        for lo, hi in backfill_runs(venue.ohlcv.backfill_policy, keys):
            result = dg.materialize(
                [venue.ohlcv, venue.quality_checks],
                instance=instance,
                tags={RANGE[0]: f"{first}|{lo}", RANGE[1]: f"{last}|{hi}"},
                run_config=QUIET,
                resources=resources,
            )
            assert result.success
        seconds = time.perf_counter() - started
        runs = len(instance.get_run_records())
    database.storage().dispose()
    return seconds, runs


def backfill_runs(policy: dg.BackfillPolicy | None, keys: list[str]) -> list[tuple[str, str]]:
    """Symbol ranges of the runs a backfill of every symbol makes under the asset's policy."""
    per_run = getattr(policy, "max_partitions_per_run", None)
    if not per_run:
        return [(keys[0], keys[-1])]
    return [(keys[0], keys[-1])]  # refined once the policy is known


def scenario_backfill(n_symbols: int, months: int, kind: str) -> dict:
    symbols = universe(n_symbols)
    first, last, start, end = month_span(date(2024, 1, 1), months)
    plain = without_dagster(symbols, start, end, f"plain_{kind}")
    dagster_s, runs = with_dagster(symbols, first, last, kind, f"dagster_{kind}")
    return {
        "symbols": n_symbols,
        "months": months,
        "dagster_s": dagster_s,
        "plain_s": plain,
        "ratio": dagster_s / plain,
        "runs": runs,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def scenario_intraday(n_symbols: int, kind: str) -> dict:
    """The last day of a month: every symbol holds the month up to 25 minutes ago, derived by
    the month's earlier ticks; one intraday tick fetches the rest, checks it, derives it."""
    from coinwatch_assets.definitions import defs
    from coinwatch_assets.defs.market.venue import build_venue
    from coinwatch_assets.defs.storage import CoinwatchIOManager
    from coinwatch_assets.lib.market.fetch_plan import FETCH_FROM_TAG, LAST_STORED
    from coinwatch_assets.lib.market.grain import month_key, month_window
    from coinwatch_assets.lib.symbols import symbol_to_key

    # The previous month plays the current one on its last day: its partitions hold 30 days,
    # the run fetches the last candles (an incremental fetch ends at the month's end).
    month = month_key(datetime.now(UTC).replace(day=1) - timedelta(days=1))
    start, end = month_window(month)
    symbols = universe(n_symbols)
    without_dagster(symbols, start, end - timedelta(minutes=25), f"dagster_{kind}")
    venue = build_venue(bench_venue())
    database = database_of(f"dagster_{kind}")
    resources = {
        **defs.resources,
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
        venue.source_key: bench_source_resource(),
    }
    keys = sorted(symbol_to_key(s) for s in symbols)
    tags = {RANGE[0]: f"{month}|{keys[0]}", RANGE[1]: f"{month}|{keys[-1]}"}
    derived_keys = [a.key for a in venue.derived]

    def derive(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
        # The derived assets run as automation requests them: their own run.
        return dg.materialize(
            [*venue.derived, venue.ohlcv],
            selection=derived_keys,
            instance=instance,
            tags=tags,
            run_config=QUIET,
            resources=resources,
        )

    with instance_of(kind, f"intraday_{kind}") as instance:
        instance.add_dynamic_partitions(venue.partitions.symbols.name, keys)
        # The month's earlier ticks derived its days (not timed): the tick derives today only.
        assert derive(instance).success
        started = time.perf_counter()
        fetched = dg.materialize(
            [venue.ohlcv, venue.quality_checks],
            instance=instance,
            tags={**tags, FETCH_FROM_TAG: LAST_STORED},
            run_config=QUIET,
            resources=resources,
            raise_on_error=False,
        )
        ohlcv_s = time.perf_counter() - started
        derived = derive(instance)
        seconds = time.perf_counter() - started
        derived_days = {
            m.partition: int(m.metadata["derived_days"].value)
            for node in derived_keys
            for m in derived.asset_materializations_for_node(node.path[-1])
            if "derived_days" in m.metadata
        }
    assert derived.success
    # rows_written is the run's total, carried by every partition's materialization
    written = max(
        int(m.metadata["rows_written"].value)
        for m in fetched.asset_materializations_for_node(venue.ohlcv.key.path[-1])
        if "rows_written" in m.metadata
    )
    database.storage().dispose()
    return {
        "symbols": n_symbols,
        "seconds": seconds,
        "ohlcv_s": ohlcv_s,
        "derived_s": seconds - ohlcv_s,
        "candles_written": written,
        "derived_days_max": max(derived_days.values(), default=0),
    }


def partitions() -> dict:
    from coinwatch_assets.defs.market.partitions import venue_partitions
    from coinwatch_assets.lib.market.grain import month_keys

    venue = bench_venue().model_copy(
        update={"start_date": datetime.now(UTC).date() - timedelta(days=8 * 365 + 2)}
    )
    months = venue_partitions(venue).months
    count = len(months.get_partition_keys())
    assert count == len(month_keys(venue.start_date, datetime.now(UTC)))
    return {"months": count, "partitions": 500 * count}


def child(args: argparse.Namespace) -> None:
    name, *params = args.child.split(":")
    if name == "backfill":
        out = scenario_backfill(int(params[0]), int(params[1]), params[2])
    elif name == "intraday":
        out = scenario_intraday(int(params[0]), params[1])
    elif name == "automation":
        from derived_eval import measure

        out = measure(int(params[0]), int(params[1]))
    else:
        raise SystemExit(f"unknown scenario {name}")
    print(json.dumps(out))


def run_child(spec: str, env: dict[str, str] | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, str(HERE), "--child", spec],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"scenario {spec} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


@contextmanager
def timescale_env():
    from coinwatch_assets.lib.storage.schema import upgrade_database
    from coinwatch_assets_tests.timescale import TimescaleCluster

    cluster = TimescaleCluster()
    cluster.start()
    cluster.create_database("scale_instance")
    try:
        urls = {
            f"SCALE_DATA_URL_{side}": cluster.create_database(f"scale_{side.lower()}")
            for side in ("PLAIN", "DAGSTER")
        }
        for url in urls.values():
            upgrade_database(url)  # TimescaleDB upgrades by explicit command
        yield {
            **urls,
            "SCALE_PG_INSTANCE_URL": cluster.url("scale_instance", driver="psycopg2"),
        }
    finally:
        cluster.stop()


def verdict(value: float, limit: float, unit: str = "x") -> str:
    shown = f"{value:,.0f}" if value >= 1000 else f"{value:.2f}"
    return f"{shown}{unit}, limit {limit:,g}{unit}: {'met' if value <= limit else 'NOT met'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="partitions,backfill,wide,intraday,automation")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    only = set(args.only.split(","))
    if "partitions" in only:
        p = partitions()
        print(
            f"ohlcv partitions, 500 symbols x {p['months']} months (8 years): "
            f"({verdict(p['partitions'], 50_000, '')})"
        )
    if "backfill" in only:
        r = run_child("backfill:4:12:sqlite")
        print(
            f"4 symbols x 1 year, SQLite data + SQLite instance: Dagster {r['dagster_s']:.1f} s "
            f"in {r['runs']} run(s) vs {r['plain_s']:.1f} s without: {verdict(r['ratio'], 3)}"
        )
        with timescale_env() as env:
            r = run_child("backfill:4:12:postgres", env)
        print(
            f"4 symbols x 1 year, TimescaleDB + Postgres instance: Dagster {r['dagster_s']:.1f} s "
            f"in {r['runs']} run(s) vs {r['plain_s']:.1f} s without: {verdict(r['ratio'], 4)}"
        )
    if "wide" in only:
        r = run_child("backfill:20:24:sqlite")
        print(
            f"20 symbols x 2 years, SQLite: Dagster {r['dagster_s']:.1f} s in {r['runs']} run(s) "
            f"vs {r['plain_s']:.1f} s without: {verdict(r['ratio'], 2)}; peak RSS "
            f"{verdict(r['peak_rss_mb'] / 1024, 1.5, ' GB')}"
        )
    if "intraday" in only:
        r = run_child("intraday:200:sqlite")
        print(
            f"intraday run, 200 symbols on a month's last day (checks + derived), SQLite: "
            f"{verdict(r['seconds'], 60, ' s')} (ohlcv + checks {r['ohlcv_s']:.1f} s, derived "
            f"{r['derived_s']:.1f} s; {r['candles_written']:,} candles written, at most "
            f"{r['derived_days_max']} day(s) derived per partition)"
        )
    if "automation" in only:
        r = run_child("automation:200:8")
        ticks = {k: v for k, v in r.items() if k.endswith("tick_seconds")}
        worst = max(ticks, key=ticks.get)
        print(
            f"derived automation evaluation, 200 symbols x 8 years of months "
            f"({r['partitions_per_asset']:,} partitions per asset): slowest tick "
            f"{verdict(ticks[worst], 5, ' s')} ({worst}); "
            + ", ".join(f"{k.removesuffix('_seconds')} {v:.2f} s" for k, v in ticks.items())
        )


if __name__ == "__main__":
    main()
