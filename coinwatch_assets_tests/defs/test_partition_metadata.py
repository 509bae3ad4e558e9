"""Per-partition metadata of a multi-partition step: each key gets its own; others refused."""

import dagster as dg
import pytest

from coinwatch_assets.defs.partition_metadata import add_partition_metadata

START, END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04")


def _asset(extra_key: str | None = None) -> dg.AssetsDefinition:
    @dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
    def days(context: dg.AssetExecutionContext) -> None:
        keys = list(context.partition_keys)
        per_key = {k: {"day_number": int(k[-2:])} for k in keys}
        if extra_key:
            per_key[extra_key] = {"day_number": 0}
        add_partition_metadata(context, context.asset_key, per_key, keys)

    return days


def test_each_partition_of_a_range_run_gets_its_own_metadata() -> None:
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [_asset()],
            instance=instance,
            tags={START: "2024-01-01", END: "2024-01-03"},
        )
        got = {
            e.partition: e.materialization.metadata["day_number"].value
            for e in result.get_asset_materialization_events()
        }
    assert got == {"2024-01-01": 1, "2024-01-02": 2, "2024-01-03": 3}


def test_metadata_for_a_partition_the_step_does_not_materialize_is_refused() -> None:
    with (
        dg.instance_for_test() as instance,
        pytest.raises(dg.DagsterInvariantViolationError, match=r"\['2024-01-03'\] of days"),
    ):
        dg.materialize(
            [_asset(extra_key="2024-01-03")],
            instance=instance,
            tags={START: "2024-01-01", END: "2024-01-02"},
        )
