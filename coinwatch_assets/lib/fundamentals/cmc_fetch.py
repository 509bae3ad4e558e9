"""Fetch plans over a CoinMarketCap client: the ticker map, hourly quotes, coin info.

CMC's quotes describe a coin as it is now, so only the hour just closed (within the live
grace) can be fetched; history (`quotes/historical`) is not in the Basic plan.
Costs follow CMC's pricing: 1 credit per call of `map`, 1 per 100 coins of quotes and info.
"""

import math
from datetime import datetime, timedelta
from typing import Any, Protocol

import pandas as pd

from coinwatch_assets.lib.fundamentals.cmc_parse import (
    CMC_METADATA_COLUMNS,
    CMC_METRIC_COLUMNS,
    candidates,
    info_rows,
    quote_rows,
)
from coinwatch_assets.lib.fundamentals.fetch import split_hours

PER_CALL = 100  # coins per quotes/info call: one credit each


class Client(Protocol):
    calls: int

    def ensure_allowance(self, credits: int) -> None: ...

    def get(self, path: str, params: dict[str, Any] | None = None, *, credits: int = 1) -> Any: ...


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i : i + PER_CALL] for i in range(0, len(ids), PER_CALL)]


def fetch_candidates(client: Client, tickers: list[str]) -> pd.DataFrame:
    """Every coin (active or not) whose symbol is one of `tickers`: one `map` call."""
    client.ensure_allowance(1)
    params = {"symbol": ",".join(sorted(tickers)), "listing_status": "active,inactive"}
    return candidates(client.get("/v1/cryptocurrency/map", params))


def quote_credits(ids: int, hours: int) -> int:
    return math.ceil(ids / PER_CALL) * hours


def fetch_quotes(
    client: Client, tickers: dict[str, str], hours: list[datetime], now: datetime, grace: timedelta
) -> tuple[pd.DataFrame, list[datetime], list[datetime]]:
    """(rows, live hours, hours CMC cannot describe any more) for {cmc id: ticker}."""
    live, past = split_hours(hours, now, grace)
    ids = sorted(tickers, key=int)
    client.ensure_allowance(quote_credits(len(ids), len(live)))
    frames = []
    for hour in live:
        for chunk in _chunks(ids):
            data = client.get(
                "/v2/cryptocurrency/quotes/latest",
                {"id": ",".join(chunk), "convert": "USD"},
                credits=quote_credits(len(chunk), 1),
            )
            frames.append(quote_rows(data, hour, {i: tickers[i] for i in chunk}))
    frames = [f for f in frames if len(f)]
    rows = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CMC_METRIC_COLUMNS)
    )
    return rows, live, past


def fetch_info(client: Client, ids: list[str], week: datetime, now: datetime) -> pd.DataFrame:
    """cmc_metadata rows of `ids` from `/v2/cryptocurrency/info` (100 ids per call)."""
    ids = sorted(ids, key=int)
    client.ensure_allowance(quote_credits(len(ids), 1))
    frames = [
        info_rows(
            client.get("/v2/cryptocurrency/info", {"id": ",".join(chunk)}, credits=1),
            set(chunk),
            week,
            now,
        )
        for chunk in _chunks(ids)
    ]
    frames = [f for f in frames if len(f)]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=CMC_METADATA_COLUMNS)
    )
