"""Exceptions of the quality library; both are ValueErrors, so callers may catch either."""

from __future__ import annotations


class CandleSeriesError(ValueError):
    """A candle series that cannot be checked as labelled.

    Raised for an empty series with no window to infer from, a series mostly off its
    timeframe's grid (mislabelled), or (via the subclass below) an unknown timeframe label.
    """


class UnknownTimeframeError(CandleSeriesError):
    """A timeframe string that is not one of the supported ccxt timeframes (1m..1w)."""
