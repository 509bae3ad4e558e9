"""The `ohlcv` asset end to end: real ccxt -> emulator on loopback -> IO manager -> database."""

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.lib.market.fetch_plan import (
    FETCH_FROM_TAG,
    FETCH_WINDOWS_TAG,
    LAST_STORED,
    encode_windows,
)
from coinwatch_assets.lib.sources import BadMarketData, SourceBanned
from coinwatch_assets_tests.venue_defs import ohlcv

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
MONTHS = ["2017-12", "2018-01"]


def materialize(
    resources, instance, *, key=None, start=None, end=None, raise_on_error=True, tags=None
):
    tags = {**({RANGE_START: start, RANGE_END: end} if start else {}), **(tags or {})}
    return dg.materialize(
        [ohlcv],
        instance=instance,
        partition_key=key,
        tags=tags or None,
        resources=resources,
        raise_on_error=raise_on_error,
    )


def expected_rows(candles: np.ndarray, first_day: str, last_day: str) -> np.ndarray:
    lo = pd.Timestamp(first_day, tz="UTC").value // 1_000_000
    hi = (pd.Timestamp(last_day, tz="UTC") + pd.Timedelta(days=1)).value // 1_000_000
    return candles[(candles[:, 0] >= lo) & (candles[:, 0] < hi)]


def test_backfill_of_2_symbols_x_2_months_is_one_run_with_exactly_those_rows(
    resources, instance, recorded_5m
) -> None:
    assert ohlcv.backfill_policy == dg.BackfillPolicy.single_run()
    result = materialize(
        resources, instance, start=f"{MONTHS[0]}|ETH-BTC", end=f"{MONTHS[-1]}|LTC-BTC"
    )
    assert result.success
    assert len(instance.get_run_records()) == 1
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["partitions"].value == 4
    assert meta["fetches"].value == 2  # one paginated fetch per symbol, not one per month
    stored = resources["database"].read("ohlcv")
    for symbol in ("ETH/BTC", "LTC/BTC"):
        mine = stored[stored["symbol"] == symbol]
        want = expected_rows(recorded_5m[symbol], "2017-12-01", "2018-01-31")
        assert len(mine) == len(want)
        got_ms = mine["ts"].to_numpy(dtype="datetime64[ms]").view("i8")
        np.testing.assert_array_equal(got_ms, want[:, 0])
        np.testing.assert_allclose(mine[["open", "high", "low", "close", "volume"]], want[:, 1:])
    assert set(stored["exchange"]) == {"binance"} and set(stored["timeframe"]) == {"5m"}


def test_rematerializing_a_month_never_duplicates(resources, instance, recorded_5m) -> None:
    for _ in range(3):
        assert materialize(resources, instance, key="2018-01|ETH-BTC").success
    stored = resources["database"].read("ohlcv")
    assert not stored.duplicated(["symbol", "ts"]).any()
    assert stored["ts"].dt.strftime("%Y-%m").unique().tolist() == ["2018-01"]
    assert len(stored) == len(recorded_5m["ETH/BTC"])


def test_malformed_kline_fails_naming_symbol_and_day_and_writes_nothing(
    resources, instance, emulator
) -> None:
    assert materialize(resources, instance, key="2018-01|ETH-BTC").success
    before = resources["database"].read("ohlcv")
    bad_ts = int(pd.Timestamp("2018-01-14 13:05", tz="UTC").value // 1_000_000)
    emulator.malform("ETH/BTC", bad_ts, "nan", interval="5m")
    with pytest.raises(BadMarketData) as err:
        materialize(resources, instance, key="2018-01|ETH-BTC")
    assert "ETH/BTC" in str(err.value) and "2018-01-14" in str(err.value)
    pd.testing.assert_frame_equal(resources["database"].read("ohlcv"), before)


def test_a_418_ban_fails_at_once_and_writes_nothing(resources, instance, emulator) -> None:
    assert materialize(resources, instance, key="2018-01|LTC-BTC").success
    before = resources["database"].read("ohlcv")
    klines_before = emulator.request_counts["/api/v3/klines"]
    emulator.fail_always(418, path="/api/v3/klines")
    with pytest.raises(SourceBanned, match="LTC/BTC.*banned by the exchange .HTTP 418. until"):
        materialize(resources, instance, key="2018-01|LTC-BTC")
    assert emulator.request_counts["/api/v3/klines"] - klines_before == 1  # no retry: banned
    pd.testing.assert_frame_equal(resources["database"].read("ohlcv"), before)


def test_429_then_success_is_retried_and_complete(resources, instance, emulator, recorded_5m):
    emulator.fail_next(2, 429, retry_after="0")
    assert materialize(resources, instance, key="2018-01|ETH-BTC").success
    stored = resources["database"].read("ohlcv")
    assert len(stored) == len(recorded_5m["ETH/BTC"])


def test_empty_month_is_an_empty_partition_not_a_crash(resources, instance) -> None:
    # March 2018 is after the recorded data: the exchange answers with no candles.
    result = materialize(resources, instance, key="2018-03|ETH-BTC")
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows_written"].value == 0
    assert meta["empty_partitions"].value == 1
    assert meta["empty_partition_keys"].value == "2018-03|ETH-BTC"


def test_unknown_symbol_is_a_clear_error(resources, instance) -> None:
    instance.add_dynamic_partitions("symbols", ["NOPE-BTC"])
    with pytest.raises(Exception, match="NOPE/BTC"):
        materialize(resources, instance, key="2018-01|NOPE-BTC")


def test_single_run_backfill_records_each_partitions_own_row_count(
    resources, instance, recorded_5m
) -> None:
    months = ["2017-12", "2018-01", "2018-02"]
    result = materialize(
        resources, instance, start=f"{months[0]}|ETH-BTC", end=f"{months[-1]}|LTC-BTC"
    )
    assert result.success
    events = result.get_asset_materialization_events()
    assert len(events) == 6
    total = events[0].materialization.metadata["rows_written"].value
    counts = {}
    for event in events:
        meta = event.materialization.metadata
        counts[event.partition] = meta["dagster/row_count"].value
    expected = {
        f"{month}|{symbol.replace('/', '-')}": len(recorded_5m[symbol]) if month == "2018-01" else 0
        for month in months
        for symbol in ("ETH/BTC", "LTC/BTC")
    }
    assert counts == expected
    assert sum(counts.values()) == total and max(counts.values()) < total
    # what the UI plots: each partition's latest materialization carries its own count
    key = dg.MultiPartitionKey({"month": months[1], "symbol": "LTC-BTC"})
    record = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=ohlcv.key, asset_partitions=[key]), limit=1
    ).records[0]
    assert (
        record.asset_materialization.metadata["dagster/row_count"].value
        == expected[f"{months[1]}|LTC-BTC"]
    )


