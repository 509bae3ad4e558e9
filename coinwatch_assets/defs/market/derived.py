"""Assets derived from a venue's `ohlcv` under declarative automation, gated by its checks."""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.gate import UpstreamChecksPassed
from coinwatch_assets.defs.market.touched import windows_to_derive
from coinwatch_assets.defs.partition_metadata import add_partition_metadata
from coinwatch_assets.defs.storage import FETCHED_WINDOWS, DatabaseResource, table_metadata
from coinwatch_assets.lib.market.grain import join_key, split_key
from coinwatch_assets.lib.market.resample import BAR_TABLES, derived_bar_tables, resample_ohlcv
from coinwatch_assets.lib.market.touched import Window, months_read
from coinwatch_assets.lib.ohlcv_frame import empty_ohlcv
from coinwatch_assets.lib.storage.slices import Slice, build_cells
from coinwatch_assets.lib.symbols import key_to_symbol
from coinwatch_assets.lib.venues import Venue


def derived_condition(ignore: dg.AssetSelection | None = None) -> dg.AutomationCondition:
    """When a derived asset's partition is requested; `ignore`: deps that never trigger it.

    `eager()` without its latest-time-window limit (backfilled months must be derived too),
    and never while a blocking check of `ohlcv` fails on a partition the asset reads: a month
    with unexplained holes is not turned into wrong bars or indicators. `since_last_handled` keeps
    an update pending until the checks pass (the repair sensor's re-fetch, the accept step).

    The check gate holds a partition back when ANY upstream partition it reads has a blocking
    check not passed on its latest materialization: Dagster's `all_deps_blocking_checks_passed`
    asks, per upstream asset, whether ANY of the partitions it maps to passed (with a look-back,
    `indicators` of month N reads months N-1..N, a failed N-1 would not hold N back), and its
    per-check form loads every partition's check state each tick (see `gate.py`).
    """

    def deps(condition: Any) -> dg.AutomationCondition:  # a DepsAutomationCondition
        return condition.ignore(ignore) if ignore is not None else condition

    return (
        (
            dg.AutomationCondition.newly_missing() | deps(dg.AutomationCondition.any_deps_updated())
        ).since_last_handled()
        & ~deps(dg.AutomationCondition.any_deps_missing())
        & ~deps(dg.AutomationCondition.any_deps_in_progress())
        & ~dg.AutomationCondition.in_progress()
        & UpstreamChecksPassed()
    ).with_label("eager on every month, gated by blocking checks")


_BAR_DOCS = {
    "ohlcv_1h": "Hourly OHLCV bars resampled from the month's candles; partial bars flagged.",
    "ohlcv_1d": "Daily OHLCV bars resampled from the month's candles; partial days flagged.",
}


def venue_start(venue: Venue) -> datetime:
    return datetime.combine(venue.start_date, datetime.min.time(), UTC)


def read_candles(
    database: DatabaseResource,
    venue: Venue,
    windows: Mapping[str, Sequence[Window]],
    back: timedelta = timedelta(0),
) -> pd.DataFrame:
    """The venue's stored candles of `windows` per partition key, each from `back` earlier.

    Never before the venue's first day: earlier candles are none of its partitions.
    """
    first = venue_start(venue)
    selections = [
        ((("symbol", key_to_symbol(split_key(key)[1])),), (max(start - back, first), end))
        for key, parts in windows.items()
        for start, end in parts
    ]
    cells = build_cells(selections)
    if not cells:
        return empty_ohlcv()
    pins = {"exchange": venue.exchange_label, "timeframe": venue.timeframe}
    label = f"{len(windows)} partition(s) to derive"
    return database.read("ohlcv", Slice("ohlcv", "ts", cells, label).pinned(pins))


def derive_metadata(
    context: dg.AssetExecutionContext,
    windows: Mapping[str, Sequence[Window]],
    per_key: Mapping[str, Mapping[str, object]] | None = None,
) -> dict[str, object]:
    """Which days each partition recomputed: on its own materialization, and the run's total.

    Returns the run-level part; the per-key part goes to each key's materialization.
    """
    keys = list(windows)
    meta = {
        key: {
            **(per_key or {}).get(key, {}),
            "derived_days": sum((end - start).days for start, end in parts),
            "derived_windows": ", ".join(f"{s:%Y-%m-%d}..{e:%Y-%m-%d}" for s, e in parts),
        }
        for key, parts in windows.items()
    }
    if len(keys) == 1:
        return dict(meta[keys[0]])
    add_partition_metadata(context, context.asset_key, meta, keys)
    return {"derived_days": sum(int(m["derived_days"]) for m in meta.values())}


