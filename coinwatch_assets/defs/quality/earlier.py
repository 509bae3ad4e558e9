"""What earlier runs found on a month's days this run does not judge: its broken days.

Holes of unjudged days live in the registry (`ohlcv_gaps`); broken candles are only in the
check's latest evaluation (`broken_days` metadata). A run that judges today only, or an
accept or repair that re-judges some days, carries the other days' broken candles over, so
a month with broken candles stays failed until a run judges those days clean.
"""

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.base import PartitionKeyFilter

from coinwatch_assets.defs.quality.evaluations import BROKEN_DAYS, QUALITY


def earlier_broken_days(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, keys: list[str]
) -> dict[str, dict[str, list[str]]]:
    """{key: {day: rules}} of the keys whose latest evaluated quality result failed on broken
    days (a later run that never got to evaluate it, e.g. a failed fetch, changes nothing).

    One lookup per key: callers ask only for the keys a run judges in part (an intraday run,
    an accept or a repair), never for whole months, which are judged afresh.
    """
    storage = instance.event_log_storage
    check = dg.AssetCheckKey(asset_key, QUALITY)
    evaluated = {AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED}
    out: dict[str, dict[str, list[str]]] = {}
    for key in keys:
        records = storage.get_asset_check_execution_history(
            check, limit=1, status=evaluated, partition_filter=PartitionKeyFilter(key=key)
        )
        event = records[0].event if records else None
        evaluation = (
            event.dagster_event.event_specific_data if event and event.dagster_event else None
        )
        value = getattr(evaluation, "metadata", {}).get(BROKEN_DAYS)
        days = getattr(value, "data", None)
        if isinstance(days, dict) and days:
            out[key] = {str(d): [str(r) for r in rules] for d, rules in days.items()}
    return out