def klines_since(emulator, before: int) -> int:
    return emulator.request_counts["/api/v3/klines"] - before


def test_incremental_run_fetches_only_the_tail_and_owns_only_it(
    resources, instance, emulator, recorded_5m
) -> None:
    assert materialize(resources, instance, key="2018-01|ETH-BTC").success
    before, klines = resources["database"].read("ohlcv"), emulator.request_counts["/api/v3/klines"]
    result = materialize(
        resources, instance, key="2018-01|ETH-BTC", tags={FETCH_FROM_TAG: LAST_STORED}
    )
    assert result.success
    # A page of the tail (and the empty page that ends the loop), not the month's 7 pages.
    assert klines_since(emulator, klines) <= 2
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    last = pd.Timestamp(recorded_5m["ETH/BTC"][-1, 0], unit="ms", tz="UTC")
    # From the last stored candle minus the overlap; the month's other candles are not
    # this run's: nothing is reported missing and nothing changes.
    assert meta["candles_not_returned"].value == 0
    assert meta["rows_written"].value == 4 and meta["rows_unchanged"].value == 4
    # The partition's row count is what it holds, not the 4 rows this run wrote.
    assert meta["dagster/row_count"].value == meta["stored_rows"].value == 5760
    assert meta["fetched_from"].value == (last - pd.Timedelta(minutes=15)).isoformat()
    pd.testing.assert_frame_equal(resources["database"].read("ohlcv"), before)
    # Without stored candles it starts at the month (never before it).
    result = materialize(
        resources, instance, key="2018-01|LTC-BTC", tags={FETCH_FROM_TAG: LAST_STORED}
    )
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["fetched_from"].value == "2018-01-01T00:00:00+00:00"
    assert meta["rows_written"].value == len(recorded_5m["LTC/BTC"])
    # One run for every symbol (as the intraday schedule): each partition's own counts.
    result = materialize(
        resources,
        instance,
        start="2018-01|ETH-BTC",
        end="2018-01|LTC-BTC",
        tags={FETCH_FROM_TAG: LAST_STORED},
    )
    by_key = {
        e.partition: e.materialization.metadata for e in result.get_asset_materialization_events()
    }
    for key, symbol in (("2018-01|ETH-BTC", "ETH/BTC"), ("2018-01|LTC-BTC", "LTC/BTC")):
        assert by_key[key]["dagster/row_count"].value == len(recorded_5m[symbol])
        assert by_key[key]["partition_rows"].value == 4  # the overlap re-fetched
    assert by_key["2018-01|ETH-BTC"]["candles_not_returned"].value == 0


def test_a_window_run_fetches_and_owns_only_its_windows(
    resources, instance, emulator, recorded_5m
) -> None:
    assert materialize(resources, instance, key="2018-01|ETH-BTC").success
    before = resources["database"].read("ohlcv")
    lo = pd.Timestamp("2018-01-15 12:00", tz="UTC")
    windows = [(lo, lo + pd.Timedelta(hours=3))]
    result = materialize(
        resources,
        instance,
        key="2018-01|ETH-BTC",
        tags={
            FETCH_WINDOWS_TAG: encode_windows(
                [(a.to_pydatetime(), b.to_pydatetime()) for a, b in windows]
            )
        },
    )
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows_written"].value == 36 and meta["candles_not_returned"].value == 0
    assert meta["fetched_from"].value == lo.isoformat()
    assert meta["fetched_to"].value == (lo + pd.Timedelta(hours=3)).isoformat()
    pd.testing.assert_frame_equal(resources["database"].read("ohlcv"), before)


def test_bad_fetch_tags_fail_naming_the_tag(resources, instance) -> None:
    bad = ("yesterday", "2018-01-15T00:00")  # not a time; no UTC offset
    for tags in (*({FETCH_FROM_TAG: b} for b in bad), {FETCH_WINDOWS_TAG: "[[1]]"}):
        result = materialize(
            resources, instance, key="2018-01|ETH-BTC", tags=tags, raise_on_error=False
        )
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert next(iter(tags)) in str(failure.event_specific_data.error)
    assert resources["database"].read("ohlcv").empty
