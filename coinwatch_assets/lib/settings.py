"""Coinwatch settings from the environment (the public contract; all optional).

Read once when the code location loads: partition start dates and the timeframe shape the
asset definitions themselves. Every variable is checked then, so a bad value fails the load
with a message naming the variable and the fix. Secrets (the database URL, ccxt API keys
inside COINWATCH_CCXT_CONFIG) are checked but not kept here, and never quoted in errors:
resources read them through `dg.EnvVar`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from coinwatch_assets.lib.quality.timeframes import TIMEFRAME_MS
from coinwatch_assets.lib.sources.factory import parse_ccxt_config
from coinwatch_assets.lib.storage.frames import StorageError
from coinwatch_assets.lib.storage.urls import normalize_database_url
from coinwatch_assets.lib.symbols import symbol_to_key

SOURCES = ("live", "sample")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


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
        exchange = get("COINWATCH_EXCHANGE", "binance")
        if exchange == "sample":
            # the offline source under its venue name
            if get("COINWATCH_SOURCE", "").lower() == "live":
                raise SettingsError(
                    "COINWATCH_EXCHANGE=sample is the offline source, but COINWATCH_SOURCE=live: "
                    "unset one of them, or set COINWATCH_EXCHANGE to a ccxt exchange id"
                )
            source = "sample"
        elif exchange != "binance":
            # importing ccxt costs a second of every load: only for a non-default id
            _check_exchange(exchange)
        _check_secrets(env)
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
            # fromisoformat alone also takes 20240101, which Dagster's partitions then refuse
            if not _ISO_DAY.fullmatch(start_date):
                raise ValueError(start_date)
            date.fromisoformat(start_date)
        except ValueError:
            raise SettingsError(
                f"COINWATCH_START_DATE must be a date written YYYY-MM-DD, e.g. 2024-01-01; "
                f"got {start_date!r}"
            ) from None
        intraday_cron = get("COINWATCH_INTRADAY_CRON", "*/5 * * * *")
        if len(intraday_cron.split()) != 5:
            raise SettingsError(
                "COINWATCH_INTRADAY_CRON must be a 5-field cron expression such as "
                f"'*/5 * * * *', got {intraday_cron!r}"
            )
        return cls(
            source=source,
            exchange=exchange,
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


def _check_exchange(exchange: str) -> None:
    import ccxt

    if exchange not in ccxt.exchanges:
        close = difflib.get_close_matches(exchange.lower(), ccxt.exchanges, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise SettingsError(
            f"COINWATCH_EXCHANGE must be a ccxt exchange id (one of ccxt.exchanges, e.g. "
            f"binance, kraken, coinbase) or sample, got {exchange!r}{hint}"
        )


def _check_secrets(env: Mapping[str, str]) -> None:
    """Fail the load on a malformed URL or ccxt config; the values are not kept."""
    try:
        parse_ccxt_config(env.get("COINWATCH_CCXT_CONFIG"))
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    url = (env.get("COINWATCH_DATABASE_URL") or "").strip()
    if url:
        try:
            normalize_database_url(url)
        except StorageError as exc:
            raise SettingsError(str(exc)) from None
