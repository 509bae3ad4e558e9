"""`ohlcv_freshness`: the latest candle of every tracked symbol against the refresh schedule."""

from datetime import timedelta
from typing import Any

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.market.universe import delisted_since
from coinwatch_assets.lib.quality.freshness import allowed_lag, symbol_lags
from coinwatch_assets.lib.quality.queries import latest_candles
from coinwatch_assets.lib.symbols import key_to_symbol
from coinwatch_assets.lib.venues import Venue


def build_freshness(
    venue: Venue, ohlcv: dg.AssetsDefinition, symbols_name: str
) -> tuple[dg.AssetChecksDefinition, Any, dg.ScheduleDefinition]:
    """The venue's `ohlcv_freshness` check, the job that runs it alone, and its schedule."""
    exchange, timeframe = venue.exchange_label, venue.timeframe

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
        return dg.AssetCheckResult(
            passed=not late,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{len(late)} of {len(lags)} symbol(s) late" if late else "all fresh",
            metadata={
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
