"""The coinwatch demo: two offline sample venues, holes found and repaired, prices compared.

For each venue of `scripts/demo_venues.yaml` (alpha, beta): materializes `<venue>/markets`,
adds its symbols as partitions (what the discovery sensor does), fetches the last two UTC days
and today (of their month partitions) in ONE run with the quality checks — which find the
sample source's deliberate holes (ETH/USDT misses 02:00-02:15 every day) — then evaluates the
venue's gap repair sensor and runs the re-fetches it requests, as the daemon would: a hole
re-fetched unchanged is explained (`no_trades`) and the checks pass. Finally the freshness
checks and `price_divergence_vs_beta` (beta quotes 3% above alpha: flagged, WARN); then the
fundamentals from the offline CoinGecko (`coin_ids`, yesterday's hours of `market_metrics`,
this week's `coin_metadata`) with their checks, and the offline CoinMarketCap beside it
(cross-provider check), CMC DEX pairs, CoinGecko trending and exchanges (`demo_market_info`).
Prints the story and the final state; `make dev` shows the same instance and data in the UI.
"""

import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_ENV = {
    "COINWATCH_CONFIG": str(ROOT / "scripts" / "demo_venues.yaml"),
    "DAGSTER_HOME": str(ROOT / ".dagster_home"),
}
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
RANGE = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def main() -> int:
    started = time.perf_counter()
    for name, value in DEMO_ENV.items():
        os.environ.setdefault(name, value)
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")

    import warnings

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    import logging

    logging.getLogger("dagster").setLevel(logging.WARNING)  # the sensor's own log lines

    from demo_market_info import run_market_info

    from coinwatch_assets.definitions import VENUES, defs
    from coinwatch_assets.lib.market.fetch_plan import FETCH_WINDOWS_TAG, encode_windows
    from coinwatch_assets.lib.market.grain import day_start, join_key, month_keys

    instance = dg.DagsterInstance.get()
    job = defs.resolve_implicit_global_asset_job_def()
    database = defs.resources["database"]
    today = datetime.now(UTC).date()
    first = today - timedelta(days=2)
    print(f"coinwatch demo: venues {', '.join(v.name or '-' for v in VENUES)}, {first} .. {today}")
    print(f"database: {database.storage().display_url}\n")
    months = month_keys(first, today)
    # The days' windows only: the month partitions own (and the checks judge) these days.
    window = encode_windows([(day_start(first), day_start(today + timedelta(days=1)))])
    stored, expected, final = 0, 0, []
    for venue in VENUES:
        name = venue.name
        job.execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey([name, "markets"])], run_config=QUIET
        )
        keys = discover(instance, database, venue)
        result = job.execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey([name, "ohlcv"])],
            tags={
                RANGE[0]: join_key(months[0], keys[0]),
                RANGE[1]: join_key(months[-1], keys[-1]),
                FETCH_WINDOWS_TAG: window,
            },
            run_config=QUIET,
            raise_on_error=False,
        )
        landed = [e for e in result.get_asset_materialization_events() if e.partition]
        stored += len(landed)
        expected += len(months) * len(keys)
        failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
        print(f"[{name}] fetched {len(landed)} partitions in one run; checks found holes:")
        for e in failed:
            print(f"  {e.partition}: {e.check_name} failed: {e.description}")
        repairs = repair(dg, instance, defs, job, name)
        print(f"[{name}] gap repair sensor: {repairs} re-fetch(es) run, as the daemon would")
        fresh = run_checks(
            dg, instance, job, [dg.AssetCheckKey(dg.AssetKey([name, "ohlcv"]), "ohlcv_freshness")]
        )
        final += fresh + latest_checks(dg, instance, name)
    divergence = run_checks(
        dg,
        instance,
        job,
        [dg.AssetCheckKey(dg.AssetKey(["alpha", "ohlcv"]), "price_divergence_vs_beta")],
    )
    print_summary(database, final, divergence)
    fundamentals_ok = run_fundamentals(job, instance, database, QUIET, today - timedelta(days=1))
    fundamentals_ok = run_market_info(dg, job, instance, database, QUIET) and fundamentals_ok
    news = job.execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey(k) for k in NEWS_ASSETS],
        tags={
            RANGE[0]: str(today - timedelta(days=3)),
            RANGE[1]: str(today - timedelta(days=1)),
        },
        run_config=QUIET,
        raise_on_error=False,
    )
    fundamentals_ok = print_news_summary(news, database) and fundamentals_ok
    unexplained = [e for e in final if not e.passed]
    ok = not unexplained and stored == expected and fundamentals_ok
    verdict = "every check passed or explained" if ok else f"{len(unexplained)} check(s) failing"
    print(f"\nfinal state: {verdict} ({time.perf_counter() - started:.1f} s); UI: make dev")
    return 0 if ok else 1


NEWS_ASSETS = ("news_articles", "article_sentiment", "sentiment_daily")


def print_news_summary(result, database) -> bool:
    """Prints the sample news sentiment per coin and day; True when the news run succeeded."""
    daily = database.read("sentiment_daily")
    articles = database.read("news_articles")
    print(f"\nnews (sample source): {len(articles)} articles, sentiment per coin and day")
    print(f"{'coin':6s} {'day':10s} {'articles':>8s} {'mean':>7s}  label")
    for row in daily.sort_values(["symbol", "day"]).itertuples():
        day = row.day.strftime("%Y-%m-%d")
        print(f"{row.symbol:6s} {day} {row.article_count:8d} {row.mean_score:7.3f}  {row.label}")
    if not result.success:
        print("THE NEWS RUN FAILED")
    return result.success


