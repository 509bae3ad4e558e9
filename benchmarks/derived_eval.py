"""Derived automation at scale: one evaluation of the derived assets' conditions.

A real Dagster instance on SQLite files (what `dagster dev` uses), a venue started 8 years
ago, 200 symbol keys, every month partition of `ohlcv` materialized with its checks passed
and every derived partition materialized after it (the steady state of a real universe).
Times:
  - the first evaluation (no cursor: what the sensor pays after a daemon restart);
  - the tick after an intraday run wrote the current month of every symbol (its checks
    passed), which must request exactly those partitions of each derived asset: the first
    such tick (it also builds ohlcv's partition status cache, which Dagster then stores and
    updates incrementally) and the next one (the steady state: `intraday_tick_seconds`);
  - the tick after the requested derived runs (nothing new to request).

    python benchmarks/derived_eval.py [--symbols 200] [--years 8]

Populating ~100k events through the instance's API costs 40-80 ms each on this machine, so
the history is bulk-inserted into the instance's own event tables as the API writes them
(the ids and the asset rows included); the timed ticks use Dagster's public evaluation.
"""

import argparse
import tempfile
import time
import uuid
from datetime import UTC, date, datetime

import dagster as dg
from bench_setup import QUIET  # noqa: F401  (sets the sample venue, quiets warnings)
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.utils import RUNLESS_JOB_NAME, RUNLESS_RUN_ID
from dagster._core.storage.event_log.schema import (
    AssetCheckExecutionsTable,
    SqlEventLogStorageTable,
)

from coinwatch_assets.definitions import defs as code_location
from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.lib.market.grain import join_key, month_key, month_start
from coinwatch_assets.lib.venues import Venue

_BATCH = 2000


def _entry(event_type: DagsterEventType, data: object, ts: float) -> EventLogEntry:
    return EventLogEntry(
        user_message="",
        level=20,
        job_name=RUNLESS_JOB_NAME,
        run_id=RUNLESS_RUN_ID,
        error_info=None,
        timestamp=ts,
        step_key=None,
        dagster_event=DagsterEvent(
            event_type_value=event_type.value, event_specific_data=data, job_name=RUNLESS_JOB_NAME
        ),
    )


def _store(instance: dg.DagsterInstance, entries: list[EventLogEntry]) -> list[int]:
    """Insert asset events as `store_event` does (index shard), in batches; their ids."""
    storage = instance.event_log_storage
    ids: list[int] = []
    for i in range(0, len(entries), _BATCH):
        batch = entries[i : i + _BATCH]
        with storage.index_transaction() as conn:
            rows = [storage._event_to_row(e) for e in batch]
            conn.execute(SqlEventLogStorageTable.insert(), rows)
            last = conn.exec_driver_sql("SELECT max(id) FROM event_logs").scalar()
        ids += list(range(last - len(batch) + 1, last + 1))
    # The asset rows (latest materialization per key) as `store_event` keeps them.
    latest: dict[dg.AssetKey, tuple[EventLogEntry, int]] = {}
    for entry, event_id in zip(entries, ids, strict=True):
        if entry.dagster_event_type == DagsterEventType.ASSET_MATERIALIZATION:
            latest[entry.dagster_event.asset_key] = (entry, event_id)
    with storage.index_transaction() as conn:
        for entry, event_id in latest.values():
            storage._store_asset_event(conn, entry, event_id)
    return ids


def _materialize(
    instance: dg.DagsterInstance, key: dg.AssetKey, partitions: list[str], ts: float
) -> dict[str, int]:
    entries = [
        _entry(
            DagsterEventType.ASSET_MATERIALIZATION,
            StepMaterializationData(dg.AssetMaterialization(key, partition=p)),
            ts,
        )
        for p in partitions
    ]
    return dict(zip(partitions, _store(instance, entries), strict=True))


