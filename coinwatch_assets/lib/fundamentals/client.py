"""The CoinGecko API client over httpx: key header, budget, bounded retries, breaker.

Retries are tenacity's (429/5xx/timeouts/dropped connections, honouring `Retry-After`);
the budget and the breaker are shared by every client of the same root in the process
(:mod:`guards`). The key travels only in its header: it is never part of a URL, a log line
or an error message (it is registered with :mod:`coinwatch_assets.lib.secrets`, so an answer
echoing it is redacted too).
"""

import logging
from dataclasses import dataclass
from typing import Any

import httpx
import pybreaker
import tenacity

from coinwatch_assets.lib import secrets
from coinwatch_assets.lib.fundamentals.answers import check_answer
from coinwatch_assets.lib.fundamentals.errors import (
    CoinGeckoConfigError,
    CoinGeckoError,
    CoinGeckoTransientError,
    CoinGeckoUnavailable,
)
from coinwatch_assets.lib.fundamentals.guards import CallBudget, breaker_for, reopens_at

PUBLIC_ROOT = "https://api.coingecko.com/api/v3"
PRO_ROOT = "https://pro-api.coingecko.com/api/v3"
KEY_HEADERS = {"demo": "x-cg-demo-api-key", "pro": "x-cg-pro-api-key"}
USER_AGENT = "coinwatch/0.1 (+https://github.com/coinwatch; httpx)"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientPolicy:
    """How patiently the client calls (defaults are the resource's defaults)."""

    calls_per_minute: int = 30
    budget_window_seconds: int = 60
    timeout_seconds: float = 30.0
    max_attempts: int = 4
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 60.0


def key_header(plan: str, api_key: str | None) -> dict[str, str]:
    """The header that carries the key for `plan` (`public` sends none)."""
    if plan not in ("public", "demo", "pro"):
        raise CoinGeckoConfigError(f"COINGECKO_API_PLAN must be public, demo or pro, got {plan!r}")
    if plan == "public":
        return {}
    if not api_key:
        raise CoinGeckoConfigError(
            f"COINGECKO_API_PLAN={plan} needs COINGECKO_API_KEY (the key from your CoinGecko "
            "developer dashboard); or set COINGECKO_API_PLAN=public to call without a key."
        )
    return {KEY_HEADERS[plan]: api_key}


class CoinGeckoClient:
    """GET a CoinGecko path and return its JSON, within budget, retried, behind a breaker."""

    def __init__(
        self,
        api_url: str = PUBLIC_ROOT,
        *,
        plan: str = "public",
        api_key: str | None = None,
        policy: ClientPolicy = ClientPolicy(),
        logger: logging.Logger | None = None,
        sleep=None,
    ) -> None:
        secrets.register(api_key)  # a server may echo it back: errors and logs never show it
        self.root = api_url.rstrip("/")
        self.policy = policy
        self.log = logger or log
        self.budget = CallBudget(self.root, policy.calls_per_minute, policy.budget_window_seconds)
        self.breaker = breaker_for(
            self.root, policy.breaker_failures, policy.breaker_cooldown_seconds, self.log
        )
        self._sleep = sleep or tenacity.nap.sleep
        self._http = httpx.Client(
            base_url=self.root,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                **key_header(plan, api_key),
            },
            timeout=httpx.Timeout(
                policy.timeout_seconds, connect=min(10.0, policy.timeout_seconds)
            ),
            follow_redirects=False,
        )
        self.calls = 0  # HTTP requests sent by this client (retries included)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "CoinGeckoClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _once(self, path: str, params: dict[str, Any] | None, repair: bool = False) -> Any:
        what = f"GET {path}"
        self.budget.acquire(self._sleep)
        self.calls += 1
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise CoinGeckoTransientError(
                f"CoinGecko did not answer {what} within {self.policy.timeout_seconds:g} s "
                f"({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise CoinGeckoTransientError(
                f"connection to CoinGecko failed for {what}: {type(exc).__name__}: {exc}"
            ) from None
        try:
            return check_answer(response, what, repair)
        except CoinGeckoError as exc:
            raise secrets.scrub(exc) from None

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = tenacity.wait_exponential_jitter(
            multiplier=self.policy.base_delay_seconds, max=self.policy.max_delay_seconds
        )(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            backoff = max(backoff, min(retry_after, self.policy.max_retry_after_seconds))
        return backoff

    def get(
        self, path: str, params: dict[str, Any] | None = None, *, repair_text: bool = False
    ) -> Any:
        """The JSON answer of `GET <root><path>`; a CoinGeckoError says why there is none.

        `repair_text`: stray non-UTF-8 bytes are read as cp1252 (`/search/trending` sends them).
        """
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(CoinGeckoTransientError),
            sleep=self._sleep,
            before_sleep=tenacity.before_sleep_log(self.log, logging.WARNING),
            reraise=True,
        )
        try:
            return retrying(self.breaker.call, self._once, path, params, repair_text)
        except pybreaker.CircuitBreakerError:
            raise CoinGeckoUnavailable(
                f"CoinGecko circuit breaker is open for {self.root}: {self.policy.breaker_failures}"
                f" calls in a row failed, so GET {path} was not sent. Calls resume after "
                f"{reopens_at(self.breaker):%H:%M:%S} UTC (cool-down "
                f"{self.policy.breaker_cooldown_seconds:g} s); nothing was written."
            ) from None
        except CoinGeckoTransientError as exc:
            raise CoinGeckoUnavailable(
                f"{exc} — gave up after {self.policy.max_attempts} attempts; nothing was written."
            ) from None
