"""The CoinMarketCap Pro API client over httpx: key header, calls/min, credit ledger, retries,
breaker.

The key travels only in the `X-CMC_PRO_API_KEY` header. Every message this client raises or
logs is passed through `redact` first, because an error body may echo the key back.
Every answer that carries `status.credit_count` is added to the ledger, error answers too.
"""

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx
import pybreaker
import tenacity

from coinwatch_assets.lib import secrets
from coinwatch_assets.lib.fundamentals.cmc_credits import CreditLedger
from coinwatch_assets.lib.fundamentals.cmc_errors import (
    CODES,
    CmcAnswerError,
    CmcBodyError,
    CmcConfigError,
    CmcError,
    CmcLimitError,
    CmcTransientError,
    CmcUnavailable,
)
from coinwatch_assets.lib.fundamentals.guards import CallBudget, breaker_for, reopens_at

CMC_ROOT = "https://pro-api.coinmarketcap.com"
KEY_HEADER = "X-CMC_PRO_API_KEY"
USER_AGENT = "coinwatch/0.1 (+https://github.com/coinwatch; httpx)"
# CMC's per-minute limits reset every 60 s and it sends no Retry-After: wait out the minute.
MINUTE = 60.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CmcPolicy:
    calls_per_minute: int = 30
    timeout_seconds: float = 30.0
    max_attempts: int = 3
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 60.0


def _status(body: Any) -> dict[str, Any]:
    status = body.get("status") if isinstance(body, dict) else None
    return status if isinstance(status, dict) else {}


class CmcClient:
    """GET a CoinMarketCap path and return its `data`, within budget and allowance, retried."""

    def __init__(
        self,
        api_url: str,
        api_key: str | None,
        ledger: CreditLedger,
        *,
        policy: CmcPolicy = CmcPolicy(),
        logger: logging.Logger | None = None,
        sleep=None,
    ) -> None:
        if not api_key:
            raise CmcConfigError(
                "COINMARKETCAP_API_KEY is not set: CoinMarketCap needs the key of your "
                "developer portal (or drop coinmarketcap from COINWATCH_FUNDAMENTALS)."
            )
        if policy.calls_per_minute < 1:
            raise CmcConfigError(
                f"COINMARKETCAP_CALLS_PER_MINUTE must be at least 1, got {policy.calls_per_minute}"
            )
        self.root = api_url.rstrip("/")
        self.policy = policy
        self.ledger = ledger
        self.log = logger or log
        self._key = api_key
        secrets.register(api_key)  # a server may echo it back: errors and logs never show it
        self.budget = CallBudget(f"cmc:{self.root}", policy.calls_per_minute, 60)
        self.breaker = breaker_for(
            f"cmc:{self.root}",
            policy.breaker_failures,
            policy.breaker_cooldown_seconds,
            self.log,
            api="CoinMarketCap",
            # Our settings, a bad request or a used-up plan: CMC itself is answering.
            exclude=(CmcConfigError, CmcAnswerError, CmcLimitError),
        )
        self._sleep = sleep or tenacity.nap.sleep
        self._http = httpx.Client(
            base_url=self.root,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", KEY_HEADER: api_key},
            timeout=httpx.Timeout(
                policy.timeout_seconds, connect=min(10.0, policy.timeout_seconds)
            ),
            follow_redirects=False,
        )
        self.calls = 0  # HTTP requests sent (retries included)
        self.credits = 0  # credits CMC charged this client's calls

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "CmcClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ensure_allowance(self, credits: int) -> None:
        """Refuse a run that would take the month past the allowance, before any call."""
        self.ledger.check(credits)

    def _safe(self, text: str) -> str:
        return secrets.redact(text)

    def _count(self, body: Any) -> None:
        try:
            credits = int(_status(body).get("credit_count") or 0)
        except (TypeError, ValueError):
            credits = 0
        self.credits += credits
        self.ledger.add(credits)

    def _once(self, path: str, params: dict[str, Any] | None) -> Any:
        what = f"GET {path}"
        self.budget.acquire(self._sleep)
        self.calls += 1
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise CmcTransientError(
                f"CoinMarketCap did not answer {what} within {self.policy.timeout_seconds:g} s "
                f"({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            raise CmcTransientError(
                self._safe(f"connection to CoinMarketCap failed for {what}: {exc}")
            ) from None
        try:
            body = json.loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        if body is not None:
            self._count(body)
        return self._check(response.status_code, body, response, what)

    def _check(self, status: int, body: Any, response: httpx.Response, what: str) -> Any:
        code = _status(body).get("error_code")
        message = self._safe(str(_status(body).get("error_message") or ""))
        if code in CODES:
            kind, fix = CODES[code]
            text = f"CoinMarketCap refused {what} (HTTP {status}): {fix}. CMC said: {message!r}"
            raise kind(text, MINUTE) if kind is CmcTransientError else kind(text)
        if status == 429:
            raise CmcTransientError(
                f"CoinMarketCap rate-limited {what} (429, code {code}): retried after the "
                "minute; lower COINMARKETCAP_CALLS_PER_MINUTE",
                MINUTE,
            )
        if status >= 500:
            raise CmcTransientError(f"CoinMarketCap failed {what} with HTTP {status}: {message}")
        if status in (401, 402, 403):
            raise CmcConfigError(
                f"CoinMarketCap refused {what} with HTTP {status} (code {code}): check "
                f"COINMARKETCAP_API_KEY and its plan. CMC said: {message!r}"
            )
        if status >= 400 or code:
            detail = message or self._safe(response.content[:200].decode("utf-8", "replace"))
            raise CmcAnswerError(f"CoinMarketCap refused {what} (HTTP {status}): {detail}")
        if not isinstance(body, dict) or "data" not in body:
            raise CmcBodyError(
                f"CoinMarketCap answered {what} with a body that is not the JSON expected "
                f"(no 'data'; {len(response.content)} bytes); nothing was written."
            )
        return body["data"]

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = tenacity.wait_exponential_jitter(
            multiplier=self.policy.base_delay_seconds, max=self.policy.max_delay_seconds
        )(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        return max(backoff, retry_after) if retry_after is not None else backoff

    def get(self, path: str, params: dict[str, Any] | None = None, *, credits: int = 1) -> Any:
        """The `data` of `GET <root><path>`; `credits` is the call's estimated cost, checked
        against the month's allowance before anything is sent."""
        self.ledger.check(credits)
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception_type(CmcTransientError),
            sleep=self._sleep,
            before_sleep=tenacity.before_sleep_log(self.log, logging.WARNING),
            reraise=True,
        )
        try:
            return retrying(self.breaker.call, self._once, path, params)
        except pybreaker.CircuitBreakerError:
            raise CmcUnavailable(
                f"CoinMarketCap circuit breaker is open for {self.root}: "
                f"{self.policy.breaker_failures} calls in a row failed, so GET {path} was not "
                f"sent. Calls resume after {reopens_at(self.breaker):%H:%M:%S} UTC (cool-down "
                f"{self.policy.breaker_cooldown_seconds:g} s); nothing was written."
            ) from None
        except CmcTransientError as exc:
            raise CmcUnavailable(
                f"{exc} — gave up after {self.policy.max_attempts} attempts; nothing was written."
            ) from None
        except CmcError as exc:
            raise type(exc)(self._safe(str(exc))) from None
