"""An offline CoinMarketCap (`COINWATCH_SOURCE=sample`): CMC's answer shapes, sample values.

Prices are the sample exchange's (as the offline CoinGecko's), a little apart, so the demo's
cross-provider check compares real numbers and agrees. The map holds an inactive "BTC" copy,
so BTC is mapped by the documented `active_only` tie-break, as ATOM is on the real API.
No credits are spent and the ledger is not touched.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from coinwatch_assets.lib.fundamentals.cmc_dex import DEX_PATH, USD_CONVERT_ID
from coinwatch_assets.lib.fundamentals.cmc_errors import CmcAnswerError
from coinwatch_assets.lib.fundamentals.sample import _COINS, SampleCoinGecko

# CoinGecko id -> CoinMarketCap id (the real ids)
CMC_IDS = {
    "bitcoin": 1, "ethereum": 1027, "binancecoin": 1839, "solana": 5426, "ripple": 52,
    "cardano": 2010, "dogecoin": 74, "tron": 1958, "litecoin": 2, "polkadot": 6636,
}  # fmt: skip
_BY_CMC = {str(cmc): gecko for gecko, cmc in CMC_IDS.items()}
_DECOYS = [{"id": 99001, "name": "Bitcoin Sample Copy", "symbol": "BTC", "slug": "btc-copy",
            "is_active": 0, "rank": None, "platform": None}]  # fmt: skip
# CMC and CoinGecko never quote exactly alike: the sample's CMC is 0.3% above
SPREAD = 1.003


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class SampleCoinMarketCap:
    """Answers `get(path, params, credits=)` like :class:`CmcClient`, without a network."""

    def __init__(self, now: datetime | None = None) -> None:
        self._gecko = SampleCoinGecko(now)
        self.calls = 0
        self.credits = 0

    def close(self) -> None:
        pass

    def __enter__(self) -> "SampleCoinMarketCap":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def ensure_allowance(self, credits: int) -> None:
        pass

    def get(self, path: str, params: dict[str, Any] | None = None, *, credits: int = 1) -> Any:
        self.calls += 1
        params = params or {}
        ids = [i for i in str(params.get("id", "")).split(",") if i]
        unknown = [i for i in ids if i not in _BY_CMC]
        if unknown:
            raise CmcAnswerError(f'CoinMarketCap refused GET {path}: Invalid value for "id"')
        if path == "/v1/cryptocurrency/map":
            return self._map()
        if path == "/v2/cryptocurrency/quotes/latest":
            return {i: self._quote(i) for i in ids}
        if path == "/v2/cryptocurrency/info":
            return {i: self._info(i) for i in ids}
        if path == DEX_PATH:
            return self._dex(str(params.get("network_slug", "")))
        raise CmcAnswerError(f"the sample CoinMarketCap does not serve {path}")

    def _map(self) -> list[dict[str, Any]]:
        coins = [
            {"id": CMC_IDS[g], "name": c[1], "symbol": c[0], "slug": g, "is_active": 1,
             "rank": r, "platform": None}
            for r, (g, c) in enumerate(_COINS.items(), start=1)
        ]  # fmt: skip
        return coins + _DECOYS

    def _quote(self, cmc_id: str) -> dict[str, Any]:
        gecko = _BY_CMC[cmc_id]
        ticker, name, supply, max_supply, *_ = _COINS[gecko]
        now = self._gecko.now()
        hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        price = self._gecko.price(gecko, hour) * SPREAD
        before = self._gecko.price(gecko, hour - timedelta(hours=24)) * SPREAD
        updated = _iso(hour + timedelta(minutes=58))
        return {
            "id": int(cmc_id), "name": name, "symbol": ticker, "slug": gecko, "is_active": 1,
            "cmc_rank": list(CMC_IDS).index(gecko) + 1, "circulating_supply": supply,
            "total_supply": max_supply or supply * 1.1, "max_supply": max_supply,
            "last_updated": updated,
            "quote": {"USD": {"price": price, "volume_24h": price * supply * 0.04,
                              "percent_change_24h": (price / before - 1) * 100,
                              "market_cap": price * supply, "last_updated": updated}},
        }  # fmt: skip

    def _info(self, cmc_id: str) -> dict[str, Any]:
        gecko = _BY_CMC[cmc_id]
        ticker, name, *_ = _COINS[gecko]
        return {
            "id": int(cmc_id), "name": name, "symbol": ticker, "slug": gecko,
            "category": "token" if gecko == "tron" else "coin",
            "description": f"{name} ({ticker}) is a sample cryptocurrency.",
            "tags": ["sample"], "tag-names": ["Sample"],
            "urls": {"website": [f"https://{gecko}.example.org"]},
            "platform": None, "date_added": "2017-01-01T00:00:00.000Z", "date_launched": None,
        }  # fmt: skip

    def _dex(self, network: str) -> list[dict[str, Any]]:
        hour = self._gecko.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        eth = self._gecko.price("ethereum", hour)
        sol = self._gecko.price("solana", hour)
        pairs = {
            "ethereum": [("uniswap-v3", "WETH", "USDC", eth), ("uniswap-v2", "WETH", "USDT", eth)],
            "solana": [("raydium", "SOL", "USDC", sol)],
        }.get(network, [])
        updated = _iso(self._gecko.now())
        return [
            {"contract_address": f"sample-{network}-{i}", "network_slug": network,
             "dex_slug": dex, "base_asset_symbol": base, "quote_asset_symbol": quote,
             "last_updated": updated,
             "quote": [{"convert_id": USD_CONVERT_ID, "price": price, "volume_24h": price * 1e4,
                        "liquidity": price * 5e4, "percent_change_price_24h": 0.5}]}
            for i, (dex, base, quote, price) in enumerate(pairs)
        ]  # fmt: skip
