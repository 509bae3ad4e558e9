"""A venue's market-data source as a Dagster resource (ccxt exchange or offline sample)."""

import dagster as dg

from coinwatch_assets.lib import secrets
from coinwatch_assets.lib.sources import MarketDataSource
from coinwatch_assets.lib.sources.factory import build_source, parse_ccxt_config
from coinwatch_assets.lib.venues import DEFAULT_ARCHIVE_URL


class MarketSourceResource(dg.ConfigurableResource):
    """Where a venue's markets and candles come from: `live` (ccxt) or `sample` (offline)."""

    source: str = "live"
    exchange: str = "binance"
    # The `exchange` value rows carry; by default `sample` for the sample source and the ccxt
    # id otherwise. Lets the offline source play a venue (tests, demos).
    label: str | None = None
    # JSON merged into the ccxt constructor config (explicit, e.g. in tests)...
    ccxt_config: str = ""
    # ...else the NAME of the environment variable holding it: it may carry API keys, so only
    # the name is config (shown in the UI); the value is read through dg.EnvVar at run time.
    ccxt_config_env: str = ""
    # The universe: explicit ccxt symbols (win), else the top N by 24h volume in `quote`.
    symbols: list[str] = []
    top_n: int = 10
    quote: str = "USDT"
    # The venue's request budget, enforced for every request of its client.
    requests_per_minute: int = 1200
    # The sample source only: seed of its random walk and a relative price offset.
    seed: int = 0
    price_offset: float = 0.0
    # Retries of transient exchange errors (rate limits, timeouts) before a run fails.
    max_attempts: int = 5
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 30.0
    # Deep history from the exchange's public archive (`binance_vision` | `none`): closed
    # months and days as checksum-verified files, REST for the rest (see README, History).
    archive: str = "none"
    archive_url: str = DEFAULT_ARCHIVE_URL
    archive_concurrency: int = 4  # files downloaded at once
    archive_timeout_seconds: float = 30.0

    @property
    def exchange_label(self) -> str:
        """The `exchange` value this source's rows carry."""
        if self.label:
            return self.label
        return "sample" if self.source == "sample" else self.exchange

    def ccxt_settings(self) -> dict:
        if self.ccxt_config or not self.ccxt_config_env:
            config = parse_ccxt_config(self.ccxt_config)
        else:
            text = dg.EnvVar(self.ccxt_config_env).get_value()
            config = parse_ccxt_config(text, self.ccxt_config_env)
        secrets.register_ccxt_config(config)  # credentials never reach errors or logs
        return config

    def build(self, history_source: str | None = None) -> MarketDataSource:
        """The source; `history_source="rest"` (a run tag, e.g. repairs) skips the archive."""
        from coinwatch_assets.lib.sources.history import HISTORY_REST
        from coinwatch_assets.lib.sources.retry import RetryPolicy

        retry = RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay=self.base_delay_seconds,
            max_delay=self.max_delay_seconds,
        )
        if self.source == "sample":
            return build_source(
                "sample", label=self.exchange_label, seed=self.seed, price_offset=self.price_offset
            )
        return build_source(
            self.source,
            self.exchange,
            self.ccxt_settings(),
            retry=retry,
            requests_per_minute=self.requests_per_minute,
            archive="none" if history_source == HISTORY_REST else self.archive,
            archive_url=self.archive_url,
            archive_concurrency=self.archive_concurrency,
            archive_timeout=self.archive_timeout_seconds,
        )
