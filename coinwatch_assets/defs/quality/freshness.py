"""`ohlcv_freshness`: the latest candle of every tracked symbol against the refresh schedule."""

from datetime import timedelta

import dagster as dg
import pandas as pd
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType

from coinwatch_assets.defs.market.assets import ohlcv
from coinwatch_assets.defs.market.partitions import SETTINGS, symbols_partitions
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.market.universe import delisted_since
from coinwatch_assets.lib.quality.freshness import allowed_lag, symbol_lags
from coinwatch_assets.lib.quality.queries import latest_candles
from coinwatch_assets.lib.symbols import key_to_symbol

# The schedule that keeps today's candles fresh; while it is off, lag is expected, not news.
REFRESH_SCHEDULE = "ohlcv_intraday_schedule"
_ON = (InstigatorStatus.RUNNING, InstigatorStatus.DECLARED_IN_CODE)


def schedule_running(instance: dg.DagsterInstance, name: str) -> bool:
    """Whether schedule `name` is switched on in this instance (any code location)."""
    states = instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
    return any(state.name == name and state.status in _ON for state in states)


def freshness_description(late: int, total: int, refresh_on: bool) -> str:
    if not late:
        return "all fresh"
    if not refresh_on:
        return (
            f"schedules are off: {REFRESH_SCHEDULE} is stopped, so nothing refreshes the "
            f"candles ({late} of {total} symbol(s) behind). Switch it on under Automation."
        )
    return f"{late} of {total} symbol(s) late"


@dg.asset_check(asset=ohlcv, name="ohlcv_freshness", description="Latest candle lag per symbol.")
def ohlcv_freshness(
    context: dg.AssetCheckExecutionContext,
    database: DatabaseResource,
    quality_policy: QualityPolicyResource,
) -> dg.AssetCheckResult:
    """Every tracked, listed symbol has its latest closed candle within the allowed lag."""
    now = pd.Timestamp.now(tz="UTC")
    delisted = delisted_since(database.read("markets"), SETTINGS.exchange_label)
    keys = context.instance.get_dynamic_partitions(symbols_partitions.name)
    symbols = [s for s in map(key_to_symbol, keys) if s not in delisted]
    latest = latest_candles(database.storage(), SETTINGS.exchange_label, SETTINGS.timeframe)
    allowed = allowed_lag(
        SETTINGS.timeframe,
        timedelta(minutes=quality_policy.schedule_interval_minutes),
        timedelta(minutes=quality_policy.freshness_grace_minutes),
    )
    lags = symbol_lags(latest, symbols, SETTINGS.timeframe, now)
    late = [lag for lag in lags if lag.late(allowed)]
    table = "\n".join(
        ["| symbol | latest candle | lag |", "|---|---|---|"]
        + [
            f"| {lag.symbol} | {lag.latest or 'none'} | {lag.lag if lag.lag is not None else '-'} |"
            for lag in lags
        ]
    )
    refresh_on = schedule_running(context.instance, REFRESH_SCHEDULE)
    return dg.AssetCheckResult(
        passed=not late,
        severity=dg.AssetCheckSeverity.WARN,
        description=freshness_description(len(late), len(lags), refresh_on),
        metadata={
            "refresh_schedule": f"{REFRESH_SCHEDULE}: {'on' if refresh_on else 'off'}",
            "allowed_lag": str(allowed),
            "late_symbols": ", ".join(lag.symbol for lag in late) or "none",
            "symbols": len(lags),
            "max_lag_minutes": max(
                (lag.lag.total_seconds() / 60 for lag in lags if lag.lag is not None), default=0.0
            ),
            "lags": dg.MetadataValue.md(table),
        },
    )


ohlcv_freshness_job = dg.define_asset_job(
    "ohlcv_freshness_job", selection=dg.AssetSelection.checks(ohlcv_freshness)
)

ohlcv_freshness_schedule = dg.ScheduleDefinition(
    name="ohlcv_freshness_schedule",
    cron_schedule="*/15 * * * *",
    job=ohlcv_freshness_job,
    execution_timezone="UTC",
    description="Every 15 minutes: how far each symbol's latest candle lags.",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
