"""CoinGecko JSON answers -> rows of coinwatch's tables, refusing what was not asked for."""

import json
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from coinwatch_assets.lib.fundamentals.errors import CoinGeckoBodyError
from coinwatch_assets.lib.fundamentals.text import plain_text
from coinwatch_assets.lib.fundamentals.values import checked_number

MARKET_COLUMNS = [
    "coin_id", "symbol", "ts", "price", "market_cap", "market_cap_rank", "total_volume",
    "circulating_supply", "total_supply", "max_supply", "ath", "ath_date", "atl", "atl_date",
    "price_change_24h", "price_change_pct_24h", "last_updated", "source",
]  # fmt: skip
# What /coins/{id}/market_chart/range knows; every other metric is NULL for past hours.
CHART_COLUMNS = ("price", "market_cap", "total_volume")
PAST_HOUR_NULL_COLUMNS = [
    c for c in MARKET_COLUMNS[3:-2] if c not in CHART_COLUMNS and c != "symbol"
]
# market_metrics column -> /coins/markets field, for the numbers of a row
_MARKET_NUMBERS = {
    "price": "current_price", "market_cap": "market_cap", "market_cap_rank": "market_cap_rank",
    "total_volume": "total_volume", "circulating_supply": "circulating_supply",
    "total_supply": "total_supply", "max_supply": "max_supply", "ath": "ath", "atl": "atl",
    "price_change_24h": "price_change_24h",
    "price_change_pct_24h": "price_change_percentage_24h",
}  # fmt: skip
METADATA_COLUMNS = [
    "coin_id", "week", "symbol", "name", "categories", "description", "homepage",
    "genesis_date", "hashing_algorithm", "platforms", "last_updated", "fetched_at",
    "sentiment_votes_up_pct", "sentiment_votes_down_pct",
]  # fmt: skip


def _shape_error(what: str, detail: str) -> CoinGeckoBodyError:
    return CoinGeckoBodyError(
        f"CoinGecko answered {what} with JSON of an unexpected shape ({detail}); nothing was "
        "written. The API may have changed: check the endpoint's documentation."
    )


def coins_list(body: Any) -> pd.DataFrame:
    """`/coins/list` -> columns id, symbol, name (every entry must carry all three)."""
    if not isinstance(body, list):
        raise _shape_error("GET /coins/list", f"a list expected, got {type(body).__name__}")
    rows = []
    for i, entry in enumerate(body):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) and entry.get(k) for k in ("id", "symbol", "name")
        ):
            raise _shape_error("GET /coins/list", f"entry {i} lacks id/symbol/name: {entry!r}")
        rows.append((entry["id"], entry["symbol"], entry["name"]))
    return pd.DataFrame(rows, columns=["id", "symbol", "name"])


def _ts(value: Any) -> pd.Timestamp | None:
    if value in (None, ""):
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def market_rows(body: Any, hour: datetime, asked: set[str]) -> pd.DataFrame:
    """`/coins/markets` -> market_metrics rows for `hour`; ids that were not asked are refused."""
    what = "GET /coins/markets"
    if not isinstance(body, list):
        raise _shape_error(what, f"a list expected, got {type(body).__name__}")
    rows = []
    for entry in body:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise _shape_error(what, f"an entry without an id: {entry!r:.200}")
        if entry["id"] not in asked:
            raise _shape_error(what, f"coin {entry['id']!r} was not asked for")
        coin = entry["id"]
        numbers = {
            column: checked_number(entry.get(field), coin, column, what)
            for column, field in _MARKET_NUMBERS.items()
        }
        rows.append(
            {
                "coin_id": coin,
                "symbol": entry.get("symbol"),
                "ts": hour,
                **numbers,
                "ath_date": _ts(entry.get("ath_date")),
                "atl_date": _ts(entry.get("atl_date")),
                "last_updated": _ts(entry.get("last_updated")),
                "source": "coins/markets",
            }
        )
    return pd.DataFrame(rows, columns=MARKET_COLUMNS)


