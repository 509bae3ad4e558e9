"""The accept-holes job: a human's deliberate decision that a day's holes are what it is.

A partition whose holes stay `confirmed` (an exchange outage the repairs could not fill) fails
`ohlcv_no_gaps` with WARN, and derived assets wait on it. This job, launched with the
partitions and a note saying why, marks their missed and confirmed holes `accepted` in
`ohlcv_gaps` (note kept with each hole) and records the gap check again for each partition's
latest materialization: it passes, so automation builds the derived assets, their bars
flagged partial. A hole whose bounds change later (a re-fetch filled part of it) is a new
hole, so an acceptance never covers data it was not given.
"""

import dagster as dg
import pandas as pd
from pydantic import Field

from coinwatch_assets.defs.quality.judge import NO_GAPS, Judge
from coinwatch_assets.defs.quality.reporting import blocking_failure
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.quality.targets import materialization_targets
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.quality.registry import OPEN, accept_holes
from coinwatch_assets.lib.symbols import symbol_to_key
from coinwatch_assets.lib.venues import Venue

ACCEPTED_BY_TAG = "coinwatch/accepted_by"


class AcceptHolesConfig(dg.Config):
    """Which partitions' holes to accept, and why."""

    partitions: list[str] = Field(
        description='ohlcv partition keys, "<YYYY-MM-DD>|<SYMBOL>", e.g. "2024-03-01|ETH-USDT"'
    )
    note: str = Field(description="Why the holes are acceptable; stored with each hole.")


def check_keys_exist(
    instance: dg.DagsterInstance, ohlcv: dg.AssetsDefinition, keys: list[str]
) -> list[str]:
    """The keys, deduplicated; a clear error for any that is no partition of `ohlcv`."""
    pdef = ohlcv.partitions_def
    assert isinstance(pdef, dg.MultiPartitionsDefinition)
    dims = {d.name: d.partitions_def for d in pdef.partitions_defs}
    daily, symbols = dims["date"], dims["symbol"]
    assert isinstance(symbols, dg.DynamicPartitionsDefinition) and symbols.name
    known = set(instance.get_dynamic_partitions(symbols.name))
    bad = []
    for key in keys:
        day, _, symbol = key.partition("|")
        if not daily.has_partition_key(day) or symbol not in known:
            bad.append(key)
    if bad or not keys:
        sample = ", ".join(sorted(known)[:10]) or "none yet"
        raise dg.Failure(
            f"accept_holes: {', '.join(map(repr, bad)) or 'no partition given'}: not a "
            f"partition of {ohlcv.key.to_user_string()}. Give keys '<YYYY-MM-DD>|<SYMBOL>' with a "
            f"day from {daily.start:%Y-%m-%d} on and a symbol of {symbols.name} ({sample})."
        )
    return sorted(set(keys))


def build_accept_holes_job(venue: Venue, ohlcv: dg.AssetsDefinition) -> dg.JobDefinition:
    """The venue's `accept_holes_job` (run config: partitions and a note)."""
    judge = Judge(ohlcv.key, ohlcv.partitions_def, venue.exchange_label, venue.timeframe)

    @dg.op(name=venue.named("accept_holes"))
    def accept_holes_op(
        context: dg.OpExecutionContext,
        config: AcceptHolesConfig,
        database: DatabaseResource,
        quality_policy: QualityPolicyResource,
    ) -> None:
        """Marks the partitions' holes accepted and records the gap check again."""
        note = config.note.strip()
        if not note:
            raise dg.Failure("accept_holes: `note` is empty; say why the holes are acceptable")
        keys = check_keys_exist(context.instance, ohlcv, config.partitions)
        targets = materialization_targets(context.instance, ohlcv.key, keys)
        if never := [k for k in keys if k not in targets]:
            raise dg.Failure(
                f"accept_holes: {', '.join(never)} never materialized: nothing to accept. "
                f"Materialize {ohlcv.key.to_user_string()} for them first."
            )
        accepted: dict[str, int] = {}

        def amend(rows: pd.DataFrame) -> pd.DataFrame:
            opened = rows[rows["reason"].isin(OPEN)] if len(rows) else rows
            for day, symbol in opened[["gap_start", "symbol"]].itertuples(index=False):
                key = f"{pd.Timestamp(day):%Y-%m-%d}|{symbol_to_key(symbol)}"
                accepted[key] = accepted.get(key, 0) + 1
            return accept_holes(rows, f"{note} (run {context.run_id})")

        evaluations, observation = judge.run(
            context.instance, database, quality_policy, keys, context.log, amend=amend
        )
        context.log_event(observation)
        for evaluation in evaluations:
            context.log_event(evaluation)
        if nothing := [k for k in keys if k not in accepted]:
            context.log.warning(f"accept_holes: no open hole in {', '.join(nothing)}")
        context.log.info(f"accept_holes: accepted holes {accepted} ({note!r})")
        # Accepting holes never hides broken candles or a different hole: still blocked.
        if (failure := blocking_failure(evaluations)) is not None:
            raise failure

    @dg.job(
        name=venue.named("accept_holes_job"),
        description=(
            "Accepts the holes of the given ohlcv partitions (run config: partitions, note) so "
            f"derived assets are built; {NO_GAPS} is recorded again and passes."
        ),
    )
    def accept_holes_job() -> None:
        accept_holes_op()

    return accept_holes_job
