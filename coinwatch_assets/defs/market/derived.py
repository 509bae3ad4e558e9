"""Assets derived from a venue's `ohlcv` under declarative automation, gated by its checks."""

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.storage import table_metadata
from coinwatch_assets.lib.market.resample import resample_ohlcv
from coinwatch_assets.lib.venues import Venue

# `eager()` without its latest-time-window limit (backfilled days must be resampled too), and
# never while a blocking check of `ohlcv` (gaps, integrity) fails on the partition: a day with
# unexplained holes is not turned into wrong bars. `since_last_handled` keeps an update
# pending until the checks pass, e.g. after the gap repair sensor's re-fetch.
derived_condition = (
    (
        dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()
    ).since_last_handled()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager on every day, gated by blocking checks")


def build_ohlcv_1h(venue: Venue, ohlcv: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        name="ohlcv_1h",
        key_prefix=venue.key_prefix(),
        group_name=venue.group,
        partitions_def=ohlcv.partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        automation_condition=derived_condition,
        metadata=table_metadata(
            "ohlcv_1h", exchange=venue.exchange_label, timeframe=venue.timeframe
        ),
        ins={"ohlcv": dg.AssetIn(key=ohlcv.key)},
        kinds={"pandas", "sql"},
    )
    def ohlcv_1h(context: dg.AssetExecutionContext, ohlcv: pd.DataFrame) -> pd.DataFrame:
        """Hourly OHLCV bars resampled from the day's candles."""
        bars = resample_ohlcv(ohlcv, "1h")
        context.add_output_metadata({"source_candles": len(ohlcv), "bars": len(bars)})
        return bars

    return ohlcv_1h


def build_derived_sensor(
    venue: Venue, derived: list[dg.AssetsDefinition]
) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        venue.named("derived_automation_sensor"),
        target=derived,
        # Running from the start: stopped, ohlcv_1h looks dead to a newcomer. It only requests
        # runs after ohlcv changes, so a fresh `make dev` still launches nothing by itself.
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Evaluates the automation conditions of the assets derived from ohlcv.",
    )
