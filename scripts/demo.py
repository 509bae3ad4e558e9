"""The coinwatch demo: offline sample data for 3 symbols x 3 days, end to end, headless.

Materializes `markets` and `ohlcv` (last 3 complete UTC days, one run) from the `sample`
source into the embedded SQLite database, runs the asset checks that come with them, and
prints a summary. Settings can be overridden by the environment (see README); the defaults
below are what `make demo` and `make dev` share, so the UI shows the demo's runs.
"""

import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_ENV = {
    "COINWATCH_SOURCE": "sample",
    "COINWATCH_SYMBOLS": "BTC/USDT,ETH/USDT,SOL/USDT",
    "DAGSTER_HOME": str(ROOT / ".dagster_home"),
}


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

    from coinwatch_assets.definitions import defs
    from coinwatch_assets.lib.market.universe import plan_symbol_changes

    instance = dg.DagsterInstance.get()
    job = defs.resolve_implicit_global_asset_job_def()
    database = defs.resources["database"]
    source = defs.resources["market_source"]

    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    job.execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey("markets")],
        run_config=quiet,
        raise_on_error=True,
    )
    existing = instance.get_dynamic_partitions("symbols")
    add, _, _ = plan_symbol_changes(database.read("markets"), existing, source.exchange_label)
    instance.add_dynamic_partitions("symbols", add)
    keys = list(instance.get_dynamic_partitions("symbols"))

    today = datetime.now(UTC).date()
    first, last = today - timedelta(days=3), today - timedelta(days=1)
    result = job.execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey("ohlcv")],
        tags={
            "dagster/asset_partition_range_start": f"{first}|{keys[0]}",
            "dagster/asset_partition_range_end": f"{last}|{keys[-1]}",
        },
        run_config=quiet,
        raise_on_error=False,
    )
    print_summary(result, database, first, last, keys, time.perf_counter() - started)
    return 0 if result.success else 1


def print_summary(result, database, first, last, keys, seconds: float) -> None:
    from coinwatch_assets.lib.quality import find_gaps
    from coinwatch_assets.lib.settings import Settings

    timeframe = Settings.from_env().timeframe
    rows = database.read("ohlcv")
    print(f"\ncoinwatch demo: {len(keys)} symbols x {first} .. {last} ({timeframe} candles)")
    print(f"database: {database.storage().display_url}")
    print(f"{'symbol':12s} {'rows':>6s} {'holes':>6s} {'missing':>8s}")
    start = datetime.combine(first, datetime.min.time(), UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    for symbol, mine in rows.groupby("symbol"):
        window = mine[(mine["ts"] >= start) & (mine["ts"] < end)]
        gaps = find_gaps(window["ts"], timeframe, start=start, end=end)
        missing = sum(g.missing for g in gaps)
        print(f"{symbol:12s} {len(window):6d} {len(gaps):6d} {missing:8d}")
    checks = result.get_asset_check_evaluations()
    for check in checks:
        state = "passed" if check.passed else f"FAILED ({check.severity.value})"
        print(f"check {check.check_name}: {state}")
    print(f"run {'succeeded' if result.success else 'FAILED'} in {seconds:.1f} s (incl. start-up)")
    print("open the UI on the same data: make dev")


if __name__ == "__main__":
    sys.exit(main())