def owning(frame: pd.DataFrame, windows: Mapping[str, Sequence[Window]]) -> pd.DataFrame:
    """`frame`, replacing only `windows` of its partitions (the IO manager reads them)."""
    frame.attrs[FETCHED_WINDOWS] = {key: list(parts) for key, parts in windows.items()}
    return frame


def plan_windows(
    context: dg.AssetExecutionContext, venue: Venue, upstream: dg.AssetKey, follow_days: int = 0
) -> dict[str, list[Window]]:
    """The days each partition of this run recomputes (see `defs.market.touched`)."""
    keys = [str(k) for k in context.partition_keys]

    def reads(key: str) -> list[str]:
        if not follow_days:
            return [key]
        month, symbol_key = split_key(key)
        return [join_key(m, symbol_key) for m in months_read(month, follow_days)]

    return windows_to_derive(
        context.instance,
        context.asset_key,
        upstream,
        keys,
        reads,
        follow_days=follow_days,
        since=venue.start_date,
    )


def derived_group(venue: Venue) -> str:
    """The group of a venue's derived assets: the graph reads market -> derived."""
    return f"{venue.name}_derived" if venue.name else "derived"


def build_bars(venue: Venue, ohlcv: dg.AssetsDefinition, table: str) -> dg.AssetsDefinition:
    """The venue's `table` (ohlcv_1h, ohlcv_1d): bars of the touched days' candles, counted."""
    rule = BAR_TABLES[table]

    @dg.asset(
        name=table,
        key_prefix=venue.key_prefix(),
        group_name=derived_group(venue),
        description=_BAR_DOCS[table],
        partitions_def=ohlcv.partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        automation_condition=derived_condition(),
        metadata=table_metadata(table, exchange=venue.exchange_label, timeframe=venue.timeframe),
        # Read from storage for the touched days only, not through an input of whole months.
        deps=[ohlcv.key],
        kinds={"pandas", "sql"},
    )
    def bars(context: dg.AssetExecutionContext, database: DatabaseResource) -> pd.DataFrame:
        windows = plan_windows(context, venue, ohlcv.key)
        candles = read_candles(database, venue, windows)
        frame = resample_ohlcv(candles, rule, venue.timeframe)
        partial = frame[frame["candles"] < frame["expected_candles"]]
        context.add_output_metadata(
            {
                **derive_metadata(context, windows),
                "source_candles": len(candles),
                "bars": len(frame),
                "partial_bars": len(partial),
                "missing_candles": int((partial["expected_candles"] - partial["candles"]).sum()),
            }
        )
        if len(partial):
            # Accepted holes, a listing day or today's open bar: flagged in the table.
            context.log.info(f"{table}: {len(partial)} partial bar(s) (candles < expected)")
        return owning(frame, windows)

    return bars


def build_bar_assets(venue: Venue, ohlcv: dg.AssetsDefinition) -> tuple[dg.AssetsDefinition, ...]:
    """The bars coarser than the venue's base timeframe (none of 1h for 1h candles)."""
    return tuple(build_bars(venue, ohlcv, table) for table in derived_bar_tables(venue.timeframe))


def build_derived_sensor(
    venue: Venue, derived: Sequence[dg.AssetsDefinition]
) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        venue.named("derived_automation_sensor"),
        target=list(derived),
        # Running from the start: stopped, derived assets look dead to a newcomer. It only requests
        # runs after ohlcv changes, so a fresh `make dev` still launches nothing by itself.
        default_status=dg.DefaultSensorStatus.RUNNING,
        # The check gate is a condition of our own (gate.py): the daemon cannot deserialize
        # it, so the sensor is evaluated in the code server (the daemon alone never ticks it).
        use_user_code_server=True,
        description="Evaluates the automation conditions of the assets derived from ohlcv.",
    )
