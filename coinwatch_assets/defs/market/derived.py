"""Assets derived from a venue's `ohlcv` under declarative automation, gated by its checks."""

from collections.abc import Sequence
from typing import Any

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.storage import table_metadata
from coinwatch_assets.lib.market.resample import BAR_TABLES, derived_bar_tables, resample_ohlcv
from coinwatch_assets.lib.venues import Venue

# A dependency partition whose blocking check (gaps, integrity) has not passed: failed, or not
# run on its latest materialization, and not about to run on this tick.
_blocking_check_not_passed = dg.AutomationCondition.any_checks_match(
    ~(dg.AutomationCondition.check_passed() | dg.AutomationCondition.will_be_requested()),
    blocking_only=True,
).with_label("a blocking check not passed")


def derived_condition(ignore: dg.AssetSelection | None = None) -> dg.AutomationCondition:
    """When a derived asset's partition is requested; `ignore`: deps that never trigger it.

    `eager()` without its latest-time-window limit (backfilled days must be derived too), and
    never while a blocking check of `ohlcv` fails on a partition the asset reads: a day with
    unexplained holes is not turned into wrong bars or indicators. `since_last_handled` keeps
    an update pending until the checks pass (the repair sensor's re-fetch, the accept step).

    The check gate is `all_deps_blocking_checks_passed()` for EVERY upstream partition.
    Dagster's own form asks, per upstream asset, whether ANY of the partitions it maps to
    passed: with look-back days (`indicators` reads days N-3..N) a failed day N-1 would not
    hold day N back. For the bars (one upstream partition each) both forms are the same.
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
        & ~deps(dg.AutomationCondition.any_deps_match(_blocking_check_not_passed)).with_label(
            "all_deps_blocking_checks_passed (every upstream partition)"
        )
    ).with_label("eager on every day, gated by blocking checks")


_BAR_DOCS = {
    "ohlcv_1h": "Hourly OHLCV bars resampled from the day's candles; partial bars flagged.",
    "ohlcv_1d": "Daily OHLCV bar resampled from the day's candles; a partial day is flagged.",
}


def derived_group(venue: Venue) -> str:
    """The group of a venue's derived assets: the graph reads market -> derived."""
    return f"{venue.name}_derived" if venue.name else "derived"


def build_bars(venue: Venue, ohlcv: dg.AssetsDefinition, table: str) -> dg.AssetsDefinition:
    """The venue's `table` (ohlcv_1h, ohlcv_1d): bars of the day's candles, counted."""
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
        ins={"ohlcv": dg.AssetIn(key=ohlcv.key)},
        kinds={"pandas", "sql"},
    )
    def bars(context: dg.AssetExecutionContext, ohlcv: pd.DataFrame) -> pd.DataFrame:
        frame = resample_ohlcv(ohlcv, rule, venue.timeframe)
        partial = frame[frame["candles"] < frame["expected_candles"]]
        context.add_output_metadata(
            {
                "source_candles": len(ohlcv),
                "bars": len(frame),
                "partial_bars": len(partial),
                "missing_candles": int((partial["expected_candles"] - partial["candles"]).sum()),
            }
        )
        if len(partial):
            # Accepted holes, a listing day or today's open bar: flagged in the table.
            context.log.info(f"{table}: {len(partial)} partial bar(s) (candles < expected)")
        return frame

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
        description="Evaluates the automation conditions of the assets derived from ohlcv.",
    )
