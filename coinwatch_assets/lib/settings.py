"""Coinwatch settings from the environment (the public contract; all optional).

Read once when the code location loads: partition start dates and the timeframe shape the
asset definitions themselves. Secrets (the database URL, ccxt API keys inside
COINWATCH_CCXT_CONFIG) are not kept here: resources read them through `dg.EnvVar`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from coinwatch_assets.lib.quality.timeframes import TIMEFRAME_MS
from coinwatch_assets.lib.symbols import symbol_to_key

SOURCES = ("live", "sample")


class SettingsError(ValueError):
    """An environment variable with a value coinwatch cannot use."""


@dataclass(frozen=True)
class Settings:
    source: str = "live"
    exchange: str = "binance"
    symbols: tuple[str, ...] = ()
    top_n: int = 10
    quote: str = "USDT"
    timeframe: str = "5m"
    start_date: str = "2024-01-01"
    # Cron of ohlcv_intraday_schedule (UTC): refresh today's candles this often.
    intraday_cron: str = "*/5 * * * *"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str, default: str) -> str:
            return (env.get(name) or "").strip() or default

        source = get("COINWATCH_SOURCE", "live").lower()
        if source not in SOURCES:
            raise SettingsError(f"COINWATCH_SOURCE must be one of {SOURCES}, got {source!r}")
        symbols = tuple(s.strip() for s in get("COINWATCH_SYMBOLS", "").split(",") if s.strip())
        for symbol in symbols:
            try:
                symbol_to_key(symbol)
            except ValueError as exc:
                raise SettingsError(f"COINWATCH_SYMBOLS: {exc}") from None
        top_n_text = get("COINWATCH_TOP_N", "10")
        if not top_n_text.isdigit() or int(top_n_text) < 1:
            raise SettingsError(f"COINWATCH_TOP_N must be a positive integer, got {top_n_text!r}")
        timeframe = get("COINWATCH_TIMEFRAME", "5m")
        if timeframe not in TIMEFRAME_MS or TIMEFRAME_MS[timeframe] > 86_400_000:
            raise SettingsError(
                f"COINWATCH_TIMEFRAME must be a ccxt timeframe of at most a day "
                f"({', '.join(t for t, ms in TIMEFRAME_MS.items() if ms <= 86_400_000)}), "
                f"got {timeframe!r}"
            )
        start_date = get("COINWATCH_START_DATE", "2024-01-01")
        try:
            date.fromisoformat(start_date)
        except ValueError:
            raise SettingsError(
                f"COINWATCH_START_DATE must be a date like 2024-01-01, got {start_date!r}"
            ) from None
        intraday_cron = get("COINWATCH_INTRADAY_CRON", "*/5 * * * *")
        if len(intraday_cron.split()) != 5:
            raise SettingsError(
                "COINWATCH_INTRADAY_CRON must be a 5-field cron expression such as "
                f"'*/5 * * * *', got {intraday_cron!r}"
            )
        return cls(
            source=source,
            exchange=get("COINWATCH_EXCHANGE", "binance"),
            symbols=symbols,
            top_n=int(top_n_text),
            quote=get("COINWATCH_QUOTE", "USDT").upper(),
            timeframe=timeframe,
            start_date=start_date,
            intraday_cron=intraday_cron,
        )

    @property
    def exchange_label(self) -> str:
        """The `exchange` column value and pool name: `sample` for the offline source."""
        return "sample" if self.source == "sample" else self.exchange
