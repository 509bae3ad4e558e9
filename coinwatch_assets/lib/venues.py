"""Venues: the exchanges coinwatch collects from, side by side (plain Python, no Dagster).

A venue is one exchange (a ccxt id, or the offline `sample`) with its symbols, base
timeframe, start date and request budget. They are listed in a YAML file (`COINWATCH_CONFIG`,
default `coinwatch.yaml` when present); with no file, the `COINWATCH_*` variables define
exactly one venue, whose definitions keep their unprefixed names (`ohlcv`, `symbols`, ...).

Only what shapes the definitions is fixed here (names, timeframe, start date, cron strings);
the run-time values become the defaults of the venue's resource, which run config overrides.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coinwatch_assets.lib.quality.timeframes import TIMEFRAME_MS
from coinwatch_assets.lib.strict_yaml import DuplicateKeyError, load_strict
from coinwatch_assets.lib.symbols import symbol_to_key

# `live` fetches through ccxt; `sample` is the offline, deterministic source.
SOURCE_KINDS = ("live", "sample")
SAMPLE = "sample"
DEFAULT_CONFIG_FILE = "coinwatch.yaml"
# Binance's public data archive (closed months and days of klines as zip files).
DEFAULT_ARCHIVE_URL = "https://data.binance.vision"
DAY_TIMEFRAME_MS = TIMEFRAME_MS["1d"]
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class VenueConfigError(ValueError):
    """A venue file or environment variable coinwatch cannot use."""


def _check_timeframe(value: str) -> str:
    if value not in TIMEFRAME_MS or TIMEFRAME_MS[value] > DAY_TIMEFRAME_MS:
        allowed = ", ".join(t for t, ms in TIMEFRAME_MS.items() if ms <= DAY_TIMEFRAME_MS)
        raise ValueError(f"must be a ccxt timeframe of at most a day ({allowed}), got {value!r}")
    return value


class Venue(BaseModel):
    """One exchange and what coinwatch collects from it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Prefix of the venue's asset keys and definition names (`binance/ohlcv`,
    # `binance_symbols`); None for the single venue of the COINWATCH_* variables.
    name: str | None = None
    exchange: str = "binance"
    # What rows carry in `exchange` when the sample source plays a venue (default: the name).
    label: str | None = None
    symbols: tuple[str, ...] = ()
    top_n: int = Field(10, ge=1)
    quote: str = "USDT"
    timeframe: str = "5m"
    start_date: date = date(2024, 1, 1)
    requests_per_minute: int = Field(1200, ge=1)
    # NAME of the environment variable holding this venue's ccxt JSON config (never the value).
    ccxt_config_env: str | None = None
    # The sample source only: seed of its random walk and a relative price offset (demos).
    seed: int = 0
    price_offset: float = 0.0
    # Exchange archive for closed history: `binance_vision` (default for binance spot venues)
    # or `none` (REST only; default for every other exchange), and where it is served.
    archive: Literal["binance_vision", "none"] = "none"
    archive_url: str = DEFAULT_ARCHIVE_URL
    # Cron of the venue's intraday schedule (UTC): refresh today's candles this often.
    intraday_cron: str = "*/5 * * * *"

    @model_validator(mode="before")
    @classmethod
    def _archive_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("archive") is None:
            binance = data.get("exchange", "binance") == "binance"
            data = {**data, "archive": "binance_vision" if binance else "none"}
        return data

    @field_validator("start_date", mode="before")
    @classmethod
    def _iso_day(cls, value: object) -> object:
        # pydantic alone also takes 20240101 or 1704067200 (as a Unix time): nobody's intent
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value.strip()):
            raise ValueError(f"must be a date written YYYY-MM-DD, e.g. 2024-01-01; got {value!r}")
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"{value!r} is not a day of the calendar; write an existing date as YYYY-MM-DD"
            ) from None

    @field_validator("start_date")
    @classmethod
    def _not_future(cls, value: date) -> date:
        today = datetime.now(UTC).date()
        if value > today:
            raise ValueError(
                f"{value} is in the future (today is {today} UTC); give the first day to "
                "collect, today at the latest"
            )
        return value

    @field_validator("price_offset")
    @classmethod
    def _offset(cls, value: float) -> float:
        # every sample price is multiplied by (1 + offset): it must stay finite and positive
        if not math.isfinite(value) or value <= -1:
            raise ValueError(
                f"must be a finite fraction above -1 such as 0.01 (prices x 1.01), got {value!r}"
            )
        return value

    @field_validator("intraday_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(
                f"must be a 5-field cron expression such as '*/5 * * * *', got {value!r}"
            )
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.match(value):
            raise ValueError(
                f"must be lower-case letters, digits and _ (like binance), got {value!r}"
            )
        return value

    @field_validator("timeframe")
    @classmethod
    def _timeframe(cls, value: str) -> str:
        return _check_timeframe(value)

    @field_validator("quote")
    @classmethod
    def _quote(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for symbol in value:
            symbol_to_key(symbol)  # raises ValueError naming the symbol
        return value

    @field_validator("ccxt_config_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", value):
            raise ValueError(f"must be an environment variable NAME, got {value!r}")
        return value

    @model_validator(mode="after")
    def _archive_of_exchange(self) -> Venue:
        if self.archive == "binance_vision" and self.exchange != "binance":
            raise ValueError(
                f"archive 'binance_vision' holds Binance spot candles only, not "
                f"{self.exchange!r}'s: set `archive: none` for this venue"
            )
        return self

    @model_validator(mode="after")
    def _exchange_known(self) -> Venue:
        if self.exchange != SAMPLE:
            import ccxt

            if self.exchange not in ccxt.exchanges:
                close = difflib.get_close_matches(self.exchange.lower(), ccxt.exchanges, n=3)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ValueError(
                    f"exchange {self.exchange!r} is neither `sample` nor a ccxt id (one of "
                    f"ccxt.exchanges, e.g. binance, kraken, coinbase){hint}"
                )
        return self

    @property
    def source(self) -> str:
        return SAMPLE if self.exchange == SAMPLE else "live"

    @property
    def exchange_label(self) -> str:
        """The `exchange` value this venue's rows carry (and its pool's name)."""
        if self.exchange != SAMPLE:
            return self.exchange
        return self.label or self.name or SAMPLE

    @property
    def pool(self) -> str:
        return f"exchange_{self.exchange_label}"

    def named(self, base: str) -> str:
        """A definition name of this venue: `binance_symbols`, or `symbols` when unnamed."""
        return f"{self.name}_{base}" if self.name else base

    def key_prefix(self) -> list[str]:
        return [self.name] if self.name else []

    @property
    def group(self) -> str:
        return self.name or "market"


class VenueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    venues: dict[str, dict[str, Any]] = Field(min_length=1)


def _format(err: ValidationError, where: str) -> str:
    problems = []
    for item in err.errors():
        field = ".".join(str(p) for p in item["loc"]) or "(venue)"
        problems.append(f"{where}, field {field!r}: {item['msg']}")
    return "; ".join(problems)


def venues_from_file(path: str | Path) -> list[Venue]:
    """The venues listed in a YAML file; errors name the file, the venue and the field."""
    path = Path(path)
    try:
        raw = load_strict(path.read_text())
    except OSError as err:
        raise VenueConfigError(f"{path}: cannot read the venue file: {err}") from None
    except yaml.YAMLError as err:
        raise VenueConfigError(f"{path}: not valid YAML: {err}") from None
    except DuplicateKeyError as dup:
        raise VenueConfigError(f"{path}: {dup}") from None
    try:
        listing = VenueFile.model_validate(raw if raw is not None else {})
    except ValidationError as err:
        raise VenueConfigError(
            f"{path}: {_format(err, 'top level')} (expected `venues: {{name: {{...}}}}`)"
        ) from None
    venues = []
    for name, fields in listing.venues.items():
        try:
            venues.append(Venue.model_validate({**(fields or {}), "name": name}))
        except ValidationError as err:
            raise VenueConfigError(f"{path}: {_format(err, f'venue {name!r}')}") from None
    labels = [v.exchange_label for v in venues]
    for venue in venues:
        if labels.count(venue.exchange_label) > 1:
            clash = [v for v in venues if v.exchange_label == venue.exchange_label]
            if len({v.timeframe for v in clash}) < len(clash):
                raise VenueConfigError(
                    f"{path}: venues {[v.name for v in clash]} write the same rows "
                    f"(exchange {venue.exchange_label!r}, same timeframe): give them "
                    "different timeframes or `label`s"
                )
    return venues


def venue_from_env(env: Mapping[str, str] | None = None) -> Venue:
    """The single venue of the COINWATCH_* variables (unprefixed definitions)."""
    env = os.environ if env is None else env

    def get(name: str, default: str) -> str:
        return (env.get(name) or "").strip() or default

    source = get("COINWATCH_SOURCE", "live").lower()
    if source not in SOURCE_KINDS:
        raise VenueConfigError(f"COINWATCH_SOURCE must be one of {SOURCE_KINDS}, got {source!r}")
    top_n = get("COINWATCH_TOP_N", "10")
    if not top_n.isdigit() or int(top_n) < 1:
        raise VenueConfigError(f"COINWATCH_TOP_N must be a positive integer, got {top_n!r}")
    rpm = get("COINWATCH_REQUESTS_PER_MINUTE", "1200")
    if not rpm.isdigit() or int(rpm) < 1:
        raise VenueConfigError(
            f"COINWATCH_REQUESTS_PER_MINUTE must be a positive integer, got {rpm!r}"
        )
    fields: dict[str, Any] = {
        "exchange": SAMPLE if source == SAMPLE else get("COINWATCH_EXCHANGE", "binance"),
        "symbols": tuple(s.strip() for s in get("COINWATCH_SYMBOLS", "").split(",") if s.strip()),
        "top_n": int(top_n),
        "quote": get("COINWATCH_QUOTE", "USDT"),
        "timeframe": get("COINWATCH_TIMEFRAME", "5m"),
        "start_date": get("COINWATCH_START_DATE", "2024-01-01"),
        "requests_per_minute": int(rpm),
        "ccxt_config_env": "COINWATCH_CCXT_CONFIG",
        "intraday_cron": get("COINWATCH_INTRADAY_CRON", "*/5 * * * *"),
        "archive": get("COINWATCH_ARCHIVE", "") or None,
        "archive_url": get("COINWATCH_ARCHIVE_URL", DEFAULT_ARCHIVE_URL),
    }
    names = {
        "exchange": "COINWATCH_EXCHANGE",
        "symbols": "COINWATCH_SYMBOLS",
        "quote": "COINWATCH_QUOTE",
        "timeframe": "COINWATCH_TIMEFRAME",
        "start_date": "COINWATCH_START_DATE",
        "intraday_cron": "COINWATCH_INTRADAY_CRON",
        "archive": "COINWATCH_ARCHIVE",
        "archive_url": "COINWATCH_ARCHIVE_URL",
    }
    try:
        return Venue.model_validate(fields)
    except ValidationError as err:
        item = err.errors()[0]
        field = str(item["loc"][0]) if item["loc"] else "exchange"
        raise VenueConfigError(
            f"{names.get(field, field)}: {item['msg']} (value {fields.get(field)!r})"
        ) from None


def load_venues(env: Mapping[str, str] | None = None) -> list[Venue]:
    """Venues from `COINWATCH_CONFIG` (or `coinwatch.yaml` when present), else the env's one.

    Secrets the venues and storage will read (ccxt configs, the database URL) are checked here
    too, so a malformed value fails the load naming its variable; they are not kept.
    """
    env = os.environ if env is None else env
    path = (env.get("COINWATCH_CONFIG") or "").strip()
    if path:
        if not Path(path).exists():
            raise VenueConfigError(f"COINWATCH_CONFIG={path}: no such file")
        venues = venues_from_file(path)
    elif Path(DEFAULT_CONFIG_FILE).exists():
        venues = venues_from_file(DEFAULT_CONFIG_FILE)
    else:
        venues = [venue_from_env(env)]
    _check_secrets(env, venues)
    return venues


def _check_secrets(env: Mapping[str, str], venues: list[Venue]) -> None:
    from coinwatch_assets.lib.sources.factory import parse_ccxt_config
    from coinwatch_assets.lib.storage.frames import StorageError
    from coinwatch_assets.lib.storage.urls import normalize_database_url

    for name in sorted({v.ccxt_config_env for v in venues if v.ccxt_config_env}):
        try:
            parse_ccxt_config(env.get(name), name)
        except ValueError as exc:
            raise VenueConfigError(str(exc)) from None
    url = (env.get("COINWATCH_DATABASE_URL") or "").strip()
    if url:
        try:
            normalize_database_url(url)
        except StorageError as exc:
            raise VenueConfigError(str(exc)) from None
