"""Running the quality definitions under a real Dagster instance, and reading results back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from dagster._core.storage.event_log.base import PartitionKeyFilter

from coinwatch_assets.defs.quality.checks import PRICE_JUMPS, QUALITY
from coinwatch_assets.lib.market.fetch_plan import FETCH_WINDOWS_TAG, encode_windows
from coinwatch_assets_tests.venue_defs import ohlcv, ohlcv_quality_checks


def day_tags(day: str, days: int = 1) -> dict[str, str]:
    """Run tags that fetch UTC days `day` .. + `days` of month partitions (as the daily
    close does for one day): the run owns and judges those days only."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return {FETCH_WINDOWS_TAG: encode_windows([(start, start + timedelta(days=days))])}


RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def run(
    assets: Sequence[Any],
    instance: dg.DagsterInstance,
    resources: dict[str, Any],
    *,
    key: str | None = None,
    start: str | None = None,
    end: str | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """One run of `assets` plus the quality checks; failures are returned, not raised."""
    all_tags = dict(tags or {})
    if start:
        all_tags.update({RANGE_START: start, RANGE_END: end or start})
    return dg.materialize(
        [*assets, ohlcv_quality_checks],
        instance=instance,
        partition_key=key,
        tags=all_tags or None,
        resources=resources,
        raise_on_error=False,
    )


def latest_evaluation(
    instance: dg.DagsterInstance, check: str, partition: str
) -> dg.AssetCheckEvaluation:
    """The latest recorded evaluation of `check` on `ohlcv` for one partition key."""
    key = dg.AssetCheckKey(ohlcv.key, check)
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [key], partition_filter=PartitionKeyFilter(key=partition)
    )
    record = records.get(key)
    assert record is not None and record.event is not None, f"no evaluation of {check} {partition}"
    return record.event.dagster_event.event_specific_data


def evaluations_by_check(
    result: dg.ExecuteInProcessResult,
) -> dict[str, list[dg.AssetCheckEvaluation]]:
    out: dict[str, list[dg.AssetCheckEvaluation]] = {QUALITY: [], PRICE_JUMPS: []}
    for evaluation in result.get_asset_check_evaluations():
        out[evaluation.check_name].append(evaluation)
    return out
