"""Settings of the OHLCV quality checks and the gap repair sensor, as one resource."""

from datetime import timedelta

import dagster as dg

from coinwatch_assets.lib.quality.registry import GapPolicy


class QualityPolicyResource(dg.ConfigurableResource):
    """How holes are explained and repaired, and when candles count as late."""

    # Re-fetches of a partition with unexplained holes before they are recorded as confirmed.
    max_repairs: int = 3
    # Backoff between repairs: base * 2^n seconds after the previous one, capped.
    base_delay_seconds: float = 300.0
    max_delay_seconds: float = 6 * 3600.0
    # A hole re-fetched unchanged and at most this long is a period without trades.
    no_trades_max_minutes: float = 60.0
    # Relative close-to-close move flagged by ohlcv_price_jumps.
    jump_threshold: float = 0.2
    # ohlcv_freshness: the refresh schedule's interval plus this grace.
    schedule_interval_minutes: float = 5.0
    freshness_grace_minutes: float = 15.0
    # price_divergence: relative difference of two venues' hourly closes, over the last days.
    divergence_tolerance: float = 0.02
    divergence_days: int = 3

    def gap_policy(self) -> GapPolicy:
        return GapPolicy(
            max_repairs=self.max_repairs,
            base_delay=timedelta(seconds=self.base_delay_seconds),
            max_delay=timedelta(seconds=self.max_delay_seconds),
            no_trades_max=timedelta(minutes=self.no_trades_max_minutes),
        )
