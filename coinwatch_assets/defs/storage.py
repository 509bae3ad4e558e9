"""The database resource and the one IO manager every asset writes through."""

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import dagster as dg
import numpy as np
import pandas as pd

from coinwatch_assets.defs.partition_metadata import add_partition_metadata
from coinwatch_assets.lib.storage.chunks import FrameChunks, combined_result, combined_slice
from coinwatch_assets.lib.storage.frames import StorageError, column_kind, label_codes
from coinwatch_assets.lib.storage.slices import Slice, build_cells
from coinwatch_assets.lib.storage.store import DEFAULT_SQLITE_PATH, Storage
from coinwatch_assets.lib.storage.tables import TableSpec, table_spec
from coinwatch_assets.lib.storage.writes import EmptyReplacement, WriteResult, cell_counts


class DatabaseResource(dg.ConfigurableResource):
    """Where coinwatch keeps its tables: TimescaleDB by URL, else an embedded SQLite file."""

    url: str | None = None
    sqlite_path: str = DEFAULT_SQLITE_PATH

    def storage(self) -> Storage:
        return Storage(self.url, self.sqlite_path)

    def read(self, table: str, where: Slice | None = None) -> pd.DataFrame:
        """Rows of `table` (all of them unless a slice is given)."""
        return self.storage().read(table_spec(table), where or Slice.whole_table(table))


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _dimensions(pdef: dg.PartitionsDefinition) -> list[tuple[str, dg.PartitionsDefinition]]:
    if isinstance(pdef, dg.MultiPartitionsDefinition):
        return [(d.name, d.partitions_def) for d in pdef.partitions_defs]
    return [(getattr(pdef, "name", None) or "partition", pdef)]


def _key_parts(pdef: dg.PartitionsDefinition, key: str) -> dict[str, str]:
    if isinstance(pdef, dg.MultiPartitionsDefinition):
        if not isinstance(key, dg.MultiPartitionKey):
            key = pdef.get_partition_key_from_str(key)
        return dict(key.keys_by_dimension)
    return {_dimensions(pdef)[0][0]: key}


def partition_slice(
    spec: TableSpec,
    asset: str,
    pdef: dg.PartitionsDefinition,
    keys: list[str],
    windows: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
) -> Slice:
    """The table slice that `keys` of `pdef` own; every dimension must map onto a column.

    `windows` narrows keys to the time windows given for them (each inside its key's window):
    a run that fetched only part of a month owns only that part.
    """
    dims = _dimensions(pdef)
    selections = []
    for key in keys:
        parts = _key_parts(pdef, key)
        values: list[tuple[str, object]] = []
        window = None
        for name, dim_def in dims:
            if isinstance(dim_def, dg.TimeWindowPartitionsDefinition):
                if spec.time_column is None:
                    raise StorageError(f"asset {asset!r}: table has no time column for {name!r}")
                tw = dim_def.time_window_for_partition_key(parts[name])
                window = (_utc(tw.start), _utc(tw.end))
            elif name in spec.key_columns:
                column, to_value = spec.key_columns[name]
                try:
                    values.append((column, to_value(parts[name])))
                except ValueError as exc:
                    raise StorageError(f"asset {asset!r} partition {key!r}: {exc}") from None
            else:
                raise StorageError(
                    f"asset {asset!r}: partition dimension {name!r} maps to no column of table "
                    f"{spec.name!r} (known: {sorted(spec.key_columns)}); refusing to guess"
                )
        narrowed = (windows or {}).get(str(key))
        if narrowed is None:
            selections.append((tuple(values), window))
            continue
        for lo, hi in narrowed:
            lo, hi = _utc(lo), _utc(hi)
            if window is not None and (lo < window[0] or hi > window[1]):
                raise StorageError(
                    f"asset {asset!r} partition {key!r}: window [{lo}, {hi}) lies outside the "
                    f"partition's [{window[0]}, {window[1]})"
                )
            if lo < hi:
                selections.append((tuple(values), (lo, hi)))
    label = (
        ", ".join(map(str, keys)) if len(keys) <= 3 else f"{len(keys)} keys {keys[0]}..{keys[-1]}"
    )
    return Slice(spec.name, spec.time_column, build_cells(selections), label)


