"""The storage layer on both backends: slices, atomic replace, refusals, failures midway."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import psycopg
import pytest

from coinwatch_assets.lib.storage.frames import RefusedWrite, StorageError
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.storage.writes import EmptyReplacement
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.timescale import TimescaleCluster

OHLCV = table_spec("ohlcv")


def day_slice(symbol: str, day: str) -> Slice:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    cell = Cell(equals=(("symbol", symbol),), start=start, end=start + timedelta(days=1))
    return Slice("ohlcv", "ts", (cell,), f"{day}|{symbol}")


def all_rows(storage: Storage) -> pd.DataFrame:
    return storage.read(OHLCV, Slice.whole_table("ohlcv"))


@pytest.fixture
def seeded(database_url: str) -> Storage:
    """Two symbols x two days already stored."""
    storage = Storage(database_url)
    for symbol in ("BTC/USDT", "ETH/USDT"):
        for day in ("2024-01-01", "2024-01-02"):
            storage.write(OHLCV, ohlcv_frame(symbol, day), day_slice(symbol, day))
    return storage


def test_round_trip_keeps_values_and_dtypes(database_url: str) -> None:
    storage = Storage(database_url)
    frame = ohlcv_frame()
    storage.write(OHLCV, frame, day_slice("BTC/USDT", "2024-01-01"))
    back = storage.read(OHLCV, day_slice("BTC/USDT", "2024-01-01"))
    assert str(back["ts"].dtype) == "datetime64[us, UTC]"
    expected = frame.astype({"ts": "datetime64[us, UTC]", "exchange": object})
    expected[["symbol", "timeframe"]] = expected[["symbol", "timeframe"]].astype(object)
    pd.testing.assert_frame_equal(back, expected)


def test_rewrite_three_times_leaves_identical_rows(seeded: Storage) -> None:
    before = all_rows(seeded)
    for _ in range(3):
        result = seeded.write(OHLCV, ohlcv_frame(), day_slice("BTC/USDT", "2024-01-01"))
        assert (result.rows_written, result.rows_unchanged, result.rows_updated) == (288, 288, 0)
        assert (result.rows_inserted, result.rows_not_returned) == (0, 0)
    pd.testing.assert_frame_equal(all_rows(seeded), before)
    assert len(before) == 4 * 288


def test_replace_rewrites_only_its_slice(seeded: Storage) -> None:
    smaller = ohlcv_frame("ETH/USDT", "2024-01-02", periods=10, base_price=5.0)
    result = seeded.write(OHLCV, smaller, day_slice("ETH/USDT", "2024-01-02"), replace=True)
    assert (result.rows_written, result.rows_deleted) == (10, 288)
    rows = all_rows(seeded)
    counts = rows.groupby(["symbol", rows["ts"].dt.date.astype(str)]).size().to_dict()
    assert counts == {
        ("BTC/USDT", "2024-01-01"): 288,
        ("BTC/USDT", "2024-01-02"): 288,
        ("ETH/USDT", "2024-01-01"): 288,
        ("ETH/USDT", "2024-01-02"): 10,
    }


def test_empty_frame_with_replace_empties_the_slice_only_when_allowed(seeded: Storage) -> None:
    empty = ohlcv_frame().iloc[:0]
    day = day_slice("BTC/USDT", "2024-01-01")
    with pytest.raises(EmptyReplacement, match="holds no candles for 1 day") as err:
        seeded.write(OHLCV, empty, day, replace=True)
    assert err.value.emptied == {"2024-01-01 BTC/USDT": 288}
    assert len(seeded.read(OHLCV, day)) == 288  # nothing was written
    result = seeded.write(OHLCV, empty, day, replace=True, allow_empty=True)
    assert (result.rows_written, result.rows_deleted) == (0, 288)
    assert seeded.read(OHLCV, day_slice("BTC/USDT", "2024-01-01")).empty
    assert len(all_rows(seeded)) == 3 * 288


def _bad_frames() -> dict[str, tuple[pd.DataFrame, str]]:
    good = ohlcv_frame()
    outside = good.copy()
    outside.loc[5, "ts"] = pd.Timestamp("2024-01-02 00:00", tz="UTC")
    other_symbol = good.copy()
    other_symbol.loc[7, "symbol"] = "ETH/USDT"
    missing = good.drop(columns=["volume"])
    extra = good.assign(vwap=1.0)
    null_key = good.copy()
    null_key.loc[3, "symbol"] = None
    null_price = good.copy()
    null_price.loc[4, "close"] = np.nan
    dupes = pd.concat([good, good.iloc[[10]]], ignore_index=True)
    text_price = good.astype({"open": object})
    text_price.loc[2, "open"] = "abc"
    naive = good.assign(ts=good["ts"].dt.tz_localize(None))
    return {
        "outside_window": (outside, "rows outside the partition slice"),
        "other_symbol": (other_symbol, "rows outside the partition slice"),
        "missing_column": (missing, "missing ['volume']"),
        "unexpected_column": (extra, "unexpected ['vwap']"),
        "null_key": (null_key, "NOT NULL column 'symbol'"),
        "nan_price": (null_price, "NOT NULL column 'close'"),
        "duplicate_key": (dupes, "duplicate primary key"),
        "text_in_float": (text_price, "column 'open' (float)"),
        "naive_timestamps": (naive, "timezone-aware"),
    }


@pytest.mark.parametrize("case", sorted(_bad_frames()))
def test_refused_input_names_partition_and_writes_nothing(seeded: Storage, case: str) -> None:
    frame, message = _bad_frames()[case]
    before = all_rows(seeded)
    with pytest.raises(RefusedWrite) as err:
        seeded.write(OHLCV, frame, day_slice("BTC/USDT", "2024-01-01"))
    text = str(err.value)
    assert message in text
    assert "ohlcv partition 2024-01-01|BTC/USDT" in text
    pd.testing.assert_frame_equal(all_rows(seeded), before)


def test_refusal_shows_offending_rows(seeded: Storage) -> None:
    frame, _ = _bad_frames()["outside_window"]
    with pytest.raises(RefusedWrite, match=r"(?s)1 row\(s\):\n.*2024-01-02 00:00:00\+00:00"):
        seeded.write(OHLCV, frame, day_slice("BTC/USDT", "2024-01-01"))


def _install_failing_trigger(storage: Storage, volume: float, kill: bool) -> None:
    with storage.engine.begin() as conn:
        if storage.backend == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER boom BEFORE INSERT ON ohlcv WHEN NEW.volume = {volume} "
                "BEGIN SELECT RAISE(ABORT, 'bad row reached the database'); END"
            )
            return
        action = (
            "PERFORM pg_terminate_backend(pg_backend_pid())"
            if kill
            else "RAISE EXCEPTION 'bad row reached the database'"
        )
        conn.exec_driver_sql(
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.volume = {volume} THEN {action}; END IF; RETURN NEW; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER boom BEFORE INSERT ON ohlcv FOR EACH ROW EXECUTE FUNCTION boom()"
        )


def test_bad_row_after_good_ones_keeps_previous_slice(seeded: Storage) -> None:
    before = all_rows(seeded)
    _install_failing_trigger(seeded, volume=250.0, kill=False)
    new = ohlcv_frame(base_price=7.0)  # volume 250 is row 249: 248 good rows go first
    with pytest.raises(StorageError, match="rolled back.*bad row reached the database"):
        seeded.write(OHLCV, new, day_slice("BTC/USDT", "2024-01-01"))
    pd.testing.assert_frame_equal(all_rows(seeded), before)


def test_killed_connection_keeps_previous_slice(timescale_url: str) -> None:
    storage = Storage(timescale_url)
    storage.write(OHLCV, ohlcv_frame(), day_slice("BTC/USDT", "2024-01-01"))
    before = all_rows(storage)
    _install_failing_trigger(storage, volume=250.0, kill=True)
    with pytest.raises(StorageError, match="rolled back"):
        storage.write(OHLCV, ohlcv_frame(base_price=7.0), day_slice("BTC/USDT", "2024-01-01"))
    with storage.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER boom ON ohlcv")
    pd.testing.assert_frame_equal(all_rows(storage), before)
    # The pool recovers: the next write on the same storage goes through.
    storage.write(OHLCV, ohlcv_frame(base_price=7.0), day_slice("BTC/USDT", "2024-01-01"))
    assert all_rows(storage)["close"].iloc[0] == 7.0


_CRASHING_WRITER = """
import os, sys, sqlalchemy as sa
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.timescale import TimescaleCluster
from coinwatch_assets_tests.lib.storage.test_store import day_slice
storage = Storage(sys.argv[1])
@sa.event.listens_for(storage.engine, "connect")
def _die(dbapi_conn, _):
    dbapi_conn.create_function("die", 0, lambda: os._exit(9))
