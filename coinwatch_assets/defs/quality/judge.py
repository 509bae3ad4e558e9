"""Judging `ohlcv` partitions: holes (registry rows), integrity rules and price jumps.

Plain evaluation logic shared by the check step (`checks.py`) and the accept-holes job
(`accept.py`): one evaluation PER partition key, each pointing at that key's latest
materialization, and the holes written into `ohlcv_gaps`.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.quality.reporting import with_gaps_query
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.quality.targets import materialization_targets, with_target
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice
from coinwatch_assets.lib.market.grain import split_key
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


SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def day_window(day: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(day, tz="UTC")
    return start, start + pd.Timedelta(days=1)


def gaps_evaluation(
    asset_key: dg.AssetKey,
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
    asset_key: dg.AssetKey, key: str, findings: WindowFindings
) -> dg.AssetCheckEvaluation:
    broken = findings.broken_rules
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
    asset_key: dg.AssetKey, key: str, findings: WindowFindings, threshold: float
) -> dg.AssetCheckEvaluation:
    jumps = findings.jumps if findings.jumps is not None else pd.DataFrame()
    meta: dict[str, object] = {"jumps": len(jumps), "threshold": threshold}
    if len(jumps):
        meta["examples"] = examples(jumps, ("prev_close", "move"))
        meta["largest_move"] = float(jumps["move"].abs().max())
    return dg.AssetCheckEvaluation(
        asset_key=asset_key,
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
    asset_key: dg.AssetKey,
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
        day_key, symbol_key = split_key(key)
        symbol = key_to_symbol(symbol_key)
        start, end = day_window(day_key)
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
            gaps_evaluation(asset_key, key, findings, rows, status=status, as_of=as_of),
            integrity_evaluation(asset_key, key, findings),
            jumps_evaluation(asset_key, key, findings, jump_threshold),
        ]
    frames = [r for r in registry if len(r)]
    return (pd.concat(frames, ignore_index=True) if frames else empty_registry()), evaluations


def _fetch_times(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, keys: list[str]
) -> tuple[dict, dict]:
    raw: dict[str, str] = {}
    targets = materialization_targets(instance, asset_key, keys, raw)
    return targets, {k: pd.Timestamp(v).tz_convert("UTC") for k, v in raw.items()}


@dataclass(frozen=True)
class Judge:
    """Judges `ohlcv` partitions of one venue: registry rows written, evaluations returned.

    Shared by the check step and the accept-holes job (`amend` edits the stored holes first).
    """

    asset_key: dg.AssetKey
    pdef: dg.PartitionsDefinition
    exchange: str
    timeframe: str

    def run(
        self,
        instance: dg.DagsterInstance,
        database: DatabaseResource,
        quality_policy: QualityPolicyResource,
        keys: list[str],
        log: logging.Logger | dg.DagsterLogManager,
        amend: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    ) -> tuple[list[dg.AssetCheckEvaluation], dg.AssetObservation]:
        """The evaluations of `keys`, and an observation of the venue's `ohlcv_gaps` node."""
        exchange, timeframe, pdef = self.exchange, self.timeframe, self.pdef
        candles_spec, gaps_spec = table_spec("ohlcv"), table_spec("ohlcv_gaps")
        pins = {"exchange": exchange, "timeframe": timeframe}
        storage = database.storage()
        candles_where = partition_slice(candles_spec, "ohlcv", pdef, keys).pinned(pins)
        candles = storage.read(candles_spec, candles_where)
        where = partition_slice(gaps_spec, "ohlcv_gaps", pdef, keys).pinned(pins)
        previous = storage.read(gaps_spec, where)
        if amend is not None:
            previous = amend(previous)
        symbols = sorted({key_to_symbol(k.split("|", 1)[1]) for k in keys})
        listed = Slice("ohlcv", "ts", tuple(Cell(equals=(("symbol", s),)) for s in symbols))
        targets, fetched_at = _fetch_times(instance, self.asset_key, keys)
        registry, evaluations = evaluate_partitions(
            self.asset_key,
            keys,
            candles,
            previous,
            exchange=exchange,
            timeframe=timeframe,
            now=pd.Timestamp.now(tz="UTC"),
            policy=quality_policy.gap_policy(),
            jump_threshold=quality_policy.jump_threshold,
            fetched_at=fetched_at,
            first_candle=storage.first_times(candles_spec, listed.pinned(pins), "symbol"),
            delisted=delisted_since(database.read("markets"), exchange),
        )
        # One transaction replaces the registry rows of every key of the run: re-runs never
        # duplicate holes, and `attempts` (and accepted holes' notes) carry over.
        result = storage.write(gaps_spec, registry, where)
        log.info(f"ohlcv_gaps: {result.rows_written} hole(s) for {len(keys)} partition(s)")
        reasons = registry["reason"].value_counts().to_dict() if len(registry) else {}
        observation = dg.AssetObservation(
            asset_key=gaps_key(self.asset_key),
            metadata={
                "partitions_judged": len(keys),
                "holes": result.rows_written,
                **{f"holes_{reason}": int(n) for reason, n in sorted(reasons.items())},
            },
        )
        return [
            with_target(with_gaps_query(e, exchange, timeframe), targets.get(e.partition or ""))
            for e in evaluations
        ], observation


def gaps_key(ohlcv_key: dg.AssetKey) -> dg.AssetKey:
    """The venue's `ohlcv_gaps` node beside its `ohlcv` (binance/ohlcv -> binance/ohlcv_gaps)."""
    return dg.AssetKey([*ohlcv_key.path[:-1], "ohlcv_gaps"])
