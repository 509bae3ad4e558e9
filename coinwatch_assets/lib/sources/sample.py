"""A deterministic, offline market-data source (`COINWATCH_SOURCE=sample`).

Universe (:data:`SAMPLE_MARKETS`): ten active USDT spot markets (BTC, ETH, BNB, SOL, XRP,
ADA, DOGE, TRX, LTC, DOT), plus the inactive `LUNA/USDT` and the BTC-quoted `ETH/BTC`, each
with a fixed 24h quote volume (so `list_markets(top_n=3)` is always BTC, ETH, SOL).

Candles: a seeded random walk (see :mod:`coinwatch_assets.lib.sources.sample_walk`); every
candle is a pure function of (symbol, timeframe, open time), identical in whatever window it
is fetched. Valid OHLC (low <= min(open, close), high >= max(open, close)), positive volume.
Timeframes: those dividing a day (1s, 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h) and
whole days (1d, 3d, 1w; multi-day candles sit on the epoch-day grid).

Holes (documented, fixed): for the symbols in :data:`HOLE_SYMBOLS` (ETH/USDT, XRP/USDT,
DOGE/USDT) every candle whose open time of day is in [02:00, 02:15) UTC is missing, every
day: three 5m candles, fifteen 1m candles, the 02:00 1h candle; nothing at 4h and above.
Other symbols have no holes. :func:`is_hole` says whether a candle is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from coinwatch_assets.lib.ohlcv_frame import empty_ohlcv, to_canonical
from coinwatch_assets.lib.quality.timeframes import DAY_MS, timeframe_ms
from coinwatch_assets.lib.sources.base import (
    DEFAULT_QUOTE,
    MARKET_COLUMNS,
    Window,
    select_markets,
)
from coinwatch_assets.lib.sources.errors import UnknownSymbol, UnsupportedTimeframe
from coinwatch_assets.lib.sources.sample_walk import candles


@dataclass(frozen=True)
class SampleMarket:
    symbol: str
    base_price: float
    quote_volume_24h: float
    active: bool = True
    daily_vol: float = 0.03

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


SAMPLE_MARKETS: tuple[SampleMarket, ...] = (
    SampleMarket("BTC/USDT", 40_000.0, 2.5e9, daily_vol=0.025),
    SampleMarket("ETH/USDT", 2_500.0, 1.2e9),
    SampleMarket("SOL/USDT", 100.0, 6.0e8, daily_vol=0.045),
    SampleMarket("XRP/USDT", 0.5, 5.0e8, daily_vol=0.035),
    SampleMarket("BNB/USDT", 300.0, 4.0e8),
    SampleMarket("DOGE/USDT", 0.08, 3.0e8, daily_vol=0.05),
    SampleMarket("ADA/USDT", 0.4, 2.0e8, daily_vol=0.04),
    SampleMarket("LTC/USDT", 70.0, 1.5e8),
    SampleMarket("TRX/USDT", 0.1, 1.0e8, daily_vol=0.02),
    SampleMarket("DOT/USDT", 6.0, 9.0e7, daily_vol=0.04),
    SampleMarket("LUNA/USDT", 1.0, 0.0, active=False),
    SampleMarket("ETH/BTC", 0.06, 5.0e7, daily_vol=0.02),
)
HOLE_SYMBOLS = frozenset({"ETH/USDT", "XRP/USDT", "DOGE/USDT"})
HOLE_START_MS = 2 * 3_600_000  # 02:00 UTC
HOLE_END_MS = HOLE_START_MS + 15 * 60_000  # 02:15 UTC, exclusive


def is_hole(symbol: str, ts_ms: np.ndarray | int) -> np.ndarray:
    """True where the sample source deliberately has no candle opening at `ts_ms`."""
    ts = np.asarray(ts_ms, dtype=np.int64)
    if symbol not in HOLE_SYMBOLS:
        return np.zeros(ts.shape, dtype=bool)
    of_day = ts % DAY_MS
    return (of_day >= HOLE_START_MS) & (of_day < HOLE_END_MS)


class SampleSource:
    """:class:`~coinwatch_assets.lib.sources.base.MarketDataSource` without any network."""

    def __init__(
        self, exchange_id: str = "sample", *, seed: int = 0, price_offset: float = 0.0
    ) -> None:
        # seed: another venue's wicks and volumes; price_offset: every price x (1 + offset),
        # a deliberate divergence between two sample venues.
        self._exchange_id = exchange_id
        self._seed = seed
        self._scale = 1.0 + price_offset
        self._markets = {m.symbol: m for m in SAMPLE_MARKETS}

    @property
    def exchange_id(self) -> str:
        return self._exchange_id

    def list_markets(
        self,
        quote: str | None = DEFAULT_QUOTE,
        top_n: int | None = None,
        symbols: list[str] | None = None,
    ) -> pd.DataFrame:
        frame = pd.DataFrame(
            [
                [self._exchange_id, m.symbol, m.base, m.quote, m.active, m.quote_volume_24h]
                for m in SAMPLE_MARKETS
            ],
            columns=MARKET_COLUMNS,
        )
        return select_markets(
            frame, exchange=self._exchange_id, quote=quote, top_n=top_n, symbols=symbols
        )

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        start: datetime,
        end: datetime,
        now: datetime | None = None,
    ) -> pd.DataFrame:
        ctx = {"symbol": symbol, "timeframe": timeframe, "start": start, "end": end}
        market = self._markets.get(symbol)
        if market is None:
            known = ", ".join(self._markets)
            raise UnknownSymbol(
                f"{symbol!r} is not a sample market (known: {known})",
                exchange=self._exchange_id,
                **ctx,
            )
        tf_ms = self._timeframe_ms(timeframe, ctx)
        window = Window.of(start, end, now, tf_ms)
        first = -(-window.start // tf_ms) * tf_ms  # first grid time >= start
        last = (window.stop - 1) // tf_ms * tf_ms  # last grid time < stop
        if window.empty or last < first:
            return empty_ohlcv()
        data = candles(
            symbol=symbol,
            timeframe=timeframe,
            tf_ms=tf_ms,
            first=first,
            last=last,
            base_price=market.base_price,
            daily_quote_volume=market.quote_volume_24h or market.base_price * 1e5,
            daily_vol=market.daily_vol,
            seed=self._seed,
        )
        data[:, 1:5] *= self._scale
        data = data[~is_hole(symbol, data[:, 0].astype(np.int64))]
        frame = pd.DataFrame(data[:, 1:], columns=["open", "high", "low", "close", "volume"])
        frame["ts"] = pd.to_datetime(data[:, 0].astype(np.int64), unit="ms", utc=True)
        frame["exchange"] = self._exchange_id
        frame["symbol"] = symbol
        frame["timeframe"] = timeframe
        return to_canonical(frame)

    def _timeframe_ms(self, timeframe: str, ctx: dict[str, object]) -> int:
        try:
            tf_ms = timeframe_ms(timeframe)
        except ValueError as err:
            raise UnsupportedTimeframe(str(err), exchange=self._exchange_id, **ctx) from err
        if (tf_ms < DAY_MS and DAY_MS % tf_ms) or (tf_ms >= DAY_MS and tf_ms % DAY_MS):
            raise UnsupportedTimeframe(
                "the sample source only has timeframes that divide a day or are whole days",
                exchange=self._exchange_id,
                **ctx,
            )
        return tf_ms
