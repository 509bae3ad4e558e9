"""Judging `ohlcv` partitions: holes (registry rows), integrity rules and price jumps.

Plain evaluation logic shared by the check step (`checks.py`) and the accept-holes job
(`accept.py`): one quality evaluation (holes and integrity) PER partition key, each pointing
at that key's latest materialization, one price-jumps evaluation for the run, and the holes
written into `ohlcv_gaps`.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.quality.earlier import earlier_broken_days
from coinwatch_assets.defs.quality.evaluations import (
    PRICE_JUMPS,
    QUALITY,
    jumps_evaluation,
    quality_evaluation,
)
from coinwatch_assets.defs.quality.reporting import with_gaps_query
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.quality.targets import materialization_targets, with_target
from coinwatch_assets.defs.storage import (
    FETCHED_FROM,
    FETCHED_TO,
    DatabaseResource,
    partition_slice,
)
from coinwatch_assets.lib.market.grain import days_of_month, month_window, split_key
from coinwatch_assets.lib.market.universe import delisted_since
from coinwatch_assets.lib.quality.month import (
    MonthFindings,
    day_spans,
    day_window,
    judged_days,
    kept_days,
    split_gaps_by_day,
)
from coinwatch_assets.lib.quality.registry import (
    GapPolicy,
    empty_registry,
    merge_holes,
)
from coinwatch_assets.lib.quality.window import Window, WindowFindings, evaluate_windows
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.tables import TableSpec, table_spec
from coinwatch_assets.lib.symbols import key_to_symbol

__all__ = ["PRICE_JUMPS", "QUALITY", "Judge", "day_window", "gaps_key"]


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


@dataclass(frozen=True)
class Series:
    """Who a partition's candles are: venue, timeframe, listing facts, judging settings."""

    exchange: str
    timeframe: str
    now: pd.Timestamp
    policy: GapPolicy
    jump_threshold: float
    first_candle: dict[str, pd.Timestamp] = field(default_factory=dict)
    delisted: dict[str, date] = field(default_factory=dict)


def evaluate_partitions(
    asset_key: dg.AssetKey,
    days: dict[str, list[date]],
    candles: pd.DataFrame,
    previous: pd.DataFrame,
    series: Series,
    as_of: dict[str, pd.Timestamp] | None = None,
    jumps_by_key: dict[str, pd.DataFrame] | None = None,
    earlier: dict[str, dict[str, list[str]]] | None = None,
) -> tuple[pd.DataFrame, list[dg.AssetCheckEvaluation]]:
    """The registry rows of each month key after judging its `days`, and its quality
    evaluation; its price jumps are added to `jumps_by_key` (one run-wide result).

    Each day is judged as of its key's fetch (`as_of`, else `now`): a candle that closed after
    the fetch is not missing. A day with no candle between the symbol's first stored candle
    and its delisting is a full-day hole. A key's verdict covers its whole month: the
    registry rows of days not judged now (`previous`) count as they stand, and so do the
    broken days earlier results found on them (`earlier`).
    """
    candles = candles[candles["timeframe"] == series.timeframe]
    # Storage reads come in key order: a series sorted by time is not sorted again.
    by_symbol = {
        symbol: rows if rows["ts"].is_monotonic_increasing else rows.sort_values("ts")
        for symbol, rows in candles.groupby("symbol", sort=False)
    }
    old_by_symbol = dict(tuple(previous.groupby("symbol", sort=False)))
    found = _judge_windows(days, by_symbol, candles.iloc[:0], series, as_of or {})
    registry, evaluations = [], []
    for key, key_days in days.items():
        month, symbol_key = split_key(key)
        symbol = key_to_symbol(symbol_key)
        moment = (as_of or {}).get(key, series.now)
        old = old_by_symbol.get(symbol, previous.iloc[:0])
        lo_month, hi_month = (pd.Timestamp(t) for t in month_window(month))
        old = old[(old["gap_start"] >= lo_month) & (old["gap_start"] < hi_month)]
        findings, judged_rows = MonthFindings(), [old.iloc[:0]]
        judged = pd.Series(False, index=old.index)
        for span in day_spans(key_days):
            start, end = day_window(span[0])[0], day_window(span[-1])[1]
            window, status = next(found[symbol])
            in_span = (old["gap_start"] >= start) & (old["gap_start"] < end)
            judged |= in_span
            gaps = split_gaps_by_day(window.gaps.gaps, series.timeframe) if window.gaps else ()
            open_end = window.gaps.last_expected if window.gaps and end > moment else None
            rows = merge_holes(
                old[in_span],
                gaps,
                exchange=series.exchange,
                symbol=symbol,
                timeframe=series.timeframe,
                now=series.now,
                open_end=open_end,
                policy=series.policy,
            )
            findings.add_span(span, window, rows, status, series.timeframe)
            judged_rows.append(rows)
        kept = old[~judged]
        findings.days += kept_days(kept)
        new_rows = [r for r in judged_rows if len(r)]
        fresh = pd.concat(new_rows, ignore_index=True) if new_rows else empty_registry()
        month_rows = pd.concat([r for r in (kept, fresh) if len(r)] or [fresh], ignore_index=True)
        registry.append(month_rows)
        days_now = {f"{d}" for d in key_days}
        carried = {
            d: rules for d, rules in (earlier or {}).get(key, {}).items() if d not in days_now
        }
        evaluations.append(
            quality_evaluation(asset_key, key, findings, month_rows, carried=carried, as_of=moment)
        )
        if jumps_by_key is not None:
            jumps_by_key[key] = findings.all_jumps()
    frames = [r for r in registry if len(r)]
    return (pd.concat(frames, ignore_index=True) if frames else empty_registry()), evaluations


