"""Request handling of the Binance emulator: Binance's parameter semantics and errors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from coinwatch_assets_tests.emulators import binance_wire as wire

if TYPE_CHECKING:
    from coinwatch_assets_tests.emulators.binance import BinanceEmulator

Answer = tuple[int, Any, dict[str, str]]
NOT_FOUND: Answer = (404, {"code": -1, "msg": "Not found (emulator)."}, {})
_MAX_LIMIT = 1000
_DEFAULT_LIMIT = 500


def _missing(name: str) -> Answer:
    msg = f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    return 400, {"code": -1102, "msg": msg}, {}


def route(emu: BinanceEmulator, path: str, query: dict[str, str]) -> Answer:
    if path == "/api/v3/ping":
        return 200, {}, {}
    if path == "/api/v3/time":
        return 200, {"serverTime": emu.server_time()}, {}
    if path == "/api/v3/exchangeInfo":
        with emu.lock:
            markets = list(emu.markets.values())
        return 200, wire.exchange_info(markets, emu.server_time()), {}
    if path == "/api/v3/klines":
        return klines(emu, query)
    if path == "/api/v3/ticker/24hr":
        return tickers(emu, query)
    return NOT_FOUND


def _int(query: dict[str, str], name: str) -> int | None:
    value = query.get(name)
    return None if value in (None, "") else int(value)


def klines(emu: BinanceEmulator, query: dict[str, str]) -> Answer:
    """GET /api/v3/klines: rows with startTime <= open time <= endTime, at most `limit`."""
    market_id, interval = query.get("symbol"), query.get("interval")
    if not market_id:
        return _missing("symbol")
    if not interval:
        return _missing("interval")
    if market_id not in emu.markets:
        return 400, wire.INVALID_SYMBOL, {}
    if interval not in wire.INTERVAL_MS:
        return 400, wire.INVALID_INTERVAL, {}
    try:
        limit = _int(query, "limit") or _DEFAULT_LIMIT
        start, end = _int(query, "startTime"), _int(query, "endTime")
    except ValueError:
        return 400, {"code": -1100, "msg": "Illegal characters found in a parameter."}, {}
    if not 1 <= limit <= _MAX_LIMIT:
        return 400, wire.BAD_LIMIT, {}
    if start is not None and end is not None and start > end:
        return 400, wire.START_AFTER_END, {}
    with emu.lock:
        data = emu.candles.get((market_id, interval), np.empty((0, 6)))
        malformed = dict(emu.malformed)
        if emu.ignore_time_range:
            start = end = None
    ts = data[:, 0]
    keep = np.ones(len(data), dtype=bool)
    if emu.now_ms is not None:
        keep &= ts <= emu.now_ms  # candles not yet opened do not exist; the open one does
    if start is not None:
        keep &= ts >= start
    if end is not None:
        keep &= ts <= end
    rows = data[keep]
    # Binance: with a startTime the first `limit` rows, otherwise the latest `limit` rows
    rows = rows[:limit] if start is not None else rows[-limit:]
    interval_ms = wire.INTERVAL_MS[interval] or 0
    body = [
        wire.kline_row(row, interval_ms, malformed.get((market_id, interval, int(row[0]))))
        for row in rows
    ]
    return 200, body, {"x-mbx-used-weight-1m": str(len(emu.requests))}


def tickers(emu: BinanceEmulator, query: dict[str, str]) -> Answer:
    """GET /api/v3/ticker/24hr: one market (`symbol`), several (`symbols`, JSON) or all."""
    with emu.lock:
        markets = dict(emu.markets)
    if query.get("symbol"):
        wanted, single = [query["symbol"]], True
    elif query.get("symbols"):
        try:
            wanted, single = [str(s) for s in json.loads(query["symbols"])], False
        except (ValueError, TypeError):
            return (
                400,
                {"code": -1100, "msg": "Illegal characters found in parameter 'symbols'."},
                {},
            )
    else:
        wanted, single = list(markets), False
    if any(market_id not in markets for market_id in wanted):
        return 400, wire.INVALID_SYMBOL, {}
    now = emu.server_time()
    body = [wire.ticker_24hr(markets[m], _last_day(emu, m, now), now) for m in wanted]
    return 200, (body[0] if single else body), {}


def _last_day(emu: BinanceEmulator, market_id: str, now: int) -> np.ndarray:
    with emu.lock:
        data = emu.candles.get((market_id, "1m"))
        if data is None:
            data = next((a for (m, _), a in emu.candles.items() if m == market_id), None)
    if data is None or not len(data):
        return np.empty((0, 6))
    return data[(data[:, 0] > now - 86_400_000) & (data[:, 0] <= now)]
