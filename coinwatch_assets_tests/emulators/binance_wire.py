"""Binance spot REST bodies, shaped like the real ones (ccxt's recorded responses).

Kept apart from the server so the wire format can be read (and compared with
`exchange_responses/binance_fetchOHLCV_static_response.json`) in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Every interval Binance spot accepts, with its length (1M has none: served only if set).
INTERVAL_MS: dict[str, int | None] = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
    "1M": None,
}

INVALID_SYMBOL = {"code": -1121, "msg": "Invalid symbol."}
INVALID_INTERVAL = {"code": -1120, "msg": "Invalid interval."}
BAD_LIMIT = {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."}
START_AFTER_END = {"code": -1023, "msg": "Start time is greater than end time."}
TOO_MANY_REQUESTS = {
    "code": -1003,
    "msg": "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. "
    "Please use the websocket for live updates to avoid bans.",
}
BANNED = {
    "code": -1003,
    "msg": "Way too many requests; IP(127.0.0.1) banned until 4102444800000. "
    "Please use the websocket for live updates to avoid bans.",
}

# How a served kline row can be corrupted (see BinanceEmulator.malform).
MALFORMATIONS = ("string", "missing", "nan", "timestamp")


@dataclass
class MarketSpec:
    """One spot market as listed by /api/v3/exchangeInfo."""

    symbol: str  # ccxt form, BTC/USDT
    status: str = "TRADING"
    quote_volume: float | None = None  # 24h quote volume for the ticker; None = from candles

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]

    @property
    def market_id(self) -> str:
        return self.base + self.quote


def _num(value: float) -> str:
    """Binance's 8-decimal strings, with more digits only when the value needs them.

    The extra digits keep test data exact: recorded CSVs hold values like
    0.0030700000000000002 that 8 decimals would round.
    """
    return np.format_float_positional(value, unique=True, trim="k", min_digits=8)


def kline_row(candle: np.ndarray, interval_ms: int, malformation: str | None = None) -> list:
    """A 12-field kline: open time, OHLCV as strings, close time, quote volume, trades, ..."""
    ts, o, h, low, c, v = (float(x) for x in candle[:6])
    quote_volume = v * (o + c) / 2
    row: list = [
        int(ts),
        _num(o),
        _num(h),
        _num(low),
        _num(c),
        _num(v),
        int(ts) + interval_ms - 1,
        _num(quote_volume),
        int(v) % 5000 + 1,
        _num(v / 2),
        _num(quote_volume / 2),
        "0",
    ]
    if malformation == "string":
        row[2] = "not-a-number"
    elif malformation == "missing":
        row = row[:4]
    elif malformation == "nan":
        row[4] = "NaN"
    elif malformation == "timestamp":
        row[0] = "yesterday"
    return row


def exchange_info(markets: list[MarketSpec], server_time: int) -> dict:
    """/api/v3/exchangeInfo with the fields ccxt's binance.parse_market reads."""
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 6000,
            },
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {
                "rateLimitType": "RAW_REQUESTS",
                "interval": "MINUTE",
                "intervalNum": 5,
                "limit": 61000,
            },
        ],
        "exchangeFilters": [],
        "symbols": [_symbol_info(m) for m in markets],
    }


def _symbol_info(market: MarketSpec) -> dict:
    return {
        "symbol": market.market_id,
        "status": market.status,
        "baseAsset": market.base,
        "baseAssetPrecision": 8,
        "quoteAsset": market.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.00000001",
                "maxPrice": "1000000.00000000",
                "tickSize": "0.00000001",
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": "0.00001000",
                "maxQty": "9000.00000000",
                "stepSize": "0.00001000",
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": "5.00000000",
                "applyMinToMarket": True,
                "maxNotional": "9000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def ticker_24hr(market: MarketSpec, day: np.ndarray, now: int) -> dict:
    """/api/v3/ticker/24hr entry from the candles of the last 24h (`day`, shape (n, 6))."""
    if len(day):
        open_, last = float(day[0, 1]), float(day[-1, 4])
        high, low, volume = float(day[:, 2].max()), float(day[:, 3].min()), float(day[:, 5].sum())
        quote_volume = float((day[:, 4] * day[:, 5]).sum())
    else:
        open_ = last = high = low = volume = quote_volume = 0.0
    if market.quote_volume is not None:
        quote_volume = market.quote_volume
    change = last - open_
    return {
        "symbol": market.market_id,
        "priceChange": _num(change),
        "priceChangePercent": f"{(100 * change / open_) if open_ else 0.0:.3f}",
        "weightedAvgPrice": _num(quote_volume / volume if volume else last),
        "prevClosePrice": _num(open_),
        "lastPrice": _num(last),
        "lastQty": "0.00100000",
        "bidPrice": _num(last),
        "bidQty": "1.00000000",
        "askPrice": _num(last),
        "askQty": "1.00000000",
        "openPrice": _num(open_),
        "highPrice": _num(high),
        "lowPrice": _num(low),
        "volume": _num(volume),
        "quoteVolume": _num(quote_volume),
        "openTime": now - 86_400_000,
        "closeTime": now,
        "firstId": 1,
        "lastId": max(len(day), 1),
        "count": len(day),
    }