COLUMN_SCHEMA = "dagster/column_schema"
# Key values named in a write's `keys` metadata (the rest are counted).
KEYS_SHOWN = 20


def column_schema(spec: TableSpec) -> dg.TableSchema:
    """The table's columns as a Dagster table schema (shown in the UI)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=column_kind(c),
                description=c.comment,
                constraints=dg.TableColumnConstraints(nullable=c.nullable),
            )
            for c in spec.table.columns
        ]
    )


def table_metadata(table: str, **pins: object) -> dict[str, object]:
    """Definition metadata for an asset stored in `table`, with its pinned column values."""
    spec = table_spec(table)
    unknown = sorted(set(pins) - set(spec.pinned_columns))
    if unknown or len(pins) != len(spec.pinned_columns):
        raise ValueError(f"table {table!r} pins {list(spec.pinned_columns)}, got {sorted(pins)}")
    return {
        "dagster/table_name": spec.name,
        COLUMN_SCHEMA: column_schema(spec),
        **pins,
    }


# Run tag for the deliberate replacement of stored facts (see README, "Stored candles are
# facts"): `true` deletes the slice and writes it anew, refusing to leave a day that stored
# rows with none; `allow_empty` also empties such days; `false` (or no tag) upserts.
REPLACE_TAG = "coinwatch/replace_slice"
REPLACE_VALUES = ("true", "allow_empty", "false")


def replace_request(tags: Mapping[str, str]) -> tuple[bool, bool]:
    """(replace, allow_empty) asked by a run's tags; any other tag value is an error."""
    value = tags.get(REPLACE_TAG)
    if value is None:
        return False, False
    if value.strip().lower() not in REPLACE_VALUES:
        raise StorageError(
            f"run tag {REPLACE_TAG}={value!r} is not one of {', '.join(REPLACE_VALUES)}: "
            "nothing was written. Use true to replace the partitions' stored rows, allow_empty "
            "to also delete days the source now answers nothing for, or remove the tag."
        )
    value = value.strip().lower()
    return value != "false", value == "allow_empty"


# Output metadata an asset sets to name partitions of its run it did not fetch (delisted
# days): the IO manager leaves them untouched.
SKIPPED_PARTITIONS = "skipped_partitions"
# `DataFrame.attrs` entry an asset sets when it fetched only part of its partitions' windows
# (incremental intraday, repairs of hole windows): {partition key: [(start, end), ...]}. The
# IO manager then owns only those windows (stored candles outside them are not "not
# returned"), and each partition's materialization records FETCHED_FROM / FETCHED_TO, so the
# checks judge only the days the run touched. Frame attrs, not output metadata: metadata would
# copy every key's windows into every partition's materialization event.
FETCHED_WINDOWS = "fetched_windows"
FETCHED_FROM, FETCHED_TO = "fetched_from", "fetched_to"


def _plain(value: object) -> object:
    return getattr(value, "value", value)


def slice_pins(spec: TableSpec, asset: str, metadata: Mapping[str, object]) -> dict[str, object]:
    """The pinned column values (venue, timeframe) of an asset, from its definition metadata."""
    missing = [c for c in spec.pinned_columns if c not in metadata]
    if missing:
        raise StorageError(
            f"asset {asset!r}: table {spec.name!r} pins its slices by {list(spec.pinned_columns)}"
            f"; add {missing} to the asset's definition metadata"
        )
    return {c: _plain(metadata[c]) for c in spec.pinned_columns}


