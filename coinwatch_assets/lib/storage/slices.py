"""A partition slice of a table: the rows one materialization owns.

A slice is a union of cells; a cell fixes some key columns to values and, optionally, the time
column to a half-open range. Any Dagster selection (one key, a range of days, N symbols x M
days, dynamic keys) becomes such a union; contiguous days of the same symbol merge into one cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa


@dataclass(frozen=True)
class Cell:
    """Rows whose columns equal `equals` and whose time column lies in [start, end)."""

    equals: tuple[tuple[str, object], ...] = ()
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Slice:
    """The rows of `table` that one partition selection owns; `cells=None` means all rows."""

    table: str
    time_column: str | None
    cells: tuple[Cell, ...] | None
    label: str = "(unpartitioned)"

    @classmethod
    def whole_table(cls, table: str) -> Slice:
        return cls(table=table, time_column=None, cells=None)

    def pinned(self, values: dict[str, object]) -> Slice:
        """This slice narrowed to rows whose columns equal `values` (venue, timeframe)."""
        if not values:
            return self
        pins = tuple(sorted(values.items()))
        cells = self.cells if self.cells is not None else (Cell(),)
        narrowed = tuple(
            Cell(equals=tuple(sorted({**dict(c.equals), **dict(pins)}.items())), **_bounds(c))
            for c in cells
        )
        label = self.label + " [" + ", ".join(f"{k}={v}" for k, v in pins) + "]"
        return Slice(self.table, self.time_column, narrowed, label)

    def fixed_values(self) -> dict[str, object]:
        """Columns every cell fixes to one same non-null value (the venue, the timeframe)."""
        if not self.cells:
            return {}
        first, *rest = (dict(c.equals) for c in self.cells)
        return {
            col: value
            for col, value in first.items()
            if value is not None and all(col in other and other[col] == value for other in rest)
        }

    def lock_keys(self) -> list[str]:
        """One key per distinct set of column values: writers of one cell serialize on it."""
        if self.cells is None:
            return [self.table]
        return sorted({f"{self.table}|{c.equals!r}" for c in self.cells})

    def where(self, table: sa.Table) -> sa.ColumnElement[bool]:
        """SQL condition selecting the slice."""
        if self.cells is None:
            return sa.true()
        if not self.cells:
            return sa.false()
        return sa.or_(*(self._cell_clause(table, cell) for cell in self.cells))

    def _cell_clause(self, table: sa.Table, cell: Cell) -> sa.ColumnElement[bool]:
        parts: list[sa.ColumnElement[bool]] = [table.c[col] == val for col, val in cell.equals]
        if cell.start is not None:
            parts.append(table.c[self.time_column] >= cell.start)
        if cell.end is not None:
            parts.append(table.c[self.time_column] < cell.end)
        return sa.and_(sa.true(), *parts)

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean array: which rows of `frame` fall inside the slice (vectorised)."""
        if self.cells is None:
            return np.ones(len(frame), dtype=bool)
        inside = np.zeros(len(frame), dtype=bool)
        by_values: dict[tuple[tuple[str, object], ...], list[Cell]] = defaultdict(list)
        for cell in self.cells:
            by_values[cell.equals].append(cell)
        codes = {
            col: pd.factorize(frame[col])
            for col in {col for values in by_values for col, _ in values}
        }
        ts = None
        if self.time_column is not None and len(frame):
            ts = frame[self.time_column].to_numpy(dtype="datetime64[us]").view("i8")
        for values, cells in by_values.items():
            hit = np.ones(len(frame), dtype=bool)
            for col, val in values:
                col_codes, uniques = codes[col]
                found = np.flatnonzero(uniques == val)
                hit &= col_codes == (found[0] if len(found) else -2)
            rows = np.flatnonzero(hit)
            if ts is None or all(c.start is None and c.end is None for c in cells):
                inside[rows] = True
                continue
            # Cells of one value group are disjoint and sorted: find each row's candidate cell.
            lo = np.array([_us(c.start, np.iinfo("i8").min) for c in cells])
            hi = np.array([_us(c.end, np.iinfo("i8").max) for c in cells])
            order = np.argsort(lo)
            lo, hi = lo[order], hi[order]
            pos = np.searchsorted(lo, ts[rows], side="right") - 1
            ok = (pos >= 0) & (ts[rows] < hi[np.clip(pos, 0, None)])
            inside[rows[ok]] = True
        return inside


def _bounds(cell: Cell) -> dict[str, datetime | None]:
    return {"start": cell.start, "end": cell.end}


def _us(value: datetime | None, default: int) -> int:
    if value is None:
        return default
    return int(pd.Timestamp(value).tz_convert("UTC").value // 1000)


def merge_windows(
    windows: Iterable[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    """Sorted union of half-open windows, touching windows joined."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def build_cells(
    selections: Sequence[tuple[tuple[tuple[str, object], ...], tuple[datetime, datetime] | None]],
) -> tuple[Cell, ...]:
    """Cells from (key column values, time window or None) pairs, merging contiguous windows."""
    by_values: dict[tuple[tuple[str, object], ...], list[tuple[datetime, datetime]]] = defaultdict(
        list
    )
    untimed: set[tuple[tuple[str, object], ...]] = set()
    for values, window in selections:
        if window is None:
            untimed.add(values)
        else:
            by_values[values].append(window)
    cells = [Cell(equals=values) for values in sorted(untimed, key=repr)]
    for values in sorted(by_values, key=repr):
        if values in untimed:
            continue
        cells.extend(
            Cell(equals=values, start=start, end=end)
            for start, end in merge_windows(by_values[values])
        )
    return tuple(cells)
