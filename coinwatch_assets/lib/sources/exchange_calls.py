"""One ccxt call with retries, and ccxt's exceptions translated into ours.

ccxt maps Binance's HTTP 429 and 418 to `DDoSProtection` (see `binance.handle_errors`; the
generic table maps 429 to `RateLimitExceeded`), both `NetworkError`s like timeouts and
`ExchangeNotAvailable`: those are retried with backoff, honouring `Retry-After`, and so is an
answer that is not JSON (`NotJsonAnswer`: an HTML page with status 200, a truncated body).
Everything else (`BadSymbol`, `BadRequest`, other `ExchangeError`s) is a mistake retrying
cannot fix.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import ccxt

from coinwatch_assets.lib.sources.errors import (
    SourceError,
    SourceRejected,
    SourceUnavailable,
    UnknownSymbol,
)
from coinwatch_assets.lib.sources.json_answers import NotJsonAnswer, require_json
from coinwatch_assets.lib.sources.retry import RetryPolicy, call_with_retry, parse_retry_after

T = TypeVar("T")


class ExchangeCalls:
    """Runs calls on one ccxt client under a :class:`RetryPolicy`."""

    def __init__(
        self,
        client: ccxt.Exchange,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.policy = policy
        self.sleep = sleep
        require_json(client)

    def call(self, fn: Callable[[], T], what: str, ctx: dict[str, Any] | None = None) -> T:
        ctx = ctx or {}
        exchange = str(self.client.id)

        def attempt() -> T:
            # stale headers from an earlier answer must not be read as this one's Retry-After
            self.client.last_response_headers = None
            return fn()

        def give_up(err: BaseException, attempts: int) -> Exception:
            return SourceUnavailable(
                f"{what} still failing after {attempts} attempts: {type(err).__name__}: {err}",
                exchange=exchange,
                **ctx,
            )

        try:
            return call_with_retry(
                attempt,
                policy=self.policy,
                is_transient=lambda err: isinstance(err, ccxt.NetworkError | NotJsonAnswer),
                retry_after=lambda: parse_retry_after(self.client.last_response_headers),
                give_up=give_up,
                sleep=self.sleep,
                what=f"{exchange} {what}",
            )
        except SourceError:
            raise
        except ccxt.BadSymbol as err:
            raise UnknownSymbol(f"{what}: unknown symbol: {err}", exchange=exchange, **ctx) from err
        except ccxt.ExchangeError as err:
            raise SourceRejected(
                f"{what} refused: {type(err).__name__}: {err}", exchange=exchange, **ctx
            ) from err
        except ccxt.BaseError as err:
            raise SourceError(
                f"{what} failed: {type(err).__name__}: {err}", exchange=exchange, **ctx
            ) from err