def _judge_windows(
    days: dict[str, list[date]],
    by_symbol: dict[str, pd.DataFrame],
    no_rows: pd.DataFrame,
    series: Series,
    as_of: dict[str, pd.Timestamp],
) -> dict[str, Iterator[tuple[WindowFindings, str | None]]]:
    """Per symbol, the findings of each span of judged days (in `days` order) and its listing
    status: one `evaluate_windows` per symbol of the batch, not one call per month."""
    windows: dict[str, list[Window]] = {}
    statuses: dict[str, list[str | None]] = {}
    for key, key_days in days.items():
        symbol = key_to_symbol(split_key(key)[1])
        rows_of = by_symbol.get(symbol, no_rows)
        ts = rows_of["ts"]
        for span in day_spans(key_days):
            start, end = day_window(span[0])[0], day_window(span[-1])[1]
            lo, hi, status = listing_window(
                start,
                end,
                rows_of.iloc[ts.searchsorted(start) : ts.searchsorted(end)],
                series.first_candle.get(symbol),
                series.delisted.get(symbol),
            )
            moment = as_of.get(key, series.now)
            windows.setdefault(symbol, []).append(Window(start, end, lo, hi, moment, hi > lo))
            statuses.setdefault(symbol, []).append(status)
    return {
        symbol: zip(
            evaluate_windows(
                by_symbol.get(symbol, no_rows),
                series.timeframe,
                spans,
                jump_threshold=series.jump_threshold,
            ),
            statuses[symbol],
            strict=True,
        )
        for symbol, spans in windows.items()
    }


def _fetch_meta(
    instance: dg.DagsterInstance, asset_key: dg.AssetKey, keys: list[str]
) -> tuple[dict, dict[str, pd.Timestamp], dict[str, tuple[pd.Timestamp, pd.Timestamp]]]:
    """Each key's latest materialization, its fetch time and the span it fetched (if stated)."""
    raw: dict[str, dict[str, str]] = {}
    targets = materialization_targets(instance, asset_key, keys, raw)
    at = {
        k: pd.Timestamp(v["fetched_at"]).tz_convert("UTC")
        for k, v in raw.items()
        if "fetched_at" in v
    }
    spans = {
        k: (pd.Timestamp(v[FETCHED_FROM]), pd.Timestamp(v[FETCHED_TO]))
        for k, v in raw.items()
        if FETCHED_FROM in v and FETCHED_TO in v
    }
    return targets, at, spans


# Judged days per batch of keys read and judged together (about a symbol-year).
DAYS_PER_BATCH = 366


