"""The market-data source as a Dagster resource (ccxt exchange or offline sample)."""

import dagster as dg

from coinwatch_assets.lib.sources import MarketDataSource
from coinwatch_assets.lib.sources.factory import build_source, parse_ccxt_config


class MarketSourceResource(dg.ConfigurableResource):
    """Where markets and candles come from: `live` (ccxt) or `sample` (offline, seeded)."""

    source: str = "live"
    exchange: str = "binance"
    # The `exchange` value rows carry; by default `sample` for the sample source and the ccxt
    # id otherwise. Lets the offline source play a venue (tests, demos).
    label: str | None = None
    # JSON merged into the ccxt constructor config; may carry API keys, so it is set from
    # COINWATCH_CCXT_CONFIG through dg.EnvVar and never logged.
    ccxt_config: str = ""
    # Retries of transient exchange errors (rate limits, timeouts) before a run fails.
    max_attempts: int = 5
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 30.0

    @property
    def exchange_label(self) -> str:
        """The `exchange` value this source's rows carry."""
        if self.label:
            return self.label
        return "sample" if self.source == "sample" else self.exchange

    def build(self) -> MarketDataSource:
        from coinwatch_assets.lib.sources.retry import RetryPolicy

        retry = RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay=self.base_delay_seconds,
            max_delay=self.max_delay_seconds,
        )
        if self.source == "sample":
            return build_source("sample", label=self.exchange_label)
        return build_source(
            self.source, self.exchange, parse_ccxt_config(self.ccxt_config), retry=retry
        )
