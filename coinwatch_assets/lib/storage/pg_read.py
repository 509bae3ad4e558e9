"""Fast slice reads on PostgreSQL: fixed-width binary arrays decoded with numpy.

A row-by-row answer (a result set, or a COPY: one message per row) costs the client about a
microsecond per row before any parsing. Instead, one statement groups the slice by its text
columns and returns, per group, each non-text column as ONE binary array
(`array_send(array_agg(CAST(col AS <fixed-width type>)))`); a nullable column comes as two
arrays, `col IS NULL` and `COALESCE(col, <zero>)`, so every element keeps its width. Each array
is then a single `np.frombuffer`, and the text values become constant columns. Candles have one
group per exchange, symbol and timeframe; mostly unique text (news titles) still decodes in a
few vectorised passes. One statement is one snapshot, so a concurrent writer's commit is seen
completely or not at all. The server aggregates the whole slice in memory, and one array is at
most 1 GB (~89M values of one group): far beyond any partition selection coinwatch reads.

Tables whose primary key does not start with all of its text columns keep the CSV COPY path
(`pg_copy.copy_out`): merging groups back into key order is only written for that layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import (
    StorageError,
    column_kind,
    epoch_2000_offsets,
    normalize_read,
)
from coinwatch_assets.lib.storage.pg_copy import copy_out
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import TableSpec

# Every non-text value is cast to one of these, so its width is known before the answer.
_WIRE = {
    "float": (sa.Double(), ">f8"),
    "int": (sa.BigInteger(), ">i8"),
    "bool": (sa.Boolean(), "u1"),
    "timestamptz": (sa.DateTime(timezone=True), ">i8"),
    "date": (sa.Date(), ">i4"),
}
_ZERO = {
    "float": "0",
    "int": "0",
    "bool": "false",
    "timestamptz": "'2000-01-01 00:00:00+00'",
    "date": "'2000-01-01'",
}
# array_send of a one-dimensional array: ndim, has-nulls flag, element type, size, lower bound.
_ARRAY_HEADER = np.dtype(
    [("ndim", ">i4"), ("flags", ">i4"), ("oid", ">i4"), ("size", ">i4"), ("lb", ">i4")]
)


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str
    nullable: bool


def fast_read_supported(spec: TableSpec) -> bool:
    """Whether groups of text values, concatenated in key order, give primary-key order."""
    text = [c.name for c in spec.table.columns if column_kind(c) == "text"]
    pk = spec.primary_key
    key_text = [c for c in pk if c in text]
    return bool(pk) and pk[: len(key_text)] == key_text


def read_slice(raw_conn: Any, spec: TableSpec, where: Slice) -> pd.DataFrame:
    """All rows of slice `where`, ordered by primary key, in the dtypes `normalize_read` gives.

    Runs on a psycopg 3 connection, inside the caller's transaction (read only).
    """
    table = spec.table
    condition = where.where(table)
    if not fast_read_supported(spec):
        stmt = (
            sa.select(*table.columns)
            .where(condition)
            .order_by(*(table.c[c] for c in spec.primary_key))
        )
        return normalize_read(spec, copy_out(raw_conn, spec, stmt))
    text = [c.name for c in table.columns if column_kind(c) == "text"]
    fields = [
        _Field(c.name, column_kind(c), bool(c.nullable))
        for c in table.columns
        if c.name not in text
    ]
    pinned = _pinned_text(where, text)
    if pinned is None:
        groups = _fetch_groups(raw_conn, spec, text, fields, condition)
    else:
        # Every cell fixes all text columns alike (a symbol's candles): no GROUP BY to hash.
        groups = [(*pinned, *row) for row in _fetch_groups(raw_conn, spec, [], fields, condition)]
    return _assemble(spec, text, fields, groups)


def _pinned_text(where: Slice, text: list[str]) -> tuple | None:
    """The text values every cell of `where` fixes, when its cells fix all of them alike."""
    fixed = where.fixed_values()
    if not text or any(t not in fixed for t in text):
        return None
    return tuple(fixed[t] for t in text)


def _fetch_groups(
    raw_conn: Any, spec: TableSpec, text: list[str], fields: list[_Field], condition: Any
) -> list[tuple]:
    """Rows of (text values..., row count, one binary array per wire column)."""
    table = spec.table
    arrays: list[Any] = []
    for f in fields:
        typ, _ = _WIRE[f.kind]
        value = sa.cast(table.c[f.name], typ)
        if f.nullable:
            arrays.append(table.c[f.name].is_(None))
            value = sa.func.coalesce(value, sa.cast(sa.literal_column(_ZERO[f.kind]), typ))
        arrays.append(value)
    keys = [table.c[c] for c in text]
    key_first = [c for c in spec.primary_key if c in text] + [
        c for c in text if c not in spec.primary_key
    ]
    stmt = (
        sa.select(
            *keys, sa.func.count(), *(sa.func.array_send(sa.func.array_agg(a)) for a in arrays)
        )
        .where(condition)
        .group_by(*keys)
        .order_by(*(table.c[c] for c in key_first))
    )
    compiled = stmt.compile(dialect=sa.dialects.postgresql.psycopg.dialect())
    with raw_conn.cursor(binary=True) as cur:
        cur.execute(compiled.string, compiled.params)
        # Without text columns the aggregate answers one row even for an empty slice.
        return [row for row in cur.fetchall() if row[len(text)]]


def _decode_arrays(blobs: list[bytes], sizes: np.ndarray, fmt: str) -> np.ndarray:
    """The elements of many one-dimensional binary arrays, concatenated (big-endian)."""
    headers = np.frombuffer(b"".join(b[: _ARRAY_HEADER.itemsize] for b in blobs), _ARRAY_HEADER)
    if (
        (headers["ndim"] != 1).any()
        or (headers["flags"] != 0).any()
        or (headers["size"] != sizes).any()
    ):
        raise StorageError("unexpected array layout in a binary read (nulls or size mismatch)")
    element = np.dtype([("len", ">i4"), ("value", fmt)])
    body = b"".join(memoryview(b)[_ARRAY_HEADER.itemsize :] for b in blobs)
    items = np.frombuffer(body, element)
    if len(items) != sizes.sum() or (items["len"] != element["value"].itemsize).any():
        raise StorageError("unexpected element width in a binary read")
    return items["value"]


def _column(kind: str, values: np.ndarray, nulls: np.ndarray | None) -> Any:
    """One decoded column in the dtype `normalize_read` produces for its kind."""
    has_nulls = nulls is not None and bool(nulls.any())
    if kind == "float":
        out = values.astype(np.float64)
        if has_nulls:
            out[nulls] = np.nan
        return out
    if kind == "int":
        out = values.astype(np.int64)
        return pd.arrays.IntegerArray(out, nulls.copy()) if has_nulls else out
    if kind == "bool":
        out = values.astype(bool)
        return pd.arrays.BooleanArray(out, nulls.copy()) if has_nulls else out
    us_2000, days_2000 = epoch_2000_offsets()
    if kind == "timestamptz":
        micros = values.astype(np.int64) + us_2000
        if has_nulls:
            micros[nulls] = np.iinfo(np.int64).min  # NaT
        return pd.DatetimeIndex(micros.view("datetime64[us]")).tz_localize("UTC")
    # date: datetime.date objects, None for nulls (what normalize_read gives)
    days = (values.astype(np.int64) + days_2000).view("datetime64[D]").astype(object)
    if has_nulls:
        days[nulls] = None
    return days


def _assemble(
    spec: TableSpec, text: list[str], fields: list[_Field], groups: list[tuple]
) -> pd.DataFrame:
    sizes = np.array([g[len(text)] for g in groups], dtype=np.int64)
    n = int(sizes.sum())
    raw: dict[str, np.ndarray] = {}
    pos = len(text) + 1
    for f in fields:
        if f.nullable:
            flags = _decode_arrays([g[pos] for g in groups], sizes, "u1")
            raw[f"null:{f.name}"] = flags.astype(bool)
            pos += 1
        raw[f.name] = _decode_arrays([g[pos] for g in groups], sizes, _WIRE[f.kind][1])
        pos += 1
    # Groups arrive in key order of their text values (server collation); rows inside a group
    # in no particular order: sort by group rank, then by the rest of the key.
    key_pos = [text.index(c) for c in spec.primary_key if c in text]
    ranks: dict[tuple, int] = {}
    rank = np.repeat(
        np.array(
            [ranks.setdefault(tuple(g[i] for i in key_pos), len(ranks)) for g in groups],
            dtype=np.int64,
        ),
        sizes,
    )
    rest = [
        raw[c].astype(raw[c].dtype.newbyteorder("=")) for c in spec.primary_key if c not in text
    ]
    order = None if _in_order(rank, rest) else np.lexsort([*reversed(rest), rank])

    def take(values: np.ndarray) -> np.ndarray:
        return values if order is None else values[order]

    columns: dict[str, Any] = {}
    for column in spec.table.columns:
        name = column.name
        if name in text:
            i = text.index(name)
            values = np.empty(len(groups), dtype=object)
            # null text as NaN and object, not pandas' str dtype: what normalize_read gives
            values[:] = [np.nan if g[i] is None else g[i] for g in groups]
            columns[name] = pd.Series(take(np.repeat(values, sizes)), dtype=object, copy=False)
            continue
        f = next(f for f in fields if f.name == name)
        nulls = take(raw[f"null:{name}"]) if f.nullable else None
        columns[name] = _column(f.kind, take(raw[name]), nulls)
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def _in_order(rank: np.ndarray, rest: list[np.ndarray]) -> bool:
    """Whether rows are already sorted by (rank, rest...): the usual case, saves the copies."""
    if len(rank) < 2:
        return True
    if len(rest) != 1:
        return False
    before = rank[:-1] < rank[1:]
    same = rank[:-1] == rank[1:]
    return bool((before | (same & (rest[0][:-1] < rest[0][1:]))).all())