def partition_row_counts(
    spec: TableSpec, pdef: dg.PartitionsDefinition, keys: list[str], frame: pd.DataFrame
) -> dict[str, int] | None:
    """Rows of `frame` per partition key (day x key columns); None when not countable."""
    dims = _dimensions(pdef)
    time_dims = [d for _, d in dims if isinstance(d, dg.TimeWindowPartitionsDefinition)]
    if spec.time_column is None or len(time_dims) != 1 or "%H" in time_dims[0].fmt:
        return None
    others = [(n, spec.key_columns[n]) for n, d in dims if n in spec.key_columns]
    if len(others) != len(dims) - 1:
        return None
    if frame is None or frame.empty:
        return dict.fromkeys(keys, 0)
    # Integer codes per part, combined into one: no string is hashed per row (a chunk's key
    # columns are usually constant: one symbol).
    combined, names = label_codes(frame[spec.time_column], time_dims[0].fmt)
    parts = [names]
    for _, (column, _) in others:
        codes, uniques = _column_codes(frame[column].to_numpy(dtype=object))
        combined = combined * len(uniques) + codes
        parts.append(uniques)
    counts = np.bincount(combined, minlength=int(np.prod([len(p) for p in parts])))
    lookup = {cell: int(n) for cell, n in zip(itertools.product(*parts), counts, strict=True) if n}
    time_name = next(n for n, d in dims if d is time_dims[0])
    out = {}
    for key in keys:
        named = _key_parts(pdef, key)
        cell = (named[time_name], *(to_value(named[n]) for n, (_, to_value) in others))
        out[str(key)] = lookup.get(cell, 0)
    return out


def _column_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values) of a NOT NULL key column; a constant one is not hashed."""
    if (values == values[0]).all():
        return np.zeros(len(values), dtype=np.int64), values[:1]
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def stored_partition_counts(
    storage: Storage,
    spec: TableSpec,
    asset: str,
    pdef: dg.PartitionsDefinition,
    keys: list[str],
    pins: dict[str, object],
) -> dict[str, int] | None:
    """Rows stored per partition key (one grouped query per time key); None when the keys are
    not one time dimension x one key column."""
    dims = _dimensions(pdef)
    times = [n for n, d in dims if isinstance(d, dg.TimeWindowPartitionsDefinition)]
    others = [n for n, _ in dims if n in spec.key_columns]
    if spec.time_column is None or len(dims) != 2 or len(times) != 1 or len(others) != 1:
        return None
    column, to_value = spec.key_columns[others[0]]
    by_time: dict[str, list[str]] = {}
    for key in keys:
        by_time.setdefault(_key_parts(pdef, key)[times[0]], []).append(key)
    out = {}
    for same_time in by_time.values():
        where = partition_slice(spec, asset, pdef, same_time).pinned(pins)
        counts = storage.row_counts(spec, where, column)
        for key in same_time:
            out[str(key)] = counts.get(to_value(_key_parts(pdef, key)[others[0]]), 0)
    return out


def whole_window_keys(
    pdef: dg.PartitionsDefinition, windows: Mapping[str, Sequence[tuple[datetime, datetime]]]
) -> set[str]:
    """The keys whose `windows` cover their partition's whole time window."""
    time_dims = [
        (n, d) for n, d in _dimensions(pdef) if isinstance(d, dg.TimeWindowPartitionsDefinition)
    ]
    if len(time_dims) != 1:
        return set()
    name, dim_def = time_dims[0]
    out = set()
    for key, spans in windows.items():
        tw = dim_def.time_window_for_partition_key(_key_parts(pdef, key)[name])
        reached = _utc(tw.start)
        for lo, hi in sorted((_utc(lo), _utc(hi)) for lo, hi in spans):
            if lo > reached:
                break
            reached = max(reached, hi)
        if reached >= _utc(tw.end):
            out.add(str(key))
    return out


def fetched_window_metadata(
    windows: Mapping[str, Sequence[tuple[datetime, datetime]]],
) -> dict[str, dict[str, str]]:
    """{key: {fetched_from, fetched_to}}: the span a run fetched of each partition."""
    out = {}
    for key, spans in windows.items():
        spans = [(lo, hi) for lo, hi in spans if lo < hi]
        if spans:
            out[str(key)] = {
                FETCHED_FROM: _utc(min(lo for lo, _ in spans)).isoformat(),
                FETCHED_TO: _utc(max(hi for _, hi in spans)).isoformat(),
            }
    return out


def _run_tags(context: dg.OutputContext) -> Mapping[str, str]:
    try:
        return context.step_context.dagster_run.tags
    except dg.DagsterInvariantViolationError:  # an OutputContext built outside a run
        return {}


