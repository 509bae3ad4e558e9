"""Assets derived from `ohlcv` under declarative automation, gated by its blocking checks."""

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.market.assets import EXCHANGE
from coinwatch_assets.defs.market.partitions import SETTINGS, ohlcv_partitions
from coinwatch_assets.defs.storage import table_metadata
from coinwatch_assets.lib.market.resample import resample_ohlcv

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


@dg.asset(
    group_name="market",
    partitions_def=ohlcv_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    automation_condition=derived_condition,
    metadata=table_metadata("ohlcv_1h", exchange=EXCHANGE, timeframe=SETTINGS.timeframe),
    kinds={"pandas", "sql"},
)
def ohlcv_1h(context: dg.AssetExecutionContext, ohlcv: pd.DataFrame) -> pd.DataFrame:
    """Hourly OHLCV bars resampled from the day's candles."""
    bars = resample_ohlcv(ohlcv, "1h")
    context.add_output_metadata({"source_candles": len(ohlcv), "bars": len(bars)})
    return bars


derived_automation_sensor = dg.AutomationConditionSensorDefinition(
    "derived_automation_sensor",
    target=[ohlcv_1h],
    # Running from the start: stopped, ohlcv_1h looks dead to a newcomer. It only requests
    # runs after ohlcv changes, so a fresh `make dev` still launches nothing by itself.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Evaluates the automation conditions of the assets derived from ohlcv.",
)
