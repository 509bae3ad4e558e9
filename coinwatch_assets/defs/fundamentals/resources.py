"""The CoinGecko resource: where fundamentals come from, and how politely we ask."""

import dagster as dg

from coinwatch_assets.lib.fundamentals.client import (
    PRO_ROOT,
    PUBLIC_ROOT,
    ClientPolicy,
    CoinGeckoClient,
)
from coinwatch_assets.lib.fundamentals.coin_ids import DEFAULT_OVERRIDES, parse_overrides
from coinwatch_assets.lib.fundamentals.sample import SampleCoinGecko


class CoinGeckoResource(dg.ConfigurableResource):
    """CoinGecko API v3 over httpx (`live`) or the offline `sample`; see README, Fundamentals."""

    source: str = "live"
    api_url: str = PUBLIC_ROOT
    # Set through dg.EnvVar("COINGECKO_API_KEY"): the value is never in run config or logs.
    api_key: str | None = None
    # public | demo | pro; empty: pro on the pro root, demo when a key is set, else public.
    plan: str = ""
    calls_per_minute: int = 30
    budget_window_seconds: int = 60
    timeout_seconds: float = 30.0
    max_attempts: int = 4
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 60.0
    # TICKER=coin-id pairs, merged over the shipped defaults (coin_ids.DEFAULT_OVERRIDES).
    id_overrides: str = ""
    vs_currency: str = "usd"
    per_page: int = 250
    # The hour just closed is fetched from /coins/markets ("now") while its close is less
    # than this long ago; its last_updated may be this much past the hour.
    live_grace_minutes: int = 15
    # Cross-source check: market_metrics price vs the ohlcv close of the hour.
    price_tolerance: float = 0.02

    def effective_plan(self) -> str:
        if self.plan:
            return self.plan
        if self.api_url.rstrip("/") == PRO_ROOT:
            return "pro"
        return "demo" if self.api_key else "public"

    def overrides(self) -> dict[str, str]:
        return {**DEFAULT_OVERRIDES, **parse_overrides(self.id_overrides)}

    def client(self) -> CoinGeckoClient | SampleCoinGecko:
        """A client for one run (close it, or use it as a context manager)."""
        if self.source == "sample":
            return SampleCoinGecko()
        if self.source != "live":
            raise ValueError(f"COINWATCH_SOURCE must be live or sample, got {self.source!r}")
        policy = ClientPolicy(
            calls_per_minute=self.calls_per_minute,
            budget_window_seconds=self.budget_window_seconds,
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            base_delay_seconds=self.base_delay_seconds,
            max_delay_seconds=self.max_delay_seconds,
            max_retry_after_seconds=self.max_retry_after_seconds,
            breaker_failures=self.breaker_failures,
            breaker_cooldown_seconds=self.breaker_cooldown_seconds,
        )
        return CoinGeckoClient(
            self.api_url,
            plan=self.effective_plan(),
            api_key=self.api_key,
            policy=policy,
            logger=dg.get_dagster_logger("coingecko"),
        )
