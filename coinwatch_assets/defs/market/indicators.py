"""`indicators`: RSI, EMA, MACD, Bollinger and volume SMA of a venue's candles.

A month partition recomputes the days `ohlcv` touched since it was last derived (and the days
whose look-back reads them), reading their look-back days before them (across the month
boundary: the partition mapping declares month N-1), so its first values equal those of one
long continuous series; it writes only those days. A partition whose look-back holds holes
nobody explained (see `coinwatch_assets.lib.market.lookback`) says so in its metadata.
"""

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.derived import (
    derive_metadata,
    derived_condition,
    derived_group,
    owning,
    plan_windows,
    read_candles,
)
from coinwatch_assets.defs.quality.judge import gaps_key
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice, table_metadata
from coinwatch_assets.lib.market.grain import SYMBOL_DIMENSION, TIME_DIMENSION, split_key
from coinwatch_assets.lib.market.indicators import compute_indicators, lookback_days
from coinwatch_assets.lib.market.lookback import lookback_window, unexplained_holes
from coinwatch_assets.lib.market.touched import Window, lookback_months
from coinwatch_assets.lib.quality.registry import empty_registry
from coinwatch_assets.lib.quality.timeframes import parse_timeframe
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.symbols import key_to_symbol
from coinwatch_assets.lib.venues import Venue

# Warnings a run logs one by one; the rest are counted (a year-long backfill stays readable).
MAX_WARNINGS = 20


def lookback_mapping(days: int) -> dg.MultiPartitionMapping:
    """Month N of a symbol reads the months its look-back reaches, N-k .. N, of the same symbol.

    k = `lookback_months(days)`: 1 for look-backs up to 28 days (5m, 1h candles), more for
    daily candles. None before the venue's first month.
    """
    return dg.MultiPartitionMapping(
        {
            TIME_DIMENSION: dg.DimensionPartitionMapping(
                TIME_DIMENSION,
                dg.TimeWindowPartitionMapping(
                    start_offset=-lookback_months(days), allow_nonexistent_upstream_partitions=True
                ),
            ),
            SYMBOL_DIMENSION: dg.DimensionPartitionMapping(
                SYMBOL_DIMENSION, dg.IdentityPartitionMapping()
            ),
        }
    )


Span = tuple[pd.Timestamp, pd.Timestamp]


def lookback_spans(windows: Mapping[str, Sequence[Window]], days: int) -> dict[str, Span]:
    """Per partition key with days to derive: [first day - `days`, end of the last day)."""
    return {
        key: lookback_window(pd.Timestamp(parts[0][0]), days, pd.Timestamp(parts[-1][1]))
        for key, parts in windows.items()
        if parts
    }


def _registry(database: DatabaseResource, spans: dict[str, Span], pins: dict[str, str]):
    """`ohlcv_gaps` rows of the run's symbols over their look-back windows."""
    windows: dict[str, Span] = {}
    for key, (start, end) in spans.items():
        symbol = key_to_symbol(split_key(key)[1])
        lo, hi = windows.get(symbol, (start, end))
        windows[symbol] = (min(lo, start), max(hi, end))
    cells = tuple(
        Cell(equals=(("symbol", s),), start=lo.to_pydatetime(), end=hi.to_pydatetime())
        for s, (lo, hi) in sorted(windows.items())
    )
    where = Slice("ohlcv_gaps", "gap_start", cells, "look-back windows").pinned(pins)
    return database.read("ohlcv_gaps", where)


def _markdown(holes: list[dict[str, object]]) -> str:
    lines = ["| gap_start | gap_end | missing | reason |", "|---|---|---|---|"]
    lines += [
        f"| {h['gap_start']} | {h['gap_end']} | {h['missing_candles']} | {h['reason']} |"
        for h in holes
    ]
    return "\n".join(lines)


