"""CoinMarketCap DEX `/v4/dex/spot-pairs/latest` -> dex_pairs rows of one network and slot.

The answer's shape follows CMC's DEX API documentation (pairs with `network_slug`,
`dex_slug`, base/quote asset symbols and a `quote` list of per-currency values); no real
capture of this endpoint exists to test against. Pairs of a network that was not asked for
are refused; a pair listed twice keeps its first (CMC's order is by liquidity).
"""

import math
from datetime import datetime
from typing import Any

import pandas as pd

from coinwatch_assets.lib.fundamentals.cmc_errors import CmcBodyError

DEX_PATH = "/v4/dex/spot-pairs/latest"
USD_CONVERT_ID = "2781"  # CMC's id of the US dollar
DEX_COLUMNS = [
    "network", "contract_address", "ts", "dex", "base_symbol", "quote_symbol", "price",
    "volume_24h", "liquidity", "percent_change_24h", "last_updated",
]  # fmt: skip


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _usd(quotes: Any) -> dict[str, Any]:
    if isinstance(quotes, dict):
        quotes = [quotes]
    if not isinstance(quotes, list):
        return {}
    usd = [q for q in quotes if isinstance(q, dict) and str(q.get("convert_id")) == USD_CONVERT_ID]
    return usd[0] if usd else next((q for q in quotes if isinstance(q, dict)), {})


def _ts(value: Any) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    try:
        stamp = pd.Timestamp(value)
    except ValueError:
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def dex_rows(data: Any, network: str, ts: datetime) -> pd.DataFrame:
    """Rows of the pairs of `network` at slot `ts`; a price that is not a number > 0 is NULL."""
    what = f"GET {DEX_PATH}?network_slug={network}"
    if not isinstance(data, list):
        raise CmcBodyError(
            f"CoinMarketCap answered {what} with {type(data).__name__} where a list of pairs "
            "was expected; nothing was written."
        )
    rows, seen = [], set()
    for i, pair in enumerate(data):
        if not isinstance(pair, dict) or not isinstance(pair.get("contract_address"), str):
            raise CmcBodyError(f"CoinMarketCap answered {what}: pair {i} has no contract_address")
        if pair.get("network_slug") not in (None, network):
            raise CmcBodyError(
                f"CoinMarketCap answered {what} with a pair of network "
                f"{pair.get('network_slug')!r}, which was not asked for; nothing was written."
            )
        if pair["contract_address"] in seen:
            continue
        seen.add(pair["contract_address"])
        quote = _usd(pair.get("quote"))
        price = _number(quote.get("price"))
        rows.append(
            {
                "network": network,
                "contract_address": pair["contract_address"],
                "ts": ts,
                "dex": pair.get("dex_slug"),
                "base_symbol": pair.get("base_asset_symbol"),
                "quote_symbol": pair.get("quote_asset_symbol"),
                "price": price if price is not None and price > 0 else None,
                "volume_24h": _number(quote.get("volume_24h")),
                "liquidity": _number(quote.get("liquidity")),
                "percent_change_24h": _number(quote.get("percent_change_price_24h")),
                "last_updated": _ts(quote.get("last_updated") or pair.get("last_updated")),
            }
        )
    return pd.DataFrame(rows, columns=DEX_COLUMNS)
