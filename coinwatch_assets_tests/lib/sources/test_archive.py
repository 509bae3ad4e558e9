"""Archive history (data.binance.vision emulator) + REST tail (Binance emulator), real ccxt."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.defs.market.venue import market_source_resource
from coinwatch_assets.lib.sources.archive import (
    BAD_FILE,
    OK,
    ArchiveFile,
    BinanceVisionArchive,
    parse_klines,
)
from coinwatch_assets.lib.sources.base import Window
from coinwatch_assets.lib.sources.exchange import ExchangeSource
from coinwatch_assets.lib.sources.factory import build_source
from coinwatch_assets.lib.sources.history import HISTORY_REST, ArchivedSource, plan_pieces
from coinwatch_assets.lib.sources.retry import RetryPolicy
from coinwatch_assets.lib.venues import Venue, VenueConfigError, venue_from_env
from coinwatch_assets_tests.emulators.binance import BinanceEmulator
from coinwatch_assets_tests.emulators.binance_vision import (
    FUTURES_HEADER,
    BinanceVisionEmulator,
    kline_path,
)
from coinwatch_assets_tests.lib.sources.archive_data import (
    MARKET_ID,
    NOW,
    START,
    SYMBOL,
    history_candles,
    publish,
)
from coinwatch_assets_tests.shared_data import shared_path

FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01)


@pytest.fixture
def candles() -> np.ndarray:
    return history_candles()


@pytest.fixture
def rest(candles: np.ndarray) -> Iterator[BinanceEmulator]:
    with BinanceEmulator(now_ms=int(NOW.timestamp() * 1000)) as emu:
        emu.add_market(SYMBOL, candles, interval="1m", quote_volume=1e6)
        yield emu


@pytest.fixture
def vision() -> Iterator[BinanceVisionEmulator]:
    with BinanceVisionEmulator() as emu:
        yield emu


def archived(rest: BinanceEmulator, vision: BinanceVisionEmulator) -> ArchivedSource:
    source = build_source(
        "live", "binance", rest.ccxt_config(), archive="binance_vision", archive_url=vision.base_url
    )
    assert isinstance(source, ArchivedSource)
    source.archive.retry = FAST
    return source


def rest_only(rest: BinanceEmulator) -> pd.DataFrame:
    return ExchangeSource("binance", rest.ccxt_config()).fetch_ohlcv(SYMBOL, "1m", START, NOW, NOW)


def rest_starts(rest: BinanceEmulator) -> list[int]:
    return [int(q["startTime"]) for p, q in rest.requests if p == "/api/v3/klines"]


def test_month_days_and_tail_are_stitched_like_a_rest_only_backfill(rest, vision, candles):
    publish(vision, candles)
    source = archived(rest, vision)
    frame = source.fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW)
    expected = rest_only(rest)
    assert len(expected) > 3000 and frame["ts"].is_unique and frame["ts"].is_monotonic_increasing
    pd.testing.assert_frame_equal(frame, expected)
    # REST served the open day only: its first request starts 2017-11-06 00:00
    tail = int(datetime(2017, 11, 6, tzinfo=UTC).timestamp() * 1000)
    rest.requests.clear()
    source = archived(rest, vision)
    source.fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW)
    assert rest_starts(rest) and min(rest_starts(rest)) == tail
    stats = source.stats
    assert (stats.archive_windows, stats.rest_windows, stats.files_downloaded) == (6, 1, 6)
    assert stats.bytes_downloaded > 50_000 and not stats.fallbacks


def test_unpublished_month_comes_day_by_day_and_missing_days_from_rest(rest, vision, candles):
    paths = publish(vision, candles)
    vision.remove(paths["2017-10"])
    for day in range(28, 32):  # the month's days with rows: 28..31 published, 28 missing
        if day != 28:
            vision.publish_candles(MARKET_ID, "1m", "daily", f"2017-10-{day}", candles)
    source = archived(rest, vision)
    frame = source.fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW)
    pd.testing.assert_frame_equal(frame, rest_only(rest))
    assert vision.downloads(paths["2017-10"] + ".CHECKSUM") == 1
    assert any("2017-10-28: not published (404)" in note for note in source.stats.fallbacks)
    assert source.stats.archive_windows == 3 + 5  # Oct 29-31 and Nov 1-5 from files


def test_bad_checksum_is_downloaded_again_once_then_the_day_comes_from_rest(
    rest, vision, candles, caplog
):
    paths = publish(vision, candles)
    vision.corrupt_downloads(paths["2017-11-02"])
    source = archived(rest, vision)
    with caplog.at_level(logging.WARNING):
        frame = source.fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW)
    pd.testing.assert_frame_equal(frame, rest_only(rest))
    assert vision.downloads(paths["2017-11-02"]) == 2
    assert source.stats.checksum_failures == 2
    (note,) = source.stats.fallbacks
    assert "2017-11-02: checksum mismatch" in note and "REST" in note
    assert "does not match its .CHECKSUM" in caplog.text and "fetched through REST" in caplog.text


def test_a_single_bad_download_is_recovered_by_the_second(rest, vision, candles):
    paths = publish(vision, candles)
    vision.corrupt_downloads(paths["2017-11-02"], times=1)
    source = archived(rest, vision)
    frame = source.fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW)
    pd.testing.assert_frame_equal(frame, rest_only(rest))
    assert source.stats.checksum_failures == 1 and not source.stats.fallbacks


def test_truncated_file_shows_as_holes_and_rest_only_fills_them(rest, vision, candles):
    publish(vision, candles)
    day = datetime(2017, 11, 3, tzinfo=UTC).timestamp() * 1000
    rows = candles[(candles[:, 0] >= day) & (candles[:, 0] < day + 86_400_000)]
    vision.publish_candles(MARKET_ID, "1m", "daily", "2017-11-03", rows[: len(rows) // 2])
    frame = archived(rest, vision).fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW)
    full = rest_only(rest)
    assert len(full) - len(frame) == len(rows) - len(rows) // 2  # holes, nothing else lost
    assert set(frame["ts"]) < set(full["ts"])
    # what a repair run builds: the same source without the archive
    repair = build_source("live", "binance", rest.ccxt_config(), archive="none")
    pd.testing.assert_frame_equal(repair.fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW), full)


def test_unusable_file_with_a_good_checksum_falls_back_to_rest(rest, vision, candles, caplog):
    paths = publish(vision, candles)
    good = vision.files[paths["2017-11-04"]]
    path = kline_path("spot", MARKET_ID, "1m", "daily", "2017-11-04")
    vision.publish_lines(path, ["1509753600000,1,2,0.5,1,10,1509753659999,10,1,0,0"])  # 11 cols
    source = archived(rest, vision)
    with caplog.at_level(logging.WARNING):
        frame = source.fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW)
    pd.testing.assert_frame_equal(frame, rest_only(rest))
    assert "has 11 columns, not 12" in caplog.text and len(good) > 0


def test_spot_files_in_ms_then_microseconds_join_across_the_new_year(vision):
    december = shared_path("binance_vision", "spot_BTCUSDT-5m-2024-12_last288.csv")
    january = shared_path("binance_vision", "spot_BTCUSDT-5m-2025-01_first288.csv")
    dec_path = kline_path("spot", "BTCUSDT", "5m", "monthly", "2024-12")
    jan_path = kline_path("spot", "BTCUSDT", "5m", "daily", "2025-01-01")
    vision.publish_lines(dec_path, december.read_text().splitlines())
    vision.publish_lines(jan_path, january.read_text().splitlines())
    with BinanceEmulator() as rest:
        source = archived(rest, vision)
        start, end = datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC)
        frame = source.fetch_ohlcv("BTC/USDT", "5m", start, end, now=end)
        assert not rest_starts(rest)  # everything came from the two files
    assert len(frame) == 576
    ts = frame["ts"].astype("int64") // 1000
    assert ts.diff().dropna().eq(300_000).all()  # one 5m grid across the unit change
    assert frame.loc[288, "ts"] == pd.Timestamp("2025-01-01", tz="UTC")
    assert frame.loc[287, "close"] == frame.loc[288, "open"] == 93576.0


def test_futures_files_have_their_header_sniffed(vision):
    rows = shared_path("binance_vision", "futures_um_ALGOUSDT-1m-2025-02_head300.csv")
    lines = rows.read_text().splitlines()
    assert lines[0] == FUTURES_HEADER
    path = kline_path("futures/um", "ALGOUSDT", "1m", "daily", "2025-02-01")
    vision.publish_lines(path, lines[1:], header=lines[0])
    start = int(datetime(2025, 2, 1, tzinfo=UTC).timestamp() * 1000)
    file = ArchiveFile(
        "futures/um", "ALGOUSDT", "1m", "daily", "2025-02-01", start, start + 86_400_000
    )
    result = BinanceVisionArchive(vision.base_url).fetch(file, 60_000, 60_000)
    assert result.status == OK and result.rows.shape == (300, 6)
    assert result.rows[0].tolist() == [1738368000000.0, 0.379, 0.3795, 0.3783, 0.3788, 434592.5]


def test_rows_outside_the_files_period_or_grid_are_refused():
    data = history_candles()[:3]
    day = int(data[0, 0]) - int(data[0, 0]) % 86_400_000
    file = ArchiveFile(
        "spot", MARKET_ID, "1m", "daily", "x", day + 86_400_000, day + 2 * 86_400_000
    )
    with BinanceVisionEmulator() as vision:
        path = kline_path("spot", MARKET_ID, "1m", "daily", "x")
        vision.publish_candles(MARKET_ID, "1m", "daily", "2017-10-28", data)
        vision.files[path] = vision.files[
            kline_path("spot", MARKET_ID, "1m", "daily", "2017-10-28")
        ]
        vision.checksums[path] = vision.checksums[
            kline_path("spot", MARKET_ID, "1m", "daily", "2017-10-28")
        ].replace(b"2017-10-28", b"x")
        result = BinanceVisionArchive(vision.base_url).fetch(file, 60_000, 60_000)
    assert result.status == BAD_FILE and "outside the file's period" in result.reason


def test_plan_whole_closed_months_then_days_then_rest():
    ms = lambda *a: int(datetime(*a, tzinfo=UTC).timestamp() * 1000)  # noqa: E731
    window = Window.of(
        datetime(2024, 1, 15, 6, tzinfo=UTC),
        datetime(2024, 4, 1, tzinfo=UTC),
        datetime(2024, 3, 3, 12, tzinfo=UTC),
        60_000,
    )
    pieces = plan_pieces(window, "spot", "BTCUSDT", "1m")
    kinds = [(p.file.label if p.file else "rest", p.start, p.end) for p in pieces]
    assert kinds[0] == ("rest", ms(2024, 1, 15, 6), ms(2024, 1, 16))
    assert [k[0] for k in kinds[1:17]] == [f"2024-01-{d}" for d in range(16, 32)]
    assert kinds[17] == ("2024-02", ms(2024, 2, 1), ms(2024, 3, 1))
    assert [k[0] for k in kinds[18:20]] == ["2024-03-01", "2024-03-02"]
    assert kinds[20] == ("rest", ms(2024, 3, 3), window.stop) and len(kinds) == 21


def test_venue_archive_defaults_and_refusal():
    assert Venue(exchange="binance").archive == "binance_vision"
    assert Venue(exchange="kraken").archive == "none"
    assert Venue(exchange="binance", archive="none").archive == "none"
    with pytest.raises(ValueError, match="archive: none"):
        Venue(exchange="kraken", archive="binance_vision")
    assert venue_from_env({}).archive == "binance_vision"
    assert venue_from_env({"COINWATCH_EXCHANGE": "kraken"}).archive == "none"
    with pytest.raises(VenueConfigError, match="COINWATCH_ARCHIVE"):
        venue_from_env({"COINWATCH_ARCHIVE": "s3"})
    # the venue's values reach its resource, and from there the source it builds
    mirror = Venue(archive_url="http://127.0.0.1:9/mirror")
    resource = market_source_resource(mirror)
    assert (resource.archive, resource.archive_url) == ("binance_vision", mirror.archive_url)
    assert isinstance(resource.build(), ArchivedSource)
    assert isinstance(resource.build(HISTORY_REST), ExchangeSource)


def test_parse_refuses_a_row_off_the_grid():
    lines = [f"{1509753600000 + 30_000},1,2,0.5,1,10,0,10,1,0,0,0"]
    vision = BinanceVisionEmulator()
    data = vision.publish_lines("data/x/BTCUSDT-1m-2017-11-04.zip", lines)
    file = ArchiveFile("spot", "BTCUSDT", "1m", "daily", "2017-11-04", 0, 2 * 10**12)
    with pytest.raises(ValueError, match="not on the 60000 ms grid"):
        parse_klines(data, file, 60_000, 60_000)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("1509753600000,1,2,0.5,1,10,0,10,1,0,0,0,7", "not 12 numeric kline columns"),
        ("1509753600000,1,2,0.5,NaN,10,0,10,1,0,0,0", "close is nan, not a finite number"),
        ("1509753600000,1,2,0.5,1.0.1,10,0,10,1,0,0,0", "not 12 numeric kline columns"),
        (
            "1509753600000000,1,2,0.5,1,10,0,10,1,0,0,0\n1509753660000,1,2,0.5,1,10,0,10,1,0,0,0",
            "mix milliseconds and microseconds",
        ),
    ],
)
def test_parse_names_what_is_wrong_with_a_file(line: str, problem: str):
    data = BinanceVisionEmulator().publish_lines("data/x/X-1m-2017-11-04.zip", line.split("\n"))
    file = ArchiveFile("spot", "X", "1m", "daily", "2017-11-04", 0, 2 * 10**12)
    with pytest.raises(ValueError, match=problem):
        parse_klines(data, file, 60_000, 60_000)


def test_transient_archive_errors_are_retried_then_fall_back_to_rest(rest, vision, candles):
    publish(vision, candles)
    vision.failures = 1  # one 503: the retry gets the file
    source = archived(rest, vision)
    pd.testing.assert_frame_equal(
        source.fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW), rest_only(rest)
    )
    assert not source.stats.fallbacks
    vision.failures = 1000  # the archive is down: every window from REST, nothing lost
    source = archived(rest, vision)
    pd.testing.assert_frame_equal(
        source.fetch_ohlcv(SYMBOL, "1m", START, NOW, now=NOW), rest_only(rest)
    )
    assert len(source.stats.fallbacks) == 6 and "503" in source.stats.fallbacks[0]
