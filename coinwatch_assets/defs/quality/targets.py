"""Which `ohlcv` materialization each per-partition check evaluation is about.

Dagster fills this in itself only for `AssetCheckResult`s of single-partition steps. Without
it a partitioned evaluation never counts as current, so `check_passed()` (and with it
`AutomationCondition.all_deps_blocking_checks_passed()`) would never hold.
"""

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData as Target,
)

from coinwatch_assets.defs.storage import FETCHED_FROM, FETCHED_TO

# Materialization metadata the checks judge a partition by: the fetch's time and span.
FETCH_FIELDS = ("fetched_at", FETCHED_FROM, FETCHED_TO)


def materialization_targets(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    keys: list[str],
    fetch_meta: dict[str, dict[str, str]] | None = None,
) -> dict[str, Target]:
    """{partition key: its latest materialization of `asset_key`}, for keys that have one.

    `fetch_meta`, when given, is filled with each materialization's fetch metadata
    (`FETCH_FIELDS`): when its candles were fetched and which span of the partition.
    """
    targets: dict[str, Target] = {}

    def fetch(partitions: list[str], limit: int) -> None:
        flt = dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=partitions)
        for record in instance.fetch_materializations(flt, limit=limit).records:  # newest first
            if record.partition_key is not None and record.partition_key not in targets:
                targets[record.partition_key] = Target(
                    run_id=record.run_id, storage_id=record.storage_id, timestamp=record.timestamp
                )
                meta = record.asset_materialization.metadata if record.asset_materialization else {}
                if fetch_meta is not None:
                    fetch_meta[record.partition_key] = {
                        f: str(meta[f].value) for f in FETCH_FIELDS if f in meta
                    }

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
