"""The accept-holes job: a human's deliberate decision that a month's or a day's holes stay.

A partition whose holes stay `confirmed` (an exchange outage the repairs could not fill) fails
`ohlcv_quality` with WARN, and derived assets wait on it. This job, launched with the
partitions and a note saying why, marks their missed and confirmed holes `accepted` in
`ohlcv_gaps` (note kept with each hole) and records the quality check again for each partition's
latest materialization: it passes, so automation builds the derived assets, their bars
flagged partial. A hole whose bounds change later (a re-fetch filled part of it) is a new
hole, so an acceptance never covers data it was not given.
"""

from dataclasses import dataclass
from datetime import date

import dagster as dg
import pandas as pd
from pydantic import Field

from coinwatch_assets.defs.quality.judge import QUALITY, Judge
from coinwatch_assets.defs.quality.reporting import blocking_failure
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.quality.targets import materialization_targets
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice
from coinwatch_assets.lib.market.grain import (
    SYMBOL_DIMENSION,
    TIME_DIMENSION,
    join_key,
    month_key,
    parse_month,
)
from coinwatch_assets.lib.quality.registry import ACCEPTED, OPEN
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.symbols import symbol_to_key
from coinwatch_assets.lib.venues import Venue

ACCEPTED_BY_TAG = "coinwatch/accepted_by"


class AcceptHolesConfig(dg.Config):
    """Which partitions' (or single days') holes to accept, and why."""

    partitions: list[str] = Field(
        description=(
            'ohlcv partition keys "<YYYY-MM>|<SYMBOL>" (every open hole of the month), or single '
            'days "<YYYY-MM-DD>|<SYMBOL>", e.g. "2024-03|ETH-USDT", "2024-03-01|ETH-USDT"'
        )
    )
    note: str = Field(description="Why the holes are acceptable; stored with each hole.")


@dataclass(frozen=True)
class Selection:
    """What to accept: month partition keys, and for each either its whole month or days."""

    months: dict[str, set[date] | None]  # key -> None (whole month) or the days given

    def covers(self, key: str, day: date) -> bool:
        if key not in self.months:
            return False
        days = self.months[key]
        return days is None or day in days


def _parse(entry: str) -> tuple[str, str, date | None] | None:
    """(month key, symbol key, day or None) of `2024-01|X` / `2024-01-15|X`; None if neither."""
    period, _, symbol = entry.partition("|")
    try:
        if len(period) == len("2024-01"):
            return f"{parse_month(period):%Y-%m}", symbol, None
        day = date.fromisoformat(period)
    except ValueError:
        return None
    return month_key(day), symbol, day


def select_partitions(
    instance: dg.DagsterInstance, ohlcv: dg.AssetsDefinition, entries: list[str]
) -> Selection:
    """The months (and days) named; a clear error for any entry that is no partition of `ohlcv`."""
    pdef = ohlcv.partitions_def
    assert isinstance(pdef, dg.MultiPartitionsDefinition)
    dims = {d.name: d.partitions_def for d in pdef.partitions_defs}
    months, symbols = dims[TIME_DIMENSION], dims[SYMBOL_DIMENSION]
    assert isinstance(symbols, dg.DynamicPartitionsDefinition) and symbols.name
    known = set(instance.get_dynamic_partitions(symbols.name))
    bad, chosen = [], {}
    for entry in entries:
        parsed = _parse(entry)
        if parsed is None or not months.has_partition_key(parsed[0]) or parsed[1] not in known:
            bad.append(entry)
            continue
        key = join_key(parsed[0], parsed[1])
        day = parsed[2]
        if day is None or chosen.get(key, set()) is None:
            chosen[key] = None
        else:
            chosen.setdefault(key, set()).add(day)
    if bad or not entries:
        sample = ", ".join(sorted(known)[:10]) or "none yet"
        raise dg.Failure(
            f"accept_holes: {', '.join(map(repr, bad)) or 'no partition given'}: not a "
            f"partition of {ohlcv.key.to_user_string()}. Give '<YYYY-MM>|<SYMBOL>' (a month) or "
            f"'<YYYY-MM-DD>|<SYMBOL>' (one day) from {months.start:%Y-%m} on and a symbol of "
            f"{symbols.name} ({sample})."
        )
    return Selection(dict(sorted(chosen.items())))


