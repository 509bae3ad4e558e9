"""CoinMarketCap `data` answers -> coinwatch rows, refusing what was not asked for.

Tickers are not unique on CMC either (v2 quotes by symbol maps ATOM to Cosmos and to an
inactive "Atomic Coin", ONE to four coins). A ticker is mapped by an override, or when exactly
one coin carries it; else two documented tie-breaks, in order, and nothing more:
1. `active_only`: exactly one candidate is active (`is_active` = 1): inactive coins have no
   current quotes, so they cannot be the coin a market trades.
2. `ranked_only`: of the active candidates exactly one has a rank (CMC ranks only coins it
   tracks with market data).
Several active ranked candidates stay `ambiguous` (ONE: Harmony and BigONE Token): a higher
rank is not evidence that a venue's ticker means that coin; add COINMARKETCAP_ID_OVERRIDES.
"""

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from coinwatch_assets.lib.fundamentals.cmc_errors import CmcBodyError
from coinwatch_assets.lib.fundamentals.parse import MARKET_COLUMNS
from coinwatch_assets.lib.fundamentals.text import plain_text

PROVIDER = "coinmarketcap"
CMC_ID_COLUMNS = ["ticker", "cmc_id", "status", "candidates", "name"]
CANDIDATE_COLUMNS = ["id", "symbol", "name", "is_active", "rank"]
CMC_METRIC_COLUMNS = [*MARKET_COLUMNS, "provider"]
CMC_METADATA_COLUMNS = [
    "cmc_id", "week", "symbol", "name", "slug", "category", "tags", "description", "homepage",
    "platform", "date_added", "date_launched", "fetched_at",
]  # fmt: skip


def _shape_error(what: str, detail: str) -> CmcBodyError:
    return CmcBodyError(
        f"CoinMarketCap answered {what} with JSON of an unexpected shape ({detail}); nothing "
        "was written. The API may have changed: check the endpoint's documentation."
    )


def _rank(entry: dict[str, Any]) -> int | None:
    value = entry.get("rank", entry.get("cmc_rank"))
    return int(value) if isinstance(value, int | float) else None


def candidates(body: Any, what: str = "GET /v1/cryptocurrency/map") -> pd.DataFrame:
    """Coins of `/v1/cryptocurrency/map` (a list) or of quotes by symbol ({symbol: [coins]})."""
    entries = body
    if isinstance(body, dict):
        entries = [c for v in body.values() for c in (v if isinstance(v, list) else [v])]
    if not isinstance(entries, list):
        raise _shape_error(what, f"a list expected, got {type(body).__name__}")
    rows = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), int):
            raise _shape_error(what, f"entry {i} has no integer id: {entry!r:.200}")
        if not isinstance(entry.get("symbol"), str):
            raise _shape_error(what, f"entry {i} (id {entry['id']}) has no symbol")
        active = entry.get("is_active", 1)
        rows.append((str(entry["id"]), entry["symbol"], entry.get("name"), active == 1,
                     _rank(entry)))  # fmt: skip
    return pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)


def _label(row: Any) -> str:
    rank = "-" if pd.isna(row.rank) else int(row.rank)
    return f"{row.id}:{row.name}:{'active' if row.is_active else 'inactive'}:{rank}"


def map_cmc_tickers(
    tickers: list[str], coins: pd.DataFrame, overrides: dict[str, str]
) -> pd.DataFrame:
    """One row per ticker; status override | mapped | active_only | ranked_only | ambiguous |
    unmapped | unknown_override (see the module docstring for the tie-breaks)."""
    coins = coins.assign(key=coins["symbol"].str.upper())
    names = dict(zip(coins["id"], coins["name"], strict=True))
    rows = []
    for ticker in sorted({t.upper() for t in tickers}):
        found = coins[coins["key"] == ticker].sort_values("id", key=lambda s: s.astype(int))
        active = found[found["is_active"]]
        ranked = active[active["rank"].notna()]
        chosen, status = None, "unmapped"
        if ticker in overrides:
            chosen = overrides[ticker]
            status = "override" if chosen in names else "unknown_override"
            chosen = chosen if status == "override" else None
        elif len(found) == 1:
            chosen, status = found["id"].iloc[0], "mapped"
        elif len(active) == 1:
            chosen, status = active["id"].iloc[0], "active_only"
        elif len(ranked) == 1:
            chosen, status = ranked["id"].iloc[0], "ranked_only"
        elif len(found) > 1:
            status = "ambiguous"
        rows.append(
            {
                "ticker": ticker,
                "cmc_id": chosen,
                "status": status,
                "candidates": ", ".join(_label(r) for r in found.itertuples()),
                "name": names.get(chosen) if chosen else None,
            }
        )
    return pd.DataFrame(rows, columns=CMC_ID_COLUMNS)