class CoinwatchIOManager(dg.ConfigurableIOManager):
    """Writes a DataFrame into its partition slice: facts upserted, derived slices replaced."""

    database: DatabaseResource

    def _slice(
        self,
        context: dg.InputContext | dg.OutputContext,
        spec: TableSpec,
        metadata: Mapping[str, object],
        keys: list[str] | None = None,
        windows: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
    ) -> Slice:
        asset = context.asset_key.to_user_string()
        pins = slice_pins(spec, asset, metadata)
        if not context.has_asset_partitions:
            return Slice.whole_table(spec.name).pinned(pins)
        keys = list(context.asset_partition_keys) if keys is None else keys
        pdef = context.asset_partitions_def
        return partition_slice(spec, asset, pdef, keys, windows).pinned(pins)

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | None) -> None:
        if obj is None:
            return
        spec = table_spec(context.asset_key.path[-1])
        keys = list(context.asset_partition_keys) if context.has_asset_partitions else None
        skipped = set(_plain(context.output_metadata.get(SKIPPED_PARTITIONS)) or [])
        if keys is not None and skipped:
            keys = [k for k in keys if k not in skipped]
            if not keys:
                context.log.info(f"{spec.name}: no partition of this run was fetched; no write")
                context.add_output_metadata({"rows_written": 0, "storage_write": "none"})
                return
        replace, allow_empty = replace_request(_run_tags(context))
        storage = self.database.storage()
        chunked = isinstance(obj, FrameChunks)
        results, wheres, windows, counts = [], [], {}, {}
        known: dict[str, int] = {}  # stored rows per key, known without a query
        for frame in obj if chunked else [obj]:
            chunk_keys, chunk_windows = keys, None
            if keys is not None and FETCHED_WINDOWS in frame.attrs:
                stated = frame.attrs[FETCHED_WINDOWS]
                # a chunk owns the keys it states; a whole frame owns every key of the run
                chunk_keys = [k for k in keys if k in stated] if chunked else keys
                chunk_windows = {k: stated.get(k, []) for k in chunk_keys}
                windows.update(chunk_windows)
            if chunk_keys is not None and not chunk_keys:
                continue
            metadata = context.definition_metadata
            where = self._slice(context, spec, metadata, chunk_keys, chunk_windows)
            result = self._write(context, storage, spec, frame, where, replace, allow_empty)
            results.append(result)
            wheres.append(where)
            if keys is not None and len(keys) > 1:
                pdef = context.asset_partitions_def
                chunk_counts = partition_row_counts(spec, pdef, chunk_keys, frame) or {}
                counts.update(chunk_counts)
                if chunk_windows and not result.rows_not_returned:
                    # The chunk owned these keys' whole windows and the slice now holds
                    # exactly its rows: their stored count needs no query.
                    whole = whole_window_keys(pdef, chunk_windows)
                    known.update({k: n for k, n in chunk_counts.items() if k in whole})
        if chunked:
            context.add_output_metadata(obj.finish())
        if not results:
            context.add_output_metadata({"rows_written": 0, "storage_write": "none"})
            return
        where = wheres[0] if len(wheres) == 1 else combined_slice(wheres)
        meta = self._metadata(spec, where, combined_result(results), storage.backend, keys)
        if COLUMN_SCHEMA in (context.definition_metadata or {}):
            # The UI shows the definition's schema: not repeated in every partition's event.
            del meta[COLUMN_SCHEMA]
        fetched: dict[str, dict[str, object]] = dict(fetched_window_metadata(windows))
        if windows and keys:
            # A run that fetched part of its partitions: each partition's row count is what
            # it holds now, not the few rows this run wrote into it.
            asset = context.asset_key.to_user_string()
            pins = slice_pins(spec, asset, context.definition_metadata)
            pdef = context.asset_partitions_def
            unknown = [k for k in keys if k not in known]
            stored = dict(known)
            if unknown:
                stored.update(
                    stored_partition_counts(storage, spec, asset, pdef, unknown, pins) or {}
                )
            for key, n in stored.items():
                fetched.setdefault(key, {})["stored_rows"] = n
        if keys is not None and len(keys) == 1:
            meta.update(fetched.get(keys[0], {}))
            if "stored_rows" in meta:
                meta["dagster/row_count"] = meta["stored_rows"]
        context.add_output_metadata(meta)
        if keys is not None and len(keys) > 1:
            self._per_partition_counts(context, keys, counts, fetched)

    @staticmethod
    def _write(
        context: dg.OutputContext,
        storage: Storage,
        spec: TableSpec,
        frame: pd.DataFrame,
        where: Slice,
        replace: bool,
        allow_empty: bool,
    ) -> WriteResult:
        try:
            result = storage.write(spec, frame, where, replace=replace, allow_empty=allow_empty)
        except EmptyReplacement as exc:
            raise StorageError(
                f"{exc} To delete those days' {spec.noun} deliberately, re-run with the tag "
                f"{REPLACE_TAG}=allow_empty."
            ) from None
        if result.rows_not_returned:
            returned = cell_counts(spec, frame, where)
            for cell, n in list(result.not_returned_by_cell.items())[:20]:
                context.log.warning(
                    f"{spec.name} {cell}: this run returned {returned.get(cell, 0)} "
                    f"{spec.noun} for a slice holding {n} it did not return; those {n} "
                    f"are kept (run tag {REPLACE_TAG}=true replaces the slice)"
                )
        return result

    @staticmethod
    def _per_partition_counts(
        context: dg.OutputContext,
        keys: list[str],
        counts: Mapping[str, int],
        fetched: Mapping[str, Mapping[str, object]],
    ) -> None:
        # A single-run backfill records one materialization per partition: each carries the
        # rows of ITS month and symbol, not the run's total (dagster/row_count plots per key).
        try:
            step_context = context.step_context
        except dg.DagsterInvariantViolationError:  # an OutputContext built outside a run
            return
        per_key: dict[str, dict[str, object]] = {k: dict(v) for k, v in fetched.items()}
        for k, n in counts.items():
            meta = per_key.setdefault(k, {})
            meta.update({"dagster/row_count": meta.get("stored_rows", n), "partition_rows": n})
        if per_key:
            add_partition_metadata(
                step_context, context.asset_key, per_key, context.asset_partition_keys
            )

    @staticmethod
    def _metadata(
        spec: TableSpec, where: Slice, result: WriteResult, backend: str, keys: list[str] | None
    ) -> dict[str, object]:
        meta: dict[str, object] = {
            "write_mode": result.mode,
            "rows_written": result.rows_written,
            "dagster/row_count": result.rows_written,
            "dagster/table_name": spec.name,
            COLUMN_SCHEMA: column_schema(spec),
            "storage_backend": backend,
        }
        if result.mode == "replace":
            meta["rows_deleted"] = result.rows_deleted
        else:
            meta["rows_inserted"] = result.rows_inserted
            meta["rows_updated"] = result.rows_updated
            meta["rows_unchanged"] = result.rows_unchanged
            if spec.keep_stored is not None:
                # frame rows that would have replaced a richer stored row (TableSpec.keep_stored)
                meta["rows_kept"] = result.rows_kept
            meta[f"{spec.noun}_not_returned"] = result.rows_not_returned
            if result.not_returned_by_cell:
                meta[f"{spec.noun}_not_returned_by_day"] = dg.MetadataValue.json(
                    dict(list(result.not_returned_by_cell.items())[:100])
                )
        if where.cells:
            starts = [c.start for c in where.cells if c.start is not None]
            ends = [c.end for c in where.cells if c.end is not None]
            if starts:
                meta["window_start"] = min(starts).isoformat()
                meta["window_end"] = max(ends).isoformat()
            keyed = sorted(
                {
                    str(v)
                    for c in where.cells
                    for col, v in c.equals
                    if col not in spec.pinned_columns
                }
            )
            if keyed:
                # Bounded: this run-level entry is repeated in every partition's event.
                more = f" and {len(keyed) - KEYS_SHOWN} more" if len(keyed) > KEYS_SHOWN else ""
                meta["keys"] = ", ".join(keyed[:KEYS_SHOWN]) + more
        if keys is not None:
            meta["partitions"] = len(keys)
        return meta

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        spec = table_spec(context.asset_key.path[-1])
        upstream = context.upstream_output
        metadata = upstream.definition_metadata if upstream is not None else {}
        return self.database.storage().read(spec, self._slice(context, spec, metadata))
