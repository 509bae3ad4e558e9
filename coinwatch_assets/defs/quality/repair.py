"""The gap repair sensor: re-fetch unexplained holes, a bounded number of times.

The registry (`ohlcv_gaps`) is the source of truth: rows with reason `missed` are holes whose
check failed. Each repair is a run of `ohlcv` (with its checks) for that one month partition
that fetches only the hole windows (FETCH_WINDOWS_TAG), with a run key naming the attempt;
repairs back off exponentially from the hole's first sighting.
After `max_repairs` the holes are recorded as `confirmed` and the sensor records a WARN
evaluation of `ohlcv_quality` for the partition itself (no run needed), so no loop follows
(an ERROR while the month still has broken candles).
"""

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.partitions import VenuePartitions
from coinwatch_assets.defs.quality.checks import QUALITY, check_keys
from coinwatch_assets.defs.quality.earlier import earlier_broken_days
from coinwatch_assets.defs.quality.evaluations import BROKEN_DAYS
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.quality.targets import materialization_targets
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice
from coinwatch_assets.lib.market.fetch_plan import FETCH_WINDOWS_TAG, encode_windows
from coinwatch_assets.lib.market.grain import join_key
from coinwatch_assets.lib.monitor.failures import broken_text
from coinwatch_assets.lib.quality.queries import gaps_with_reason
from coinwatch_assets.lib.quality.registry import (
    MISSED,
    GapPolicy,
    confirm_exhausted,
    gap_severity,
    holes_markdown,
    holes_summary,
    plan_repairs,
)
from coinwatch_assets.lib.sources.history import HISTORY_REST, HISTORY_SOURCE_TAG
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.symbols import symbol_to_key
from coinwatch_assets.lib.venues import Venue

REPAIR_ATTEMPT_TAG = "coinwatch/gap_repair_attempt"


def confirm_partition(
    instance: dg.DagsterInstance,
    database: DatabaseResource,
    key: str,
    policy: GapPolicy,
    *,
    venue: Venue,
    ohlcv: dg.AssetsDefinition,
) -> dg.AssetCheckEvaluation | None:
    """Mark the partition's exhausted holes confirmed; its WARN result once none is missed."""
    spec = table_spec("ohlcv_gaps")
    pins = {"exchange": venue.exchange_label, "timeframe": venue.timeframe}
    where = partition_slice(spec, "ohlcv_gaps", ohlcv.partitions_def, [key]).pinned(pins)
    rows = confirm_exhausted(database.read("ohlcv_gaps", where), policy)
    database.storage().write(spec, rows, where)
    if gap_severity(rows) != "warn":
        return None  # other holes of the partition still wait for repairs
    holes = holes_summary(rows)
    # Confirming holes never hides broken candles: the month stays an ERROR while it has any.
    broken = earlier_broken_days(instance, ohlcv.key, [key]).get(key, {})
    description = f"{len(holes)} hole(s) still missing after {policy.max_repairs} repairs"
    if broken:
        description += f"; {broken_text(broken)}"
    return dg.AssetCheckEvaluation(
        asset_key=ohlcv.key,
        check_name=QUALITY,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR if broken else dg.AssetCheckSeverity.WARN,
        partition=key,
        blocking=True,
        target_materialization_data=materialization_targets(instance, ohlcv.key, [key]).get(key),
        description=description,
        metadata={
            "holes": len(holes),
            "missing": int(rows["missing_candles"].sum()),
            "holes_table": dg.MetadataValue.md(holes_markdown(holes)),
            "holes_json": dg.MetadataValue.json(holes),
            BROKEN_DAYS: dg.MetadataValue.json(broken),
            "recorded_by": "gap_repair_sensor",
        },
    )


def build_gap_repair_sensor(
    venue: Venue, partitions: VenuePartitions, ohlcv: dg.AssetsDefinition
) -> dg.SensorDefinition:
    """The venue's repair sensor: reads only its own holes, requests only its own `ohlcv`."""

    @dg.sensor(
        name=venue.named("gap_repair_sensor"),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        target=[ohlcv],
        description="Re-fetches unexplained holes' windows (backoff, at most max_repairs).",
    )
    def gap_repair_sensor(
        context: dg.SensorEvaluationContext,
        database: DatabaseResource,
        quality_policy: QualityPolicyResource,
    ) -> dg.SensorResult | dg.SkipReason:
        """Re-requests partitions with missed holes (with backoff), then confirms the holes."""
        policy = quality_policy.gap_policy()
        missed = gaps_with_reason(database.storage(), MISSED, venue.exchange_label, venue.timeframe)
        if missed.empty:
            return dg.SkipReason("no unexplained holes in ohlcv_gaps")
        plan = plan_repairs(missed, pd.Timestamp.now(tz="UTC"), policy)
        symbols = set(context.instance.get_dynamic_partitions(partitions.symbols.name))
        events = []
        for month, symbol in plan.confirm:
            evaluation = confirm_partition(
                context.instance,
                database,
                join_key(month, symbol_to_key(symbol)),
                policy,
                venue=venue,
                ohlcv=ohlcv,
            )
            if evaluation is not None:
                events.append(evaluation)
        requests = []
        for repair in plan.requests:
            key = join_key(repair.month, symbol_to_key(repair.symbol))
            if symbol_to_key(repair.symbol) not in symbols:
                context.log.info(f"{key}: symbol is no longer a partition, not repaired")
                continue
            requests.append(
                dg.RunRequest(
                    run_key=repair.run_key,
                    partition_key=key,
                    asset_selection=[ohlcv.key],
                    asset_check_keys=check_keys(ohlcv.key),
                    # a re-fetch of the hole windows through REST: the archive file may be the
                    # one with holes
                    tags={
                        REPAIR_ATTEMPT_TAG: str(repair.attempt),
                        HISTORY_SOURCE_TAG: HISTORY_REST,
                        FETCH_WINDOWS_TAG: encode_windows(
                            [(lo.to_pydatetime(), hi.to_pydatetime()) for lo, hi in repair.windows]
                        ),
                    },
                )
            )
        context.log.info(
            f"{len(requests)} repair(s) requested, {len(plan.confirm)} partition(s) confirmed, "
            f"{plan.waiting} waiting for backoff"
        )
        if not requests and not events:
            return dg.SkipReason(f"{plan.waiting} partition(s) waiting for their next repair")
        return dg.SensorResult(run_requests=requests, asset_events=events)

    return gap_repair_sensor
