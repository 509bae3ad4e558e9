"""Bounded retries (tenacity) with exponential backoff and jitter for transient exchange errors.

Rate-limit answers (429, and Binance's 418) are special: with a `Retry-After` the wait is at
least that; without one the client waits until its budget window has reset (`budget_window`,
a full minute for a per-minute budget) instead of a few seconds of backoff, because an
exchange counting requests per minute will refuse every request until then.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

from coinwatch_assets.lib import secrets

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    `max_attempts` counts the first try. The n-th retry waits
    `min(max_delay, base_delay * 2**(n-1)) * (1 + jitter * U[0,1))`; a server's
    `Retry-After` (seconds) raises the wait to at least that, still capped by `max_delay` so a
    hostile header cannot stall a run for hours. A rate-limit answer without `Retry-After`
    waits `budget_window` seconds (the request budget's window), uncapped.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5
    budget_window: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def delay(
        self, retry: int, retry_after: float | None = None, *, rate_limited: bool = False
    ) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        if rate_limited and retry_after is None:
            return self.budget_window
        backoff = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        backoff *= 1 + self.jitter * self.rng.random()
        if retry_after is not None:
            backoff = max(backoff, retry_after)
        return min(backoff, self.max_delay)


def parse_retry_after(headers: object) -> float | None:
    """Seconds from a `Retry-After` header given in seconds; None when absent or a date."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    value = get("Retry-After") or get("retry-after")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


def call_with_retry(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    is_transient: Callable[[BaseException], bool],
    retry_after: Callable[[], float | None],
    give_up: Callable[[BaseException, int], Exception],
    sleep: Callable[[float], None] = time.sleep,
    what: str = "request",
    is_rate_limited: Callable[[BaseException], bool] = lambda err: False,
    stop_now: Callable[[BaseException, float | None], Exception | None] = lambda e, s: None,
) -> T:
    """Run `fn`, retrying transient errors; after the last attempt raise `give_up(err, n)`.

    `stop_now(err, retry_after)` may turn an error into one raised at once (a ban).
    """
    headers: dict[str, float | None] = {}

    def attempt() -> T:
        try:
            return fn()
        except Exception as err:
            # ccxt puts whole answers (and URLs) in its errors: no registered secret survives
            secrets.scrub(err)
            # read the answer's Retry-After before the next request replaces it
            headers["retry_after"] = retry_after() if is_transient(err) else None
            final = stop_now(err, headers["retry_after"]) if is_transient(err) else None
            if final is not None:
                raise final from err
            raise

    def wait(state: tenacity.RetryCallState) -> float:
        err = state.outcome.exception() if state.outcome else None
        limited = err is not None and is_rate_limited(err)
        return policy.delay(state.attempt_number, headers.get("retry_after"), rate_limited=limited)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        err = state.outcome.exception() if state.outcome else None
        seconds = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s failed (attempt %d/%d): %s; retrying in %.2fs",
            what,
            state.attempt_number,
            policy.max_attempts,
            err,
            seconds,
        )

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=tenacity.retry_if_exception(is_transient),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except Exception as err:
        if is_transient(err):
            raise give_up(err, policy.max_attempts) from err
        raise
