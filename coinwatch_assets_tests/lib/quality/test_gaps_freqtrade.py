"""Hole finding against every recorded freqtrade candle file, checked by independent counts."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from coinwatch_assets.lib.quality.errors import UnknownTimeframeError
from coinwatch_assets.lib.quality.gaps import (
    CandleSeriesError,
    Gap,
    find_gaps,
    irregular_timestamps,
    scan_gaps,
)
from coinwatch_assets_tests.lib.quality.candle_files import (
    independent_holes,
    load_timestamps_ms,
    step_ms,
    timeframe_from_name,
)
from coinwatch_assets_tests.shared_data import shared_path

FREQTRADE = ("ohlcv", "freqtrade")
FUNDING = "futures/XRP_USDT_USDT-8h-funding_rate.csv"

# Every well-formed candle file, with the total missing candles counted by hand once (a second,
# fixed check beside the independent set arithmetic; the README says which files have holes).
GOOD_FILES: dict[str, int] = {
    "ADA_BTC-5m.csv": 40,
    "DASH_BTC-5m.csv": 2,
    "ETC_BTC-5m.csv": 0,
    "ETH_BTC-5m.csv": 0,
    "LTC_BTC-5m.csv": 0,
    "NXT_BTC-5m.csv": 0,
    "TRX_BTC-5m.csv": 6,
    "XLM_BTC-5m.csv": 0,
    "XMR_BTC-5m.csv": 2,
    "ZEC_BTC-5m.csv": 2,
    "UNITTEST_BTC-1m.csv": 717,
    "UNITTEST_BTC-1m.json": 717,
    "UNITTEST_BTC-30m.csv": 0,
    "XRP_ETH-1m.csv": 1091,
    "XRP_ETH-5m.csv": 6,
    "futures/UNITTEST_USDT_USDT-1h-mark.csv": 0,
    "futures/XRP_USDT_USDT-1h-futures.csv": 0,
    "futures/XRP_USDT_USDT-1h-mark.csv": 0,
    "futures/XRP_USDT_USDT-5m-futures.csv": 0,
    "futures/XRP_USDT_USDT-8h-mark.csv": 0,
}
BAD_FILES = {"UNITTEST_BTC-8m.csv", "UNITTEST_BTC-8m.json.gz", "NOPAIR_XXX-4m.json"}
NOT_CANDLES = {"pairs.json", "XRP_ETH-trades.json.gz"}


def _as_tuples(gaps: list) -> list[tuple[int, int, int]]:
    return [(g.start.value // 1_000_000, g.end.value // 1_000_000, g.missing) for g in gaps]


def test_every_file_in_the_folder_is_covered() -> None:
    folder = shared_path(*FREQTRADE)
    on_disk = {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name.endswith((".csv", ".json", ".json.gz"))
    }
    assert on_disk == set(GOOD_FILES) | {FUNDING} | BAD_FILES | NOT_CANDLES


@pytest.mark.parametrize("name", sorted(GOOD_FILES))
def test_holes_match_independent_count(name: str) -> None:
    path = shared_path(*FREQTRADE, name)
    timeframe = timeframe_from_name(name)
    stamps = load_timestamps_ms(path)
    expected = independent_holes(stamps, step_ms(timeframe), snap=False)

    report = scan_gaps(stamps, timeframe)

    assert _as_tuples(list(report.gaps)) == expected
    assert report.missing == sum(count for _, _, count in expected) == GOOD_FILES[name]
    assert report.present == len(set(stamps))
    assert len(report.irregular) == 0


def test_datetime_input_gives_same_holes_as_ms_input() -> None:
    stamps = load_timestamps_ms(shared_path(*FREQTRADE, "ADA_BTC-5m.csv"))
    as_series = pd.Series(pd.to_datetime(stamps, unit="ms", utc=True))
    assert find_gaps(as_series, "5m") == find_gaps(stamps, "5m")


def test_ada_btc_has_a_multi_hour_outage() -> None:
    stamps = load_timestamps_ms(shared_path(*FREQTRADE, "ADA_BTC-5m.csv"))
    longest = max(find_gaps(stamps, "5m"), key=lambda g: g.missing)
    # Checked by eye in the CSV: nothing between 11:55 and 14:45 on 2018-01-15.
    assert longest == Gap(
        pd.Timestamp("2018-01-15 12:00", tz="UTC"), pd.Timestamp("2018-01-15 14:40", tz="UTC"), 33
    )


@pytest.mark.parametrize("name", ["ETC_BTC-5m.csv", "ZEC_BTC-5m.csv"])
def test_series_ending_early_have_a_trailing_hole_in_a_common_window(name: str) -> None:
    reference = load_timestamps_ms(shared_path(*FREQTRADE, "ETH_BTC-5m.csv"))
    stamps = load_timestamps_ms(shared_path(*FREQTRADE, name))
    step = step_ms("5m")
    start, end = min(reference), max(reference) + step
    assert max(stamps) == max(reference) - step  # the README's "one candle early"

    gaps = find_gaps(stamps, "5m", start=start, end=end)

    assert _as_tuples(gaps[-1:]) == [(max(reference), max(reference), 1)]


def test_funding_rate_jitter_tolerated() -> None:
    stamps = load_timestamps_ms(shared_path(*FREQTRADE, FUNDING))
    assert any(t % step_ms("8h") for t in stamps), "the file should hold jittered stamps"

    report = scan_gaps(stamps, "8h", tolerance=timedelta(seconds=1))

    assert independent_holes(stamps, step_ms("8h"), snap=True) == []
    assert report.gaps == ()
    assert report.present == report.expected == len(stamps)
    assert len(report.irregular) == 0


def test_funding_rate_without_tolerance_reports_irregular_stamps() -> None:
    stamps = load_timestamps_ms(shared_path(*FREQTRADE, FUNDING))
    off_grid = sorted(t for t in stamps if t % step_ms("8h"))

    report = scan_gaps(stamps, "8h")

    assert [t.value // 1_000_000 for t in report.irregular] == off_grid
    assert list(irregular_timestamps(stamps, "8h")) == list(report.irregular)
    # Off-grid stamps do not count as present: each leaves its grid slot empty.
    assert _as_tuples(list(report.gaps)) == independent_holes(stamps, step_ms("8h"), snap=False)
    assert report.missing == len(off_grid) == 59


def test_empty_file_is_a_clear_error() -> None:
    stamps = load_timestamps_ms(shared_path(*FREQTRADE, "UNITTEST_BTC-8m.csv"))
    assert stamps == []
    # 8m is not a ccxt timeframe either; the message names both problems.
    with pytest.raises(CandleSeriesError, match=r"unknown timeframe '8m'.*series is empty"):
        find_gaps(stamps, "8m")
    with pytest.raises(CandleSeriesError, match=r"empty 5m series and no window"):
        find_gaps(stamps, "5m")


@pytest.mark.parametrize("label", ["8m", "5m", "1h"])
def test_mislabelled_file_says_what_the_data_looks_like(label: str) -> None:
    stamps = load_timestamps_ms(shared_path(*FREQTRADE, "UNITTEST_BTC-8m.json.gz"))
    assert len(stamps) > 10_000
    with pytest.raises(CandleSeriesError, match=rf"{label}.*timestamps look like 1m candles"):
        find_gaps(stamps, label)


def test_mislabelled_file_is_fine_as_1m() -> None:
    stamps = load_timestamps_ms(shared_path(*FREQTRADE, "UNITTEST_BTC-8m.json.gz"))
    assert _as_tuples(find_gaps(stamps, "1m")) == independent_holes(stamps, 60_000, snap=False)


def test_unknown_timeframe_file_is_a_clear_error() -> None:
    name = "NOPAIR_XXX-4m.json"
    stamps = load_timestamps_ms(shared_path(*FREQTRADE, name))
    assert stamps == []
    with pytest.raises(UnknownTimeframeError, match=r"unknown timeframe '4m'"):
        find_gaps(stamps, timeframe_from_name(name))
