"""Facts and slices on both backends: upserts never shrink stored history, slices pin venue and
timeframe, and writers of one slice wait for each other instead of failing."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import RefusedWrite, StorageError, prepare_frame
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.storage.writes import pg_write
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.lib.storage.test_store import all_rows, day_slice

OHLCV, OHLCV_1H = table_spec("ohlcv"), table_spec("ohlcv_1h")
BINANCE_5M = {"exchange": "binance", "timeframe": "5m"}


def pinned_day(symbol: str = "BTC/USDT", day: str = "2024-01-01", **pins) -> Slice:
    return day_slice(symbol, day).pinned(pins or BINANCE_5M)


@pytest.fixture
def seeded(database_url: str) -> Storage:
    storage = Storage(database_url)
    storage.write(OHLCV, ohlcv_frame(), pinned_day())
    return storage


def test_upsert_adds_and_corrects_and_keeps_what_it_was_not_sent(seeded: Storage) -> None:
    before = all_rows(seeded)
    part = ohlcv_frame(periods=100)
    part.loc[5, ["close", "low"]] = [99.0, 98.0]  # a correction
    result = seeded.write(OHLCV, part, pinned_day())
    assert (result.mode, result.rows_inserted, result.rows_updated) == ("upsert", 0, 1)
    assert (result.rows_unchanged, result.rows_not_returned) == (99, 188)
    assert result.not_returned_by_cell == {"2024-01-01 binance BTC/USDT 5m": 188}
    after = all_rows(seeded)
    assert len(after) == 288
    assert after.loc[5, "close"] == 99.0
    pd.testing.assert_frame_equal(after.drop(index=5), before.drop(index=5))


def test_an_empty_answer_keeps_the_whole_day(seeded: Storage) -> None:
    before = all_rows(seeded)
    result = seeded.write(OHLCV, ohlcv_frame().iloc[:0], pinned_day())
    assert (result.rows_written, result.rows_not_returned) == (0, 288)
    pd.testing.assert_frame_equal(all_rows(seeded), before)


def test_upsert_of_new_candles_inserts_them(seeded: Storage) -> None:
    later = ohlcv_frame(start="2024-01-01 12:00", periods=144, base_price=100.0 + 144 * 0.01)
    more = pd.concat([ohlcv_frame(periods=144), later], ignore_index=True)
    seeded.write(OHLCV, ohlcv_frame(periods=144), pinned_day(), replace=True)
    result = seeded.write(OHLCV, more, pinned_day())
    assert (result.rows_inserted, result.rows_unchanged, result.rows_not_returned) == (144, 144, 0)
    assert len(all_rows(seeded)) == 288


def test_a_write_never_touches_another_venue_or_timeframe(seeded: Storage) -> None:
    kraken = ohlcv_frame(exchange="kraken", base_price=50.0)
    hourly = ohlcv_frame(periods=24, freq="1h", timeframe="1h", base_price=60.0)
    seeded.write(OHLCV, kraken, pinned_day(exchange="kraken", timeframe="5m"))
    seeded.write(OHLCV, hourly, pinned_day(exchange="binance", timeframe="1h"))
    # A replace of binance 5m leaves kraken and the 1h candles of the same day alone.
    seeded.write(OHLCV, ohlcv_frame(periods=10), pinned_day(), replace=True)
    rows = all_rows(seeded)
    counts = rows.groupby(["exchange", "timeframe"]).size().to_dict()
    assert counts == {("binance", "1h"): 24, ("binance", "5m"): 10, ("kraken", "5m"): 288}


@pytest.mark.parametrize("column,value", [("exchange", "kraken"), ("timeframe", "1m")])
def test_rows_of_another_venue_or_timeframe_are_refused(
    seeded: Storage, column: str, value: str
) -> None:
    before = all_rows(seeded)
    frame = ohlcv_frame()
    frame.loc[3, column] = value
    with pytest.raises(RefusedWrite, match=rf"(?s)outside the partition slice.*{value}"):
        seeded.write(OHLCV, frame, pinned_day())
    pd.testing.assert_frame_equal(all_rows(seeded), before)


def _waiting_for_lock(storage: Storage) -> int:
    with storage.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).scalar_one()


@pytest.mark.parametrize("spec", [OHLCV, OHLCV_1H], ids=["upsert", "replace"])
def test_two_writers_of_one_slice_serialize_on_timescaledb(timescale_url: str, spec) -> None:
    def frame(base_price: float) -> pd.DataFrame:
        rows = ohlcv_frame(base_price=base_price)
        if spec is OHLCV_1H:  # bars carry their candle counts
            rows = rows.assign(candles=1, expected_candles=1)
        return rows

    storage = Storage(timescale_url)
    storage.write(spec, frame(1.0), pinned_day())
    first, second = frame(2.0), frame(3.0)
    outcome: dict[str, object] = {}

    def other_writer() -> None:
        try:
            outcome["result"] = storage.write(spec, second, pinned_day())
        except Exception as exc:  # surfaced by the assertion below
            outcome["error"] = exc

    # Writer one holds its transaction open after writing; writer two must wait, not fail.
    with storage.engine.begin() as conn:
        pg_write(conn, spec, prepare_frame(spec, first, "t"), pinned_day(), spec.write_mode)
        thread = threading.Thread(target=other_writer)
        thread.start()
        deadline = time.monotonic() + 20
        while _waiting_for_lock(storage) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_for_lock(storage) >= 1, "the second writer did not wait for the lock"
    thread.join(30)
    assert "error" not in outcome, outcome.get("error")
    rows = storage.read(spec, pinned_day())
    assert len(rows) == 288 and rows["open"].round(3).min() == pytest.approx(2.995)


def test_killed_connection_mid_upsert_keeps_previous_rows(timescale_url: str) -> None:
    storage = Storage(timescale_url)
    storage.write(OHLCV, ohlcv_frame(), pinned_day())
    before = all_rows(storage)
    with storage.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.volume = 250 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; "
            "RETURN NEW; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER boom BEFORE UPDATE ON ohlcv FOR EACH ROW EXECUTE FUNCTION boom()"
        )
    with pytest.raises(StorageError, match="rolled back"):
        storage.write(OHLCV, ohlcv_frame(base_price=7.0), pinned_day())
    with storage.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER boom ON ohlcv")
    pd.testing.assert_frame_equal(all_rows(storage), before)


def test_concurrent_sqlite_writers_wait_instead_of_failing(tmp_path) -> None:
    storage = Storage(f"sqlite:///{tmp_path / 'busy.sqlite'}")
    storage.write(OHLCV, ohlcv_frame(base_price=1.0), pinned_day())
    errors: list[Exception] = []

    def writer(price: float) -> None:
        try:
            for _ in range(5):
                storage.write(OHLCV, ohlcv_frame(base_price=price), pinned_day())
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in (2.0, 3.0, 4.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    rows = all_rows(storage)
    bases = (rows["close"] - np.arange(len(rows)) * 0.01).round(6).unique()
    assert len(rows) == 288 and len(bases) == 1  # one whole generation, never a mix
    with storage.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ohlcv")).scalar_one() == 288


METRICS = table_spec("market_metrics")
HOUR = pd.Timestamp("2024-04-07 16:00", tz="UTC")


def metrics_row(source: str, price: float, **values) -> pd.DataFrame:
    row = {c.name: None for c in METRICS.table.columns}
    row.update(
        provider="coingecko",
        coin_id="bitcoin",
        symbol="BTC",
        ts=HOUR,
        price=price,
        source=source,
        **values,
    )
    return pd.DataFrame([row])


def hours_slice(hours: int) -> Slice:
    from coinwatch_assets.lib.storage.slices import Cell

    end = HOUR + pd.Timedelta(hours=1)
    cells = (Cell(start=end - pd.Timedelta(hours=hours), end=end),)
    return Slice("market_metrics", "ts", cells).pinned({"provider": "coingecko"})


def test_a_range_row_never_replaces_a_stored_live_row(database_url: str) -> None:
    # The rule lives in the write (under the slice lock): a backfill that read the hour before
    # the live run committed still cannot downgrade it.
    storage = Storage(database_url)
    storage.write(
        METRICS, metrics_row("coins/markets", 70_000.0, market_cap_rank=1), hours_slice(1)
    )
    result = storage.write(METRICS, metrics_row("market_chart/range", 69_000.0), hours_slice(3))
    assert (result.rows_kept, result.rows_updated, result.rows_inserted) == (1, 0, 0)
    stored = storage.read(METRICS, hours_slice(3)).iloc[0]
    assert (stored.source, stored.price, stored.market_cap_rank) == ("coins/markets", 70_000.0, 1)
    # a live row still corrects a live row, and replaces a range row
    storage.write(METRICS, metrics_row("coins/markets", 70_100.0), hours_slice(1))
    assert storage.read(METRICS, hours_slice(1)).iloc[0].price == 70_100.0
    later = metrics_row("market_chart/range", 1.0).assign(ts=HOUR - pd.Timedelta(hours=1))
    storage.write(METRICS, later, hours_slice(3))
    storage.write(METRICS, later.assign(source="coins/markets", price=2.0), hours_slice(3))
    assert sorted(storage.read(METRICS, hours_slice(3))["price"]) == [2.0, 70_100.0]


def test_a_backfill_waiting_for_a_live_writer_keeps_its_row_on_timescaledb(
    timescale_url: str,
) -> None:
    storage = Storage(timescale_url)
    storage.ensure_schema()
    live = prepare_frame(METRICS, metrics_row("coins/markets", 70_000.0), "live")
    outcome: dict[str, object] = {}
    with storage.engine.connect() as conn:
        trans = conn.begin()
        pg_write(conn, METRICS, live, hours_slice(1), "upsert")
        # the backfill starts while the live write is not committed yet, and must wait for it

        def backfill() -> None:
            outcome["result"] = storage.write(
                METRICS, metrics_row("market_chart/range", 69_000.0), hours_slice(3)
            )

        thread = threading.Thread(target=backfill)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waiting on the slice lock
        trans.commit()
    thread.join(10)
    assert outcome["result"].rows_kept == 1
    stored = storage.read(METRICS, hours_slice(3))
    assert list(stored["source"]) == ["coins/markets"] and list(stored["price"]) == [70_000.0]
