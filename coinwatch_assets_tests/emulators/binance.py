"""A Binance spot REST emulator on 127.0.0.1 for the real ccxt client.

Serves `/api/v3/exchangeInfo`, `/klines`, `/ticker/24hr`, `/time` and `/ping` in Binance's
wire format (see :mod:`binance_wire`), from candle arrays the test sets, with Binance's
startTime/endTime/limit semantics and error bodies. Faults can be injected (429 with
Retry-After, 418 bans, malformed kline rows, answers that are not JSON: an HTML page with
status 200 or a body cut in half) and a settable `now_ms` makes it serve the still-open
candle as Binance does. Use it as a context manager::

    with BinanceEmulator() as emu:
        emu.add_market("BTC/USDT", candles)           # (n, 6) ts_ms,o,h,l,c,v
        source = ExchangeSource("binance", emu.ccxt_config())
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from coinwatch_assets_tests.emulators import binance_wire as wire
from coinwatch_assets_tests.emulators.binance_routes import route
from coinwatch_assets_tests.emulators.binance_weights import WeightBudget
from coinwatch_assets_tests.emulators.loopback import ServedOnLoopback

# What a captive portal or a CDN in front of an API serves with status 200.
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b"<body><h1>Checking your browser before accessing api.binance.com</h1></body></html>"
)
GARBLES = ("html", "truncated")


@dataclass
class Fault:
    """An answer served instead of the real one; `path=None` matches every path.

    `body` is JSON, or raw bytes served as they are; `truncated` serves the first half of the
    real answer's bytes (a connection cut mid-body, with a matching Content-Length).
    """

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    path: str | None = None
    truncated: bool = False

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


class BinanceEmulator(ServedOnLoopback):
    """The emulator's state and server; all state changes are safe while it serves."""

    def __init__(self, now_ms: int | None = None) -> None:
        self.now_ms = now_ms  # None: every stored candle is served (all look closed)
        # A broken exchange: startTime/endTime ignored, the latest `limit` candles served.
        self.ignore_time_range = False
        self.markets: dict[str, wire.MarketSpec] = {}
        self.candles: dict[tuple[str, str], np.ndarray] = {}
        self.malformed: dict[tuple[str, str, int], str] = {}
        self.faults: list[Fault] = []
        self.persistent_fault: Fault | None = None
        self.request_counts: Counter[str] = Counter()
        self.weights: WeightBudget | None = None  # Binance's weight budget, when enforced
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    # -- setup -----------------------------------------------------------------------------
    def add_market(
        self,
        symbol: str,
        candles: np.ndarray | None = None,
        *,
        interval: str = "1m",
        status: str = "TRADING",
        quote_volume: float | None = None,
    ) -> None:
        """List `symbol` (ccxt form) and optionally set its candles for `interval`."""
        with self.lock:
            spec = wire.MarketSpec(symbol, status=status, quote_volume=quote_volume)
            self.markets[spec.market_id] = spec
        if candles is not None:
            self.set_candles(symbol, candles, interval=interval)

    def set_candles(self, symbol: str, candles: np.ndarray, *, interval: str = "1m") -> None:
        """Candles (n, 6) `ts_ms, open, high, low, close, volume` served for `interval`."""
        data = np.asarray(candles, dtype=float).reshape(-1, 6)
        with self.lock:
            self.candles[(symbol.replace("/", ""), interval)] = data[np.argsort(data[:, 0])]

    def malform(self, symbol: str, ts_ms: int, kind: str, *, interval: str = "1m") -> None:
        """Corrupt the served kline opening at `ts_ms`: one of :data:`wire.MALFORMATIONS`."""
        if kind not in wire.MALFORMATIONS:
            raise ValueError(f"kind must be one of {wire.MALFORMATIONS}, got {kind!r}")
        with self.lock:
            self.malformed[(symbol.replace("/", ""), interval, int(ts_ms))] = kind

    def fail_next(
        self,
        count: int,
        status: int = 429,
        *,
        path: str | None = "/api/v3/klines",
        retry_after: str | None = "1",
        body: dict[str, Any] | None = None,
    ) -> None:
        """The next `count` requests to `path` get `status` (429/418 default to Binance's body)."""
        fault = self._fault(status, path, retry_after, body)
        with self.lock:
            self.faults.extend([fault] * count)

    def fail_always(
        self, status: int = 418, *, path: str | None = None, retry_after: str | None = "60"
    ) -> None:
        """Every request to `path` (any path by default) gets `status` until `clear_faults`."""
        with self.lock:
            self.persistent_fault = self._fault(status, path, retry_after, None)

    def garble_next(
        self, count: int, kind: str = "html", *, path: str | None = "/api/v3/klines"
    ) -> None:
        """The next `count` requests to `path` get a status-200 answer that is not JSON."""
        fault = self._garbled(kind, path)
        with self.lock:
            self.faults.extend([fault] * count)

    def garble_always(self, kind: str = "html", *, path: str | None = "/api/v3/klines") -> None:
        """Every request to `path` gets a status-200 answer that is not JSON, until cleared."""
        with self.lock:
            self.persistent_fault = self._garbled(kind, path)

    @staticmethod
    def _garbled(kind: str, path: str | None) -> Fault:
        if kind == "html":
            return Fault(200, HTML_PAGE, {"Content-Type": "text/html; charset=UTF-8"}, path)
        if kind == "truncated":
            return Fault(200, None, {}, path, truncated=True)
        raise ValueError(f"kind must be one of {GARBLES}, got {kind!r}")

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
            self.persistent_fault = None

    @staticmethod
    def _fault(status: int, path: str | None, retry_after: str | None, body: Any) -> Fault:
        default = wire.BANNED if status == 418 else wire.TOO_MANY_REQUESTS
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return Fault(status, body if body is not None else default, headers, path)

    # -- lifecycle -------------------------------------------------------------------------
    def ccxt_config(self, *, rate_limit_ms: int = 1) -> dict[str, Any]:
        """The `COINWATCH_CCXT_CONFIG` that points ccxt's binance client at this emulator.

        Every binance API root is rewritten (stray calls get a 404 here, never the
        internet), markets load spot-only, and ccxt's throttle is shortened because the
        emulator has no rate limit except the faults a test injects.
        """
        return binance_config_for(self.base_url, rate_limit_ms=rate_limit_ms)

    # -- serving ---------------------------------------------------------------------------
    def server_time(self) -> int:
        if self.now_ms is not None:
            return int(self.now_ms)
        with self.lock:
            ends = [int(a[-1, 0]) for a in self.candles.values() if len(a)]
        return max(ends, default=0) + 60_000

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body or raw bytes, headers) for one request."""
        with self.lock:
            self.request_counts[path] += 1
            self.requests.append((path, dict(query)))
            fault = self.persistent_fault if self.persistent_fault else None
            if fault is None or not fault.matches(path):
                fault = next((f for f in self.faults if f.matches(path)), None)
                if fault is not None:
                    self.faults.remove(fault)
        if fault is None and self.weights is not None:
            refused = self.weights.charge(path, query)
            if refused is not None:
                return refused
        if fault is not None and fault.truncated:
            status, body, headers = route(self, path, query)
            payload = json.dumps(body).encode()
            return status, payload[: max(1, len(payload) // 2)], headers
        if fault is not None:
            return fault.status, fault.body, fault.headers
        return route(self, path, query)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API; ccxt reuses its session
    timeout = 10  # idle keep-alive connections must not outlive the test
    disable_nagle_algorithm = True  # headers and body are two writes: avoid a 40 ms stall

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        emulator: BinanceEmulator = self.server.emulator  # type: ignore[attr-defined]
        status, body, headers = emulator.answer(url.path, query)
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = dict(headers)
        self.send_response(status)
        self.send_header(
            "Content-Type", headers.pop("Content-Type", "application/json;charset=UTF-8")
        )
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep pytest output clean


@cache
def _binance_api_roots() -> dict[str, str]:
    import ccxt

    return dict(ccxt.binance().urls["api"])


def binance_config_for(base_url: str, *, rate_limit_ms: int = 1) -> dict[str, Any]:
    """ccxt config pointing every binance API root at `base_url` (see `ccxt_config`)."""
    api = {
        name: base_url + "/" + root.split("://", 1)[1].split("/", 1)[1]
        for name, root in _binance_api_roots().items()
        if isinstance(root, str)
    }
    return {
        "urls": {"api": api},
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False},
        "rateLimit": rate_limit_ms,
        "timeout": 10_000,
    }


BinanceEmulator.handler = _Handler
