"""Which `ohlcv` materialization each per-partition check evaluation is about.

Dagster fills this in itself only for `AssetCheckResult`s of single-partition steps. Without
it a partitioned evaluation never counts as current, so `check_passed()` (and with it
`AutomationCondition.all_deps_blocking_checks_passed()`) would never hold.
"""

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData as Target,
)

from coinwatch_assets.defs.market.assets import ohlcv


def materialization_targets(
    instance: dg.DagsterInstance, keys: list[str], fetched_at: dict[str, str] | None = None
) -> dict[str, Target]:
    """{partition key: its latest `ohlcv` materialization}, for the keys that have one.

    `fetched_at`, when given, is filled with each materialization's `fetched_at` metadata:
    the moment its candles were fetched.
    """
    targets: dict[str, Target] = {}

    def fetch(partitions: list[str], limit: int) -> None:
        flt = dg.AssetRecordsFilter(asset_key=ohlcv.key, asset_partitions=partitions)
        for record in instance.fetch_materializations(flt, limit=limit).records:  # newest first
            if record.partition_key is not None and record.partition_key not in targets:
                targets[record.partition_key] = Target(
                    run_id=record.run_id, storage_id=record.storage_id, timestamp=record.timestamp
                )
                meta = record.asset_materialization.metadata if record.asset_materialization else {}
                if fetched_at is not None and "fetched_at" in meta:
                    fetched_at[record.partition_key] = str(meta["fetched_at"].value)

    # Right after a run the newest len(keys) materializations are that run's, one per key.
    fetch(keys, len(keys))
    for key in keys:
        if key not in targets:
            fetch([key], 1)
    return targets


def with_target(
    evaluation: dg.AssetCheckEvaluation, target: Target | None
) -> dg.AssetCheckEvaluation:
    """`evaluation` pointing at the materialization `target` (records cannot be _replace'd)."""
    if target is None:
        return evaluation
    return dg.AssetCheckEvaluation(
        asset_key=evaluation.asset_key,
        check_name=evaluation.check_name,
        passed=evaluation.passed,
        metadata=evaluation.metadata,
        target_materialization_data=target,
        severity=evaluation.severity,
        description=evaluation.description,
        blocking=evaluation.blocking,
        partition=evaluation.partition,
    )
