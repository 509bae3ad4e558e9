"""Asset checks on `ohlcv`: holes and integrity rules per UTC month partition (judged day by
day: the days the run fetched; the earlier verdict for the others), price jumps per run.

One step evaluates the checks for every partition key of the run and records the quality
evaluation PER KEY (also in single-run backfills, where Dagster itself would record a
`AssetCheckResult` once, without a partition), one price-jumps evaluation for the run, and
writes the holes into `ohlcv_gaps`.
"""

from collections.abc import Iterator

import dagster as dg

from coinwatch_assets.defs.quality.judge import PRICE_JUMPS, QUALITY, Judge, gaps_key
from coinwatch_assets.defs.quality.reporting import blocking_failure
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import DatabaseResource, table_metadata
from coinwatch_assets.lib.venues import Venue

__all__ = [
    "PRICE_JUMPS",
    "QUALITY",
    "build_gaps_node",
    "build_quality_checks",
    "check_keys",
]


def check_specs(ohlcv: dg.AssetsDefinition) -> list[dg.AssetCheckSpec]:
    """The checks of a venue's `ohlcv`: quality per month partition, price jumps per run."""
    pdef = ohlcv.partitions_def
    return [
        # Holes and integrity rules in one result per partition: every partitioned check
        # costs Dagster events per partition, and both block the same downstream assets.
        dg.AssetCheckSpec(
            QUALITY,
            asset=ohlcv.key,
            partitions_def=pdef,
            blocking=True,
            description=(
                "Every closed candle of the month is stored (holes listed per day in "
                "ohlcv_gaps) and sound: low <= open,close <= high; prices > 0; volume >= 0; "
                "stamps on the grid."
            ),
        ),
        # Not partitioned: one result per run names the partitions with jumps (they block
        # nothing, so they need not cost an event per partition).
        dg.AssetCheckSpec(
            PRICE_JUMPS,
            asset=ohlcv.key,
            description=(
                "No close-to-close move beyond the jump threshold in the run's partitions "
                "(WARN: review them; one result per run)."
            ),
        ),
    ]


def check_keys(asset_key: dg.AssetKey) -> list[dg.AssetCheckKey]:
    return [dg.AssetCheckKey(asset_key, name) for name in (QUALITY, PRICE_JUMPS)]


def quality_group(venue: Venue) -> str:
    """The group of a venue's quality node: the graph reads market -> quality -> derived."""
    return f"{venue.name}_quality" if venue.name else "quality"


def build_gaps_node(venue: Venue, ohlcv: dg.AssetsDefinition) -> dg.AssetSpec:
    """The venue's `ohlcv_gaps` in the graph: written and observed by the checks' step."""
    return dg.AssetSpec(
        key=gaps_key(ohlcv.key),
        deps=[ohlcv.key],
        group_name=quality_group(venue),
        description="Holes of ohlcv with their reason; written by the checks, queried by you.",
        kinds={"sql"},
        metadata=table_metadata(
            "ohlcv_gaps", exchange=venue.exchange_label, timeframe=venue.timeframe
        ),
    )


def build_quality_checks(venue: Venue, ohlcv: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    """The venue's `ohlcv` checks, one step per run; reads and writes pinned to the venue."""
    specs = check_specs(ohlcv)
    pdef = ohlcv.partitions_def
    exchange, timeframe = venue.exchange_label, venue.timeframe

    @dg.multi_asset_check(
        specs=specs, name=venue.named("ohlcv_quality_checks"), compute_kind="python"
    )
    def ohlcv_quality_checks(
        context: dg.AssetCheckExecutionContext,
        database: DatabaseResource,
        quality_policy: QualityPolicyResource,
    ) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
        """Holes, integrity and price jumps of every (month, symbol) of the run; holes to gaps."""
        yield from _run_checks(context, database, quality_policy, specs, pdef, exchange, timeframe)

    return ohlcv_quality_checks


def _run_checks(
    context: dg.AssetCheckExecutionContext,
    database: DatabaseResource,
    quality_policy: QualityPolicyResource,
    specs: list[dg.AssetCheckSpec],
    pdef: dg.PartitionsDefinition,
    exchange: str,
    timeframe: str,
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    judge = Judge(specs[0].asset_key, pdef, exchange, timeframe)
    evaluations, observation = judge.run(
        context.instance, database, quality_policy, list(context.partition_keys), context.log
    )
    context.op_execution_context.log_event(observation)
    for spec in specs:
        # The check outputs downstream steps wait on (blocking checks gate them).
        yield dg.Output(None, output_name=spec.get_python_identifier())
    # Evaluations carry their partition key, so a range run records a result per month; a
    # failed blocking ERROR evaluation fails this step after all of them are recorded.
    yield from evaluations
    # Fail with the partitions and their holes instead of Dagster's bare stack trace.
    if (failure := blocking_failure(evaluations)) is not None:
        raise failure