def day_batches(days: dict[str, list[date]]) -> list[dict[str, list[date]]]:
    """The keys in batches of at most DAYS_PER_BATCH judged days (a key is never split)."""
    batches: list[dict[str, list[date]]] = [{}]
    size = 0
    for key in sorted(days, key=lambda k: split_key(k)[::-1]):
        if size and size + len(days[key]) > DAYS_PER_BATCH:
            batches.append({})
            size = 0
        batches[-1][key] = days[key]
        size += len(days[key])
    return [b for b in batches if b]


def days_slice(
    spec: TableSpec, pdef: dg.PartitionsDefinition, days: dict[str, list[date]], pins: dict
) -> Slice:
    """The rows of `spec` on the given days of each key (days of a key are contiguous)."""
    windows = {
        key: [(day_window(d[0])[0].to_pydatetime(), day_window(d[-1])[1].to_pydatetime())]
        if d
        else []
        for key, d in days.items()
    }
    return partition_slice(spec, spec.name, pdef, list(days), windows).pinned(pins)


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
        days: dict[str, list[date]] | None = None,
    ) -> tuple[list[dg.AssetCheckEvaluation], dg.AssetObservation]:
        """The evaluations of `keys`, and an observation of the venue's `ohlcv_gaps` node.

        Judged days: `days` when given, else the days each key's latest fetch touched (the
        whole month when it states no span). Other days keep their registry rows.
        """
        exchange, timeframe, pdef = self.exchange, self.timeframe, self.pdef
        candles_spec, gaps_spec = table_spec("ohlcv"), table_spec("ohlcv_gaps")
        pins = {"exchange": exchange, "timeframe": timeframe}
        storage = database.storage()
        now = pd.Timestamp.now(tz="UTC")
        targets, fetched_at, spans = _fetch_meta(instance, self.asset_key, keys)
        if days is None:
            days = {
                k: judged_days(split_key(k)[0], spans.get(k), fetched_at.get(k, now)) for k in keys
            }
        # The registry rows of the whole months: the verdict of days not judged now.
        where = partition_slice(gaps_spec, "ohlcv_gaps", pdef, keys).pinned(pins)
        previous = storage.read(gaps_spec, where)
        if amend is not None:
            previous = amend(previous)
        symbols = sorted({key_to_symbol(split_key(k)[1]) for k in keys})
        listed = Slice("ohlcv", "ts", tuple(Cell(equals=(("symbol", s),)) for s in symbols))
        series = Series(
            exchange=exchange,
            timeframe=timeframe,
            now=now,
            policy=quality_policy.gap_policy(),
            jump_threshold=quality_policy.jump_threshold,
            first_candle=storage.first_times(candles_spec, listed.pinned(pins), "symbol"),
            delisted=delisted_since(database.read("markets"), exchange),
        )
        # Broken candles of days judged earlier live in the latest result, not the registry.
        partial = [k for k in keys if len(days[k]) < len(days_of_month(split_key(k)[0]))]
        earlier = earlier_broken_days(instance, self.asset_key, partial)
        registries, evaluations, jumps = [], [], {}
        for group in day_batches(days):
            # A batch of keys at a time: a backfill of years holds about a symbol-year of
            # candles, an intraday run of every symbol one batch.
            candles = storage.read(candles_spec, days_slice(candles_spec, pdef, group, pins))
            found, judged_now = evaluate_partitions(
                self.asset_key, group, candles, previous, series, fetched_at, jumps, earlier
            )
            registries.append(found)
            evaluations += judged_now
        evaluations.append(jumps_evaluation(self.asset_key, jumps, series.jump_threshold))
        found = [r for r in registries if len(r)]
        registry = pd.concat(found, ignore_index=True) if found else empty_registry()
        # One transaction replaces the registry rows of every month of the run (rows of days
        # not judged now are written back as they were): re-runs never duplicate holes, and
        # `attempts` (and accepted holes' notes) carry over.
        result = storage.write(gaps_spec, registry, where)
        judged = sum(len(d) for d in days.values())
        log.info(
            f"ohlcv_gaps: {result.rows_written} hole(s) in {len(keys)} partition(s), "
            f"{judged} day(s) judged"
        )
        reasons = registry["reason"].value_counts().to_dict() if len(registry) else {}
        observation = dg.AssetObservation(
            asset_key=gaps_key(self.asset_key),
            metadata={
                "partitions_judged": len(keys),
                "days_judged": judged,
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
