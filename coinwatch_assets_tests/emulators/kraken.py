"""A Kraken spot REST emulator on 127.0.0.1 for the real ccxt client.

Serves `/0/public/AssetPairs`, `/0/public/Assets`, `/0/public/Ticker` and `/0/public/OHLC` in
Kraken's wire format (as in the recorded response in
`../shared/data/exchange_responses/kraken_fetchOHLCV_static_response.json`): timestamps in
SECONDS, prices as strings, vwap at index 5, volume at 6, trade count at 7; `since` is
exclusive; at most 720 rows per answer; the last row is the candle still forming when
`now_ms` falls inside it (served, like Kraken does) and `last` names the last closed one.
Errors come as HTTP 200 with `{"error": ["EQuery:Unknown asset pair"]}`.

An optional server-side budget (`limit` requests per sliding `window_seconds`, default a
minute) answers 429 to requests beyond it, so tests can prove a client stays inside its
budget.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

import numpy as np

from coinwatch_assets_tests.emulators.binance import _Handler
from coinwatch_assets_tests.emulators.loopback import ServedOnLoopback

# ccxt unified code -> Kraken asset id (X/Z-prefixed legacy ids for the old assets).
ASSET_IDS = {"BTC": "XXBT", "ETH": "XETH", "USD": "ZUSD", "EUR": "ZEUR", "LTC": "XLTC"}
ALT = {"BTC": "XBT"}
INTERVALS = {1: 60_000, 5: 300_000, 15: 900_000, 30: 1_800_000, 60: 3_600_000, 240: 14_400_000}
PAGE = 720


def _alt(code: str) -> str:
    return ALT.get(code, code)


def pair_id(symbol: str) -> str:
    base, quote = symbol.split("/")
    return _alt(base) + _alt(quote)


class KrakenEmulator(ServedOnLoopback):
    """Kraken's public market data from candle arrays a test sets."""

    def __init__(
        self, now_ms: int | None = None, limit: int | None = None, window_seconds: float = 60.0
    ) -> None:
        self.now_ms = now_ms
        self.limit = limit
        self.window_seconds = window_seconds
        self.markets: dict[str, tuple[str, float]] = {}  # pair id -> (symbol, 24h volume)
        self.candles: dict[tuple[str, int], np.ndarray] = {}
        self.request_counts: Counter[str] = Counter()
        self.requests: list[tuple[float, str, dict[str, str]]] = []
        self.rejected = 0
        self._window: deque[float] = deque()
        self.lock = threading.Lock()

    def add_market(
        self, symbol: str, candles: np.ndarray | None = None, *, interval: str = "1h", volume=1e3
    ) -> None:
        with self.lock:
            self.markets[pair_id(symbol)] = (symbol, float(volume))
        if candles is not None:
            minutes = {v: k for k, v in INTERVALS.items()}[_ms(interval)]
            data = np.asarray(candles, dtype=float).reshape(-1, 6)
            with self.lock:
                self.candles[(pair_id(symbol), minutes)] = data[np.argsort(data[:, 0])]

    # -- lifecycle -------------------------------------------------------------------------
    def ccxt_config(self) -> dict[str, Any]:
        """ccxt config pointing kraken's public API at this emulator."""
        return {"urls": {"api": {"public": self.base_url}}, "timeout": 10_000}

    # -- serving ---------------------------------------------------------------------------
    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        now = time.monotonic()
        with self.lock:
            self.request_counts[path] += 1
            self.requests.append((now, path, dict(query)))
            if self.limit is not None:
                while self._window and now - self._window[0] >= self.window_seconds:
                    self._window.popleft()
                if len(self._window) >= self.limit:
                    self.rejected += 1
                    return 429, {"error": ["EGeneral:Too many requests"]}, {}
                self._window.append(now)
        routes = {
            "/0/public/AssetPairs": self._pairs,
            "/0/public/Assets": self._assets,
            "/0/public/Ticker": self._ticker,
            "/0/public/OHLC": self._ohlc,
            "/0/public/Time": lambda q: {"unixtime": int(time.time()), "rfc1123": ""},
        }
        handler = routes.get(path)
        if handler is None:
            return 404, {"error": ["EGeneral:Unknown method"]}, {}
        try:
            return 200, {"error": [], "result": handler(query)}, {}
        except KeyError as err:
            return 200, {"error": [str(err.args[0])]}, {}

    def _pairs(self, query: dict[str, str]) -> dict[str, Any]:
        out = {}
        for pid, (symbol, _) in self.markets.items():
            base, quote = symbol.split("/")
            out[pid] = {
                "altname": pid,
                "wsname": f"{_alt(base)}/{_alt(quote)}",
                "aclass_base": "currency",
                "base": ASSET_IDS.get(base, base),
                "aclass_quote": "currency",
                "quote": ASSET_IDS.get(quote, quote),
                "lot": "unit",
                "cost_decimals": 5,
                "pair_decimals": 1,
                "lot_decimals": 8,
                "lot_multiplier": 1,
                "leverage_buy": [],
                "leverage_sell": [],
                "fees": [[0, 0.26]],
                "fees_maker": [[0, 0.16]],
                "fee_volume_currency": "ZUSD",
                "margin_call": 80,
                "margin_stop": 40,
                "ordermin": "0.0001",
                "costmin": "0.5",
                "tick_size": "0.1",
                "status": "online",
            }
        return out

    def _assets(self, query: dict[str, str]) -> dict[str, Any]:
        codes = {c for symbol, _ in self.markets.values() for c in symbol.split("/")}
        return {
            ASSET_IDS.get(c, c): {
                "aclass": "currency",
                "altname": _alt(c),
                "decimals": 10,
                "display_decimals": 5,
                "status": "enabled",
            }
            for c in sorted(codes)
        }

    def _ticker(self, query: dict[str, str]) -> dict[str, Any]:
        wanted = query.get("pair", "").split(",") if query.get("pair") else list(self.markets)
        out = {}
        for pid in wanted:
            if pid not in self.markets:
                raise KeyError("EQuery:Unknown asset pair")
            _, volume = self.markets[pid]
            p = "100.0"
            out[pid] = {
                "a": [p, "1", "1.000"],
                "b": [p, "1", "1.000"],
                "c": [p, "0.1"],
                "v": [str(volume), str(volume)],
                "p": [p, p],
                "t": [10, 100],
                "l": [p, p],
                "h": [p, p],
                "o": p,
            }
        return out

    def _ohlc(self, query: dict[str, str]) -> dict[str, Any]:
        pid = query.get("pair", "")
        if pid not in self.markets:
            raise KeyError("EQuery:Unknown asset pair")
        minutes = int(query.get("interval", "1"))
        if minutes not in INTERVALS:
            raise KeyError("EGeneral:Invalid arguments")
        step_s = INTERVALS[minutes] // 1000
        data = self.candles.get((pid, minutes), np.empty((0, 6)))
        seconds = (data[:, 0] // 1000).astype(np.int64)
        since = int(query.get("since", "0"))
        now_s = None if self.now_ms is None else self.now_ms // 1000
        # served: after `since` (exclusive), opened by now; the forming candle comes last
        keep = seconds > since
        if now_s is not None:
            keep &= seconds <= now_s
        rows = data[keep][:PAGE]
        secs = seconds[keep][:PAGE]
        closed = [int(s) for s in secs if now_s is None or s + step_s <= now_s]
        return {
            pid: [
                [
                    int(s),
                    *(f"{v:.8f}" for v in row[1:5]),
                    f"{(row[2] + row[3] + row[4]) / 3:.8f}",  # vwap at index 5
                    f"{row[5]:.8f}",
                    7,
                ]
                for s, row in zip(secs, rows, strict=True)
            ],
            "last": closed[-1] if closed else since,
        }


def _ms(interval: str) -> int:
    unit = {"m": 60_000, "h": 3_600_000}[interval[-1]]
    return int(interval[:-1]) * unit


KrakenEmulator.handler = _Handler