def lookback_report(
    spans: dict[str, Span],
    candles: pd.DataFrame,
    registry: pd.DataFrame,
    *,
    timeframe: str,
    now: pd.Timestamp,
) -> dict[str, dict[str, object]]:
    """Per partition key of `spans`: its look-back window, candles in it, unexplained holes."""
    # Sorted stamps per symbol: each key's window is a binary search, not a scan of the run.
    stamps = {
        s: g["ts"].sort_values(ignore_index=True) for s, g in candles.groupby("symbol", sort=False)
    }
    holes_of = {s: g for s, g in registry.groupby("symbol", sort=False)}
    step = parse_timeframe(timeframe)
    report = {}
    for key, (start, end) in spans.items():
        symbol = key_to_symbol(split_key(key)[1])
        series = stamps.get(symbol, candles["ts"].iloc[:0])
        lo, hi = series.searchsorted(start), series.searchsorted(end)
        window = series.iloc[lo:hi]
        # A hole changes the values of the candles after it; after the last one there are
        # none (the month's rest not fetched yet, or missing: the quality check judges that).
        last = window.iloc[-1] + step if len(window) else end
        holes = unexplained_holes(
            window,
            timeframe,
            end=min(end, last),
            now=now,
            registry=holes_of.get(symbol, registry.iloc[:0]),
        )
        report[key] = {
            "lookback_start": start.isoformat(),
            "lookback_candles": len(window),
            "unexplained_holes": len(holes),
            "unexplained_missing_candles": sum(int(h["missing_candles"]) for h in holes),
            "unexplained_holes_json": dg.MetadataValue.json(holes),
            "unexplained_holes_table": dg.MetadataValue.md(_markdown(holes)),
        }
    return report


def build_indicators(venue: Venue, ohlcv: dg.AssetsDefinition) -> dg.AssetsDefinition:
    days = lookback_days(venue.timeframe)
    pins = {"exchange": venue.exchange_label, "timeframe": venue.timeframe}
    pdef = ohlcv.partitions_def
    gaps = gaps_key(ohlcv.key)

    @dg.asset(
        name="indicators",
        key_prefix=venue.key_prefix(),
        group_name=derived_group(venue),
        partitions_def=pdef,
        backfill_policy=dg.BackfillPolicy.single_run(),
        # It reads the registry to explain look-back holes (lineage: quality -> derived), but
        # the registry's observations never trigger it: the gate is ohlcv and its checks.
        automation_condition=derived_condition(ignore=dg.AssetSelection.assets(gaps)),
        # The mapping declares what the look-back reads (lineage, the checks' gate); the
        # candles are read from storage for the days to derive only.
        deps=[gaps, dg.AssetDep(ohlcv.key, partition_mapping=lookback_mapping(days))],
        metadata=table_metadata("indicators", **pins),
        kinds={"pandas", "sql"},
    )
    def indicators(context: dg.AssetExecutionContext, database: DatabaseResource) -> pd.DataFrame:
        """RSI, EMA, MACD, Bollinger, volume SMA per candle, warmed up on look-back days."""
        keys = [str(k) for k in context.partition_keys]
        windows = plan_windows(context, venue, ohlcv.key, follow_days=days)
        candles = read_candles(database, venue, windows, back=timedelta(days=days))
        started = time.perf_counter()
        values = compute_indicators(candles)
        compute_seconds = time.perf_counter() - started
        # Only the days derived: the look-back days belong to other days or partitions.
        own_slice = partition_slice(table_spec("indicators"), "indicators", pdef, keys, windows)
        own = values[own_slice.mask(values)]
        spans = lookback_spans(windows, days)
        report = lookback_report(
            spans,
            candles,
            _registry(database, spans, pins) if spans else empty_registry(),
            timeframe=venue.timeframe,
            now=pd.Timestamp.now(tz="UTC"),
        )
        holed = [k for k, r in report.items() if r["unexplained_holes"]]
        for key in holed[:MAX_WARNINGS]:
            r = report[key]
            context.log.warning(
                f"indicators {key}: the look-back from {r['lookback_start']} holds "
                f"{r['unexplained_holes']} unexplained hole(s), "
                f"{r['unexplained_missing_candles']} candle(s) missing; see its metadata"
            )
        if len(holed) > MAX_WARNINGS:
            context.log.warning(f"... and {len(holed) - MAX_WARNINGS} more partition(s) like that")
        meta: dict[str, object] = {
            **derive_metadata(context, windows, report),
            "lookback_days": days,
            "source_candles": len(candles),
            "indicator_rows": len(own),
            "compute_seconds": round(compute_seconds, 4),
            "partitions_with_unexplained_holes": len(holed),
        }
        context.add_output_metadata(meta)
        return owning(own.reset_index(drop=True), windows)

    return indicators
