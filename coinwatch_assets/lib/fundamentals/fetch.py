"""Fetch plans over a CoinGecko client: current hour from /coins/markets, past hours from
/coins/{id}/market_chart/range, coin details, and the ticker map from /coins/list."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import pandas as pd

from coinwatch_assets.lib.fundamentals.errors import CoinGeckoBodyError
from coinwatch_assets.lib.fundamentals.parse import (
    MARKET_COLUMNS,
    chart_points,
    hourly_from_chart,
    market_rows,
)

HOUR = timedelta(hours=1)
# market_chart/range answers hourly points for ranges of 2-90 days, daily ones beyond.
MAX_RANGE = timedelta(days=90)


class Client(Protocol):
    calls: int

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any: ...


@dataclass
class MetricsFetch:
    rows: pd.DataFrame
    live_hours: list[datetime] = field(default_factory=list)
    past_hours: list[datetime] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # "coin@hour" asked but not answered


def split_hours(
    hours: list[datetime], now: datetime, live_grace: timedelta
) -> tuple[list[datetime], list[datetime]]:
    """(live, past) closed hours: live while the close is less than `live_grace` ago.

    An hour that has not closed yet is in neither: nothing can describe it (it is missing).
    """
    closed = [h for h in hours if h + HOUR <= now]
    live = [h for h in closed if now < h + HOUR + live_grace]
    return live, [h for h in closed if h not in live]


def fetch_current(
    client: Client, tickers: dict[str, str], hour: datetime, vs_currency: str, per_page: int
) -> pd.DataFrame:
    """/coins/markets for every coin id in `tickers` ({coin id: ticker}).

    Paged by ids: each call names at most `per_page` (<= 250, CoinGecko's maximum) ids and
    asks for that many rows, so one page answers it; no coin can slip between pages when the
    ranking moves during the calls, as it could when paging through the whole market.
    """
    per_page = max(1, min(per_page, 250))
    ids = sorted(tickers)
    frames = []
    for i in range(0, len(ids), per_page):
        chunk = ids[i : i + per_page]
        params = {
            "vs_currency": vs_currency,
            "ids": ",".join(chunk),
            "order": "market_cap_desc",
            "per_page": per_page,
            "page": 1,
            "sparkline": "false",
        }
        frames.append(market_rows(client.get("/coins/markets", params), hour, set(chunk)))
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=MARKET_COLUMNS)
    duplicated = rows["coin_id"][rows["coin_id"].duplicated()]
    if len(duplicated):
        raise CoinGeckoBodyError(
            f"GET /coins/markets answered coins twice ({sorted(set(duplicated))}); nothing was "
            "written. Retry the hour."
        )
    rows["symbol"] = rows["coin_id"].map(tickers)
    return rows


def fetch_past(
    client: Client, tickers: dict[str, str], hours: list[datetime], vs_currency: str
) -> pd.DataFrame:
    """market_chart/range per coin over the hours' span (<= 90-day calls): price, cap, volume."""
    start, end = min(hours), max(hours) + HOUR
    frames = []
    for coin_id, ticker in sorted(tickers.items()):
        points = []
        lo = start
        while lo < end:
            hi = min(lo + MAX_RANGE, end)
            params = {
                "vs_currency": vs_currency,
                "from": int(lo.timestamp()),
                "to": int(hi.timestamp()),
            }
            body = client.get(f"/coins/{coin_id}/market_chart/range", params)
            points.append(chart_points(body, coin_id))
            lo = hi
        joined = pd.concat(points, ignore_index=True).drop_duplicates("ts")
        frames.append(hourly_from_chart(joined, coin_id, ticker, hours))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=MARKET_COLUMNS)


def fetch_metrics(
    client: Client,
    tickers: dict[str, str],
    hours: list[datetime],
    *,
    now: datetime,
    live_grace: timedelta,
    vs_currency: str = "usd",
    per_page: int = 250,
) -> MetricsFetch:
    """Rows of every asked (coin, hour) CoinGecko can answer, and the ones it could not."""
    live, past = split_hours(hours, now, live_grace)
    frames = [fetch_current(client, tickers, h, vs_currency, per_page) for h in live]
    if past:
        frames.append(fetch_past(client, tickers, past, vs_currency))
    frames = [f for f in frames if len(f)]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=MARKET_COLUMNS)
    have = set(zip(rows["coin_id"], pd.to_datetime(rows["ts"], utc=True), strict=True))
    missing = [
        f"{coin}@{pd.Timestamp(h):%Y-%m-%dT%H:%M}"
        for h in hours
        for coin in sorted(tickers)
        if (coin, pd.Timestamp(h)) not in have
    ]
    return MetricsFetch(rows[MARKET_COLUMNS], live, past, missing)
