"""`ohlcv_freshness`: the latest candle of every tracked symbol against the refresh schedule."""

from datetime import timedelta
from typing import Any

import dagster as dg
import pandas as pd
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType

from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.market.universe import delisted_since
from coinwatch_assets.lib.quality.freshness import allowed_lag, symbol_lags
from coinwatch_assets.lib.quality.queries import latest_candles
from coinwatch_assets.lib.symbols import key_to_symbol
from coinwatch_assets.lib.venues import Venue

# The schedule that keeps today's candles fresh; while it is off, lag is expected, not news.
REFRESH_SCHEDULE = "ohlcv_intraday_schedule"
_ON = (InstigatorStatus.RUNNING, InstigatorStatus.DECLARED_IN_CODE)


def schedule_running(instance: dg.DagsterInstance, name: str) -> bool:
    """Whether schedule `name` is switched on in this instance (any code location)."""
    states = instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
    return any(state.name == name and state.status in _ON for state in states)


def freshness_description(
    late: int, total: int, refresh_on: bool, schedule: str = REFRESH_SCHEDULE
) -> str:
    if not late:
        return "all fresh"
    if not refresh_on:
        return (
            f"schedules are off: {schedule} is stopped, so nothing refreshes the "
            f"candles ({late} of {total} symbol(s) behind). Switch it on under Automation."
        )
    return f"{late} of {total} symbol(s) late"


def build_freshness(
    venue: Venue, ohlcv: dg.AssetsDefinition, symbols_name: str
) -> tuple[dg.AssetChecksDefinition, Any, dg.ScheduleDefinition]:
    """The venue's `ohlcv_freshness` check, the job that runs it alone, and its schedule."""
    exchange, timeframe = venue.exchange_label, venue.timeframe
    refresh_schedule = venue.named(REFRESH_SCHEDULE)

    @dg.asset_check(
        asset=ohlcv.key, name="ohlcv_freshness", description="Latest candle lag per symbol."
    )
    def ohlcv_freshness(
        context: dg.AssetCheckExecutionContext,
        database: DatabaseResource,
        quality_policy: QualityPolicyResource,
    ) -> dg.AssetCheckResult:
        """Every tracked, listed symbol has its latest closed candle within the allowed lag."""
        now = pd.Timestamp.now(tz="UTC")
        delisted = delisted_since(database.read("markets"), exchange)
        keys = context.instance.get_dynamic_partitions(symbols_name)
        symbols = [s for s in map(key_to_symbol, keys) if s not in delisted]
        latest = latest_candles(database.storage(), exchange, timeframe)
        allowed = allowed_lag(
            timeframe,
            timedelta(minutes=quality_policy.schedule_interval_minutes),
            timedelta(minutes=quality_policy.freshness_grace_minutes),
        )
        lags = symbol_lags(latest, symbols, timeframe, now)
        late = [lag for lag in lags if lag.late(allowed)]
        table = "\n".join(
            ["| symbol | latest candle | lag |", "|---|---|---|"]
            + [
                f"| {lag.symbol} | {lag.latest or 'none'} | {'-' if lag.lag is None else lag.lag} |"
                for lag in lags
            ]
        )
        refresh_on = schedule_running(context.instance, refresh_schedule)
        return dg.AssetCheckResult(
            passed=not late,
            severity=dg.AssetCheckSeverity.WARN,
            description=freshness_description(len(late), len(lags), refresh_on, refresh_schedule),
            metadata={
                "refresh_schedule": f"{refresh_schedule}: {'on' if refresh_on else 'off'}",
                "allowed_lag": str(allowed),
                "late_symbols": ", ".join(lag.symbol for lag in late) or "none",
                "symbols": len(lags),
                "max_lag_minutes": max(
                    (lag.lag.total_seconds() / 60 for lag in lags if lag.lag is not None),
                    default=0.0,
                ),
                "lags": dg.MetadataValue.md(table),
            },
        )

    job = dg.define_asset_job(
        venue.named("ohlcv_freshness_job"), selection=dg.AssetSelection.checks(ohlcv_freshness)
    )

    schedule = dg.ScheduleDefinition(
        name=venue.named("ohlcv_freshness_schedule"),
        cron_schedule="*/15 * * * *",
        job=job,
        execution_timezone="UTC",
        description="Every 15 minutes: how far each symbol's latest candle lags.",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    return ohlcv_freshness, job, schedule
