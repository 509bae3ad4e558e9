"""The CoinMarketCap resource: key, calls/min, the month's credit allowance, id overrides."""

import dagster as dg

from coinwatch_assets.lib.fundamentals.cmc_client import CMC_ROOT, CmcClient, CmcPolicy
from coinwatch_assets.lib.fundamentals.cmc_credits import CreditLedger
from coinwatch_assets.lib.fundamentals.cmc_sample import SampleCoinMarketCap
from coinwatch_assets.lib.fundamentals.coin_ids import parse_overrides
from coinwatch_assets.lib.storage.store import Storage

# The majors are ambiguous on CMC's map too (inactive copies, unrelated tokens): shipped choices.
DEFAULT_CMC_OVERRIDES = {"BTC": "1", "ETH": "1027", "USDT": "825", "BNB": "1839", "SOL": "5426"}


class CoinMarketCapResource(dg.ConfigurableResource):
    """CoinMarketCap Pro API over httpx (`live`) or the offline `sample`; see README."""

    source: str = "live"
    api_url: str = CMC_ROOT
    # Set through dg.EnvVar("COINMARKETCAP_API_KEY"): the value is never in run config or logs.
    api_key: str | None = None
    monthly_credits: int = 10_000  # the Basic plan's allowance
    calls_per_minute: int = 30
    timeout_seconds: float = 30.0
    max_attempts: int = 3
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 60.0
    # TICKER=cmc-id pairs, merged over DEFAULT_CMC_OVERRIDES.
    id_overrides: str = ""
    live_grace_minutes: int = 15
    # Cross-provider check: CMC vs CoinGecko price and market cap of the same coin and hour.
    price_tolerance: float = 0.02
    market_cap_tolerance: float = 0.10
    # CMC DEX: comma-separated network slugs whose latest spot pairs `dex_pairs` keeps.
    dex_networks: str = "ethereum"
    dex_pairs_per_network: int = 100

    def networks(self) -> list[str]:
        names = [n.strip().lower() for n in self.dex_networks.split(",") if n.strip()]
        if not names:
            raise ValueError(
                "COINMARKETCAP_DEX_NETWORKS names no network: give CMC network slugs, "
                "e.g. ethereum,solana"
            )
        return list(dict.fromkeys(names))

    def overrides(self) -> dict[str, str]:
        try:
            return {**DEFAULT_CMC_OVERRIDES, **parse_overrides(self.id_overrides)}
        except ValueError as exc:
            raise ValueError(
                str(exc).replace("COINGECKO_ID_OVERRIDES", "COINMARKETCAP_ID_OVERRIDES")
            ) from None

    def client(self, storage: Storage) -> CmcClient | SampleCoinMarketCap:
        """A client for one run; its credits go to `storage`'s ledger."""
        if self.source == "sample":
            return SampleCoinMarketCap()
        if self.source != "live":
            raise ValueError(f"COINWATCH_SOURCE must be live or sample, got {self.source!r}")
        return CmcClient(
            self.api_url,
            self.api_key,
            CreditLedger(storage, self.monthly_credits),
            policy=CmcPolicy(
                calls_per_minute=self.calls_per_minute,
                timeout_seconds=self.timeout_seconds,
                max_attempts=self.max_attempts,
                breaker_failures=self.breaker_failures,
                breaker_cooldown_seconds=self.breaker_cooldown_seconds,
            ),
            logger=dg.get_dagster_logger("coinmarketcap"),
        )
