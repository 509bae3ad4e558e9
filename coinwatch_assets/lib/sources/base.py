"""The interface every market-data source implements, and helpers they share.

A source answers two questions for the Dagster assets: which spot markets exist
(:meth:`MarketDataSource.list_markets`) and what were the closed candles of one market in a
time window (:meth:`MarketDataSource.fetch_ohlcv`, returning the canonical frame of
:mod:`coinwatch_assets.lib.ohlcv_frame`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import pandas as pd

from coinwatch_assets.lib.quality.timeframes import DAY_MS
from coinwatch_assets.lib.sources.errors import UnknownSymbol

MARKET_COLUMNS = ["exchange", "symbol", "base", "quote", "active", "quote_volume_24h"]
DEFAULT_QUOTE = "USDT"


@runtime_checkable
class MarketDataSource(Protocol):
    """What the Dagster assets need from a market-data source."""

    @property
    def exchange_id(self) -> str:
        """The exchange the data is labelled with (the `exchange` column)."""
        ...

    def list_markets(
        self,
        quote: str | None = DEFAULT_QUOTE,
        top_n: int | None = None,
        symbols: list[str] | None = None,
    ) -> pd.DataFrame:
        """Active spot markets (:data:`MARKET_COLUMNS`); see :func:`select_markets`."""
        ...

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        start: datetime,
        end: datetime,
        now: datetime | None = None,
    ) -> pd.DataFrame:
        """Closed candles with open time in [start, end), canonical frame, sorted, no duplicates."""
        ...


def grid_ms(tf_ms: int) -> int:
    """The spacing candle open times must be a multiple of.

    Up to a day, candles sit on the epoch grid of their own length; longer candles (3d, 1w)
    start at midnight UTC but exchanges anchor them differently (Binance weeks start Monday).
    """
    return tf_ms if tf_ms <= DAY_MS else DAY_MS


def to_ms(value: datetime, name: str) -> int:
    """Timezone-aware datetime -> UTC epoch milliseconds; naive datetimes are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}={value!r} must be timezone-aware (UTC)")
    return int(value.timestamp() * 1000)


@dataclass(frozen=True)
class Window:
    """A fetch window in epoch ms: candles with open time in [start, stop) are wanted.

    `stop` is `end` pulled back so that every candle before it is closed at `now`.
    """

    start: int
    end: int
    stop: int
    tf_ms: int

    @classmethod
    def of(cls, start: datetime, end: datetime, now: datetime | None, tf_ms: int) -> Window:
        start_ms, end_ms = to_ms(start, "start"), to_ms(end, "end")
        now_ms = to_ms(now if now is not None else datetime.now(UTC), "now")
        # a candle is closed once open + length <= now, i.e. open < now - length + 1
        stop = min(end_ms, now_ms - tf_ms + 1)
        return cls(start=start_ms, end=end_ms, stop=max(stop, start_ms), tf_ms=tf_ms)

    @property
    def empty(self) -> bool:
        return self.stop <= self.start


def empty_markets() -> pd.DataFrame:
    """A market frame with no rows and the right dtypes."""
    return _market_dtypes(pd.DataFrame(columns=MARKET_COLUMNS))


def _market_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.loc[:, MARKET_COLUMNS].copy()
    for col in ("exchange", "symbol", "base", "quote"):
        out[col] = out[col].astype(object)
    out["active"] = out["active"].astype(bool)
    out["quote_volume_24h"] = out["quote_volume_24h"].astype("float64")
    return out.reset_index(drop=True)


def select_markets(
    markets: pd.DataFrame,
    *,
    exchange: str,
    quote: str | None = DEFAULT_QUOTE,
    top_n: int | None = None,
    symbols: list[str] | None = None,
) -> pd.DataFrame:
    """Pick markets from a frame of all spot markets (active or not) of one exchange.

    With `symbols`, exactly those markets in that order (`quote` and `top_n` are ignored);
    any that is unknown or inactive raises :class:`UnknownSymbol` naming all of them.
    Otherwise the active markets quoted in `quote` (all quotes if None), by 24h quote volume
    descending (unknown volumes last, then by symbol), the first `top_n` if given.
    """
    frame = _market_dtypes(markets)
    if symbols is not None:
        active = frame[frame["active"]].drop_duplicates("symbol").set_index("symbol", drop=False)
        missing = [s for s in symbols if s not in active.index]
        if missing:
            raise UnknownSymbol(f"not active spot markets: {', '.join(missing)}", exchange=exchange)
        return _market_dtypes(active.loc[list(dict.fromkeys(symbols))])
    if top_n is not None and top_n < 0:
        raise ValueError(f"top_n must be >= 0, got {top_n}")
    chosen = frame[frame["active"]]
    if quote is not None:
        chosen = chosen[chosen["quote"] == quote]
    chosen = chosen.sort_values(
        ["quote_volume_24h", "symbol"], ascending=[False, True], na_position="last"
    )
    if top_n is not None:
        chosen = chosen.head(top_n)
    return _market_dtypes(chosen)


def finite_or_nan(value: object) -> float:
    """A ticker volume as float; anything missing or non-numeric becomes NaN."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan
