"""Suspected hidden outages: runs of zero-volume candles forward-filled from the last close."""

from __future__ import annotations

import csv
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.lib.quality.outages import (
    SuspectedOutage,
    find_suspected_outages,
    forward_filled_mask,
)
from coinwatch_assets_tests.lib.quality.candle_files import load_cryptodatadownload_hourly
from coinwatch_assets_tests.shared_data import shared_path

T0 = pd.Timestamp("2024-03-01", tz="UTC")
HOUR_FORMAT = "%Y-%m-%d %I-%p"  # CryptoDataDownload: `2019-10-17 09-AM`


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def frame_from(closes: list[float], filled: set[int]) -> pd.DataFrame:
    """Hourly candles; rows in `filled` repeat the previous close with zero volume."""
    rows = []
    for i, close in enumerate(closes):
        if i in filled:
            prev = rows[-1]["close"]
            rows.append(dict(open=prev, high=prev, low=prev, close=prev, volume=0.0))
        else:
            rows.append(
                dict(open=close - 1, high=close + 1, low=close - 2, close=close, volume=3.0)
            )
    frame = pd.DataFrame(rows)
    frame.insert(0, "ts", [T0 + pd.Timedelta(hours=i) for i in range(len(rows))])
    return frame


def hour(i: int) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=i)


def test_runs_at_least_min_candles_long() -> None:
    frame = frame_from([float(100 + i) for i in range(20)], filled={2, 3, 6, 7, 8, 12, 13, 14, 15})
    assert find_suspected_outages(frame) == [
        SuspectedOutage(hour(6), hour(8), 3),
        SuspectedOutage(hour(12), hour(15), 4),
    ]
    assert find_suspected_outages(frame, min_candles=4) == [SuspectedOutage(hour(12), hour(15), 4)]
    assert len(find_suspected_outages(frame, min_candles=2)) == 3


def test_run_at_the_end_and_row_order() -> None:
    frame = frame_from([float(100 + i) for i in range(8)], filled={5, 6, 7})
    shuffled = frame.sample(frac=1.0, random_state=3)
    assert find_suspected_outages(shuffled) == [SuspectedOutage(hour(5), hour(7), 3)]


def test_quiet_but_traded_or_moved_candles_are_not_outages() -> None:
    frame = frame_from([float(100 + i) for i in range(8)], filled={2, 3, 4, 5})
    traded = frame.copy()
    traded.loc[3, "volume"] = 0.01  # a trade happened: flat but real
    assert find_suspected_outages(traded) == []
    moved = frame.copy()
    for i in range(2, 6):  # zero volume, flat, but each at a new price
        moved.loc[i, ["open", "high", "low", "close"]] = 50.0 + i
    assert find_suspected_outages(moved) == []
    nan_volume = frame.assign(volume=np.nan)  # mark-price style: unknown volume is not zero
    assert find_suspected_outages(nan_volume) == []


def test_first_row_has_no_previous_close() -> None:
    frame = frame_from([100.0, 100.0], filled=set()).assign(
        open=100.0, high=100.0, low=100.0, volume=0.0
    )
    assert forward_filled_mask(frame).tolist() == [False, True]


def test_min_candles_must_be_positive() -> None:
    with pytest.raises(ValueError, match="min_candles"):
        find_suspected_outages(frame_from([1.0, 2.0], set()), min_candles=0)


# Runs read off the vendor file by eye (rows are newest first there, hours on a 12-hour clock).
COINBASE_RUNS_3 = [
    SuspectedOutage(utc("2018-02-01 05:00"), utc("2018-02-01 07:00"), 3),
    SuspectedOutage(utc("2018-08-10 01:00"), utc("2018-08-10 15:00"), 15),
]


def test_coinbase_hourly_forward_filled_runs() -> None:
    frame = load_cryptodatadownload_hourly(
        shared_path("ohlcv", "cryptodatadownload", "coinbase_btcusd_1h.csv")
    )
    # Vendor quirk: around 2017-11-12 five rows are stamped 5 hours late (copies of the
    # 23:00..03:00 candles filed under 04:00..08:00), so file order is not time order.
    assert int((frame["ts"].diff() < pd.Timedelta(0)).sum()) == 5
    assert frame["ts"].is_unique
    assert (frame["ts"].min(), frame["ts"].max()) == (
        utc("2017-07-01 11:00"),
        utc("2019-10-17 09:00"),
    )

    assert find_suspected_outages(frame) == COINBASE_RUNS_3
    # 2017-09-25 04:00 is flat at the same price but traded 5.93 BTC: the run starts at 05:00.
    assert find_suspected_outages(frame, min_candles=2) == [
        SuspectedOutage(utc("2017-09-25 05:00"), utc("2017-09-25 06:00"), 2),
        *COINBASE_RUNS_3,
    ]


def test_coinbase_hourly_single_candles_match_plain_count() -> None:
    path = shared_path("ohlcv", "cryptodatadownload", "coinbase_btcusd_1h.csv")
    with path.open() as fh:
        next(fh)  # banner
        rows = sorted(csv.DictReader(fh), key=lambda r: datetime.strptime(r["date"], HOUR_FORMAT))
    expected = 0
    for prev, row in zip(rows, rows[1:], strict=False):
        prices = {row[k] for k in ("open", "high", "low", "close")}
        if (
            float(row["volume_btc"]) == 0
            and len(prices) == 1
            and float(row["close"]) == float(prev["close"])
        ):
            expected += 1

    frame = load_cryptodatadownload_hourly(path)
    runs = find_suspected_outages(frame, min_candles=1)
    assert sum(run.candles for run in runs) == expected == 28
