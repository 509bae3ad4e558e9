"""CoinGecko `/search/trending` and `/exchanges` answers -> rows, refusing other shapes."""

from datetime import datetime
from typing import Any

import pandas as pd

from coinwatch_assets.lib.fundamentals.errors import CoinGeckoBodyError

TRENDING_COLUMNS = [
    "ts", "kind", "position", "item_id", "symbol", "name", "market_cap_rank", "price_usd",
    "price_change_pct_24h_usd",
]  # fmt: skip
EXCHANGE_COLUMNS = [
    "day", "exchange_id", "name", "country", "year_established", "trust_score",
    "trust_score_rank", "trade_volume_24h_btc", "url",
]  # fmt: skip


def _shape_error(what: str, detail: str) -> CoinGeckoBodyError:
    return CoinGeckoBodyError(
        f"CoinGecko answered {what} with JSON of an unexpected shape ({detail}); nothing was "
        "written. The API may have changed: check the endpoint's documentation."
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _usd_change(data: dict[str, Any]) -> float | None:
    change = data.get("price_change_percentage_24h")
    return _number(change.get("usd")) if isinstance(change, dict) else None


def trending_rows(body: Any, ts: datetime) -> pd.DataFrame:
    """coins, nfts and categories of `/search/trending`, in CoinGecko's order (0 = first)."""
    what = "GET /search/trending"
    if not isinstance(body, dict) or not isinstance(body.get("coins"), list):
        raise _shape_error(what, "no 'coins' list")
    rows = []
    for position, entry in enumerate(body["coins"]):
        item = entry.get("item") if isinstance(entry, dict) else None
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise _shape_error(what, f"coin {position} has no item.id")
        data = item.get("data") if isinstance(item.get("data"), dict) else {}
        rows.append((ts, "coin", position, item["id"], item.get("symbol"), item.get("name"),
                     item.get("market_cap_rank"), _number(data.get("price")),
                     _usd_change(data)))  # fmt: skip
    for kind, key in (("nft", "nfts"), ("category", "categories")):
        for position, item in enumerate(body.get(key) or []):
            if not isinstance(item, dict) or item.get("id") in (None, ""):
                raise _shape_error(what, f"{kind} {position} has no id")
            rows.append((ts, kind, position, str(item["id"]), item.get("symbol"),
                         item.get("name"), None, None, None))  # fmt: skip
    frame = pd.DataFrame(rows, columns=TRENDING_COLUMNS)
    frame["market_cap_rank"] = frame["market_cap_rank"].astype("Int64")
    return frame


def _year(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and 1990 <= value <= 2100 else None


def _trust(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and 1 <= value <= 10 else None


def exchange_rows(body: Any, day: datetime) -> pd.DataFrame:
    """`/exchanges` (one page) -> coingecko_exchanges rows of `day`."""
    what = "GET /exchanges"
    if not isinstance(body, list):
        raise _shape_error(what, f"a list expected, got {type(body).__name__}")
    rows = []
    for i, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise _shape_error(what, f"entry {i} has no id")
        rows.append((day, item["id"], item.get("name"), item.get("country") or None,
                     _year(item.get("year_established")), _trust(item.get("trust_score")),
                     item.get("trust_score_rank"), _number(item.get("trade_volume_24h_btc")),
                     item.get("url") or None))  # fmt: skip
    frame = pd.DataFrame(rows, columns=EXCHANGE_COLUMNS)
    if frame["exchange_id"].duplicated().any():
        dupes = sorted(set(frame.loc[frame["exchange_id"].duplicated(), "exchange_id"]))
        raise _shape_error(what, f"exchanges listed twice: {dupes}")
    for column in ("year_established", "trust_score", "trust_score_rank"):
        frame[column] = frame[column].astype("Int64")
    return frame
