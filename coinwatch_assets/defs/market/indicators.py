"""`indicators`: RSI, EMA, MACD, Bollinger and volume SMA of a venue's candles.

Each day reads its look-back days of `ohlcv` through a partition mapping, so its first values
equal those of one long continuous series; it writes only its own days. A day whose look-back
holds holes nobody explained (see `coinwatch_assets.lib.market.lookback`) says so in its
materialization's metadata.
"""

import time

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.derived import derived_condition, derived_group
from coinwatch_assets.defs.partition_metadata import add_partition_metadata
from coinwatch_assets.defs.quality.judge import gaps_key
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice, table_metadata
from coinwatch_assets.lib.market.grain import SYMBOL_DIMENSION, TIME_DIMENSION, split_key
from coinwatch_assets.lib.market.indicators import compute_indicators, lookback_days
from coinwatch_assets.lib.market.lookback import lookback_window, unexplained_holes
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.symbols import key_to_symbol
from coinwatch_assets.lib.venues import Venue

# Warnings a run logs one by one; the rest are counted (a year-long backfill stays readable).
MAX_WARNINGS = 20


def lookback_mapping(days: int) -> dg.MultiPartitionMapping:
    """Month N of a symbol reads months N-1 .. N of the same symbol (none before the start).

    Look-back windows are shorter than a month (`lookback_days`), so the previous month holds
    them whole.
    """
    if days > 28:
        raise ValueError(f"look-back of {days} days is longer than the shortest month")
    return dg.MultiPartitionMapping(
        {
            TIME_DIMENSION: dg.DimensionPartitionMapping(
                TIME_DIMENSION,
                dg.TimeWindowPartitionMapping(
                    start_offset=-1, allow_nonexistent_upstream_partitions=True
                ),
            ),
            SYMBOL_DIMENSION: dg.DimensionPartitionMapping(
                SYMBOL_DIMENSION, dg.IdentityPartitionMapping()
            ),
        }
    )


def _registry(
    database: DatabaseResource, keys: list[str], days: int, pins: dict[str, str]
) -> pd.DataFrame:
    """`ohlcv_gaps` rows of the run's symbols over their look-back windows."""
    windows: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}
    for key in keys:
        day, symbol_key = split_key(key)
        start, end = lookback_window(day, days)
        symbol = key_to_symbol(symbol_key)
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
    keys: list[str],
    candles: pd.DataFrame,
    registry: pd.DataFrame,
    *,
    timeframe: str,
    days: int,
    now: pd.Timestamp,
) -> dict[str, dict[str, object]]:
    """Per partition key: its look-back window, candles in it and unexplained holes."""
    # Sorted stamps per symbol: each key's window is a binary search, not a scan of the run.
    stamps = {
        s: g["ts"].sort_values(ignore_index=True) for s, g in candles.groupby("symbol", sort=False)
    }
    holes_of = {s: g for s, g in registry.groupby("symbol", sort=False)}
    report = {}
    for key in keys:
        day, symbol_key = split_key(key)
        symbol = key_to_symbol(symbol_key)
        start, end = lookback_window(day, days)
        series = stamps.get(symbol, candles["ts"].iloc[:0])
        lo, hi = series.searchsorted(start), series.searchsorted(end)
        window = series.iloc[lo:hi]
        holes = unexplained_holes(
            window,
            timeframe,
            end=end,
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
        deps=[gaps],
        metadata=table_metadata("indicators", **pins),
        ins={"ohlcv": dg.AssetIn(key=ohlcv.key, partition_mapping=lookback_mapping(days))},
        kinds={"pandas", "sql"},
    )
    def indicators(
        context: dg.AssetExecutionContext, database: DatabaseResource, ohlcv: pd.DataFrame
    ) -> pd.DataFrame:
        """RSI, EMA, MACD, Bollinger, volume SMA per candle, warmed up on look-back days."""
        keys = [str(k) for k in context.partition_keys]
        started = time.perf_counter()
        values = compute_indicators(ohlcv)
        compute_seconds = time.perf_counter() - started
        # Only the run's own days: the look-back days belong to other partitions.
        own_slice = partition_slice(table_spec("indicators"), "indicators", pdef, keys)
        own = values[own_slice.mask(values)]
        report = lookback_report(
            keys,
            ohlcv,
            _registry(database, keys, days, pins),
            timeframe=venue.timeframe,
            days=days,
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
            context.log.warning(f"... and {len(holed) - MAX_WARNINGS} more day(s) like that")
        meta: dict[str, object] = {
            "lookback_days": days,
            "source_candles": len(ohlcv),
            "indicator_rows": len(own),
            "compute_seconds": round(compute_seconds, 4),
            "days_with_unexplained_holes": len(holed),
        }
        if len(keys) == 1:
            meta.update(report[keys[0]])
        else:
            add_partition_metadata(context, context.asset_key, report, keys)
        context.add_output_metadata(meta)
        return own.reset_index(drop=True)

    return indicators
