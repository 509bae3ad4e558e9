"""Timeframe parsing and grid alignment, 1s..1w (one module, on ccxt's parser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.lib.quality.errors import CandleSeriesError, UnknownTimeframeError
from coinwatch_assets.lib.quality.timeframes import (
    ceil_to_grid,
    floor_to_grid,
    grid_origin_ms,
    guess_timeframe,
    is_on_grid,
    parse_timeframe,
    timeframe_ms,
    timestamps_to_ms,
    to_ms,
    to_tolerance_ms,
)

EXPECTED = {
    "1m": timedelta(minutes=1),
    "3m": timedelta(minutes=3),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
    "4h": timedelta(hours=4),
    "6h": timedelta(hours=6),
    "8h": timedelta(hours=8),
    "12h": timedelta(hours=12),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "1w": timedelta(weeks=1),
}


@pytest.mark.parametrize(("timeframe", "duration"), EXPECTED.items())
def test_parse_every_ccxt_timeframe(timeframe: str, duration: timedelta) -> None:
    assert parse_timeframe(timeframe) == duration
    assert timeframe_ms(timeframe) == duration // timedelta(milliseconds=1)


@pytest.mark.parametrize("bad", ["4m", "8m", "1M", "60s", "", "1H", None])
def test_unknown_timeframe_is_a_value_error_naming_it(bad: object) -> None:
    with pytest.raises(ValueError, match=rf"unknown timeframe {bad!r}") as info:
        parse_timeframe(bad)  # type: ignore[arg-type]
    assert isinstance(info.value, UnknownTimeframeError)
    assert isinstance(info.value, CandleSeriesError)


def test_epoch_was_a_thursday_so_weekly_grid_is_shifted_to_monday() -> None:
    assert pd.Timestamp(0, unit="ms", tz="UTC").day_name() == "Thursday"
    origin = pd.Timestamp(grid_origin_ms("1w"), unit="ms", tz="UTC")
    assert origin == pd.Timestamp("1970-01-05", tz="UTC")
    assert origin.day_name() == "Monday"
    assert all(grid_origin_ms(tf) == 0 for tf in EXPECTED if tf != "1w")


def test_weekly_candles_open_on_mondays() -> None:
    monday = to_ms(pd.Timestamp("2024-01-01", tz="UTC"))  # a Monday
    thursday = to_ms(pd.Timestamp("2024-01-04", tz="UTC"))
    assert is_on_grid(np.array([monday, thursday]), "1w").tolist() == [True, False]
    # A Thursday is on the epoch-multiple grid of 1d and of 7 days, but not a weekly open.
    assert thursday % timeframe_ms("1w") == 0
    assert floor_to_grid(thursday, "1w") == monday
    assert ceil_to_grid(thursday, "1w") == monday + timeframe_ms("1w")


@pytest.mark.parametrize("timeframe", list(EXPECTED))
def test_grid_alignment_for_every_timeframe(timeframe: str) -> None:
    step = timeframe_ms(timeframe)
    on = grid_origin_ms(timeframe) + 2_800 * step  # some grid point in the 2020s or later
    stamps = np.array([on, on + step, on + 1, on - 1, on + step // 2])
    assert is_on_grid(stamps, timeframe).tolist() == [True, True, False, False, False]
    assert is_on_grid(stamps, timeframe, tolerance_ms=1).tolist() == [True] * 4 + [False]
    assert floor_to_grid(on + step - 1, timeframe) == on
    assert ceil_to_grid(on + 1, timeframe) == on + step
    assert ceil_to_grid(on, timeframe) == floor_to_grid(on, timeframe) == on


def test_timestamps_to_ms_accepts_datetimes_and_numbers() -> None:
    ms = [1_637_193_600_017, 1_637_222_400_000]
    as_series = pd.Series(pd.to_datetime(ms, unit="ms", utc=True))
    naive = pd.DatetimeIndex(pd.to_datetime(ms, unit="ms"))
    for value in (
        ms,
        np.array(ms, dtype=float),
        as_series,
        naive,
        as_series.dt.tz_convert("Asia/Tokyo"),
    ):
        assert timestamps_to_ms(value).tolist() == ms
    assert timestamps_to_ms([]).tolist() == []
    with pytest.raises(ValueError, match="whole"):
        timestamps_to_ms([1.5])
    with pytest.raises(ValueError, match="NaT"):
        timestamps_to_ms(pd.Series([pd.NaT, pd.Timestamp(0, tz="UTC")]))


def test_to_ms_and_tolerance_conversions() -> None:
    assert to_ms(datetime(1970, 1, 1, 0, 1)) == 60_000  # naive = UTC
    assert to_ms(pd.Timestamp("1970-01-01 09:00", tz="Asia/Tokyo")) == 0
    assert to_ms(42) == 42
    assert to_tolerance_ms(None) == 0
    assert to_tolerance_ms(timedelta(milliseconds=250)) == 250
    assert to_tolerance_ms(pd.Timedelta(seconds=2)) == 2_000
    with pytest.raises(ValueError, match="negative"):
        to_tolerance_ms(-1)


def test_guess_timeframe() -> None:
    minutes = np.arange(0, 600) * 60_000
    assert guess_timeframe(minutes) == "1m"
    assert guess_timeframe(minutes[::60] + 17) == "1h"
    assert guess_timeframe(np.arange(0, 10) * 7 * 60_000) is None
    assert guess_timeframe(np.array([5])) is None


def test_one_timeframe_module_for_sources_checks_and_venues() -> None:
    """The sources, the checks and the venue file accept and refuse the same timeframes."""
    import ccxt

    from coinwatch_assets.lib.quality.gaps import find_gaps
    from coinwatch_assets.lib.sources.errors import UnsupportedTimeframe
    from coinwatch_assets.lib.sources.sample import SampleSource
    from coinwatch_assets.lib.venues import VenueConfigError, venue_from_env

    start = datetime(2024, 1, 1, tzinfo=UTC)
    sample = SampleSource()
    for ok in ("1s", "5m", "1d"):
        assert len(sample.fetch_ohlcv("BTC/USDT", ok, start, start + timedelta(hours=1))) >= 0
        assert venue_from_env({"COINWATCH_TIMEFRAME": ok}).timeframe == ok
        hour = {"start": start, "end": start + timedelta(hours=1)}
        assert len(find_gaps(np.array([], dtype=np.int64), ok, **hour)) == 1
    for bad in ("4m", "60s", "1M"):
        with pytest.raises(UnsupportedTimeframe):
            sample.fetch_ohlcv("BTC/USDT", bad, start, start + timedelta(hours=1))
        with pytest.raises(VenueConfigError, match="COINWATCH_TIMEFRAME"):
            venue_from_env({"COINWATCH_TIMEFRAME": bad})
        with pytest.raises(UnknownTimeframeError):
            find_gaps(np.array([], dtype=np.int64), bad, start=start, end=start)
    # weeks are Monday-anchored, exactly as ccxt rounds them
    thursday = int(datetime(2024, 1, 4, 12, tzinfo=UTC).timestamp() * 1000)
    monday = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000)
    assert floor_to_grid(thursday, "1w") == monday == ccxt.Exchange.round_timeframe("1w", thursday)
