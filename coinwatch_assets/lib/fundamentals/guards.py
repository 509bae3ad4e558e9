"""Process-wide guards shared by every call to one fundamentals API: the call budget and the
breaker (CoinGecko, CoinMarketCap).

Both live at module level on purpose: every client of one API root in a process (each asset,
each resource instance) spends one budget and trips one breaker.
"""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pybreaker
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from coinwatch_assets.lib.fundamentals.errors import CoinGeckoAnswerError, CoinGeckoConfigError

_LIMITER = MovingWindowRateLimiter(MemoryStorage())
_BREAKERS: dict[tuple[str, int, float], pybreaker.CircuitBreaker] = {}
_LOCK = threading.Lock()
# The server sees a call a little after we count it; waiting this much past the window's
# reset keeps the server's own count within the budget too.
_MARGIN_SECONDS = 0.25


class CallBudget:
    """At most `calls` calls in any moving window of `window_seconds`, for one API root."""

    def __init__(self, key: str, calls: int, window_seconds: int = 60) -> None:
        if calls < 1 or window_seconds < 1:
            raise ValueError(
                f"the CoinGecko budget must allow at least 1 call per >= 1 s, got {calls} "
                f"per {window_seconds} s (COINGECKO_CALLS_PER_MINUTE)"
            )
        self.key = key
        self.item = RateLimitItemPerSecond(calls, window_seconds, namespace="coingecko")

    def acquire(self, sleep=time.sleep) -> float:
        """Wait until the budget allows one more call, take it; returns the seconds waited."""
        waited = 0.0
        while not _LIMITER.hit(self.item, self.key):
            reset_at, _ = _LIMITER.get_window_stats(self.item, self.key)
            pause = min(max(reset_at - time.time(), 0.0) + _MARGIN_SECONDS, self.item.get_expiry())
            sleep(pause)
            waited += pause
        return waited


class _SayItListener(pybreaker.CircuitBreakerListener):
    def __init__(self, log: logging.Logger, api: str) -> None:
        self.log = log
        self.api = api

    def state_change(self, cb, old_state, new_state) -> None:
        name = new_state.name if new_state is not None else "?"
        if name == pybreaker.STATE_OPEN:
            self.log.warning(
                "%s circuit breaker OPEN for %s after %d failed calls: no calls for %.0f s",
                self.api,
                cb.name,
                cb.fail_max,
                cb.reset_timeout,
            )
        elif name == pybreaker.STATE_CLOSED:
            self.log.info("%s circuit breaker closed for %s: calls resume", self.api, cb.name)


def breaker_for(
    key: str,
    fail_max: int,
    cooldown_seconds: float,
    log: logging.Logger,
    *,
    api: str = "CoinGecko",
    exclude: tuple[type[Exception], ...] = (CoinGeckoConfigError, CoinGeckoAnswerError),
) -> pybreaker.CircuitBreaker:
    """The process's breaker for this root and policy; `exclude`d errors never trip it (bad
    settings or a bad id are our fault, not an unhealthy API)."""
    with _LOCK:
        ident = (key, fail_max, cooldown_seconds)
        if ident not in _BREAKERS:
            _BREAKERS[ident] = pybreaker.CircuitBreaker(
                fail_max=fail_max,
                reset_timeout=cooldown_seconds,
                exclude=list(exclude),
                listeners=[_SayItListener(log, api)],
                name=key,
            )
        return _BREAKERS[ident]


def reopens_at(breaker: pybreaker.CircuitBreaker) -> datetime:
    """When an open breaker lets the next trial call through."""
    opened = breaker._state_storage.opened_at or datetime.now(UTC)
    if opened.tzinfo is None:
        opened = opened.replace(tzinfo=UTC)
    return opened + timedelta(seconds=breaker.reset_timeout)


def forget_guards() -> None:
    """Drop every budget and breaker state of this process (a fresh start, e.g. per test)."""
    with _LOCK:
        _BREAKERS.clear()
    _LIMITER.storage.reset()
