"""Offline `/search/trending` and `/exchanges` answers (CoinGecko's shapes, sample values)."""

from typing import Any

# (id, name, country, year, trust score, 24h volume in BTC)
_EXCHANGES = [
    ("binance", "Binance", "Cayman Islands", 2017, 10, 180_000.0),
    ("gdax", "Coinbase Exchange", "United States", 2012, 10, 37_000.0),
    ("kraken", "Kraken", "United States", 2011, 10, 12_000.0),
    ("okex", "OKX", "Seychelles", 2013, 9, 60_000.0),
    ("sample", "Sample Exchange", None, None, 5, 1_000.0),
]
# coin ids of the offline CoinGecko, in "most searched" order
_TRENDING = ["solana", "dogecoin", "polkadot", "cardano", "tron", "bitcoin", "ripple"]


def trending(coins: dict[str, tuple], price) -> dict[str, Any]:
    items = []
    for score, coin_id in enumerate(_TRENDING):
        ticker, name = coins[coin_id][:2]
        items.append(
            {"item": {"id": coin_id, "name": name, "symbol": ticker, "score": score,
                      "market_cap_rank": score + 3,
                      "data": {"price": price(coin_id),
                               "price_change_percentage_24h": {"usd": 1.5 - score}}}}
        )  # fmt: skip
    nfts = [{"id": "sample-punks", "name": "Sample Punks", "symbol": "SPUNK"}]
    categories = [{"id": 1, "name": "Layer 1 (L1)"}, {"id": 2, "name": "Meme"}]
    return {"coins": items, "nfts": nfts, "categories": categories}


def exchanges() -> list[dict[str, Any]]:
    return [
        {"id": i, "name": n, "country": c, "year_established": y, "trust_score": t,
         "trust_score_rank": rank, "trade_volume_24h_btc": v, "url": f"https://{i}.example.org"}
        for rank, (i, n, c, y, t, v) in enumerate(_EXCHANGES, start=1)
    ]  # fmt: skip
