"""Binance's REST request-weight budget, enforced by the emulator when a test or benchmark asks.

Binance spot limits each IP to 6,000 request weight per minute (REQUEST_WEIGHT in
exchangeInfo's rateLimits); GET /api/v3/klines weighs 2 whatever its limit, exchangeInfo 20,
a one-symbol ticker 2 (all symbols 80). Beyond the budget it answers 429 with Retry-After.
The window can be scaled down (same weights and limit over N seconds) to keep runs short.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import Any

from coinwatch_assets_tests.emulators import binance_wire as wire

WEIGHTS = {"/api/v3/klines": 2, "/api/v3/exchangeInfo": 20, "/api/v3/ticker/24hr": 2}
DOCUMENTED_LIMIT = 6000


class WeightBudget:
    """A sliding window of `window_seconds` holding at most `limit` weight."""

    def __init__(self, limit: int = DOCUMENTED_LIMIT, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self.spent: deque[tuple[float, int]] = deque()
        self.refused = 0
        self.lock = threading.Lock()

    @staticmethod
    def weight(path: str, query: dict[str, str]) -> int:
        if path == "/api/v3/ticker/24hr" and not (query.get("symbol") or query.get("symbols")):
            return 80
        return WEIGHTS.get(path, 1)

    def charge(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]] | None:
        """None when the request fits the budget (and is charged), else Binance's 429."""
        now = time.monotonic()
        weight = self.weight(path, query)
        with self.lock:
            while self.spent and self.spent[0][0] <= now - self.window:
                self.spent.popleft()
            used = sum(w for _, w in self.spent)
            if used + weight > self.limit:
                self.refused += 1
                wait = self.spent[0][0] + self.window - now if self.spent else self.window
                return 429, wire.TOO_MANY_REQUESTS, {"Retry-After": str(math.ceil(wait))}
            self.spent.append((now, weight))
        return None
