"""Partitioned asset checks on `ohlcv`: holes, integrity rules and price jumps, per UTC day.

One step evaluates all three checks for every partition key of the run and records one
evaluation PER KEY (also in single-run backfills, where Dagster itself would record a
`AssetCheckResult` once, without a partition), and writes the holes into `ohlcv_gaps`.
"""

from collections.abc import Iterator
from datetime import date

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.assets import EXCHANGE, ohlcv
from coinwatch_assets.defs.market.partitions import SETTINGS, ohlcv_partitions
from coinwatch_assets.defs.quality.reporting import blocking_failure, with_gaps_query
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.quality.targets import materialization_targets, with_target
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice
from coinwatch_assets.lib.market.universe import delisted_since
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
from coinwatch_assets.lib.storage.slices import Cell, Slice
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
    key: str,
    findings: WindowFindings,
    rows: pd.DataFrame,
    *,
    status: str | None = None,
    as_of: pd.Timestamp | None = None,
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
    if status is not None:
        meta["listing_status"] = status
    if as_of is not None:
        meta["judged_as_of"] = as_of.isoformat()
    if findings.candles == 0 and not holes:
        meta["empty_partition"] = f"no candle stored: {status or 'nothing expected yet'}"
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


def listing_window(
    start: pd.Timestamp,
    end: pd.Timestamp,
    day: pd.DataFrame,
    first: pd.Timestamp | None,
    delisted: date | None,
) -> tuple[pd.Timestamp, pd.Timestamp, str | None]:
    """The part of a day candles are expected in, and why none is when so.

    Before the symbol's first stored candle (its listing, as the history backfill saw it)
    nothing is expected; from its delisting on, nothing after its last stored candle.
    """
    if first is None or end <= first:
        return start, start, "not listed yet"
    start = max(start, first)
    if delisted is not None and end.date() > delisted:
        stop = pd.Timestamp(delisted, tz="UTC")
        if len(day):
            stop = max(stop, day["ts"].max() + pd.Timedelta(milliseconds=1))
        if stop <= start:
            return start, start, f"delisted on {delisted}"
        return start, min(end, stop), f"delisted on {delisted}"
    return start, end, None


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
    fetched_at: dict[str, pd.Timestamp] | None = None,
    first_candle: dict[str, pd.Timestamp] | None = None,
    delisted: dict[str, date] | None = None,
) -> tuple[pd.DataFrame, list[dg.AssetCheckEvaluation]]:
    """New registry rows of all `keys` and three evaluations per key.

    Each key is judged as of its fetch (`fetched_at`, else `now`): a candle that closed after
    the fetch is not missing. A day with no candle between the symbol's first stored candle
    and its delisting is a full-day hole.
    """
    candles = candles[candles["timeframe"] == timeframe]
    by_symbol = dict(tuple(candles.groupby("symbol", sort=False)))
    old_by_symbol = dict(tuple(previous.groupby("symbol", sort=False)))
    registry, evaluations = [], []
    for key in keys:
        parts = ohlcv_partitions.get_partition_key_from_str(key).keys_by_dimension
        symbol = key_to_symbol(parts["symbol"])
        start, end = day_window(parts["date"])
        as_of = (fetched_at or {}).get(key, now)
        series = by_symbol.get(symbol, candles.iloc[:0])
        day = series[(series["ts"] >= start) & (series["ts"] < end)]
        lo, hi, status = listing_window(
            start, end, day, (first_candle or {}).get(symbol), (delisted or {}).get(symbol)
        )
        findings = evaluate_window(
            day, timeframe, lo, hi, as_of, jump_threshold=jump_threshold, expect=hi > lo
        )
        old = old_by_symbol.get(symbol, previous.iloc[:0])
        old = old[(old["gap_start"] >= start) & (old["gap_start"] < end)]
        gaps = findings.gaps.gaps if findings.gaps else ()
        open_end = findings.gaps.last_expected if findings.gaps and end > as_of else None
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
            gaps_evaluation(key, findings, rows, status=status, as_of=as_of),
            integrity_evaluation(key, findings),
            jumps_evaluation(key, findings, jump_threshold),
        ]
    frames = [r for r in registry if len(r)]
    return (pd.concat(frames, ignore_index=True) if frames else empty_registry()), evaluations


def _fetch_times(instance: dg.DagsterInstance, keys: list[str]) -> tuple[dict, dict]:
    raw: dict[str, str] = {}
    targets = materialization_targets(instance, keys, raw)
    return targets, {k: pd.Timestamp(v).tz_convert("UTC") for k, v in raw.items()}


@dg.multi_asset_check(specs=CHECK_SPECS, name="ohlcv_quality_checks", compute_kind="python")
def ohlcv_quality_checks(
    context: dg.AssetCheckExecutionContext,
    database: DatabaseResource,
    quality_policy: QualityPolicyResource,
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """Holes, integrity and price jumps of every (day, symbol) of the run; holes to ohlcv_gaps."""
    keys = list(context.partition_keys)
    candles_spec, gaps_spec = table_spec("ohlcv"), table_spec("ohlcv_gaps")
    pins = {"exchange": EXCHANGE, "timeframe": SETTINGS.timeframe}
    storage = database.storage()
    candles_where = partition_slice(candles_spec, "ohlcv", ohlcv_partitions, keys).pinned(pins)
    candles = storage.read(candles_spec, candles_where)
    where = partition_slice(gaps_spec, "ohlcv_gaps", ohlcv_partitions, keys).pinned(pins)
    previous = storage.read(gaps_spec, where)
    symbols = sorted({key_to_symbol(k.split("|", 1)[1]) for k in keys})
    listed = Slice("ohlcv", "ts", tuple(Cell(equals=(("symbol", s),)) for s in symbols))
    targets, fetched_at = _fetch_times(context.instance, keys)
    registry, evaluations = evaluate_partitions(
        keys,
        candles,
        previous,
        exchange=EXCHANGE,
        timeframe=SETTINGS.timeframe,
        now=pd.Timestamp.now(tz="UTC"),
        policy=quality_policy.gap_policy(),
        jump_threshold=quality_policy.jump_threshold,
        fetched_at=fetched_at,
        first_candle=storage.first_times(candles_spec, listed.pinned(pins), "symbol"),
        delisted=delisted_since(database.read("markets"), EXCHANGE),
    )
    # One transaction replaces the registry rows of every key of the run: re-runs never
    # duplicate holes, and `attempts` carries over from the rows read above.
    result = storage.write(gaps_spec, registry, where)
    context.log.info(f"ohlcv_gaps: {result.rows_written} hole(s) for {len(keys)} partition(s)")
    for spec in CHECK_SPECS:
        # The check outputs downstream steps wait on (blocking checks gate them).
        yield dg.Output(None, output_name=spec.get_python_identifier())
    # Evaluations carry their partition key, so a range run records a result per day; a
    # failed blocking ERROR evaluation fails this step after all of them are recorded.
    for evaluation in evaluations:
        evaluation = with_gaps_query(evaluation, EXCHANGE, SETTINGS.timeframe)
        yield with_target(evaluation, targets.get(evaluation.partition or ""))
    # Fail with the partitions and their holes instead of Dagster's bare stack trace.
    if (failure := blocking_failure(evaluations)) is not None:
        raise failure
