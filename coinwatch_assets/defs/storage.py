"""The database resource and the one IO manager every asset writes through."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from coinwatch_assets.lib.storage.frames import StorageError, column_kind
from coinwatch_assets.lib.storage.slices import Slice, build_cells
from coinwatch_assets.lib.storage.store import DEFAULT_SQLITE_PATH, Storage
from coinwatch_assets.lib.storage.tables import TableSpec, table_spec


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
    spec: TableSpec, asset: str, pdef: dg.PartitionsDefinition, keys: list[str]
) -> Slice:
    """The table slice that `keys` of `pdef` own; every dimension must map onto a column."""
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
        selections.append((tuple(values), window))
    label = (
        ", ".join(map(str, keys)) if len(keys) <= 3 else f"{len(keys)} keys {keys[0]}..{keys[-1]}"
    )
    return Slice(spec.name, spec.time_column, build_cells(selections), label)


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


def table_metadata(table: str) -> dict[str, object]:
    """Definition metadata for an asset stored in `table`."""
    spec = table_spec(table)
    return {"dagster/table_name": spec.name, "dagster/column_schema": column_schema(spec)}


class CoinwatchIOManager(dg.ConfigurableIOManager):
    """Writes a DataFrame into its partition slice (delete + insert, one transaction)."""

    database: DatabaseResource

    def _slice(self, context: dg.InputContext | dg.OutputContext, spec: TableSpec) -> Slice:
        asset = context.asset_key.to_user_string()
        if not context.has_asset_partitions:
            return Slice.whole_table(spec.name)
        keys = list(context.asset_partition_keys)
        return partition_slice(spec, asset, context.asset_partitions_def, keys)

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | None) -> None:
        if obj is None:
            return
        spec = table_spec(context.asset_key.path[-1])
        where = self._slice(context, spec)
        storage = self.database.storage()
        result = storage.write(spec, obj, where)
        meta: dict[str, object] = {
            "rows_written": result.rows_written,
            "rows_deleted": result.rows_deleted,
            "dagster/row_count": result.rows_written,
            "dagster/table_name": spec.name,
            "dagster/column_schema": column_schema(spec),
            "storage_backend": storage.backend,
        }
        if where.cells:
            starts = [c.start for c in where.cells if c.start is not None]
            ends = [c.end for c in where.cells if c.end is not None]
            if starts:
                meta["window_start"] = min(starts).isoformat()
                meta["window_end"] = max(ends).isoformat()
            keyed = sorted({str(v) for c in where.cells for _, v in c.equals})
            if keyed:
                meta["keys"] = ", ".join(keyed)
            meta["partitions"] = len(context.asset_partition_keys)
        context.add_output_metadata(meta)

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        spec = table_spec(context.asset_key.path[-1])
        return self.database.storage().read(spec, self._slice(context, spec))
