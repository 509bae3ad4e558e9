"""A CoinGecko API v3 emulator on 127.0.0.1 for the real httpx client.

Serves `/ping`, `/coins/list`, `/coins/markets` (paged), `/coins/{id}` and
`/coins/{id}/market_chart/range` from the real recorded bodies (templated per coin, see
:mod:`coingecko_bodies`). Faults can be queued: 429 with `Retry-After`, 5xx, each CoinGecko
error code, the CDN block 1020, an HTML page with 200, a 400 echoing the key, a truncated
body, the recorded non-UTF-8 body and slow answers. It records every call with its time, so
tests count calls per minute::

    with CoinGeckoEmulator() as emu:
        emu.add_coin("bitcoin", "btc", "Bitcoin", price=70_000)
        client = CoinGeckoClient(emu.api_url)
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from coinwatch_assets_tests.emulators import coingecko_bodies as bodies
from coinwatch_assets_tests.emulators.coingecko_bodies import Coin
from coinwatch_assets_tests.emulators.loopback import ServedOnLoopback

ERROR_MESSAGES = {
    10002: "API Key Missing. Please make sure you're using the right authentication method.",
    10005: "You may not have access to this endpoint. This request is limited Pro API subscribers.",
    10010: "If you are using Pro API key, please change your root URL from api.coingecko.com "
    "to pro-api.coingecko.com",
    10011: "If you are using Demo API key, please change your root URL from "
    "pro-api.coingecko.com to api.coingecko.com",
}
CDN_BLOCK_PAGE = (
    b"<!DOCTYPE html><html><head><title>Access denied | api.coingecko.com used Cloudflare to "
    b"restrict access</title></head><body><h1>Error 1020</h1><p>error code: 1020</p></body>"
    b"</html>"
)
# A captive portal or CDN error page served with status 200.
PORTAL_PAGE = b"<!DOCTYPE html><html><head><title>Sign in to the network</title></head></html>"
FAULT_KINDS = (
    "status", "code", "cdn_block", "html", "echo_key", "truncated", "non_utf8", "slow",
)  # fmt: skip


@dataclass
class Fault:
    kind: str
    path: str | None = None  # a path prefix below /api/v3; None matches every path
    status: int = 429
    code: int | None = None
    retry_after: str | None = None
    delay: float = 0.0

    def matches(self, path: str) -> bool:
        return self.path is None or path.startswith(self.path)


class CoinGeckoEmulator(ServedOnLoopback):
    """State and server; state changes are safe while it serves."""

    def __init__(self) -> None:
        self.coins: dict[str, Coin] = {}
        self.faults: list[Fault] = []
        self.persistent: Fault | None = None
        self.required_key: tuple[str, str] | None = None
        self.now_ms: int | None = None  # None: the wall clock
        self.calls: list[tuple[float, str, dict[str, str], dict[str, str]]] = []
        self.lock = threading.Lock()

    # -- setup -----------------------------------------------------------------------------
    def add_coin(self, id: str, symbol: str, name: str, **fields: Any) -> Coin:  # noqa: A002
        coin = Coin(id, symbol, name, **fields)
        with self.lock:
            self.coins[id] = coin
        return coin

    def add_many(self, count: int, prefix: str = "coin") -> list[Coin]:
        """`count` distinct coins `coin0001`... with symbols `c0001`... (for paging tests)."""
        return [
            self.add_coin(f"{prefix}{i:04d}", f"c{i:04d}", f"Coin {i}", price=1.0 + i)
            for i in range(1, count + 1)
        ]

    def require_key(self, header: str, value: str) -> None:
        """Answer 10002 unless each call carries `header: value` (as CoinGecko's plans do)."""
        self.required_key = (header.lower(), value)

    def fail_next(self, count: int = 1, kind: str = "status", **fields: Any) -> None:
        """Queue `count` faults of `kind` (see FAULT_KINDS), e.g. status=429, retry_after="1"."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, got {kind!r}")
        with self.lock:
            self.faults.extend(Fault(kind, **fields) for _ in range(count))

    def fail_always(self, kind: str = "status", **fields: Any) -> None:
        with self.lock:
            self.persistent = Fault(kind, **fields)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
            self.persistent = None

    # -- observing -------------------------------------------------------------------------
    def call_paths(self) -> list[str]:
        with self.lock:
            return [path for _, path, _, _ in self.calls]

    def max_calls_in_window(self, seconds: float) -> int:
        """The most calls the emulator received in any `seconds`-long moving window."""
        with self.lock:
            times = sorted(t for t, *_ in self.calls)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def calls_per_minute(self) -> int:
        return self.max_calls_in_window(60.0)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v3"

    # -- serving ---------------------------------------------------------------------------
    def _now_ms(self) -> int:
        return self.now_ms if self.now_ms is not None else int(time.time() * 1000)

    def answer(
        self, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, bytes, str, dict[str, str]]:
        """(status, body bytes, content type, extra headers) for one request."""
        with self.lock:
            self.calls.append((time.monotonic(), path, dict(query), dict(headers)))
            fault = self.persistent if self.persistent and self.persistent.matches(path) else None
            if fault is None:
                fault = next((f for f in self.faults if f.matches(path)), None)
                if fault is not None:
                    self.faults.remove(fault)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
            fault = None
        if fault is not None and fault.kind == "echo_key":
            # a 400 whose body quotes the key header it was sent (some gateways do)
            sent = headers.get("x-cg-demo-api-key") or headers.get("x-cg-pro-api-key") or ""
            body = {"error": f"invalid parameter for key '{sent}': request rejected"}
            return 400, json.dumps(body).encode(), "application/json", {}
        if fault is not None and fault.kind not in ("truncated", "non_utf8"):
            return self._fault_answer(fault)
        if self.required_key is not None:
            header, value = self.required_key
            if headers.get(header) != value:
                return self._error(401, 10002)
        status, body = self._route(path, query)
        payload = json.dumps(body).encode()
        if fault is not None and fault.kind == "truncated":
            payload = payload[: max(1, len(payload) // 2)]
        elif fault is not None and fault.kind == "non_utf8":
            payload = bodies.recorded_non_utf8_body()
        return status, payload, "application/json; charset=utf-8", {}

    def _error(self, status: int, code: int) -> tuple[int, bytes, str, dict[str, str]]:
        body = {"status": {"error_code": code, "error_message": ERROR_MESSAGES[code]}}
        return status, json.dumps(body).encode(), "application/json; charset=utf-8", {}

    def _fault_answer(self, fault: Fault) -> tuple[int, bytes, str, dict[str, str]]:
        if fault.kind == "cdn_block":
            return 403, CDN_BLOCK_PAGE, "text/html; charset=UTF-8", {}
        if fault.kind == "html":
            return 200, PORTAL_PAGE, "text/html; charset=UTF-8", {}
        if fault.kind == "code":
            return self._error(401, int(fault.code or 10002))
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        if fault.status == 429:
            body = {
                "status": {
                    "error_code": 429,
                    "error_message": "You've exceeded the Rate "
                    "Limit. Please visit https://www.coingecko.com/en/api/pricing",
                }
            }
        else:
            body = {"error": f"HTTP {fault.status}"}
        return fault.status, json.dumps(body).encode(), "application/json", headers

    def _route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if parts[:2] != ["api", "v3"]:
            return 404, {"error": "Not found"}
        parts = parts[2:]
        with self.lock:
            coins = list(self.coins.values())
        now = self._now_ms()
        if parts == ["ping"]:
            return 200, bodies.recorded("Ping.json")
        if parts == ["coins", "list"]:
            include = query.get("include_platform", "false") == "true"
            return 200, bodies.coins_list(coins, include)
        if parts == ["coins", "markets"]:
            return self._markets(coins, query, now)
        if parts == ["exchanges"]:
            return 200, bodies.recorded("GetExchanges.json")
        if parts == ["search", "trending"]:  # the real capture is the raw body: fault non_utf8
            return 200, bodies.recorded("GetTrendingSearches.json")
        if len(parts) >= 2 and parts[0] == "coins":
            coin = self.coins.get(parts[1])
            if coin is None:
                return 404, {"error": "coin not found"}
            if len(parts) == 2:
                return 200, bodies.coin_details(coin, now)
            if parts[2:] == ["market_chart", "range"]:
                try:
                    start, end = float(query["from"]), float(query["to"])
                except (KeyError, ValueError):
                    return 400, {"error": "Invalid date range"}
                return 200, bodies.market_chart_range(coin, start, end, now)
        return 404, {"error": "Not found"}

    def _markets(self, coins: list[Coin], query: dict[str, str], now: int) -> tuple[int, Any]:
        if "vs_currency" not in query:
            return 400, {"error": "Missing parameter vs_currency"}
        per_page = int(query.get("per_page", 100))
        if not 1 <= per_page <= 250:
            return 400, {"error": "per_page must be between 1 and 250"}
        page = int(query.get("page", 1))
        ranked = sorted(coins, key=lambda c: -c.price * c.supply)
        ranks = {c.id: i for i, c in enumerate(ranked, start=1)}
        if query.get("ids"):
            wanted = set(query["ids"].split(","))
            ranked = [c for c in ranked if c.id in wanted]
        chunk = ranked[(page - 1) * per_page : page * per_page]
        return 200, [bodies.market_row(c, ranks[c.id], now) for c in chunk]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        emulator: CoinGeckoEmulator = self.server.emulator  # type: ignore[attr-defined]
        status, payload, content_type, extra = emulator.answer(url.path, query, headers)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


CoinGeckoEmulator.handler = _Handler
