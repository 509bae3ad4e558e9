import pandas as pd

from coinwatch_assets.lib.storage.frames import day_labels, label_codes


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


def test_label_codes_index_the_distinct_labels_in_time_order():
    times = pd.Series(
        pd.to_datetime(
            ["2024-03-02", "2024-01-31 23:59", "2024-03-01", "2024-01-01"],
            utc=True,
            format="ISO8601",
        )
    )
    codes, labels = label_codes(times, "%Y-%m")
    assert labels.tolist() == ["2024-01", "2024-03"]
    assert labels[codes].tolist() == ["2024-03", "2024-01", "2024-03", "2024-01"]
    codes, labels = label_codes(pd.Series([], dtype="datetime64[us, UTC]"), "%Y-%m")
    assert len(codes) == 0 and len(labels) == 0


def test_partition_row_counts_per_month_and_symbol_of_a_mixed_frame():
    import dagster as dg

    from coinwatch_assets.defs.storage import partition_row_counts
    from coinwatch_assets.lib.storage.tables import table_spec

    months = dg.MonthlyPartitionsDefinition(start_date="2024-01", end_date="2024-04", fmt="%Y-%m")
    pdef = dg.MultiPartitionsDefinition(
        {"month": months, "symbol": dg.StaticPartitionsDefinition(["BTC-USDT", "ETH-USDT"])}
    )
    stamps = pd.to_datetime(
        ["2024-01-05", "2024-01-06", "2024-02-29 23:55", "2024-01-07", "2024-03-01"],
        utc=True,
        format="ISO8601",
    )
    frame = pd.DataFrame(
        {"ts": stamps, "symbol": ["BTC/USDT", "BTC/USDT", "BTC/USDT", "ETH/USDT", "ETH/USDT"]}
    )
    keys = [f"{m}|{s}" for m in ("2024-01", "2024-02", "2024-03") for s in ("BTC-USDT", "ETH-USDT")]
    counts = partition_row_counts(table_spec("ohlcv"), pdef, keys, frame)
    assert counts == {
        "2024-01|BTC-USDT": 2,
        "2024-01|ETH-USDT": 1,
        "2024-02|BTC-USDT": 1,
        "2024-02|ETH-USDT": 0,
        "2024-03|BTC-USDT": 0,
        "2024-03|ETH-USDT": 1,
    }
    one = frame[frame["symbol"] == "ETH/USDT"]  # a chunk of one symbol: its column is constant
    assert partition_row_counts(table_spec("ohlcv"), pdef, keys, one)["2024-03|ETH-USDT"] == 1


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
