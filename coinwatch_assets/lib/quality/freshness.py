"""Freshness per symbol: how far the latest stored candle lags behind the latest closed one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from coinwatch_assets.lib.quality.timeframes import (
    floor_to_grid,
    ms_to_timestamp,
    timeframe_ms,
    to_ms,
)


@dataclass(frozen=True)
class SymbolLag:
    """`latest` is None when the symbol has no candle at all."""

    symbol: str
    latest: pd.Timestamp | None
    expected: pd.Timestamp
    lag: timedelta | None

    @property
    def stale(self) -> bool:
        return self.lag is None

    def late(self, allowed: timedelta) -> bool:
        return self.lag is None or self.lag > allowed


def latest_closed_candle(timeframe: str, now: pd.Timestamp) -> pd.Timestamp:
    """Open time of the newest candle that has closed by `now`."""
    return ms_to_timestamp(floor_to_grid(to_ms(now), timeframe) - timeframe_ms(timeframe))


def allowed_lag(timeframe: str, schedule_interval: timedelta, grace: timedelta) -> timedelta:
    """A candle closes, the next scheduled run fetches it: lag up to interval + grace is fine."""
    return max(schedule_interval, pd.Timedelta(milliseconds=timeframe_ms(timeframe))) + grace


def symbol_lags(
    latest: Mapping[str, pd.Timestamp], symbols: Iterable[str], timeframe: str, now: pd.Timestamp
) -> list[SymbolLag]:
    """The lag of every symbol in `symbols` (missing from `latest` = no candle yet)."""
    expected = latest_closed_candle(timeframe, now)
    out = []
    for symbol in symbols:
        last = latest.get(symbol)
        lag = None if last is None else max(expected - last, timedelta())
        out.append(SymbolLag(symbol, last, expected, lag))
    return out
