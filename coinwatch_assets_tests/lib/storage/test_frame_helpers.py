import pandas as pd

from coinwatch_assets.lib.storage.frames import day_labels


def test_day_labels_equal_row_by_row_strftime_across_month_and_day_boundaries():
    times = pd.Series(
        pd.date_range("2024-01-31 22:00", "2024-03-01 02:00", freq="5min", tz="UTC")
    ).astype("datetime64[us, UTC]")
    times.index = times.index + 100  # labels keep the frame's index
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        labels = day_labels(times, fmt)
        assert labels.index.equals(times.index)
        assert labels.equals(times.dt.strftime(fmt).astype(object))
    assert set(day_labels(times, "%Y-%m")) == {"2024-01", "2024-02", "2024-03"}


def test_day_labels_read_other_zones_as_utc_and_handle_empty_series():
    local = pd.Series(pd.to_datetime(["2024-02-01 00:30"]).tz_localize("Europe/Berlin"))
    assert day_labels(local, "%Y-%m-%d").tolist() == ["2024-01-31"]
    empty = pd.Series([], dtype="datetime64[us, UTC]")
    assert day_labels(empty, "%Y-%m").tolist() == []


def test_fixed_values_are_the_columns_every_cell_pins_alike():
    from coinwatch_assets.lib.storage.slices import Cell, Slice

    pins = {"exchange": "binance", "timeframe": "5m"}
    two = Slice(
        "ohlcv",
        "ts",
        (Cell(equals=(("symbol", "BTC/USDT"),)), Cell(equals=(("symbol", "ETH/USDT"),))),
    ).pinned(pins)
    assert two.fixed_values() == pins  # symbol differs between cells: read back per row
    one = Slice("ohlcv", "ts", (Cell(equals=(("symbol", "BTC/USDT"), ("note", None))),))
    assert one.fixed_values() == {"symbol": "BTC/USDT"}  # a null pin is never filled in
    assert Slice.whole_table("ohlcv").fixed_values() == {}
