"""Check evaluations of `ohlcv`: quality (holes, integrity) per month partition, jumps per run."""

import dagster as dg
import pandas as pd

from coinwatch_assets.lib.monitor.failures import broken_text
from coinwatch_assets.lib.quality.month import MonthFindings, days_markdown
from coinwatch_assets.lib.quality.registry import gap_severity, holes_markdown, holes_summary
from coinwatch_assets.lib.quality.window import examples, rules_metadata
from coinwatch_assets.lib.storage.frames import day_labels

# One blocking check per month partition: its holes and its integrity rules together (each
# partitioned check costs an event per partition); price jumps block nothing: one per run.
QUALITY = "ohlcv_quality"
PRICE_JUMPS = "ohlcv_price_jumps"
# Metadata: {day: [broken rules]} of the month, so a run judging other days keeps them.
BROKEN_DAYS = "broken_days"


SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def broken_days(broken: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """{UTC day: sorted rules} of the rows breaking integrity rules."""
    out: dict[str, set[str]] = {}
    for rule, rows in broken.items():
        for day in set(day_labels(rows["ts"], "%Y-%m-%d")) if len(rows) else ():
            out.setdefault(day, set()).add(rule)
    return {day: sorted(rules) for day, rules in sorted(out.items())}


def quality_evaluation(
    asset_key: dg.AssetKey,
    key: str,
    findings: MonthFindings,
    rows: pd.DataFrame,
    *,
    carried: dict[str, list[str]] | None = None,
    as_of: pd.Timestamp | None = None,
) -> dg.AssetCheckEvaluation:
    """The `ohlcv_quality` result of one month partition: its holes from the registry rows (all
    days), its integrity rules on the judged days, and `carried`: the broken days earlier runs
    found on days not judged now (their candles are unchanged, so they still fail)."""
    holes = holes_summary(rows)
    gaps = gap_severity(rows)
    broken = findings.broken_rules()
    days = dict(sorted({**(carried or {}), **broken_days(broken)}.items()))
    judged = [d for d in findings.days if d["judged"] == "this run"]
    meta: dict[str, object] = {
        "candles": findings.candles,
        "expected": findings.expected,
        "missing": int(rows["missing_candles"].sum()) if len(rows) else 0,
        "holes": len(holes),
        "days_judged": len(judged),
        "days_table": dg.MetadataValue.md(days_markdown(findings.days)),
        "holes_table": dg.MetadataValue.md(holes_markdown(holes)),
        "holes_json": dg.MetadataValue.json(holes),
        "suspected_outages": findings.outages,
        **rules_metadata(broken),
        BROKEN_DAYS: dg.MetadataValue.json(days),
    }
    if judged:
        meta["judged_days"] = f"{judged[0]['day']}..{judged[-1]['day']}"
    if findings.status is not None:
        meta["listing_status"] = findings.status
    if as_of is not None:
        meta["judged_as_of"] = as_of.isoformat()
    if findings.candles == 0 and not holes:
        meta["empty_partition"] = f"no candle stored: {findings.status or 'nothing expected yet'}"
    if findings.grid_errors:
        meta["grid_error"] = "; ".join(findings.grid_errors[:5])
    if carried:
        meta["broken_days_from_earlier_runs"] = ", ".join(sorted(carried))
    severity = "error" if days else gaps
    parts = [
        f"{len(holes)} hole(s): " + ", ".join(sorted({h["reason"] for h in holes}))
        if holes
        else "no holes"
    ]
    if days:
        parts.append(broken_text(days))
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=QUALITY,
        passed=severity is None,
        severity=SEVERITY.get(severity or "error"),
        partition=key,
        blocking=True,
        metadata=meta,
        description="; ".join(parts),
    )


def jumps_evaluation(
    asset_key: dg.AssetKey, jumps_by_key: dict[str, pd.DataFrame], threshold: float
) -> dg.AssetCheckEvaluation:
    """The run's `ohlcv_price_jumps` result: one evaluation listing every partition's jumps.

    Jumps are review hints that block nothing, so they cost one event per run instead of one
    per partition; the partitions with jumps are named in the metadata.
    """
    found = {k: j for k, j in sorted(jumps_by_key.items()) if len(j)}
    total = sum(len(j) for j in found.values())
    meta: dict[str, object] = {
        "jumps": total,
        "threshold": threshold,
        "partitions_judged": len(jumps_by_key),
        "partitions_with_jumps": len(found),
    }
    if found:
        lines = ["| partition | jumps | largest move |", "|---|---|---|"]
        for key, jumps in list(found.items())[:200]:
            lines.append(f"| {key} | {len(jumps)} | {float(jumps['move'].abs().max()):.1%} |")
        meta["jumps_table"] = dg.MetadataValue.md("\n".join(lines))
        meta["jumps_by_partition"] = dg.MetadataValue.json({k: len(j) for k, j in found.items()})
        largest = max(found, key=lambda k: float(found[k]["move"].abs().max()))
        meta["largest_move"] = float(found[largest]["move"].abs().max())
        meta["examples"] = f"{largest}:\n" + examples(found[largest], ("prev_close", "move"))
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=PRICE_JUMPS,
        passed=not total,
        severity=dg.AssetCheckSeverity.WARN,
        blocking=False,
        metadata=meta,
        description=(
            f"{total} jump(s) in {len(found)} of {len(jumps_by_key)} partition(s)"
            if total
            else f"no jump in {len(jumps_by_key)} partition(s)"
        ),
    )
