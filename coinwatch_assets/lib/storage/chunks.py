"""An output written chunk by chunk: a backfill's memory stays that of one chunk.

An asset that fetches many series (symbols x years) returns `FrameChunks` instead of one
DataFrame: the IO manager writes each chunk into the slice of the partition keys the chunk
states (`DataFrame.attrs`), one transaction per chunk, and asks `finish()` for the output
metadata that is only known once every chunk was produced (fetch counts, empty partitions).
A partition belongs to one chunk, so a failure never leaves a half-written partition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pandas as pd

from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.writes import WriteResult


@dataclass
class FrameChunks:
    """Frames produced one at a time, each stating the partition keys it fills."""

    chunks: Iterable[pd.DataFrame]
    finish: Callable[[], dict[str, object]] = field(default=dict)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        return iter(self.chunks)


def combined_result(results: list[WriteResult]) -> WriteResult:
    """What the writes of every chunk did, summed (for the output's metadata)."""
    by_cell: dict[str, int] = {}
    for result in results:
        by_cell.update(result.not_returned_by_cell)
    return WriteResult(
        mode=results[0].mode,
        rows_written=sum(r.rows_written for r in results),
        rows_deleted=sum(r.rows_deleted for r in results),
        rows_inserted=sum(r.rows_inserted for r in results),
        rows_updated=sum(r.rows_updated for r in results),
        rows_not_returned=sum(r.rows_not_returned for r in results),
        rows_kept=sum(r.rows_kept for r in results),
        not_returned_by_cell=by_cell,
    )


def combined_slice(slices: list[Slice]) -> Slice:
    """The union of the chunks' slices (for the output's metadata: window and keys)."""
    cells = tuple(cell for where in slices for cell in where.cells or ())
    return Slice(slices[0].table, slices[0].time_column, cells, f"{len(slices)} chunks")