storage.engine.dispose()
with storage.engine.begin() as conn:
    conn.exec_driver_sql(
        f"CREATE TRIGGER crash BEFORE {sys.argv[2]} ON ohlcv WHEN NEW.volume = 250 "
        "BEGIN SELECT die(); END"
    )
storage.write(table_spec("ohlcv"), ohlcv_frame(base_price=7.0), day_slice("BTC/USDT", "2024-01-01"))
"""


@pytest.mark.parametrize("event", ["INSERT", "UPDATE"])
def test_process_dying_mid_write_keeps_previous_slice_sqlite(tmp_path, event: str) -> None:
    # INSERT dies among the new rows, UPDATE in the middle of the upsert's corrections.
    url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    storage = Storage(url)
    storage.write(OHLCV, ohlcv_frame(), day_slice("BTC/USDT", "2024-01-01"))
    before = all_rows(storage)
    cmd = [sys.executable, "-c", _CRASHING_WRITER, url, event]
    proc = subprocess.run(cmd, capture_output=True)
    assert proc.returncode == 9, proc.stderr.decode()
    with storage.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER crash")
    pd.testing.assert_frame_equal(all_rows(storage), before)


def test_ohlcv_is_a_hypertable_with_one_day_chunks(timescale_url: str) -> None:
    storage = Storage(timescale_url)
    storage.ensure_schema()
    with storage.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT hypertable_name, column_name, time_interval "
            "FROM timescaledb_information.dimensions ORDER BY hypertable_name"
        ).all()
    assert ("ohlcv", "ts", timedelta(days=1)) in rows
    hypertables = {
        "ohlcv",
        "ohlcv_1h",
        "ohlcv_1d",
        "indicators",
        "ohlcv_gaps",
        "market_metrics",
        "dex_pairs",
    }
    assert {r[0] for r in rows} == hypertables
    assert ("market_metrics", "ts", timedelta(days=7)) in rows
    assert ("ohlcv_1d", "ts", timedelta(days=365)) in rows
    assert ("indicators", "ts", timedelta(days=7)) in rows


def test_server_without_timescaledb_is_a_clear_error() -> None:
    # A plain PostgreSQL server (TimescaleDB not loaded): the error must say what is missing,
    # where (without the password), and how to fix it.
    plain = TimescaleCluster(preload_timescaledb=False)
    plain.start()
    try:
        with psycopg.connect(plain.dsn("postgres"), autocommit=True) as conn:
            conn.execute("ALTER ROLE coinwatch PASSWORD 's3cret-pw'")
            conn.execute("CREATE DATABASE plain_pg")
        url = f"postgresql+psycopg://coinwatch:s3cret-pw@127.0.0.1:{plain.port}/plain_pg"
        storage = Storage(url)
        with pytest.raises(StorageError) as err:
            storage.ensure_schema()
        storage.dispose()
    finally:
        plain.stop()
    text = str(err.value)
    assert "TimescaleDB extension is not available" in text
    assert "plain_pg" in text and "s3cret-pw" not in text
    assert "shared_preload_libraries=timescaledb" in text


def test_nullable_float_nan_becomes_null_on_both_backends(database_url: str) -> None:
    storage = Storage(database_url)
    spec = table_spec("markets")
    frame = pd.DataFrame(
        {
            "exchange": ["binance", "binance"],
            "symbol": ["BTC/USDT", "OLD/USDT"],
            "base": ["BTC", "OLD"],
            "quote": ["USDT", "USDT"],
            "active": [True, False],
            "quote_volume_24h": [1.5e9, np.nan],
            "first_seen": [pd.Timestamp("2024-01-01").date()] * 2,
            "delisted": [None, pd.Timestamp("2024-03-01").date()],
            "updated_at": pd.Timestamp("2024-03-02", tz="UTC"),
        }
    )
    storage.write(spec, frame, Slice.whole_table("markets"))
    back = storage.read(spec, Slice.whole_table("markets"))
    assert back["active"].tolist() == [True, False]
    assert back["quote_volume_24h"].isna().tolist() == [False, True]
    assert back["delisted"].tolist() == [None, pd.Timestamp("2024-03-01").date()]
    with storage.engine.connect() as conn:
        nulls = conn.exec_driver_sql(
            "SELECT count(*) FROM markets WHERE quote_volume_24h IS NULL"
        ).scalar()
    assert nulls == 1


def test_first_and_last_times_per_symbol_cell_equal_the_grouped_answer(seeded: Storage) -> None:
    jan2 = datetime(2024, 1, 2, tzinfo=UTC)
    per_symbol = Slice(
        "ohlcv",
        "ts",
        (
            Cell(equals=(("symbol", "BTC/USDT"),), end=jan2),
            Cell(equals=(("symbol", "BTC/USDT"),), start=jan2 + timedelta(hours=6)),
            Cell(equals=(("symbol", "ETH/USDT"),), start=jan2),
            Cell(equals=(("symbol", "SOL/USDT"),)),  # nothing stored: left out
        ),
    )
    by_symbol = {
        "BTC/USDT": (
            pd.Timestamp("2024-01-01", tz="UTC"),
            pd.Timestamp("2024-01-02 23:55", tz="UTC"),
        ),
        "ETH/USDT": (
            pd.Timestamp("2024-01-02", tz="UTC"),
            pd.Timestamp("2024-01-02 23:55", tz="UTC"),
        ),
    }
    first = seeded.first_times(OHLCV, per_symbol, "symbol")
    last = seeded.last_times(OHLCV, per_symbol, "symbol")
    assert first == {s: lo for s, (lo, _) in by_symbol.items()}
    assert last == {s: hi for s, (_, hi) in by_symbol.items()}
    # A slice whose cells do not fix the symbol is answered by one grouped query, alike.
    whole = Slice("ohlcv", "ts", (Cell(start=jan2),))
    assert seeded.first_times(OHLCV, whole, "symbol") == {s: jan2 for s in by_symbol}
    assert seeded.last_times(OHLCV, whole, "symbol") == last
