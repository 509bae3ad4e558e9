"""PostgreSQL binary COPY with a vectorised (numpy) encoder, and COPY-based reads.

Rows are grouped by their text values and null pattern; inside a group every row has the
same byte layout, so the whole group is one numpy structured array turned into bytes at C
speed. OHLCV frames have a handful of groups (one per exchange/symbol/timeframe). Frames with
mostly unique text (news) fall back to psycopg's own row-by-row binary writer.
"""

from __future__ import annotations

import io
import struct
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from psycopg.copy import QueuedLibpqWriter

from coinwatch_assets.lib.storage.frames import PreparedFrame, column_kind, epoch_2000_offsets
from coinwatch_assets.lib.storage.tables import TableSpec

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
TRAILER = struct.pack(">h", -1)
_FIXED = {"float": ">f8", "int": ">i8", "bool": "u1", "timestamptz": ">i8", "date": ">i4"}
_PG_TYPES = {
    "float": "float8",
    "int": "int8",
    "bool": "bool",
    "timestamptz": "timestamptz",
    "date": "date",
    "text": "text",
}
# Beyond this many layouts per row, grouping no longer pays off.
_MAX_GROUP_SHARE = 0.02
_CHUNK_ROWS = 250_000


def _binary_values(kind: str, series: pd.Series) -> np.ndarray:
    us_2000, days_2000 = epoch_2000_offsets()
    if kind == "timestamptz":
        return series.to_numpy(dtype="datetime64[us]").view("i8") - us_2000
    if kind == "date":
        days = pd.to_datetime(series).to_numpy(dtype="datetime64[D]").view("i8")
        return (days - days_2000).astype("i4")
    if kind == "bool":
        return series.to_numpy(dtype=bool).astype("u1")
    return series.to_numpy(dtype=_FIXED[kind].lstrip(">").replace("f8", "float64"))


def _encode_group(frame: pd.DataFrame, kinds: list[str], nulls: tuple[bool, ...]) -> bytes:
    """All rows of `frame` share text values and null pattern -> one structured array."""
    fields: list[tuple[str, Any]] = [("n", ">i2")]
    values: dict[str, Any] = {"n": len(kinds)}
    first = frame.iloc[0]
    for i, (name, kind) in enumerate(zip(frame.columns, kinds, strict=True)):
        fields.append((f"l{i}", ">i4"))
        if nulls[i]:
            values[f"l{i}"] = -1
            continue
        if kind == "text":
            raw = str(first[name]).encode()
            values[f"l{i}"] = len(raw)
            if raw:
                fields.append((f"v{i}", f"S{len(raw)}"))
                values[f"v{i}"] = raw
        else:
            fmt = _FIXED[kind]
            values[f"l{i}"] = np.dtype(fmt).itemsize
            fields.append((f"v{i}", fmt))
            values[f"v{i}"] = _binary_values(kind, frame[name])
    arr = np.empty(len(frame), dtype=fields)
    for key, val in values.items():
        arr[key] = val
    return arr.tobytes()


def layout_groups(
    spec: TableSpec, prepared: PreparedFrame
) -> list[tuple[tuple[bool, ...], np.ndarray]]:
    """(null flag per column, row positions) for each byte layout of a prepared frame."""
    frame = prepared.rows
    text = [c.name for c in spec.table.columns if column_kind(c) == "text"]
    # Only nullable non-text columns can still hold nulls (the rest were checked; null text
    # values are part of the group key).
    nullable = [
        c.name
        for c in spec.table.columns
        if c.nullable and c.name not in text and frame[c.name].isna().any()
    ]
    nulls = frame[nullable].isna().to_numpy() if nullable else None
    layouts = []
    for key, idx in prepared.text_groups.items():
        text_null = {name: bool(pd.isna(key[i])) for i, name in enumerate(text)}
        if nulls is None:
            patterns = {(): idx}
        else:
            # Split the group by which nullable columns are null in each row.
            codes = nulls[idx] @ (1 << np.arange(len(nullable)))
            patterns = {
                tuple(bool(code >> b & 1) for b in range(len(nullable))): idx[codes == code]
                for code in np.unique(codes)
            }
        for pattern, rows in patterns.items():
            null_of = dict(zip(nullable, pattern, strict=True))
            flags = tuple(
                text_null.get(c.name, False) or null_of.get(c.name, False)
                for c in spec.table.columns
            )
            layouts.append((flags, rows))
    return layouts


def copy_in(
    raw_conn: Any, spec: TableSpec, prepared: PreparedFrame, table_name: str | None = None
) -> None:
    """Write a prepared frame with binary COPY on a psycopg 3 connection.

    Runs inside the caller's transaction; `table_name` redirects it (a staging table).
    """
    frame = prepared.rows
    if frame.empty:
        return
    columns = [c.name for c in spec.table.columns]
    kinds = [column_kind(c) for c in spec.table.columns]
    col_sql = ", ".join(f'"{c}"' for c in columns)
    statement = f'COPY "{table_name or spec.name}" ({col_sql}) FROM STDIN (FORMAT BINARY)'
    groups = layout_groups(spec, prepared)
    with raw_conn.cursor() as cur, cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        # The queued writer sends from a worker thread, so encoding the next group overlaps
        # with the server ingesting the previous one.
        if len(groups) > max(64, _MAX_GROUP_SHARE * len(frame)):
            copy.set_types([_PG_TYPES[k] for k in kinds])
            for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
                copy.write_row(row)
            return
        copy.write(HEADER)
        for null_flags, idx in groups:
            for lo in range(0, len(idx), _CHUNK_ROWS):
                part = frame.iloc[idx[lo : lo + _CHUNK_ROWS]]
                copy.write(_encode_group(part, kinds, null_flags))
        copy.write(TRAILER)


def copy_out(raw_conn: Any, spec: TableSpec, statement: sa.Select) -> pd.DataFrame:
    """Run `statement` (all columns of `spec`) as `COPY (...) TO STDOUT` (CSV), parse it."""
    compiled = statement.compile(dialect=sa.dialects.postgresql.psycopg.dialect())
    sql = f"COPY ({compiled.string}) TO STDOUT (FORMAT CSV, HEADER)"
    buf = io.BytesIO()
    with raw_conn.cursor() as cur:
        cur.execute("SET LOCAL TimeZone = 'UTC'")
        with cur.copy(sql, compiled.params) as copy:
            for chunk in copy:
                buf.write(chunk)
    buf.seek(0)
    dtypes: dict[str, Any] = {}
    converters: dict[str, Any] = {}
    for column in spec.table.columns:
        kind = column_kind(column)
        if kind == "bool":
            converters[column.name] = lambda v: None if v == "" else v == "t"
        else:
            dtypes[column.name] = {"float": "float64", "int": "Int64"}.get(kind, object)
    return pd.read_csv(
        buf, dtype=dtypes, converters=converters, keep_default_na=False, na_values=[""]
    )
