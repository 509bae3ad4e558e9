"""CoinGecko prices against the exchanges' own: the close of the same hour in `ohlcv`."""

from dataclasses import dataclass, field

import pandas as pd

# USD stand-ins: a USDT or USDC market's close is compared with CoinGecko's USD price.
USD_QUOTES = ("USD", "USDT", "USDC")


@dataclass
class Divergence:
    compared: int
    divergent: int
    without_candles: int
    examples: list[dict] = field(default_factory=list)


def hourly_closes(candles: pd.DataFrame) -> pd.DataFrame:
    """ticker, hour, close: the last candle of each hour of each USD-quoted market."""
    if candles.empty:
        return pd.DataFrame(columns=["ticker", "hour", "close", "exchange", "market"])
    quote = candles["symbol"].str.split("/").str[1].str.split(":").str[0]
    usd = candles[quote.isin(USD_QUOTES)].sort_values("ts")
    usd = usd.assign(
        ticker=usd["symbol"].str.split("/").str[0].str.upper(), hour=usd["ts"].dt.floor("h")
    )
    last = usd.groupby(["exchange", "symbol", "hour"], as_index=False).tail(1)
    return last.rename(columns={"symbol": "market"})[
        ["ticker", "hour", "close", "exchange", "market"]
    ]


def price_divergences(metrics: pd.DataFrame, candles: pd.DataFrame, tolerance: float) -> Divergence:
    """Rows whose |price / close - 1| exceeds `tolerance` (every venue's close is compared)."""
    closes = hourly_closes(candles)
    left = metrics[metrics["price"].notna()].assign(
        ticker=metrics["symbol"].str.upper(), hour=pd.to_datetime(metrics["ts"], utc=True)
    )
    joined = left.merge(closes, on=["ticker", "hour"], how="left")
    without = int(joined["close"].isna().sum())
    joined = joined[joined["close"].notna()]
    joined = joined.assign(deviation=joined["price"] / joined["close"] - 1)
    bad = joined[joined["deviation"].abs() > tolerance]
    examples = [
        {
            "coin_id": r.coin_id,
            "hour": r.hour.isoformat(),
            "price": r.price,
            "close": r.close,
            "market": f"{r.exchange} {r.market}",
            "deviation": round(float(r.deviation), 6),
        }
        for r in bad.head(10).itertuples()
    ]
    return Divergence(len(joined), len(bad), without, examples)
