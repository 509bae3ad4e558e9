"""Partitioned asset checks on `ohlcv`: holes, integrity rules and price jumps, per UTC day.

One step evaluates all three checks for every partition key of the run and records one
evaluation PER KEY (also in single-run backfills, where Dagster itself would record a
`AssetCheckResult` once, without a partition), and writes the holes into `ohlcv_gaps`.
"""

from collections.abc import Iterator

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.assets import ohlcv
from coinwatch_assets.defs.market.partitions import SETTINGS, ohlcv_partitions
from coinwatch_assets.defs.quality.reporting import blocking_failure, with_gaps_query
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.quality.targets import materialization_targets, with_target
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice
from coinwatch_assets.lib.quality.registry import (
    GapPolicy,
    empty_registry,
    gap_severity,
    holes_markdown,
    holes_summary,
    merge_holes,
)
from coinwatch_assets.lib.quality.window import (
    WindowFindings,
    evaluate_window,
    examples,
    rules_metadata,
)
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.symbols import key_to_symbol

NO_GAPS = "ohlcv_no_gaps"
INTEGRITY = "ohlcv_integrity"
PRICE_JUMPS = "ohlcv_price_jumps"

CHECK_SPECS = [
    dg.AssetCheckSpec(
        NO_GAPS,
        asset=ohlcv,
        partitions_def=ohlcv_partitions,
        blocking=True,
        description="Every closed candle of the day is stored; holes are listed in ohlcv_gaps.",
    ),
    dg.AssetCheckSpec(
        INTEGRITY,
        asset=ohlcv,
        partitions_def=ohlcv_partitions,
        blocking=True,
        description="low <= open,close <= high; prices > 0; volume >= 0; stamps on the grid.",
    ),
    dg.AssetCheckSpec(
        PRICE_JUMPS,
        asset=ohlcv,
        partitions_def=ohlcv_partitions,
        description="No close-to-close move beyond the jump threshold (WARN: review them).",
    ),
]
CHECK_KEYS = [spec.key for spec in CHECK_SPECS]
SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def day_window(day: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(day, tz="UTC")
    return start, start + pd.Timedelta(days=1)


def gaps_evaluation(
    key: str, findings: WindowFindings, rows: pd.DataFrame
) -> dg.AssetCheckEvaluation:
    """The `ohlcv_no_gaps` result of one partition from its registry rows."""
    holes = holes_summary(rows)
    severity = gap_severity(rows)
    report = findings.gaps
    meta: dict[str, object] = {
        "candles": findings.candles,
        "expected": report.expected if report else 0,
        "missing": int(rows["missing_candles"].sum()) if len(rows) else 0,
        "holes": len(holes),
        "holes_table": dg.MetadataValue.md(holes_markdown(holes)),
        "holes_json": dg.MetadataValue.json(holes),
        "suspected_outages": len(findings.outages),
    }
    if findings.candles == 0:
        meta["empty_partition"] = "no candle stored: not listed yet, delisted or no trades"
    if findings.grid_error:
        meta["grid_error"] = findings.grid_error
    return dg.AssetCheckEvaluation(
        asset_key=ohlcv.key,
        check_name=NO_GAPS,
        passed=severity is None,
        severity=SEVERITY.get(severity or "error"),
        partition=key,
        blocking=True,
        metadata=meta,
        description=(
            f"{len(holes)} hole(s): " + ", ".join(sorted({h["reason"] for h in holes}))
            if holes
            else "no holes"
        ),
    )


def integrity_evaluation(key: str, findings: WindowFindings) -> dg.AssetCheckEvaluation:
    broken = findings.broken_rules
    return dg.AssetCheckEvaluation(
        asset_key=ohlcv.key,
        check_name=INTEGRITY,
        passed=not broken,
        severity=dg.AssetCheckSeverity.ERROR,
        partition=key,
        blocking=True,
        metadata=rules_metadata(broken),
        description="broken: " + ", ".join(broken) if broken else "all rules hold",
    )


def jumps_evaluation(
    key: str, findings: WindowFindings, threshold: float
) -> dg.AssetCheckEvaluation:
    jumps = findings.jumps if findings.jumps is not None else pd.DataFrame()
    meta: dict[str, object] = {"jumps": len(jumps), "threshold": threshold}
    if len(jumps):
        meta["examples"] = examples(jumps, ("prev_close", "move"))
        meta["largest_move"] = float(jumps["move"].abs().max())
    return dg.AssetCheckEvaluation(
        asset_key=ohlcv.key,
        check_name=PRICE_JUMPS,
        passed=not len(jumps),
        severity=dg.AssetCheckSeverity.WARN,
        partition=key,
        blocking=False,
        metadata=meta,
    )


def evaluate_partitions(
    keys: list[str],
    candles: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    exchange: str,
    timeframe: str,
    now: pd.Timestamp,
    policy: GapPolicy,
    jump_threshold: float,
) -> tuple[pd.DataFrame, list[dg.AssetCheckEvaluation]]:
    """New registry rows of all `keys` and three evaluations per key."""
    candles = candles[candles["timeframe"] == timeframe]
    by_symbol = dict(tuple(candles.groupby("symbol", sort=False)))
    old_by_symbol = dict(tuple(previous.groupby("symbol", sort=False)))
    registry, evaluations = [], []
    for key in keys:
        parts = ohlcv_partitions.get_partition_key_from_str(key).keys_by_dimension
        symbol = key_to_symbol(parts["symbol"])
        start, end = day_window(parts["date"])
        series = by_symbol.get(symbol, candles.iloc[:0])
        day = series[(series["ts"] >= start) & (series["ts"] < end)]
        findings = evaluate_window(day, timeframe, start, end, now, jump_threshold=jump_threshold)
        old = old_by_symbol.get(symbol, previous.iloc[:0])
        old = old[(old["gap_start"] >= start) & (old["gap_start"] < end)]
        gaps = findings.gaps.gaps if findings.gaps else ()
        open_end = findings.gaps.last_expected if findings.gaps and end > now else None
        rows = merge_holes(
            old,
            gaps,
            exchange=exchange,
            symbol=symbol,
            timeframe=timeframe,
            now=now,
            open_end=open_end,
            policy=policy,
        )
        registry.append(rows)
        evaluations += [
            gaps_evaluation(key, findings, rows),
            integrity_evaluation(key, findings),
            jumps_evaluation(key, findings, jump_threshold),
        ]
    frames = [r for r in registry if len(r)]
    return (pd.concat(frames, ignore_index=True) if frames else empty_registry()), evaluations


@dg.multi_asset_check(specs=CHECK_SPECS, name="ohlcv_quality_checks", compute_kind="python")
def ohlcv_quality_checks(
    context: dg.AssetCheckExecutionContext,
    database: DatabaseResource,
    quality_policy: QualityPolicyResource,
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """Holes, integrity and price jumps of every (day, symbol) of the run; holes to ohlcv_gaps."""
    keys = list(context.partition_keys)
    candles_spec, gaps_spec = table_spec("ohlcv"), table_spec("ohlcv_gaps")
    candles = database.read("ohlcv", partition_slice(candles_spec, "ohlcv", ohlcv_partitions, keys))
    where = partition_slice(gaps_spec, "ohlcv_gaps", ohlcv_partitions, keys)
    previous = database.read("ohlcv_gaps", where)
    exchange = str(candles["exchange"].iloc[0]) if len(candles) else SETTINGS.exchange_label
    previous = previous[
        (previous["exchange"] == exchange) & (previous["timeframe"] == SETTINGS.timeframe)
    ]
    registry, evaluations = evaluate_partitions(
        keys,
        candles,
        previous,
        exchange=exchange,
        timeframe=SETTINGS.timeframe,
        now=pd.Timestamp.now(tz="UTC"),
        policy=quality_policy.gap_policy(),
        jump_threshold=quality_policy.jump_threshold,
    )
    # One transaction replaces the registry rows of every key of the run: re-runs never
    # duplicate holes, and `attempts` carries over from the rows read above.
    result = database.storage().write(gaps_spec, registry, where)
    context.log.info(f"ohlcv_gaps: {result.rows_written} hole(s) for {len(keys)} partition(s)")
    for spec in CHECK_SPECS:
        # The check outputs downstream steps wait on (blocking checks gate them).
        yield dg.Output(None, output_name=spec.get_python_identifier())
    # Evaluations carry their partition key, so a range run records a result per day; a
    # failed blocking ERROR evaluation fails this step after all of them are recorded.
    targets = materialization_targets(context.instance, keys)
    for evaluation in evaluations:
        evaluation = with_gaps_query(evaluation, exchange, SETTINGS.timeframe)
        yield with_target(evaluation, targets.get(evaluation.partition or ""))
    # Fail with the partitions and their holes instead of Dagster's bare stack trace.
    if (failure := blocking_failure(evaluations)) is not None:
        raise failure
