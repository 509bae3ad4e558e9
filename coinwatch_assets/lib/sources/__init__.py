"""Market-data sources (plain Python, no Dagster): real exchanges via ccxt, or sample data."""

from __future__ import annotations

from coinwatch_assets.lib.sources.base import MARKET_COLUMNS, MarketDataSource
from coinwatch_assets.lib.sources.errors import (
    BadMarketData,
    SourceBanned,
    SourceError,
    SourceRejected,
    SourceUnavailable,
    UnknownSymbol,
    UnsupportedTimeframe,
)
from coinwatch_assets.lib.sources.factory import build_source, source_from_env

__all__ = [
    "MARKET_COLUMNS",
    "BadMarketData",
    "MarketDataSource",
    "SourceError",
    "SourceRejected",
    "SourceBanned",
    "SourceUnavailable",
    "UnknownSymbol",
    "UnsupportedTimeframe",
    "build_source",
    "source_from_env",
]
