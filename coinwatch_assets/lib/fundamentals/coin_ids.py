"""Ticker -> CoinGecko coin id: explicit overrides first, else a unique symbol match, never a guess.

Tickers are not unique on CoinGecko (dozens of coins call themselves "ETH"-like names), so a
ticker with several candidates stays unmapped ("ambiguous") until an override names its id.
"""

import pandas as pd

COIN_ID_COLUMNS = ["ticker", "coin_id", "status", "candidates", "name"]
# The majors are ambiguous on /coins/list (bridged and copy-cat tokens share their symbols):
# these explicit choices ship as defaults; COINGECKO_ID_OVERRIDES adds to or replaces them.
DEFAULT_OVERRIDES = {
    "BTC": "bitcoin",
    "ETH": "ethereum",
    "USDT": "tether",
    "USDC": "usd-coin",
    "BNB": "binancecoin",
    "SOL": "solana",
    "XRP": "ripple",
    "DOGE": "dogecoin",
    "ADA": "cardano",
    "TRX": "tron",
    "LTC": "litecoin",
    "DOT": "polkadot",
}


def parse_overrides(text: str) -> dict[str, str]:
    """`"ETH=ethereum, LUNA=terra-luna-2"` -> {"ETH": "ethereum", ...} (tickers upper-cased)."""
    out: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        ticker, sep, coin_id = item.partition("=")
        if not sep or not ticker.strip() or not coin_id.strip():
            raise ValueError(
                f"COINGECKO_ID_OVERRIDES: {item!r} is not TICKER=coin-id "
                "(e.g. ETH=ethereum,LUNA=terra-luna-2)"
            )
        out[ticker.strip().upper()] = coin_id.strip()
    return out


def map_tickers(tickers: list[str], coins: pd.DataFrame, overrides: dict[str, str]) -> pd.DataFrame:
    """One row per ticker: status override | mapped | ambiguous | unmapped | unknown_override."""
    by_symbol = coins.assign(key=coins["symbol"].str.upper()).groupby("key")
    ids = set(coins["id"])
    names = dict(zip(coins["id"], coins["name"], strict=True))
    rows = []
    for ticker in sorted({t.upper() for t in tickers}):
        candidates = sorted(by_symbol.get_group(ticker)["id"]) if ticker in by_symbol.groups else []
        chosen, status = None, "unmapped"
        if ticker in overrides:
            chosen = overrides[ticker]
            status = "override" if chosen in ids else "unknown_override"
            if status == "unknown_override":
                chosen = None
        elif len(candidates) == 1:
            chosen, status = candidates[0], "mapped"
        elif len(candidates) > 1:
            status = "ambiguous"
        rows.append(
            {
                "ticker": ticker,
                "coin_id": chosen,
                "status": status,
                "candidates": ",".join(candidates),
                "name": names.get(chosen) if chosen else None,
            }
        )
    return pd.DataFrame(rows, columns=COIN_ID_COLUMNS)