def _pass_checks(
    instance: dg.DagsterInstance,
    checks: list[dg.AssetCheckKey],
    materialized: dict[str, int],
    ts: float,
) -> None:
    """A passed evaluation of every check on each partition's materialization."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluation,
        AssetCheckEvaluationTargetMaterializationData,
    )

    rows, entries = [], []
    # Executions are unique per (check, partition, run): each call stands for one run.
    run_id = str(uuid.uuid4())
    for check in checks:
        for partition, storage_id in materialized.items():
            evaluation = AssetCheckEvaluation(
                asset_key=check.asset_key,
                check_name=check.name,
                passed=True,
                partition=partition,
                target_materialization_data=AssetCheckEvaluationTargetMaterializationData(
                    storage_id=storage_id, run_id=RUNLESS_RUN_ID, timestamp=ts
                ),
            )
            entries.append(_entry(DagsterEventType.ASSET_CHECK_EVALUATION, evaluation, ts))
    ids = _store(instance, entries)
    storage = instance.event_log_storage
    for entry, event_id in zip(entries, ids, strict=True):
        evaluation = entry.dagster_event.event_specific_data
        rows.append(
            dict(
                asset_key=evaluation.asset_key.to_string(),
                check_name=evaluation.check_name,
                run_id=run_id,
                execution_status="SUCCEEDED",
                evaluation_event=dg.serialize_value(entry),
                evaluation_event_timestamp=storage._event_insert_timestamp(entry),
                evaluation_event_storage_id=event_id,
                materialization_event_storage_id=(
                    evaluation.target_materialization_data.storage_id
                ),
                partition=evaluation.partition,
            )
        )
    with storage.index_transaction() as conn:
        for i in range(0, len(rows), _BATCH):
            conn.execute(AssetCheckExecutionsTable.insert(), rows[i : i + _BATCH])


def _timed_tick(defs, instance, selection, cursor=None):
    started = time.perf_counter()
    result = dg.evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=cursor
    )
    return time.perf_counter() - started, result


def measure(symbols: int = 200, years: int = 8) -> dict:
    """Figures of one derived automation evaluation over `symbols` x `years` of months."""
    now = datetime.now(UTC)
    first = month_start(now)
    start = date(first.year - years, first.month, 1)
    # Months: the current one and those before it, `years` x 12 in all.
    start = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    venue = build_venue(Venue(start_date=start))
    keys = [f"S{i:03d}-USDT" for i in range(symbols)]
    months = venue.partitions.months.get_partition_keys(current_time=now)
    current = month_key(now)
    derived = list(venue.derived)
    # The code location's resources: evaluation never opens them.
    defs = dg.Definitions(
        assets=[venue.ohlcv, venue.gaps, *derived],
        asset_checks=[venue.quality_checks],
        resources=code_location.resources,
    )
    selection = dg.AssetSelection.assets(*derived)
    checks = list(venue.quality_checks.check_keys)
    figures: dict = {"symbols": symbols, "months": len(months)}
    with tempfile.TemporaryDirectory(prefix="coinwatch-derived-eval-") as tmp:
        with dg.instance_for_test(temp_dir=tmp) as instance:
            instance.add_dynamic_partitions(venue.partitions.symbols.name, keys)
            partitions = [join_key(m, s) for m in months for s in keys]
            figures["partitions_per_asset"] = len(partitions)
            started = time.perf_counter()
            materialized = _materialize(instance, venue.ohlcv.key, partitions, now.timestamp())
            _pass_checks(instance, checks, materialized, now.timestamp())
            for asset in derived:
                _materialize(instance, asset.key, partitions, now.timestamp())
            figures["populate_seconds"] = round(time.perf_counter() - started, 1)

            seconds, first_tick = _timed_tick(defs, instance, selection)
            figures["first_tick_seconds"] = round(seconds, 2)
            figures["first_tick_requested"] = first_tick.total_requested

            # Intraday runs: the current month of every symbol, its checks passed. The first
            # tick after one also builds ohlcv's partition status cache (stored, then updated
            # incrementally); the second is the steady state.
            today = [join_key(current, s) for s in keys]
            cursor = first_tick.cursor
            for name in ("first_intraday_tick", "intraday_tick"):
                later = datetime.now(UTC).timestamp()
                written = _materialize(instance, venue.ohlcv.key, today, later)
                _pass_checks(instance, checks, written, later)
                seconds, tick = _timed_tick(defs, instance, selection, cursor)
                cursor = tick.cursor
                figures[f"{name}_seconds"] = round(seconds, 2)
                figures[f"{name}_requested"] = {
                    a.key.to_user_string(): len(tick.get_requested_partitions(a.key))
                    for a in derived
                }
                # The requested derived runs happen, and a tick sees them, before the next
                # intraday run (the sensor ticks every 30 s, intraday runs every 5 minutes).
                done = datetime.now(UTC).timestamp()
                for asset in derived:
                    runs = sorted(str(k) for k in tick.get_requested_partitions(asset.key))
                    _materialize(instance, asset.key, runs, done)
                seconds, quiet = _timed_tick(defs, instance, selection, cursor)
                cursor = quiet.cursor
                figures["quiet_tick_seconds"] = round(seconds, 2)
                figures["quiet_tick_requested"] = quiet.total_requested
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--years", type=int, default=8)
    args = parser.parse_args()
    for name, value in measure(args.symbols, args.years).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
