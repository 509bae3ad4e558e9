"""TimescaleDB reads by binary arrays: every column kind, nulls, key order, the CSV fallback."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import normalize_read
from coinwatch_assets.lib.storage.pg_copy import copy_out
from coinwatch_assets.lib.storage.pg_read import fast_read_supported
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import TableSpec

_meta = sa.MetaData()
UTC_TS = sa.DateTime(timezone=True)


def _kinds_table(name: str, key: tuple[str, ...]) -> TableSpec:
    table = sa.Table(
        name,
        _meta,
        # a text column outside the key comes first: groups must be ranked by the key's text
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("venue", sa.Text, nullable=False),
        sa.Column("ts", UTC_TS, nullable=False),
        sa.Column("price", sa.Double, nullable=False),
        sa.Column("price_n", sa.Double, nullable=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("count_n", sa.BigInteger, nullable=True),
        sa.Column("flag", sa.Boolean, nullable=False),
        sa.Column("flag_n", sa.Boolean, nullable=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("day_n", sa.Date, nullable=True),
        sa.Column("seen_n", UTC_TS, nullable=True),
        sa.PrimaryKeyConstraint(*key),
    )
    return TableSpec(table, time_column="ts")


KINDS = _kinds_table("kinds", ("venue", "ts"))
# The key does not start with the text column: the CSV path keeps reading it.
KINDS_TS_FIRST = _kinds_table("kinds_ts_first", ("ts", "venue"))


def kinds_frame(rows: int = 50, with_nulls: bool = True, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2024-01-01", periods=rows, freq="1h", tz="UTC")
    nulls = rng.random(rows) < 0.3 if with_nulls else np.zeros(rows, dtype=bool)
    days = [d.date() for d in pd.date_range("1999-12-25", periods=rows, freq="D")]
    frame = pd.DataFrame(
        {
            # two venues, and notes that vary inside a venue: groups interleave in key order
            "venue": np.where(np.arange(rows) % 3 == 0, "b-venue", "a-venue"),
            "ts": ts,
            "note": [None if n else f"n{i % 4}" for i, n in enumerate(nulls)],
            "price": rng.normal(100, 5, rows),
            "price_n": np.where(nulls, np.nan, rng.normal(0, 1, rows)),
            "count": rng.integers(-(2**62), 2**62, rows),
            "count_n": pd.array(np.where(nulls, 0, np.arange(rows)), dtype="Int64"),
            "flag": rng.random(rows) < 0.5,
            "flag_n": pd.array(rng.random(rows) < 0.5, dtype="boolean"),
            "day": days,
            "day_n": [None if n else d for d, n in zip(days, nulls, strict=True)],
            "seen_n": pd.Series(ts - pd.Timedelta(days=9000), dtype="datetime64[us, UTC]"),
        }
    )
    frame.loc[nulls, "count_n"] = pd.NA
    frame.loc[nulls, "flag_n"] = pd.NA
    frame.loc[nulls, "seen_n"] = pd.NaT
    if not with_nulls:
        frame = frame.astype({"count_n": "int64", "flag_n": bool})
    # stored in shuffled order, so the reader has to restore key order itself
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def expected(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    ordered = frame.sort_values(spec.primary_key).reset_index(drop=True)
    return normalize_read(spec, ordered)


def csv_read(storage: Storage, spec: TableSpec, where: Slice) -> pd.DataFrame:
    stmt = (
        sa.select(*spec.table.columns)
        .where(where.where(spec.table))
        .order_by(*(spec.table.c[c] for c in spec.primary_key))
    )
    with storage.engine.connect() as conn:
        return normalize_read(spec, copy_out(conn.connection.driver_connection, spec, stmt))


@pytest.fixture
def storage(timescale_url: str) -> Storage:
    storage = Storage(timescale_url)
    _meta.create_all(storage.engine)
    return storage


@pytest.mark.parametrize("with_nulls", [True, False], ids=["nulls", "no-nulls"])
def test_every_column_kind_reads_back_as_written(storage: Storage, with_nulls: bool) -> None:
    assert fast_read_supported(KINDS)
    frame = kinds_frame(with_nulls=with_nulls)
    storage.write(KINDS, frame, Slice.whole_table("kinds"))
    back = storage.read(KINDS, Slice.whole_table("kinds"))
    want = expected(KINDS, frame)
    pd.testing.assert_frame_equal(back, want)
    assert str(back["count_n"].dtype) == ("Int64" if with_nulls else "int64")
    assert str(back["flag_n"].dtype) == ("boolean" if with_nulls else "bool")
    assert back["note"].isna().any() == with_nulls
    assert (back["day_n"].isna() == want["day_n"].isna()).all()
    # the same answer as the CSV path it replaces
    pd.testing.assert_frame_equal(back, csv_read(storage, KINDS, Slice.whole_table("kinds")))


def test_slices_and_empty_slices(storage: Storage) -> None:
    frame = kinds_frame(rows=200)
    storage.write(KINDS, frame, Slice.whole_table("kinds"))
    start = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    cell = Cell(equals=(("venue", "a-venue"),), start=start, end=start + dt.timedelta(days=1))
    where = Slice("kinds", "ts", (cell,), "one day of a-venue")
    back = storage.read(KINDS, where)
    want = frame[(frame["venue"] == "a-venue") & (frame["ts"] >= start)]
    want = want[want["ts"] < start + dt.timedelta(days=1)]
    assert len(back) == len(want) == 16
    pd.testing.assert_frame_equal(back, expected(KINDS, want))
    # every text column pinned alike: read without grouping, text values from the cells
    pins = (("note", "n1"), ("venue", "a-venue"))
    days = [
        Cell(equals=pins, start=start + dt.timedelta(days=d), end=start + dt.timedelta(days=d + 1))
        for d in (0, 2)
    ]
    pinned = storage.read(KINDS, Slice("kinds", "ts", tuple(days), "two days, all pinned"))
    want = frame[(frame["venue"] == "a-venue") & (frame["note"] == "n1")]
    in_days = (want["ts"] >= start) & (want["ts"] < start + dt.timedelta(days=3))
    want = want[in_days & (want["ts"].dt.day != 3)]
    assert len(pinned) == len(want) > 0
    pd.testing.assert_frame_equal(pinned, expected(KINDS, want))
    nothing = Slice("kinds", "ts", (Cell(equals=(("venue", "nowhere"),)),), "nothing")
    empty = storage.read(KINDS, nothing)
    assert list(empty.columns) == [c.name for c in KINDS.table.columns] and empty.empty
    assert str(empty["ts"].dtype) == "datetime64[us, UTC]"
    assert str(empty["price"].dtype) == "float64"


def test_key_not_starting_with_text_keeps_the_csv_path(storage: Storage) -> None:
    assert not fast_read_supported(KINDS_TS_FIRST)
    frame = kinds_frame(rows=30)
    storage.write(KINDS_TS_FIRST, frame, Slice.whole_table("kinds_ts_first"))
    back = storage.read(KINDS_TS_FIRST, Slice.whole_table("kinds_ts_first"))
    assert back["ts"].is_monotonic_increasing
    assert len(back) == 30
    pd.testing.assert_frame_equal(
        back.drop(columns="note"), expected(KINDS_TS_FIRST, frame).drop(columns="note")
    )
