"""`record_stored_months_job`: the one step that upgrades a deployment from the day grain.

The tables are keyed by time, so the candles, holes and derived rows of a day-grain
deployment are already the month grain's rows; only Dagster's history is keyed by day. This
records every stored (month, symbol) of each venue's month-partitioned assets as
materialized, with its stored row count, without fetching anything. Running it again records
only months whose stored count changed.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

from coinwatch_assets.defs.market.venue import VenueDefs
from coinwatch_assets.defs.storage import DatabaseResource, slice_pins
from coinwatch_assets.lib.market.grain import join_key
from coinwatch_assets.lib.market.stored_months import stored_month_counts
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.symbols import SymbolKeyError, symbol_to_key

JOB_NAME = "record_stored_months_job"
ROW_COUNT = "dagster/row_count"
# Partitions per event-log query when comparing with what is already recorded.
_BATCH = 500


@dataclass
class AssetOutcome:
    """What the step did for one asset."""

    asset: str
    recorded: int = 0
    unchanged: int = 0
    # Stored months outside the asset's partitions (before the venue's start) or symbols no
    # partition key can stand for: counted, never recorded.
    outside: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.asset}: {self.recorded} partition(s) recorded"
        if self.unchanged:
            text += f", {self.unchanged} already recorded with the same row count (skipped)"
        if self.outside:
            text += f", {len(self.outside)} outside the partitions ({', '.join(self.outside[:5])})"
        return text


def month_assets(venue_defs: VenueDefs) -> list[dg.AssetsDefinition]:
    """The venue's assets partitioned by month x symbol whose table holds their rows.

    `ohlcv` first: its derived assets are recorded after it, so they do not look stale.
    """
    return [venue_defs.ohlcv, *venue_defs.derived]


def _recorded_counts(
    instance: dg.DagsterInstance, asset: dg.AssetKey, keys: set[str]
) -> dict[str, object]:
    """{partition: row count of its latest materialization} for the `keys` that have one."""
    counts: dict[str, object] = {}
    ordered = sorted(keys)
    # In chunks: each query binds one parameter per key (SQLite allows 32,766 at most).
    for i in range(0, len(ordered), _BATCH):
        latest = instance.get_latest_storage_id_by_partition(
            asset, dg.DagsterEventType.ASSET_MATERIALIZATION, set(ordered[i : i + _BATCH])
        )
        if not latest:
            continue
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=asset, storage_ids=list(latest.values())),
            limit=len(latest),
        ).records
        for record in records:
            materialization = record.asset_materialization
            if materialization is None or materialization.partition is None:
                continue
            value = materialization.metadata.get(ROW_COUNT)
            counts[materialization.partition] = getattr(value, "value", value)
    return counts


def _symbol_keys(counts: dict[tuple[str, str], int], outcome: AssetOutcome) -> dict[str, str]:
    keys = {}
    for symbol in sorted({s for s, _ in counts}):
        try:
            keys[symbol] = symbol_to_key(symbol)
        except SymbolKeyError:
            outcome.outside.append(symbol)
    return keys


def record_venue(
    instance: dg.DagsterInstance,
    venue_defs: VenueDefs,
    storage: Storage,
    *,
    now: datetime | None = None,
) -> list[AssetOutcome]:
    """Record the stored months of one venue's month assets; returns one outcome per asset."""
    symbols_def = venue_defs.partitions.symbols
    months = set(venue_defs.partitions.months.get_partition_keys(current_time=now))
    known_symbols = set(instance.get_dynamic_partitions(symbols_def.name))
    outcomes = []
    for asset in month_assets(venue_defs):
        table = asset.key.path[-1]
        name = asset.key.to_user_string()
        pins = slice_pins(table_spec(table), name, asset.metadata_by_key[asset.key])
        counts = stored_month_counts(storage, table, pins)
        outcome = AssetOutcome(name)
        symbol_keys = _symbol_keys(counts, outcome)
        wanted: dict[str, int] = {}
        for (symbol, month), rows in sorted(counts.items()):
            if symbol not in symbol_keys:
                continue
            if month not in months:
                outcome.outside.append(f"{month} {symbol}")
                continue
            wanted[join_key(month, symbol_keys[symbol])] = rows
        new_symbols = sorted({symbol_keys[s] for s, _ in counts if s in symbol_keys})
        if missing := [k for k in new_symbols if k not in known_symbols]:
            instance.add_dynamic_partitions(symbols_def.name, missing)
            known_symbols.update(missing)
        recorded = _recorded_counts(instance, asset.key, set(wanted))
        for key, rows in wanted.items():
            if recorded.get(key) == rows:
                outcome.unchanged += 1
                continue
            instance.report_runless_asset_event(
                dg.AssetMaterialization(
                    asset_key=asset.key,
                    partition=key,
                    description="Rows already stored, recorded by the upgrade step; no fetch.",
                    metadata={
                        ROW_COUNT: rows,
                        "recorded_by": JOB_NAME,
                        "fetched": False,
                        "dagster/table_name": table,
                        "storage_backend": storage.backend,
                    },
                )
            )
            outcome.recorded += 1
        outcomes.append(outcome)
    return outcomes


def record_stored_months(
    instance: dg.DagsterInstance,
    venues: Sequence[VenueDefs],
    storage: Storage,
    *,
    now: datetime | None = None,
    log: Callable[[str], None] | None = None,
) -> list[AssetOutcome]:
    """Record the stored months of every venue; `log` gets one line per asset and a summary."""
    outcomes = []
    for venue_defs in venues:
        for outcome in record_venue(instance, venue_defs, storage, now=now):
            if log is not None:
                log(outcome.line())
            outcomes.append(outcome)
    if log is not None:
        recorded = sum(o.recorded for o in outcomes)
        unchanged = sum(o.unchanged for o in outcomes)
        if recorded:
            log(f"{recorded} partition(s) recorded as materialized from stored rows")
        elif unchanged:
            log(
                f"nothing new to record: all {unchanged} stored partition(s) are already "
                "recorded with their stored row counts"
            )
        else:
            log("nothing to record: no stored rows of the venues' month-partitioned tables")
    return outcomes


def build_record_stored_months_job(venues: Sequence[VenueDefs]) -> dg.JobDefinition:
    """The upgrade step for every venue of the code location (see README, Upgrading)."""

    # A Nothing output: the op's result is its metadata and log lines, nothing is stored.
    @dg.op(name="record_stored_months", out=dg.Out(dg.Nothing))
    def record_stored_months_op(
        context: dg.OpExecutionContext, database: DatabaseResource
    ) -> dg.Output:
        """Record each stored (month, symbol) as materialized with its row count; no fetch."""
        outcomes = record_stored_months(
            context.instance,
            venues,
            database.storage(),
            now=datetime.now(UTC),
            log=context.log.info,
        )
        return dg.Output(
            None,
            metadata={
                "recorded": sum(o.recorded for o in outcomes),
                "already_recorded": sum(o.unchanged for o in outcomes),
                "outside_partitions": sum(len(o.outside) for o in outcomes),
                "per_asset": dg.MetadataValue.md("\n".join(f"- {o.line()}" for o in outcomes)),
            },
        )

    @dg.job(
        name=JOB_NAME,
        description="Upgrade from the day grain: record the stored months as materialized, "
        "with their row counts, without fetching.",
    )
    def record_stored_months_job() -> None:
        record_stored_months_op()

    return record_stored_months_job
