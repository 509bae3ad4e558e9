"""CoinGecko answers templated from the real recorded bodies in ../shared/data/coingecko.

The recordings hold one or two coins each; templating turns them into as many coins as a test
needs, keeping every field the real API sends (names, types, nesting, date formats).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from coinwatch_assets_tests.shared_data import shared_path


@cache
def recorded(name: str) -> Any:
    """One recorded body (JSON), e.g. `GetMarkets.json`; skips when the data is absent."""
    return json.loads(shared_path("coingecko", name).read_text(encoding="utf-8"))


@cache
def recorded_non_utf8_body() -> bytes:
    """The real answer body whose bytes are not valid UTF-8 (a recorded request + body)."""
    raw = shared_path("coingecko", "raw", "GetTrendingSearches.txt").read_bytes()
    return raw[raw.index(b"{") :]


@dataclass
class Coin:
    """One coin the emulator knows; prices follow a deterministic walk around `price`."""

    id: str
    symbol: str
    name: str
    price: float = 100.0
    supply: float = 1_000_000.0
    max_supply: float | None = 2_000_000.0
    platforms: dict[str, str] | None = None
    homepage: str = "https://example.org"
    description_html: str = "A <b>coin</b> with <a href='https://example.org'>a site</a>."

    def price_at(self, ts_ms: int) -> float:
        # a gentle deterministic wave: prices differ per hour yet stay near `price`
        hour = ts_ms // 3_600_000
        return round(self.price * (1 + 0.01 * ((hour * 7919 + len(self.id)) % 11 - 5) / 5), 8)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def coins_list(coins: list[Coin], include_platform: bool) -> list[dict[str, Any]]:
    template = recorded("GetAssets.json")[0]
    out = []
    for coin in coins:
        row = {"id": coin.id, "symbol": coin.symbol, "name": coin.name}
        if include_platform:
            row["platforms"] = dict(coin.platforms or {}) if coin.platforms is not None else {}
        out.append({k: row.get(k, template.get(k)) for k in row})
    return out


def market_row(coin: Coin, rank: int, now_ms: int) -> dict[str, Any]:
    row = copy.deepcopy(recorded("GetMarkets.json")[0])
    price = coin.price_at(now_ms)
    total = coin.max_supply if coin.max_supply is not None else coin.supply * 1.2
    row.update(
        id=coin.id,
        symbol=coin.symbol,
        name=coin.name,
        current_price=price,
        market_cap=round(price * coin.supply, 2),
        market_cap_rank=rank,
        fully_diluted_valuation=round(price * total, 2),
        total_volume=round(price * coin.supply * 0.05, 2),
        high_24h=price * 1.02,
        low_24h=price * 0.97,
        circulating_supply=coin.supply,
        total_supply=total,
        max_supply=coin.max_supply,
        ath=price * 1.5,
        atl=price * 0.01,
        last_updated=_iso(now_ms - 45_000),
    )
    return row


def coin_details(coin: Coin, now_ms: int) -> dict[str, Any]:
    body = copy.deepcopy(recorded("GetAssetDetails.json"))
    body.update(id=coin.id, symbol=coin.symbol, name=coin.name, web_slug=coin.id)
    body["description"] = {"en": coin.description_html, "de": ""}
    body["links"]["homepage"] = [coin.homepage, "", ""]
    if coin.platforms is not None:
        body["platforms"] = dict(coin.platforms)
        body["asset_platform_id"] = next(iter(coin.platforms), None)
    body["last_updated"] = _iso(now_ms - 60_000)
    return body


def market_chart_range(coin: Coin, start_s: float, end_s: float, now_ms: int) -> dict[str, Any]:
    """Hourly points (CoinGecko's granularity for ranges of 2-90 days) in [start, end], none
    in the future."""
    end_s = min(end_s, now_ms / 1000)
    template = recorded("GetMarketChart.json")
    assert set(template) == {"prices", "market_caps", "total_volumes"}
    first = int(start_s * 1000)
    # real hourly points sit a few minutes past the hour; start at the first one in range
    ts = first - first % 3_600_000 + 4 * 60_000
    if ts < first:
        ts += 3_600_000
    prices, caps, volumes = [], [], []
    while ts <= end_s * 1000:
        price = coin.price_at(ts)
        prices.append([ts, price])
        caps.append([ts, price * coin.supply])
        volumes.append([ts, price * coin.supply * 0.05])
        ts += 3_600_000
    return {"prices": prices, "market_caps": caps, "total_volumes": volumes}
