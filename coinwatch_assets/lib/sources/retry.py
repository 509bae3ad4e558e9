"""Bounded retries with exponential backoff and jitter for transient exchange errors."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    `max_attempts` counts the first try. The n-th retry waits
    `min(max_delay, base_delay * 2**(n-1)) * (1 + jitter * U[0,1))`; a server's
    `Retry-After` (seconds) raises the wait to at least that, still capped by `max_delay` so a
    hostile header cannot stall a run for hours.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
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
) -> T:
    """Run `fn`, retrying transient errors; after the last attempt raise `give_up(err, n)`."""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return fn()
        except Exception as err:
            if not is_transient(err):
                raise
            if attempt == policy.max_attempts:
                raise give_up(err, attempt) from err
            wait = policy.delay(attempt, retry_after())
            log.warning(
                "%s failed (attempt %d/%d): %s; retrying in %.2fs",
                what,
                attempt,
                policy.max_attempts,
                err,
                wait,
            )
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
