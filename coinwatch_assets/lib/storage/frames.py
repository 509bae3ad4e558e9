"""Checking and coercing DataFrames against a table before anything is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from coinwatch_assets.lib.storage.tables import TableSpec

MAX_EXAMPLE_ROWS = 5


class StorageError(Exception):
    """The storage layer could not do what was asked."""


class RefusedWrite(StorageError):
    """A frame that does not fit its table or its partition slice; nothing was written."""


def column_kind(column: sa.Column) -> str:
    """The storage kind of a column: text, float, int, bool, timestamptz or date."""
    typ = column.type
    if isinstance(typ, sa.DateTime):
        return "timestamptz"
    if isinstance(typ, sa.Date):
        return "date"
    if isinstance(typ, sa.Boolean):
        return "bool"
    if isinstance(typ, sa.Integer):
        return "int"
    if isinstance(typ, sa.Float | sa.Numeric):
        return "float"
    if isinstance(typ, sa.String):
        return "text"
    raise TypeError(f"column {column.table.name}.{column.name}: unsupported type {typ!r}")


def examples(frame: pd.DataFrame, mask: np.ndarray | pd.Series) -> str:
    """A few offending rows, printable, with their count."""
    bad = frame[np.asarray(mask, dtype=bool)]
    more = f" (showing {MAX_EXAMPLE_ROWS} of {len(bad)})" if len(bad) > MAX_EXAMPLE_ROWS else ""
    return f"{len(bad)} row(s){more}:\n{bad.head(MAX_EXAMPLE_ROWS).to_string()}"


def _dates(series: pd.Series) -> pd.Series:
    """datetime.date objects, None for nulls (pandas would otherwise leave NaT behind)."""
    parsed = pd.to_datetime(series)
    return pd.Series(
        [None if pd.isna(v) else v.date() for v in parsed], index=series.index, dtype=object
    )


def _coerce_column(frame: pd.DataFrame, column: sa.Column, where: str) -> pd.Series:
    series = frame[column.name]
    kind = column_kind(column)
    try:
        if kind == "float":
            return pd.to_numeric(series, errors="raise").astype("float64")
        if kind == "int":
            numeric = pd.to_numeric(series, errors="raise")
            if numeric.isna().any():
                return numeric.astype("Int64")
            if not np.array_equal(numeric, np.round(numeric)):
                raise ValueError("non-integer values")
            return numeric.astype("int64")
        if kind == "bool":
            if series.isna().any():
                return series.astype("boolean")
            return series.astype(bool)
        if kind == "timestamptz":
            if isinstance(series.dtype, pd.DatetimeTZDtype):
                return series.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
            if pd.api.types.is_datetime64_dtype(series.dtype):
                raise ValueError("timestamps must be timezone-aware (UTC); got naive datetimes")
            converted = pd.to_datetime(series, utc=True)
            return converted.astype("datetime64[us, UTC]")
        if kind == "date":
            return _dates(series)
        # text: keep None as null, refuse non-strings rather than str()-ing them silently.
        if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
            non_text = series.notna().to_numpy() & ~np.array(
                [isinstance(v, str) for v in series], dtype=bool
            )
            raise ValueError(f"non-text values in a text column, {examples(frame, non_text)}")
        return series.astype(object)
    except (ValueError, TypeError) as exc:
        raise RefusedWrite(f"{where}: column {column.name!r} ({kind}): {exc}") from None


@dataclass(frozen=True)
class PreparedFrame:
    """A validated frame in storage dtypes, with its rows grouped by their text values."""

    rows: pd.DataFrame
    # Row positions by the values of the table's text columns (in table order): the storage
    # layouts of the binary COPY encoder, computed once here.
    text_groups: dict[tuple, np.ndarray]


def prepare_frame(spec: TableSpec, frame: pd.DataFrame, where: str) -> PreparedFrame:
    """`frame` with exactly the table's columns, in order, with storage dtypes.

    Refuses (RefusedWrite, naming `where`) missing or unexpected columns, values of the wrong
    type, nulls (NaN included) in NOT NULL columns and duplicate primary keys.
    """
    if not isinstance(frame, pd.DataFrame):
        raise RefusedWrite(f"{where}: expected a pandas DataFrame, got {type(frame).__name__}")
    expected = [c.name for c in spec.table.columns]
    missing = [c for c in expected if c not in frame.columns]
    unexpected = [c for c in frame.columns if c not in expected]
    if missing or unexpected:
        raise RefusedWrite(
            f"{where}: columns do not match table {spec.name!r}: "
            f"missing {missing}, unexpected {unexpected}; expected {expected}"
        )
    source = frame.reset_index(drop=True)
    out = pd.DataFrame(
        {c.name: _coerce_column(source, c, where) for c in spec.table.columns},
        index=source.index,
    )
    text = [c.name for c in spec.table.columns if column_kind(c) == "text"]
    groups = text_groups(out, text)
    for column in spec.table.columns:
        if column.name in text:
            # Nulls in text columns show up as NaN group keys: no extra scan of the strings.
            pos = text.index(column.name)
            hit = [idx for key, idx in groups.items() if pd.isna(key[pos])]
            nulls = np.zeros(len(out), dtype=bool)
            nulls[np.concatenate(hit) if hit else []] = True
        else:
            nulls = out[column.name].isna().to_numpy()
        if not column.nullable and nulls.any():
            raise RefusedWrite(
                f"{where}: null (or NaN) in NOT NULL column {column.name!r}, "
                f"{examples(source, nulls)}"
            )
    if spec.primary_key:
        key_text = [c for c in spec.primary_key if c in text]
        by_key = groups if key_text == text else text_groups(out, key_text)
        dupes = duplicate_mask(spec, out, by_key)
        if dupes.any():
            raise RefusedWrite(
                f"{where}: duplicate primary key {spec.primary_key}, {examples(source, dupes)}"
            )
    return PreparedFrame(out, groups)


def text_groups(frame: pd.DataFrame, columns: list[str]) -> dict[tuple, np.ndarray]:
    """Row positions grouped by the values of `columns` (all rows in one group if none)."""
    if not columns or frame.empty:
        return {(): np.arange(len(frame))} if len(frame) else {}
    indices = frame.groupby(columns, sort=False, dropna=False).indices
    return {(k if isinstance(k, tuple) else (k,)): v for k, v in indices.items()}


def duplicate_mask(
    spec: TableSpec, frame: pd.DataFrame, by_text_key: dict[tuple, np.ndarray]
) -> np.ndarray:
    """Rows whose primary key occurs more than once (`by_text_key`: rows by the key's text)."""
    columns = {c.name: column_kind(c) for c in spec.table.columns}
    rest = [c for c in spec.primary_key if columns[c] != "text"]
    dupes = np.zeros(len(frame), dtype=bool)
    for idx in by_text_key.values():
        if len(rest) != 1:
            part = frame.iloc[idx]
            dupes[idx] = part.duplicated(rest or spec.primary_key, keep=False).to_numpy()
            continue
        # One time/number column left: a sort (linear on already-sorted candles) beats hashing.
        series = frame[rest[0]]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert(None)  # tz-aware to_numpy() would box every value
        values = series.to_numpy()[idx]
        order = np.argsort(values, kind="stable")
        same = values[order][1:] == values[order][:-1]
        dupes[idx[order[1:][same]]] = True
        dupes[idx[order[:-1][same]]] = True
    return dupes


def normalize_read(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows read back from either backend -> the same dtypes a write would produce."""
    out = {}
    for column in spec.table.columns:
        series = frame[column.name]
        kind = column_kind(column)
        if kind == "timestamptz":
            series = pd.to_datetime(series, utc=True, format="ISO8601").astype(
                "datetime64[us, UTC]"
            )
        elif kind == "date":
            series = _dates(series)
        elif kind == "float":
            series = series.astype("float64")
        elif kind == "int":
            series = series.astype("Int64" if series.isna().any() else "int64")
        elif kind == "bool":
            series = series.astype("boolean" if series.isna().any() else bool)
        else:
            series = series.astype(object)
        out[column.name] = series
    return pd.DataFrame(out, index=range(len(frame)))


def epoch_2000_offsets() -> tuple[np.int64, np.int64]:
    """PostgreSQL's binary epoch (2000-01-01) in Unix microseconds and days."""
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return np.int64(int(epoch.timestamp()) * 1_000_000), np.int64(10957)


def day_labels(times: pd.Series, fmt: str) -> pd.Series:
    """`times` (UTC) formatted with a day-or-coarser `fmt`, e.g. `%Y-%m` or `%Y-%m-%d`.

    strftime runs once per distinct UTC day, not per row: labelling a symbol-year of 5m
    candles row by row costs about a second, this a few milliseconds.
    """
    codes, labels = label_codes(times, fmt)
    return pd.Series(labels[codes], index=times.index, dtype=object)


def label_codes(times: pd.Series, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes, labels): `times` formatted like `day_labels`, as one int code per row into the
    distinct labels (in time order), for counting without hashing a string per row."""
    utc = pd.to_datetime(times, utc=True)
    days = utc.dt.tz_localize(None).to_numpy(dtype="datetime64[D]")
    uniques, inverse = np.unique(days, return_inverse=True)
    per_day = pd.DatetimeIndex(uniques).strftime(fmt).to_numpy(dtype=object)
    day_codes, labels = pd.factorize(per_day)
    return day_codes[inverse.reshape(-1)], np.asarray(labels, dtype=object)
