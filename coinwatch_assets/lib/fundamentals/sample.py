"""An offline CoinGecko (`COINWATCH_SOURCE=sample`): the real answer shapes, deterministic values.

Prices are the sample exchange's own (the close of the last 5m candle of `<TICKER>/USDT` in
the hour), so the demo's cross-source check agrees. `/coins/list` also holds a bridged "eth"
decoy, so ETH is ambiguous without its (default) override, as it is on the real API.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from coinwatch_assets.lib.fundamentals import market_info_sample
from coinwatch_assets.lib.fundamentals.errors import CoinGeckoAnswerError
from coinwatch_assets.lib.sources.sample import SAMPLE_MARKETS, SampleSource

# id, ticker, name, circulating supply, max supply, genesis, hashing algorithm
_COINS = {
    "bitcoin": ("BTC", "Bitcoin", 19.7e6, 21e6, "2009-01-03", "SHA-256"),
    "ethereum": ("ETH", "Ethereum", 120e6, None, "2015-07-30", "Ethash"),
    "binancecoin": ("BNB", "BNB", 146e6, 200e6, "2017-07-08", None),
    "solana": ("SOL", "Solana", 450e6, None, "2020-03-16", None),
    "ripple": ("XRP", "XRP", 55e9, 100e9, None, None),
    "cardano": ("ADA", "Cardano", 35e9, 45e9, "2017-09-23", None),
    "dogecoin": ("DOGE", "Dogecoin", 144e9, None, "2013-12-08", "Scrypt"),
    "tron": ("TRX", "TRON", 87e9, None, "2017-09-13", None),
    "litecoin": ("LTC", "Litecoin", 74e6, 84e6, "2011-10-13", "Scrypt"),
    "polkadot": ("DOT", "Polkadot", 1.4e9, None, "2020-05-26", None),
}
_DECOYS = [{"id": "ethereum-wormhole", "symbol": "eth", "name": "Ethereum (Wormhole)"}]
_BASE_PRICE = {m.base: m.base_price for m in SAMPLE_MARKETS if m.quote == "USDT"}
HOUR = timedelta(hours=1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class SampleCoinGecko:
    """Answers `get(path, params)` like :class:`CoinGeckoClient`, without a network."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now
        self._source = SampleSource()
        self.calls = 0

    def close(self) -> None:
        pass

    def __enter__(self) -> "SampleCoinGecko":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def price(self, coin_id: str, hour: datetime) -> float:
        """The close of the last 5m sample candle of `hour` for the coin's USDT market."""
        ticker = _COINS[coin_id][0]
        frame = self._source.fetch_ohlcv(f"{ticker}/USDT", "5m", hour, hour + HOUR)
        if frame.empty:
            return _BASE_PRICE[ticker]
        return float(frame["close"].iloc[-1])

    def get(self, path: str, params: dict[str, Any] | None = None, **_: Any) -> Any:
        self.calls += 1
        params = params or {}
        parts = [p for p in path.split("/") if p]
        if parts == ["search", "trending"]:
            hour = self._hour_before(self.now())
            return market_info_sample.trending(_COINS, lambda coin: self.price(coin, hour))
        if parts == ["exchanges"]:
            return market_info_sample.exchanges()
        if parts == ["coins", "list"]:
            listed = [{"id": i, "symbol": c[0].lower(), "name": c[1]} for i, c in _COINS.items()]
            return listed + _DECOYS
        if parts == ["coins", "markets"]:
            return self._markets(str(params.get("ids", "")).split(","))
        if len(parts) >= 2 and parts[0] == "coins":
            if parts[1] not in _COINS:
                raise CoinGeckoAnswerError(f"CoinGecko refused GET {path} with HTTP 404")
            if len(parts) == 2:
                return self._details(parts[1])
            if parts[2:] == ["market_chart", "range"]:
                return self._chart(parts[1], float(params["from"]), float(params["to"]))
        raise CoinGeckoAnswerError(f"the sample CoinGecko does not serve {path}")

    def _hour_before(self, moment: datetime) -> datetime:
        return moment.replace(minute=0, second=0, microsecond=0) - HOUR

    def _markets(self, ids: list[str]) -> list[dict[str, Any]]:
        now = self.now()
        hour = self._hour_before(now)
        wanted = [i for i in _COINS if i in ids]
        caps = {i: self.price(i, hour) * _COINS[i][2] for i in _COINS}
        ranks = {i: r for r, i in enumerate(sorted(caps, key=caps.get, reverse=True), start=1)}
        rows = []
        for coin_id in wanted:
            ticker, name, supply, max_supply, *_ = _COINS[coin_id]
            price = self.price(coin_id, hour)
            before = self.price(coin_id, hour - 24 * HOUR)
            rows.append(
                {
                    "id": coin_id, "symbol": ticker.lower(), "name": name,
                    "current_price": price, "market_cap": caps[coin_id],
                    "market_cap_rank": ranks[coin_id], "total_volume": caps[coin_id] * 0.04,
                    "circulating_supply": supply, "total_supply": max_supply or supply * 1.1,
                    "max_supply": max_supply, "ath": price * 1.6,
                    "ath_date": "2024-03-14T07:10:36.635Z",
                    "atl": price * 0.01, "atl_date": "2015-10-20T00:00:00.000Z",
                    "price_change_24h": price - before,
                    "price_change_percentage_24h": (price / before - 1) * 100,
                    "last_updated": _iso(hour + HOUR - timedelta(minutes=1)),
                }
            )  # fmt: skip
        return rows

    def _details(self, coin_id: str) -> dict[str, Any]:
        ticker, name, _, _, genesis, algorithm = _COINS[coin_id]
        site = f"https://{coin_id}.example.org"
        return {
            "id": coin_id,
            "symbol": ticker.lower(),
            "name": name,
            "categories": ["Cryptocurrency", "Sample"],
            "description": {"en": f"<p><b>{name}</b> is a <a href='{site}'>sample</a> coin.</p>"},
            "links": {"homepage": [site, "", ""]},
            "genesis_date": genesis,
            "hashing_algorithm": algorithm,
            "platforms": {"": ""} if coin_id != "tron" else {"ethereum": "0x" + "e1" * 20},
            "last_updated": _iso(self.now() - timedelta(minutes=5)),
            "sentiment_votes_up_percentage": 80.0 - len(name),
            "sentiment_votes_down_percentage": 20.0 + len(name),
        }

    def _chart(self, coin_id: str, start_s: float, end_s: float) -> dict[str, Any]:
        start = datetime.fromtimestamp(start_s, UTC).replace(minute=0, second=0, microsecond=0)
        end = datetime.fromtimestamp(end_s, UTC)
        supply = _COINS[coin_id][2]
        prices, caps, volumes = [], [], []
        hour = start
        while hour + timedelta(minutes=59) <= end:
            ms = int((hour + timedelta(minutes=59)).timestamp() * 1000)
            price = self.price(coin_id, hour)
            prices.append([ms, price])
            caps.append([ms, price * supply])
            volumes.append([ms, price * supply * 0.04])
            hour += HOUR
        return {"prices": prices, "market_caps": caps, "total_volumes": volumes}
