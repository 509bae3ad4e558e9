"""View edge cases on both backends: a hole across a month boundary, a candle still open."""

import pandas as pd
import pytest

from coinwatch_assets.lib.consumers.coverage import coverage_by_month, months_markdown
from coinwatch_assets.lib.consumers.views import read_view
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.factories import ohlcv_frame

HOLE = (pd.Timestamp("2024-01-31 23:50", tz="UTC"), pd.Timestamp("2024-02-01 00:10", tz="UTC"))


def _write(storage: Storage, table: str, frame: pd.DataFrame) -> None:
    storage.write(table_spec(table), frame, Slice.whole_table(table))


@pytest.fixture
def storage(database_url: str) -> Storage:
    storage = Storage(database_url)
    candles = ohlcv_frame("BTC/USDT", "2024-01-31 23:00", periods=25)  # .. 02-01 01:00
    _write(storage, "ohlcv", candles[~candles["ts"].between(*HOLE)])
    hole = {"exchange": "binance", "symbol": "BTC/USDT", "timeframe": "5m"}
    hole |= {"gap_start": HOLE[0], "gap_end": HOLE[1], "missing_candles": 5}
    hole |= {"reason": "confirmed", "attempts": 4, "detected_at": HOLE[1], "note": None}
    _write(storage, "ohlcv_gaps", pd.DataFrame([hole]))
    return storage


def test_a_hole_across_months_is_split_between_them(storage: Storage) -> None:
    months = coverage_by_month(storage)
    assert months[
        ["month", "stored_candles", "expected_candles", "confirmed_candles"]
    ].values.tolist() == [
        ["2024-01", 10, 12, 2],
        ["2024-02", 10, 13, 3],
    ]
    assert months["completeness_pct"].tolist() == [83.33, 76.92]
    (series,) = read_view(storage, "coverage").to_dict("records")
    assert (series["stored_candles"], series["expected_candles"], series["confirmed_candles"]) == (
        20,
        25,
        5,
    )
    assert series["completeness_pct"] == 80.0
    assert "| binance | BTC/USDT | 5m | 2024-02 | 10 | 13 | 0 | 3 | 0 | 0 | 76.92 |" in (
        months_markdown(months)
    )


def test_latest_candles_skips_the_candle_still_open(storage: Storage) -> None:
    today = pd.Timestamp.now(tz="UTC").floor("D")
    days = ohlcv_frame("ETH/USDT", today - pd.Timedelta("2D"), periods=3, freq="1D", timeframe="1d")
    _write(storage, "ohlcv", days)
    rows = read_view(storage, "latest_candles").set_index("symbol")
    assert rows.loc["ETH/USDT", "ts"] == today - pd.Timedelta("1D")  # today's is still open
    assert rows.loc["BTC/USDT", "ts"] == pd.Timestamp("2024-02-01 01:00", tz="UTC")