def chart_points(body: Any, coin_id: str) -> pd.DataFrame:
    """`/coins/{id}/market_chart/range` -> ts (UTC), price, market_cap, total_volume."""
    what = f"GET /coins/{coin_id}/market_chart/range"
    if not isinstance(body, dict) or "prices" not in body:
        raise _shape_error(what, "no 'prices' array")
    frames = []
    for key, column in (("prices", "price"), ("market_caps", "market_cap"),
                        ("total_volumes", "total_volume")):  # fmt: skip
        points = body.get(key) or []
        if any(not isinstance(p, list) or len(p) != 2 for p in points):
            raise _shape_error(what, f"'{key}' holds points that are not [ms, value] pairs")
        for _, value in points:
            checked_number(value, coin_id, column, what)
        frame = pd.DataFrame(points, columns=["ms", column]).drop_duplicates("ms", keep="last")
        frames.append(frame.set_index("ms"))
    joined = pd.concat(frames, axis=1).sort_index()
    out = joined.reset_index()
    out["ts"] = pd.to_datetime(out["ms"].astype("int64"), unit="ms", utc=True)
    return out[["ts", *CHART_COLUMNS]]


def hourly_from_chart(
    points: pd.DataFrame, coin_id: str, symbol: str | None, hours: list[datetime]
) -> pd.DataFrame:
    """One row per asked hour that has a point: the last point inside [hour, hour + 1h)."""
    rows = []
    if not points.empty:
        bucket = points["ts"].dt.floor("h")
        last = points.assign(hour=bucket).groupby("hour").tail(1).set_index("hour")
        for hour in hours:
            key = pd.Timestamp(hour).tz_convert(UTC)
            if key in last.index:
                point = last.loc[key]
                rows.append(
                    {
                        "coin_id": coin_id,
                        "symbol": symbol,
                        "ts": key,
                        "price": point["price"],
                        "market_cap": point["market_cap"],
                        "total_volume": point["total_volume"],
                        "last_updated": point["ts"],
                        "source": "market_chart/range",
                    }
                )
    return pd.DataFrame(rows, columns=MARKET_COLUMNS)


def _homepage(links: Any) -> str | None:
    pages = links.get("homepage") if isinstance(links, dict) else None
    return next((p.strip() for p in pages or [] if isinstance(p, str) and p.strip()), None)


def _platforms(body: dict[str, Any]) -> str:
    # CoinGecko sends {"": ""} for a native coin: that is "no platform", not a platform ""
    raw = body.get("platforms") or {}
    return json.dumps({k: v for k, v in sorted(raw.items()) if k and v}, sort_keys=True)


def _genesis(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _percent(value: Any) -> float | None:
    """A community vote share in [0, 100]; anything else (null, text, 120) is not a share."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value <= 100 else None


def metadata_row(body: Any, asked_id: str, week: datetime, fetched_at: datetime) -> dict:
    """`/coins/{id}` -> one coin_metadata row; an answer about another coin is refused."""
    what = f"GET /coins/{asked_id}"
    if not isinstance(body, dict) or body.get("id") != asked_id:
        got = body.get("id") if isinstance(body, dict) else type(body).__name__
        raise _shape_error(what, f"the answer is about {got!r}, not {asked_id!r}")
    description = body.get("description") or {}
    categories = [c for c in body.get("categories") or [] if isinstance(c, str) and c]
    return {
        "coin_id": asked_id,
        "week": week,
        "symbol": body.get("symbol"),
        "name": body.get("name"),
        "categories": json.dumps(categories),
        "description": plain_text(description.get("en") if isinstance(description, dict) else None),
        "homepage": _homepage(body.get("links")),
        "genesis_date": _genesis(body.get("genesis_date")),
        "hashing_algorithm": body.get("hashing_algorithm") or None,
        "platforms": _platforms(body),
        "last_updated": _ts(body.get("last_updated")),
        "fetched_at": fetched_at,
        "sentiment_votes_up_pct": _percent(body.get("sentiment_votes_up_percentage")),
        "sentiment_votes_down_pct": _percent(body.get("sentiment_votes_down_percentage")),
    }