def _ts(value: Any) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def _by_id(data: Any, what: str) -> dict[str, dict[str, Any]]:
    """{id: coin} of a by-id answer: v2 keys id -> coin (v1 too), listings send a list."""
    if isinstance(data, list):
        items = [(str(c.get("id")) if isinstance(c, dict) else "?", c) for c in data]
    elif isinstance(data, dict):
        items = list(data.items())
    else:
        raise _shape_error(what, f"an object or list expected, got {type(data).__name__}")
    out = {}
    for key, coin in items:
        coin = coin[0] if isinstance(coin, list) and len(coin) == 1 else coin
        if not isinstance(coin, dict) or str(coin.get("id")) != str(key):
            raise _shape_error(what, f"entry {key!r} is not a coin with that id")
        out[str(key)] = coin
    return out


def quote_rows(
    data: Any, hour: datetime, asked: dict[str, str], currency: str = "USD", *, listing=False
) -> pd.DataFrame:
    """Quotes (or listings) answer -> market_metrics rows of `hour` for the `asked` ids
    ({cmc id: ticker}); an id that was not asked is refused, unless it is a listing page."""
    what = "GET /v1/cryptocurrency/listings/latest" if listing else "GET quotes/latest"
    rows = []
    for coin_id, coin in _by_id(data, what).items():
        if coin_id not in asked:
            if listing:
                continue
            raise _shape_error(what, f"coin {coin_id} was not asked for")
        quote = (coin.get("quote") or {}).get(currency)
        if not isinstance(quote, dict):
            raise _shape_error(what, f"coin {coin_id} has no {currency} quote")
        rows.append(
            {
                "coin_id": coin_id,
                "symbol": asked[coin_id],
                "ts": hour,
                "price": quote.get("price"),
                "market_cap": quote.get("market_cap"),
                "market_cap_rank": coin.get("cmc_rank"),
                "total_volume": quote.get("volume_24h"),
                "circulating_supply": coin.get("circulating_supply"),
                "total_supply": coin.get("total_supply"),
                "max_supply": coin.get("max_supply"),
                "price_change_pct_24h": quote.get("percent_change_24h"),
                "last_updated": _ts(quote.get("last_updated") or coin.get("last_updated")),
                "source": "listings/latest" if listing else "quotes/latest",
                "provider": PROVIDER,
            }
        )
    return pd.DataFrame(rows, columns=CMC_METRIC_COLUMNS)


def info_rows(data: Any, asked: set[str], week: datetime, fetched_at: datetime) -> pd.DataFrame:
    """`/v2/cryptocurrency/info` -> cmc_metadata rows; an id that was not asked is refused."""
    what = "GET /v2/cryptocurrency/info"
    rows = []
    for coin_id, coin in _by_id(data, what).items():
        if coin_id not in asked:
            raise _shape_error(what, f"coin {coin_id} was not asked for")
        tags = coin.get("tag-names") or coin.get("tags") or []
        urls = coin.get("urls") if isinstance(coin.get("urls"), dict) else {}
        websites = [u for u in urls.get("website") or [] if isinstance(u, str) and u.strip()]
        platform = coin.get("platform")
        rows.append(
            {
                "cmc_id": coin_id,
                "week": week,
                "symbol": coin.get("symbol"),
                "name": coin.get("name"),
                "slug": coin.get("slug"),
                "category": coin.get("category"),
                "tags": json.dumps([t for t in tags if isinstance(t, str)]),
                "description": plain_text(coin.get("description")),
                "homepage": websites[0].strip() if websites else None,
                "platform": json.dumps(platform, sort_keys=True) if platform else None,
                "date_added": _ts(coin.get("date_added")),
                "date_launched": _ts(coin.get("date_launched")),
                "fetched_at": fetched_at,
            }
        )
    return pd.DataFrame(rows, columns=CMC_METADATA_COLUMNS)