def run_fundamentals(job, instance, database, quiet, day) -> bool:
    """coin_ids, `day`'s 24 hours of market_metrics and this week's coin_metadata (sample)."""
    import dagster as dg
    from demo_market_info import print_checks

    from coinwatch_assets.defs.fundamentals.partitions import coin_metadata_partitions

    results = [
        job.execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey("coin_ids")],
            run_config=quiet,
            raise_on_error=False,
        ),
        job.execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey("market_metrics")],
            tags={
                "dagster/asset_partition_range_start": f"{day}-00:00",
                "dagster/asset_partition_range_end": f"{day}-23:00",
            },
            run_config=quiet,
            raise_on_error=False,
        ),
        job.execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey("coin_metadata")],
            partition_key=coin_metadata_partitions.get_last_partition_key(),
            run_config=quiet,
            raise_on_error=False,
        ),
    ]
    ids = database.read("coin_ids")
    print(f"\nfundamentals (sample CoinGecko), market_metrics for {day}:")
    print(f"coin_ids: {ids['coin_id'].notna().sum()} of {len(ids)} tickers mapped")
    for table in ("market_metrics", "coin_metadata"):
        print(f"{table}: {len(database.read(table))} rows")
    print_checks(results)
    return all(r.success for r in results)


def discover(instance, database, venue) -> list[str]:
    """Add the venue's symbols as partitions (the discovery sensor's job, minus the backfill)."""
    from coinwatch_assets.lib.market.universe import plan_symbol_changes

    partitions = venue.named("symbols")
    existing = instance.get_dynamic_partitions(partitions)
    add, _, _ = plan_symbol_changes(database.read("markets"), existing, venue.exchange_label)
    instance.add_dynamic_partitions(partitions, add)
    return list(instance.get_dynamic_partitions(partitions))


def repair(dg, instance, defs, job, name: str) -> int:
    """Evaluate the venue's gap repair sensor (no backoff) and run what it requests."""
    from coinwatch_assets.defs.quality.resources import QualityPolicyResource

    sensor = defs.get_sensor_def(f"{name}_gap_repair_sensor")
    done = 0
    for _ in range(3):
        context = dg.build_sensor_context(
            instance=instance,
            resources={
                "database": defs.resources["database"],
                "quality_policy": QualityPolicyResource(base_delay_seconds=0),
            },
        )
        result = sensor(context)
        requests = getattr(result, "run_requests", None) or []
        if not requests:
            return done
        for request in requests:
            subset = job.get_subset(
                asset_selection=set(request.asset_selection),
                asset_check_selection=set(request.asset_check_keys or []),
            )
            subset.execute_in_process(
                instance=instance,
                partition_key=request.partition_key,
                tags=request.tags,
                run_config=QUIET,
                raise_on_error=False,
            )
            done += 1
    return done


def run_checks(dg, instance, job, keys) -> list:
    subset = job.get_subset(asset_selection=set(), asset_check_selection=set(keys))
    result = subset.execute_in_process(instance=instance, run_config=QUIET, raise_on_error=False)
    return list(result.get_asset_check_evaluations())


def latest_checks(dg, instance, name: str) -> list:
    """The latest evaluation of each check of the venue's ohlcv: per partition for the
    partitioned checks, the latest run's for price jumps."""
    from dagster._core.storage.event_log.base import PartitionKeyFilter

    asset = dg.AssetKey([name, "ohlcv"])
    storage = instance.event_log_storage
    filters = [PartitionKeyFilter(key=k) for k in instance.get_materialized_partitions(asset)]
    wanted = [("ohlcv_quality", f) for f in filters]
    out = []
    for check, partition_filter in [*wanted, ("ohlcv_price_jumps", None)]:
        check_key = dg.AssetCheckKey(asset, check)
        records = storage.get_latest_asset_check_execution_by_key(
            [check_key], partition_filter=partition_filter
        )
        record = records.get(check_key)
        if record is not None and record.event is not None:
            out.append(record.event.dagster_event.event_specific_data)
    return out


def print_summary(database, final, divergence) -> None:
    rows, gaps = database.read("ohlcv"), database.read("ohlcv_gaps")
    print(f"\n{'venue':6s} {'symbol':10s} {'rows':>5s} {'holes':>5s}  reasons")
    for (exchange, symbol), mine in rows.groupby(["exchange", "symbol"]):
        holes = gaps[(gaps["exchange"] == exchange) & (gaps["symbol"] == symbol)]
        reasons = ", ".join(sorted(set(holes["reason"]))) or "-"
        print(f"{exchange:6s} {symbol:10s} {len(mine):5d} {len(holes):5d}  {reasons}")
    passed = sum(e.passed for e in final)
    print(f"\nchecks (latest per partition): {passed} of {len(final)} passed")
    for e in final:
        if not e.passed:
            print(f"  FAILING {e.asset_key.to_user_string()} {e.partition or ''} {e.check_name}")
    for e in divergence:
        state = "passed" if e.passed else f"FLAGGED ({e.severity.value})"
        print(f"{e.asset_key.to_user_string()} {e.check_name}: {state}: {e.description}")
        if not e.passed:
            print("  (deliberate: beta's prices sit 3% above alpha's in demo_venues.yaml)")


if __name__ == "__main__":
    sys.exit(main())
