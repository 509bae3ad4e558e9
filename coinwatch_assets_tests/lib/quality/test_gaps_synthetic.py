"""Hole finding on synthetic series: every timeframe, window edges, `now`, tolerance."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.lib.quality.gaps import (
    CandleSeriesError,
    Gap,
    find_gaps,
    irregular_timestamps,
    scan_gaps,
)
from coinwatch_assets.lib.quality.timeframes import TIMEFRAME_MS

T0 = pd.Timestamp("2024-01-01", tz="UTC")  # a Monday, so on every grid including 1w
FAR_FUTURE = pd.Timestamp("2100-01-01", tz="UTC")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def series(timeframe: str, count: int, drop: tuple[int, ...] = (), start=T0) -> pd.Series:
    """`count` consecutive candle open times from `start`, minus positions in `drop`."""
    step = pd.Timedelta(milliseconds=TIMEFRAME_MS[timeframe])
    keep = [i for i in range(count) if i not in drop]
    return pd.Series([start + i * step for i in keep])


@pytest.mark.parametrize("timeframe", list(TIMEFRAME_MS))
def test_holes_for_every_timeframe(timeframe: str) -> None:
    step = pd.Timedelta(milliseconds=TIMEFRAME_MS[timeframe])
    # 2024-01-01 is day 19723 since the epoch, not a multiple of 3; 2024-01-03 is.
    t0 = utc("2024-01-03") if timeframe == "3d" else T0
    stamps = series(timeframe, 20, drop=(3, 7, 8, 9), start=t0)

    report = scan_gaps(stamps, timeframe, now=FAR_FUTURE)

    assert list(report.gaps) == [
        Gap(t0 + 3 * step, t0 + 3 * step, 1),
        Gap(t0 + 7 * step, t0 + 9 * step, 3),
    ]
    assert (report.expected, report.present, report.missing) == (20, 16, 4)
    assert report.first_expected == t0 and report.last_expected == t0 + 19 * step


def test_3d_grid_is_epoch_multiples() -> None:
    with pytest.raises(CandleSeriesError, match="off the 3d grid"):
        find_gaps(series("3d", 10), "3d")


def test_weekly_window_is_anchored_on_mondays() -> None:
    mondays = series("1w", 6, drop=(2,))
    # Window starts on a Thursday: the first expected weekly open is the following Monday.
    gaps = find_gaps(mondays, "1w", start=utc("2023-12-28"), end=utc("2024-02-08"), now=FAR_FUTURE)
    assert gaps == [Gap(utc("2024-01-15"), utc("2024-01-15"), 1)]


def test_weekly_thursday_stamps_are_off_grid() -> None:
    # Candles on epoch multiples of 7 days open on Thursdays: wrong grid for 1w.
    thursdays = series("1w", 10, start=utc("2024-01-04"))
    with pytest.raises(CandleSeriesError, match=r"off the 1w grid.*look like 1w candles"):
        find_gaps(thursdays, "1w")


def test_now_cuts_off_candles_not_yet_closed() -> None:
    day_start, day_end = utc("2024-05-10"), utc("2024-05-11")
    stamps = series("1h", 10, start=day_start)  # 00:00 .. 09:00 present
    now = utc("2024-05-10 12:30")
    # 10:00 and 11:00 have closed and are missing; 12:00 is still forming, later ones future.
    gaps = find_gaps(stamps, "1h", start=day_start, end=day_end, now=now)
    assert gaps == [Gap(utc("2024-05-10 10:00"), utc("2024-05-10 11:00"), 2)]
    exactly_closed = find_gaps(
        stamps, "1h", start=day_start, end=day_end, now=utc("2024-05-10 13:00")
    )
    assert exactly_closed[-1].end == utc("2024-05-10 12:00")


def test_default_now_is_current_time() -> None:
    now = pd.Timestamp.now(tz="UTC")
    # A one-day window that began at least an hour ago and reaches into the future.
    start = (now - pd.Timedelta(hours=2)).floor("1h")
    report = scan_gaps([], "1m", start=start, end=start + pd.Timedelta(days=1))
    closed = int((now - start) // pd.Timedelta(minutes=1))
    # Allow for the clock ticking over a minute while the test runs.
    assert report.expected in (closed, closed + 1)
    assert report.gaps[0].start == start


def test_nothing_expected_before_first_candle_closes() -> None:
    report = scan_gaps(
        [], "1d", start=T0, end=T0 + pd.Timedelta(days=1), now=T0 + pd.Timedelta(hours=5)
    )
    assert report.gaps == () and report.expected == 0 and report.first_expected is None


def test_holes_at_window_start_and_end() -> None:
    stamps = series("5m", 12, drop=(0, 1, 10, 11))
    gaps = find_gaps(stamps, "5m", start=T0, end=T0 + pd.Timedelta(hours=1), now=FAR_FUTURE)
    assert gaps == [
        Gap(T0, T0 + pd.Timedelta(minutes=5), 2),
        Gap(T0 + pd.Timedelta(minutes=50), T0 + pd.Timedelta(minutes=55), 2),
    ]
    # Without a window only first..last candle is expected: no edge holes.
    assert find_gaps(stamps, "5m", now=FAR_FUTURE) == []


def test_window_bounds_snap_to_grid_and_ignore_outside_stamps() -> None:
    stamps = series("1h", 48)
    gaps = find_gaps(
        stamps, "1h", start=utc("2024-01-01 05:30"), end=utc("2024-01-01 10:00"), now=FAR_FUTURE
    )
    assert gaps == []
    report = scan_gaps(stamps, "1h", start=utc("2024-01-01 05:30"), end=utc("2024-01-01 10:00"))
    assert (report.first_expected, report.last_expected, report.expected) == (
        utc("2024-01-01 06:00"),
        utc("2024-01-01 09:00"),
        4,
    )


def test_empty_series_with_window_is_one_hole_and_ms_bounds_work() -> None:
    gaps = find_gaps(np.array([], dtype=np.int64), "15m", start=0, end=3_600_000, now=FAR_FUTURE)
    assert gaps == [Gap(utc("1970-01-01 00:00"), utc("1970-01-01 00:45"), 4)]


def test_empty_series_without_window_is_a_clear_error() -> None:
    with pytest.raises(CandleSeriesError, match="empty 1h series and no window"):
        find_gaps([], "1h")
    with pytest.raises(CandleSeriesError, match="empty 1h series"):
        find_gaps([], "1h", start=T0)


def test_duplicates_count_once() -> None:
    stamps = pd.concat([series("1m", 5), series("1m", 5)])
    report = scan_gaps(stamps, "1m", now=FAR_FUTURE)
    assert (report.expected, report.present, report.gaps) == (5, 5, ())


def test_tolerance_snaps_jitter_both_ways() -> None:
    base = series("8h", 6).to_numpy()
    jitter = [pd.Timedelta(milliseconds=ms) for ms in (17, 7, -3, 0, 250, 9)]
    stamps = pd.Series(base + np.array(jitter))

    on = scan_gaps(stamps, "8h", tolerance=timedelta(milliseconds=10), now=FAR_FUTURE)
    assert [g.start for g in on.gaps] == [base[0], base[4]]  # 17 ms and 250 ms are too late
    assert list(on.irregular) == [base[0] + jitter[0], base[4] + jitter[4]]

    wide = scan_gaps(stamps, "8h", tolerance=1_000, now=FAR_FUTURE)
    assert wide.gaps == () and wide.present == 6 and len(wide.irregular) == 0

    off = scan_gaps(stamps, "8h", now=FAR_FUTURE)
    assert off.present == 1  # only the 0 ms stamp is exactly on the grid
    assert len(off.irregular) == 5
    assert list(irregular_timestamps(stamps, "8h")) == list(off.irregular)


def test_tolerance_must_be_under_half_a_candle() -> None:
    with pytest.raises(ValueError, match="half a 1m candle"):
        find_gaps(series("1m", 3), "1m", tolerance=timedelta(seconds=30))


def test_a_few_off_grid_stamps_are_irregular_not_an_error() -> None:
    stamps = series("5m", 10)
    stamps.iloc[4] += pd.Timedelta(minutes=2)
    report = scan_gaps(stamps, "5m", now=FAR_FUTURE)
    assert list(report.irregular) == [T0 + pd.Timedelta(minutes=22)]
    assert list(report.gaps) == [
        Gap(T0 + pd.Timedelta(minutes=20), T0 + pd.Timedelta(minutes=20), 1)
    ]


def test_mostly_off_grid_names_timeframe_and_spacing() -> None:
    odd = pd.Series([T0 + pd.Timedelta(minutes=7 * i + 1) for i in range(20)])
    with pytest.raises(CandleSeriesError, match=r"labelled 5m.*median spacing .*0 days 00:07:00"):
        find_gaps(odd, "5m")


def test_symbol_year_of_1m_candles() -> None:
    # Speed lives in benchmarks/gaps.py; here only the result on a full-size series.
    minute = 60_000
    stamps = np.arange(525_600, dtype=np.int64) * minute + T0.value // 1_000_000
    stamps = np.delete(stamps, np.arange(1_000, 525_600, 1_000))
    report = scan_gaps(stamps, "1m", now=FAR_FUTURE)
    assert report.missing == 525 and len(report.gaps) == 525
