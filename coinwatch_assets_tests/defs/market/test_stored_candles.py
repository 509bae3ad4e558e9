"""Stored candles are facts: the six ways a run used to lose them, replayed with the real ccxt
client against the Binance emulator on both backends. Each test shows the stored candles
intact afterwards and, where it matters, the checks telling the truth about the day."""

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.defs.quality.checks import QUALITY
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.lib.sources import BadMarketData
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.defs.quality.helpers import day_tags, latest_evaluation, run
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.venue_defs import EXCHANGE, ohlcv

DAY = "2018-01-15"
KEY = "2018-01|ETH-BTC"


def stored_day(resources, symbol: str = "ETH/BTC", day: str = DAY, **pins) -> pd.DataFrame:
    rows = resources["database"].read("ohlcv")
    rows = rows[(rows["symbol"] == symbol) & (rows["ts"].dt.strftime("%Y-%m-%d") == day)]
    for column, value in pins.items():
        rows = rows[rows[column] == value]
    return rows.reset_index(drop=True)


@pytest.fixture
def resources(resources):
    """The market resources plus the quality policy the checks need."""
    return {**resources, "quality_policy": QualityPolicyResource()}


@pytest.fixture
def seeded(resources, instance):
    """The day fetched once, complete (288 candles) and passing its checks."""
    result = run([ohlcv], instance, resources, key=KEY, tags=day_tags(DAY))
    assert result.success
    assert len(stored_day(resources)) == 288
    return stored_day(resources)


def test_1_an_empty_answer_erases_nothing_and_is_reported(
    resources, instance, emulator, seeded
) -> None:
    emulator.set_candles("ETH/BTC", np.empty((0, 6)), interval="5m")
    result = run([ohlcv], instance, resources, key=KEY, tags=day_tags(DAY))
    assert result.success
    pd.testing.assert_frame_equal(stored_day(resources), seeded)
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["candles_not_returned"].value == 288
    assert meta["candles_not_returned_by_day"].value == {f"{DAY} binance ETH/BTC 5m": 288}
    warnings = [
        e.message
        for e in instance.all_logs(result.run_id)
        if e.level == 30 and "not return" in e.message
    ]
    assert any("returned 0 candles for a slice holding 288" in w for w in warnings), warnings
    # The check judges what is stored: the day is complete.
    assert latest_evaluation(instance, QUALITY, KEY).passed


def test_2_an_exchange_ignoring_the_window_fails_before_writing(
    resources, instance, emulator, seeded
) -> None:
    emulator.ignore_time_range = True  # serves its latest 1,000 candles whatever was asked
    result = run([ohlcv], instance, resources, key=KEY, tags=day_tags(DAY))
    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error
    assert "BadMarketData" in error.cls_name or BadMarketData.__name__ in error.to_string()
    assert "ignored" in error.to_string() and "ETH/BTC" in error.to_string()
    pd.testing.assert_frame_equal(stored_day(resources), seeded)


def test_3_a_delisted_symbol_keeps_its_days_and_the_check_says_why(
    resources, instance, emulator, seeded
) -> None:
    database = resources["database"]
    gone = pd.DataFrame(
        [
            [
                EXCHANGE,
                "ETH/BTC",
                "ETH",
                "BTC",
                False,
                None,
                date(2018, 1, 1),
                date(2018, 1, 15),
                datetime(2018, 1, 16, tzinfo=UTC),
            ]
        ],
        columns=list(database.read("markets").columns),
    )
    database.storage().write(table_spec("markets"), gone, Slice.whole_table("markets"))
    result = run([ohlcv], instance, resources, key=KEY, tags=day_tags(DAY))
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["skipped_partitions"].value == [KEY]
    assert meta["storage_write"].value == "none"
    pd.testing.assert_frame_equal(stored_day(resources), seeded)
    evaluation = latest_evaluation(instance, QUALITY, KEY)
    assert evaluation.passed
    assert evaluation.metadata["listing_status"].value == "delisted on 2018-01-15"
    # A month after the delisting with nothing stored passes as "delisted", not as a hole.
    later = "2018-02|ETH-BTC"
    assert run([ohlcv], instance, resources, key=later).success
    evaluation = latest_evaluation(instance, QUALITY, later)
    assert evaluation.passed and evaluation.metadata["candles"].value == 0


def test_4_a_write_keeps_other_venues_and_timeframes(resources, instance, seeded) -> None:
    database = resources["database"]
    spec = table_spec("ohlcv")
    for exchange, timeframe, periods, freq in (
        ("kraken", "5m", 288, "5min"),
        (EXCHANGE, "1h", 24, "1h"),
    ):
        frame = ohlcv_frame("ETH/BTC", DAY, periods, freq, exchange=exchange, timeframe=timeframe)
        where = Slice.whole_table("ohlcv").pinned({"exchange": exchange, "timeframe": timeframe})
        database.storage().write(spec, frame, where)
    assert run([ohlcv], instance, resources, key=KEY, tags=day_tags(DAY)).success
    assert len(stored_day(resources, exchange="kraken")) == 288
    assert len(stored_day(resources, timeframe="1h")) == 24
    pd.testing.assert_frame_equal(stored_day(resources, exchange=EXCHANGE, timeframe="5m"), seeded)


def test_5_an_empty_day_between_listing_and_now_is_a_full_day_hole(
    resources, instance, emulator
) -> None:
    # History from 2018-01-12 on is stored; 2018-01-14 comes back empty: a hole, not a pass.
    assert run([ohlcv], instance, resources, key=KEY, tags=day_tags("2018-01-12")).success
    day = pd.Timestamp("2018-01-14", tz="UTC").value // 1_000_000
    candles = emulator.candles[("ETHBTC", "5m")]
    keep = (candles[:, 0] < day) | (candles[:, 0] >= day + 86_400_000)
    emulator.set_candles("ETH/BTC", candles[keep], interval="5m")
    result = run([ohlcv], instance, resources, key=KEY, tags=day_tags("2018-01-14"))
    assert not result.success  # the blocking gap check fails
    evaluation = latest_evaluation(instance, QUALITY, KEY)
    assert not evaluation.passed and evaluation.metadata["missing"].value == 288
    gaps = resources["database"].read("ohlcv_gaps")
    assert gaps[["missing_candles", "reason"]].values.tolist() == [[288, "missed"]]
    # Days before the first stored candle pass as "not listed yet".
    # (Jan 14's hole stays the month's verdict: the registry keeps it.)
    assert not run([ohlcv], instance, resources, key=KEY, tags=day_tags("2018-01-05")).success
    early = latest_evaluation(instance, QUALITY, KEY)
    assert early.metadata["listing_status"].value == "not listed yet"
    assert early.metadata["days_judged"].value == 1 and early.metadata["candles"].value == 0
    assert early.metadata["missing"].value == 288  # Jan 14's, from the registry
