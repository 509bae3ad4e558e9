"""Exceptions raised by market-data sources.

Every message names the exchange and, where known, the symbol, timeframe and time window, so
a failed Dagster run says exactly which partition of which market went wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime

from coinwatch_assets.lib import secrets


def _iso(value: datetime | int | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, int):
        value = datetime.fromtimestamp(value / 1000, tz=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(
    exchange: str,
    symbol: str | None = None,
    timeframe: str | None = None,
    start: datetime | int | None = None,
    end: datetime | int | None = None,
) -> str:
    """`binance BTC/USDT 1m [2024-01-01T00:00:00Z, 2024-01-02T00:00:00Z)`: the request context."""
    parts = [exchange]
    if symbol:
        parts.append(symbol)
    if timeframe:
        parts.append(timeframe)
    if start is not None or end is not None:
        parts.append(f"[{_iso(start)}, {_iso(end)})")
    return " ".join(parts)


class SourceError(Exception):
    """Base class: a source could not deliver what was asked for."""

    def __init__(
        self,
        message: str,
        *,
        exchange: str,
        symbol: str | None = None,
        timeframe: str | None = None,
        start: datetime | int | None = None,
        end: datetime | int | None = None,
    ) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.timeframe = timeframe
        self.start = start
        self.end = end
        self.context = describe(exchange, symbol, timeframe, start, end)
        super().__init__(secrets.redact(f"{self.context}: {message}"))


class SourceUnavailable(SourceError):
    """The exchange kept failing with transient errors (network, 429/418) after every retry."""


class SourceBanned(SourceUnavailable):
    """The exchange banned this client (HTTP 418) for longer than a retry may wait."""


class BadMarketData(SourceError):
    """The exchange answered, but with candles that are malformed or make no progress."""


class UnknownSymbol(SourceError):
    """The symbol(s) are not active spot markets on the exchange."""


class UnsupportedTimeframe(SourceError):
    """The exchange (or the sample source) has no candles of this timeframe."""


class SourceRejected(SourceError):
    """The exchange refused the request for a non-transient reason (bad request, not supported)."""