def _has_accepted(entry: str, accepted: dict[str, int]) -> bool:
    period, _, symbol = entry.partition("|")
    return any(k.startswith(period) and k.endswith(f"|{symbol}") for k in accepted)


def judge_days(
    database: DatabaseResource, judge: Judge, selection: Selection
) -> dict[str, list[date]]:
    """The days to re-judge per month key: the days given, else those with open holes."""
    spec = table_spec("ohlcv_gaps")
    pins = {"exchange": judge.exchange, "timeframe": judge.timeframe}
    keys = list(selection.months)
    rows = database.read(
        "ohlcv_gaps", partition_slice(spec, spec.name, judge.pdef, keys).pinned(pins)
    )
    open_days: dict[str, set[date]] = {k: set() for k in keys}
    for ts, row in zip(
        pd.to_datetime(rows["gap_start"], utc=True), rows.itertuples(index=False), strict=True
    ):
        key = join_key(month_key(ts), symbol_to_key(row.symbol))
        if row.reason in OPEN and key in open_days:
            open_days[key].add(ts.date())
    return {k: sorted(selection.months[k] or open_days[k]) for k in keys}


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
        """Marks the partitions' holes accepted and records the quality check again."""
        note = config.note.strip()
        if not note:
            raise dg.Failure("accept_holes: `note` is empty; say why the holes are acceptable")
        selection = select_partitions(context.instance, ohlcv, config.partitions)
        keys = list(selection.months)
        targets = materialization_targets(context.instance, ohlcv.key, keys)
        if never := [k for k in keys if k not in targets]:
            raise dg.Failure(
                f"accept_holes: {', '.join(never)} never materialized: nothing to accept. "
                f"Materialize {ohlcv.key.to_user_string()} for them first."
            )
        accepted: dict[str, int] = {}
        note_text = f"{note} (run {context.run_id})"

        def amend(rows: pd.DataFrame) -> pd.DataFrame:
            if not len(rows):
                return rows
            starts = pd.to_datetime(rows["gap_start"], utc=True)
            chosen = [
                row.reason in OPEN
                and selection.covers(join_key(month_key(ts), symbol_to_key(row.symbol)), ts.date())
                for ts, row in zip(starts, rows.itertuples(index=False), strict=True)
            ]
            for ts, row, yes in zip(starts, rows.itertuples(index=False), chosen, strict=True):
                if yes:
                    label = f"{ts:%Y-%m-%d}|{symbol_to_key(row.symbol)}"
                    accepted[label] = accepted.get(label, 0) + 1
            mask = pd.Series(chosen, index=rows.index)
            out = rows.copy()
            out.loc[mask, "reason"] = ACCEPTED
            out.loc[mask, "note"] = note_text
            return out

        # Re-judged: the days named, or the days of the month holding open holes (their
        # candles may have changed); other days keep their registry verdict.
        days = judge_days(database, judge, selection)
        evaluations, observation = judge.run(
            context.instance, database, quality_policy, keys, context.log, amend=amend, days=days
        )
        context.log_event(observation)
        for evaluation in evaluations:
            # The quality verdict is recorded again (broken candles of any day of the month
            # still fail it); the jump result stays that of the run that stored the candles.
            if evaluation.check_name == QUALITY:
                context.log_event(evaluation)
        if nothing := [e for e in config.partitions if not _has_accepted(e, accepted)]:
            context.log.warning(f"accept_holes: no open hole in {', '.join(nothing)}")
        context.log.info(f"accept_holes: accepted holes {accepted} ({note!r})")
        # Accepting holes never hides broken candles or a different hole: still blocked.
        if (failure := blocking_failure(evaluations)) is not None:
            raise failure

    @dg.job(
        name=venue.named("accept_holes_job"),
        description=(
            "Accepts the holes of the given ohlcv partitions (run config: partitions, note) so "
            f"derived assets are built; {QUALITY} is recorded again and passes."
        ),
    )
    def accept_holes_job() -> None:
        accept_holes_op()

    return accept_holes_job
