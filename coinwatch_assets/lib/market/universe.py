"""The symbol universe: which markets we track, since when, and which left (plain Python)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from coinwatch_assets.lib.symbols import SymbolKeyError, symbol_to_key

MARKETS_COLUMNS = [
    "exchange",
    "symbol",
    "base",
    "quote",
    "active",
    "quote_volume_24h",
    "first_seen",
    "delisted",
    "updated_at",
]


def merge_markets(
    previous: pd.DataFrame, current: pd.DataFrame, *, today: date, now: datetime
) -> pd.DataFrame:
    """The new `markets` table from the stored one and the markets listed just now.

    Symbols listed now are active (first seen kept, or today); stored symbols of the same
    exchange that are no longer listed become inactive with `delisted` = the first refresh
    that missed them. Rows of other exchanges are kept as they are.
    """
    exchanges = set(current["exchange"])
    prior = previous.set_index(["exchange", "symbol"]) if len(previous) else None
    rows = []
    for rec in current.to_dict("records"):
        key = (rec["exchange"], rec["symbol"])
        seen = prior["first_seen"].get(key) if prior is not None else None
        rows.append(
            {
                **rec,
                "active": True,
                "first_seen": today if pd.isna(seen) else seen,
                "delisted": None,
                "updated_at": now,
            }
        )
    listed = set(zip(current["exchange"], current["symbol"], strict=True))
    for rec in previous.to_dict("records"):
        key = (rec["exchange"], rec["symbol"])
        if key in listed:
            continue
        if rec["exchange"] in exchanges:
            gone = today if pd.isna(rec["delisted"]) else rec["delisted"]
            rec = {**rec, "active": False, "delisted": gone, "updated_at": now}
        rows.append(rec)
    frame = pd.DataFrame(rows, columns=MARKETS_COLUMNS)
    return frame.sort_values(["exchange", "symbol"], ignore_index=True)


def plan_symbol_changes(
    markets: pd.DataFrame, existing_keys: list[str], exchange: str
) -> tuple[list[str], list[str], list[str]]:
    """(partition keys to add, keys of delisted symbols, symbols that cannot be keys)."""
    mine = markets[markets["exchange"] == exchange]
    add, unusable = [], []
    existing = set(existing_keys)
    for symbol in mine.loc[mine["active"], "symbol"]:
        try:
            key = symbol_to_key(symbol)
        except SymbolKeyError:
            unusable.append(symbol)
            continue
        if key not in existing:
            add.append(key)
    delisted = []
    for symbol in mine.loc[~mine["active"].astype(bool), "symbol"]:
        try:
            key = symbol_to_key(symbol)
        except SymbolKeyError:
            continue
        if key in existing:
            delisted.append(key)
    return sorted(add), sorted(delisted), sorted(unusable)


def delisted_since(markets: pd.DataFrame, exchange: str) -> dict[str, date]:
    """{symbol: delisted date} for the exchange's inactive markets."""
    gone = markets[(markets["exchange"] == exchange) & ~markets["active"].astype(bool)]
    return {sym: when for sym, when in zip(gone["symbol"], gone["delisted"], strict=True) if when}
