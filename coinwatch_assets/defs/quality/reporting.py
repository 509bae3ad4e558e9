"""How the OHLCV checks explain themselves: the failure a run shows when blocking checks fail
(the partitions and their holes), and the quality check's link to its `ohlcv_gaps` rows.

Dagster's own error for a failed blocking check is a stack trace that names the check three
times and no partition; `ohlcv_quality_checks` raises this `dg.Failure` instead, after all
evaluations are recorded.
"""

from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.quality.evaluations import BROKEN_DAYS
from coinwatch_assets.lib.market.grain import split_key
from coinwatch_assets.lib.monitor.failures import check_failure_message
from coinwatch_assets.lib.quality.gap_query import gaps_query
from coinwatch_assets.lib.symbols import key_to_symbol


def holes_of(evaluation: dg.AssetCheckEvaluation) -> list[dict[str, object]]:
    """The `holes_json` metadata of a quality evaluation (empty for other checks)."""
    value = evaluation.metadata.get("holes_json")
    holes = getattr(value, "data", None)
    return list(holes) if isinstance(holes, list) else []


def broken_of(evaluation: dg.AssetCheckEvaluation) -> dict[str, list[str]]:
    """The `broken_days` metadata of a quality evaluation (empty for other checks)."""
    days = getattr(evaluation.metadata.get(BROKEN_DAYS), "data", None)
    return dict(days) if isinstance(days, dict) else {}


def failed_blocking(
    evaluations: Sequence[dg.AssetCheckEvaluation],
) -> list[dg.AssetCheckEvaluation]:
    return [
        e
        for e in evaluations
        if e.blocking and not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]


def blocking_failure(evaluations: Sequence[dg.AssetCheckEvaluation]) -> dg.Failure | None:
    """A Failure naming every partition whose blocking ERROR check failed, or None."""
    failed = failed_blocking(evaluations)
    if not failed:
        return None
    keys = sorted({e.partition or "(unpartitioned)" for e in failed})
    lines = [
        check_failure_message(
            e.check_name, e.partition or "(unpartitioned)", holes_of(e), e.description, broken_of(e)
        )
        for e in failed
    ]
    return dg.Failure(
        description=(
            f"Data quality: {len(failed)} blocking check(s) failed on {len(keys)} partition(s); "
            "downstream assets were not built for them. "
            "Details per partition in ohlcv_gaps and the check results.\n" + "\n".join(lines)
        ),
        metadata={
            "failed_partitions": dg.MetadataValue.json(keys),
            "failed_checks": dg.MetadataValue.json(
                [{"check": e.check_name, "partition": e.partition} for e in failed]
            ),
        },
        allow_retries=False,
    )


def with_gaps_query(
    evaluation: dg.AssetCheckEvaluation, exchange: str, timeframe: str
) -> dg.AssetCheckEvaluation:
    """A quality evaluation with the SQL listing its `ohlcv_gaps` rows in its metadata."""
    if "holes_json" not in evaluation.metadata or not evaluation.partition:
        return evaluation
    month, symbol_key = split_key(evaluation.partition)
    query = gaps_query(exchange, key_to_symbol(symbol_key), timeframe, month)
    return dg.AssetCheckEvaluation(
        asset_key=evaluation.asset_key,
        check_name=evaluation.check_name,
        passed=evaluation.passed,
        metadata={
            **evaluation.metadata,
            "ohlcv_gaps_query": dg.MetadataValue.md(f"```sql\n{query}\n```"),
        },
        target_materialization_data=evaluation.target_materialization_data,
        severity=evaluation.severity,
        description=evaluation.description,
        blocking=evaluation.blocking,
        partition=evaluation.partition,
    )
