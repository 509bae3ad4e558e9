"""Check evaluations of `ohlcv`: holes and integrity per month partition, jumps per run."""

import dagster as dg
import pandas as pd

from coinwatch_assets.lib.quality.month import MonthFindings, days_markdown
from coinwatch_assets.lib.quality.registry import gap_severity, holes_markdown, holes_summary
from coinwatch_assets.lib.quality.window import examples, rules_metadata

NO_GAPS = "ohlcv_no_gaps"
INTEGRITY = "ohlcv_integrity"
PRICE_JUMPS = "ohlcv_price_jumps"


SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def gaps_evaluation(
    asset_key: dg.AssetKey,
    key: str,
    findings: MonthFindings,
    rows: pd.DataFrame,
    *,
    as_of: pd.Timestamp | None = None,
) -> dg.AssetCheckEvaluation:
    """The `ohlcv_no_gaps` result of one month partition from its registry rows (all days)."""
    holes = holes_summary(rows)
    severity = gap_severity(rows)
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
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
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


def integrity_evaluation(
    asset_key: dg.AssetKey, key: str, findings: MonthFindings
) -> dg.AssetCheckEvaluation:
    broken = findings.broken_rules()
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
        check_name=INTEGRITY,
        passed=not broken,
        severity=dg.AssetCheckSeverity.ERROR,
        partition=key,
        blocking=True,
        metadata=rules_metadata(broken),
        description="broken: " + ", ".join(broken) if broken else "all rules hold",
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
