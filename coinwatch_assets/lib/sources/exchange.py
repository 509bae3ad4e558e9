"""Market data from a real exchange through the synchronous ccxt client.

ccxt is configured from the user's `COINWATCH_CCXT_CONFIG` (merged into the constructor
config; `"sandbox": true` switches to the exchange's testnet), which is also how tests point
it at the local Binance emulator. The source does its own since/limit pagination because
ccxt's `paginate` option silently stops after a fixed number of calls.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import ccxt
import pandas as pd

from coinwatch_assets.lib.ohlcv_frame import empty_ohlcv, from_ccxt_rows
from coinwatch_assets.lib.sources.base import (
    DEFAULT_QUOTE,
    MARKET_COLUMNS,
    Window,
    empty_markets,
    finite_or_nan,
    grid_ms,
    select_markets,
    timeframe_ms,
)
from coinwatch_assets.lib.sources.errors import (
    BadMarketData,
    SourceError,
    SourceRejected,
    UnknownSymbol,
    UnsupportedTimeframe,
)
from coinwatch_assets.lib.sources.exchange_calls import ExchangeCalls
from coinwatch_assets.lib.sources.retry import RetryPolicy
from coinwatch_assets.lib.sources.validate import day_of, first_problem

log = logging.getLogger(__name__)

# Largest page each exchange serves for one klines request; asking for more is clamped or
# refused, asking for less multiplies the number of requests.
PAGE_LIMITS = {"binance": 1000, "binanceus": 1000, "bybit": 1000, "okx": 300, "kraken": 720}
DEFAULT_PAGE_LIMIT = 500
# Exchanges whose ccxt fetch_ohlcv turns `params={"until": ms}` into a server-side end bound.
_UNTIL_EXCHANGES = {"binance", "binanceus"}
# Spot-only market loading: the derivatives endpoints are extra requests we never use.
_DEFAULT_CONFIG: dict[str, dict[str, Any]] = {
    "binance": {"options": {"fetchMarkets": {"types": ["spot"]}}},
    "binanceus": {"options": {"fetchMarkets": {"types": ["spot"]}}},
}


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, merging nested dicts (lists and scalars are replaced)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class ExchangeSource:
    """:class:`~coinwatch_assets.lib.sources.base.MarketDataSource` over a real ccxt client.

    Not thread-safe (neither is a ccxt client): use one instance per thread.
    """

    def __init__(
        self,
        exchange_id: str = "binance",
        config: dict[str, Any] | None = None,
        *,
        page_limit: int | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        exchange_class = getattr(ccxt, exchange_id, None)
        if exchange_id not in ccxt.exchanges or exchange_class is None:
            raise SourceError(
                "not an exchange ccxt knows (see ccxt.exchanges)", exchange=exchange_id
            )
        merged = deep_merge(_DEFAULT_CONFIG.get(exchange_id, {}), config or {})
        sandbox = bool(merged.pop("sandbox", False))
        merged["enableRateLimit"] = True  # never hammer a real exchange, whatever the config
        self.client: ccxt.Exchange = exchange_class(merged)
        if sandbox:
            self.client.set_sandbox_mode(True)
        self.page_limit = page_limit or PAGE_LIMITS.get(exchange_id, DEFAULT_PAGE_LIMIT)
        if self.page_limit < 1:
            raise ValueError(f"page_limit must be >= 1, got {page_limit}")
        self._use_until = exchange_id in _UNTIL_EXCHANGES
        self._calls = ExchangeCalls(self.client, retry or RetryPolicy(), sleep)
        self._page_rows: list[Any] = []
        self._record_parsed_rows()

    @property
    def exchange_id(self) -> str:
        return str(self.client.id)

    def _record_parsed_rows(self) -> None:
        # ccxt drops rows whose timestamp it cannot parse and keeps None/NaN prices; wrapping
        # the instance's parse_ohlcv lets every row be validated before that filtering.
        original = self.client.parse_ohlcv

        def recording(ohlcv: Any, market: Any = None) -> Any:
            row = original(ohlcv, market)
            self._page_rows.append(row)
            return row

        self.client.parse_ohlcv = recording  # type: ignore[method-assign]

    def _markets(self, **ctx: Any) -> dict[str, dict[str, Any]]:
        if not self.client.markets:
            self._calls.call(self.client.load_markets, "load_markets", ctx)
        return self.client.markets or {}

    def list_markets(
        self,
        quote: str | None = DEFAULT_QUOTE,
        top_n: int | None = None,
        symbols: list[str] | None = None,
    ) -> pd.DataFrame:
        spot = [m for m in self._markets().values() if m.get("spot")]
        if not spot:
            return empty_markets()
        frame = pd.DataFrame(
            [
                [self.exchange_id, m["symbol"], m["base"], m["quote"], m.get("active") is not False]
                for m in spot
            ],
            columns=MARKET_COLUMNS[:-1],
        )
        frame["quote_volume_24h"] = float("nan")
        if symbols is not None:
            chosen = select_markets(frame, exchange=self.exchange_id, symbols=symbols)
            return self._with_volumes(chosen, list(chosen["symbol"]))
        return select_markets(
            self._with_volumes(frame, None), exchange=self.exchange_id, quote=quote, top_n=top_n
        )

    def _with_volumes(self, frame: pd.DataFrame, symbols: list[str] | None) -> pd.DataFrame:
        if not self.client.has.get("fetchTickers") or frame.empty:
            return frame
        try:
            tickers = self._calls.call(lambda: self.client.fetch_tickers(symbols), "fetch_tickers")
        except SourceRejected as err:
            log.warning("%s: no 24h volumes, tickers refused: %s", self.exchange_id, err)
            return frame
        out = frame.copy()
        out["quote_volume_24h"] = [
            finite_or_nan((tickers.get(s) or {}).get("quoteVolume")) for s in out["symbol"]
        ]
        return out

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        start: datetime,
        end: datetime,
        now: datetime | None = None,
    ) -> pd.DataFrame:
        ctx = {"symbol": symbol, "timeframe": timeframe, "start": start, "end": end}
        tf_ms = self._timeframe_ms(timeframe, ctx)
        window = Window.of(start, end, now, tf_ms)
        market = self._markets(**ctx).get(symbol)
        if market is None or not market.get("spot"):
            raise UnknownSymbol(
                f"{symbol!r} is not a spot market", exchange=self.exchange_id, **ctx
            )
        if window.empty:
            return empty_ohlcv()
        rows: dict[int, list[float]] = {}
        cursor = window.start
        while cursor < window.stop:
            page = self._page(symbol, timeframe, cursor, window, ctx)
            if not page:
                break
            self._check_page_bounds(page, cursor, window, ctx)
            last = max(row[0] for row in page)
            for row in page:
                if window.start <= row[0] < window.stop:
                    rows.setdefault(row[0], row)
            cursor = last + tf_ms
        if not rows:
            return empty_ohlcv()
        ordered = [rows[ts] for ts in sorted(rows)]
        return from_ccxt_rows(
            ordered, exchange=self.exchange_id, symbol=symbol, timeframe=timeframe
        )

    def _check_page_bounds(
        self, page: list[list[Any]], cursor: int, window: Window, ctx: dict[str, Any]
    ) -> None:
        """A page is a claim: candles before `since`, or after the `until` we sent, mean the
        exchange ignored the request's window, and nothing it sent can be trusted."""
        first, last = min(row[0] for row in page), max(row[0] for row in page)
        if first < cursor:
            raise BadMarketData(
                f"the page asked from {_iso_ms(cursor)} starts at {_iso_ms(first)} (no progress "
                f"if it ends at {_iso_ms(last)}): the exchange ignored `since`; nothing from "
                "this window is kept",
                exchange=self.exchange_id,
                **ctx,
            )
        if self._use_until and last >= window.stop:
            raise BadMarketData(
                f"the page asked up to {_iso_ms(window.stop - 1)} holds a candle at "
                f"{_iso_ms(last)}: the exchange ignored the window's end; nothing from this "
                "window is kept",
                exchange=self.exchange_id,
                **ctx,
            )

    def _timeframe_ms(self, timeframe: str, ctx: dict[str, Any]) -> int:
        known = self.client.timeframes or {}
        if known and timeframe not in known:
            raise UnsupportedTimeframe(
                f"timeframe {timeframe!r} is not offered; choose one of {', '.join(known)}",
                exchange=self.exchange_id,
                **ctx,
            )
        try:
            return timeframe_ms(timeframe)
        except ValueError as err:
            raise UnsupportedTimeframe(str(err), exchange=self.exchange_id, **ctx) from err

    def _page(
        self, symbol: str, timeframe: str, cursor: int, window: Window, ctx: dict[str, Any]
    ) -> list[list[Any]]:
        """One validated page of parsed rows starting at `cursor` (all rows the exchange sent)."""
        params = {"until": window.stop - 1} if self._use_until else {}

        def fetch() -> list[Any]:
            self._page_rows = []
            return self.client.fetch_ohlcv(symbol, timeframe, cursor, self.page_limit, params)

        try:
            returned = self._calls.call(fetch, "fetch_ohlcv", ctx)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as err:
            raise BadMarketData(
                f"unparsable klines answer for the page from {day_of(cursor)}: {err!r}",
                exchange=self.exchange_id,
                **ctx,
            ) from err
        page = self._page_rows or list(returned or [])
        problem = first_problem(page, grid_ms(window.tf_ms))
        if problem is not None:
            index, row, reason = problem
            ts = row[0] if isinstance(row, list) and row and isinstance(row[0], int) else cursor
            raise BadMarketData(
                f"malformed candle on {day_of(ts)} (row {index} of the page from {cursor}): "
                f"{reason}; nothing from this window is kept",
                exchange=self.exchange_id,
                **ctx,
            )
        return page


__all__ = ["DEFAULT_PAGE_LIMIT", "PAGE_LIMITS", "ExchangeSource", "deep_merge"]
