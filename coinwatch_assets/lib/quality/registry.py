"""The gap registry (`ohlcv_gaps`): every hole of a series with a reason, and its repair plan.

Plain Python (no Dagster). State machine of one hole, keyed by (series, gap_start):

- ``missed``: seen by a fetch and not (yet) explained; the quality check fails with ERROR.
- ``no_trades``: a re-fetch returned the same short hole (at most `no_trades_max`) inside
  an answered window: the exchange emitted no candle because nobody traded. Not an error.
- ``confirmed``: still missing after `max_repairs` re-fetches (an exchange outage, a listing
  late in the day): the quality check reports WARN and nothing re-requests it again. Derived
  assets wait for a human decision.
- ``accepted``: a human accepted the hole (the accept-holes job, with a `note` saying why): the
  quality check passes and derived assets are built, their bars flagged partial.

`attempts` counts the fetches that saw the hole with the same bounds; a hole whose bounds
changed (partly filled) is a new hole (an acceptance covers the hole it was given, not a
different one). Holes that a fetch no longer sees are dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import pandas as pd

from coinwatch_assets.lib.market.grain import month_key
from coinwatch_assets.lib.quality.gaps import Gap
from coinwatch_assets.lib.quality.timeframes import parse_timeframe

MISSED = "missed"
NO_TRADES = "no_trades"
CONFIRMED = "confirmed"
ACCEPTED = "accepted"
REASONS = (MISSED, NO_TRADES, CONFIRMED, ACCEPTED)
# Holes that need nobody's attention: nobody traded, or a human accepted them.
EXPLAINED = (NO_TRADES, ACCEPTED)
# Holes a human may accept (the accept-holes job).
OPEN = (MISSED, CONFIRMED)

REGISTRY_COLUMNS = [
    "exchange",
    "symbol",
    "timeframe",
    "gap_start",
    "gap_end",
    "missing_candles",
    "reason",
    "attempts",
    "detected_at",
    "note",
]


@dataclass(frozen=True)
class GapPolicy:
    """How holes are explained and repaired."""

    max_repairs: int = 3
    base_delay: timedelta = timedelta(minutes=5)
    max_delay: timedelta = timedelta(hours=6)
    no_trades_max: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_repairs < 0:
            raise ValueError(f"max_repairs must be >= 0, got {self.max_repairs}")

    def delay(self, repairs_done: int) -> timedelta:
        """Wait before repair number `repairs_done + 1`: base * 2^repairs_done, capped."""
        return min(self.base_delay * (2**repairs_done), self.max_delay)

    def repair_due_at(self, detected_at: pd.Timestamp, repairs_done: int) -> pd.Timestamp:
        """When the next repair of a hole first seen at `detected_at` may run."""
        return detected_at + sum((self.delay(i) for i in range(repairs_done + 1)), timedelta())


def _new_empty_registry() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in REGISTRY_COLUMNS})
    for col in ("gap_start", "gap_end", "detected_at"):
        frame[col] = frame[col].astype("datetime64[us, UTC]")
    for col in ("missing_candles", "attempts"):
        frame[col] = frame[col].astype("int64")
    return frame


# Built once: a check run asks for an empty registry per clean month (~8 ms to build each).
_EMPTY_REGISTRY = _new_empty_registry()


def empty_registry() -> pd.DataFrame:
    """A registry frame with no rows and storage dtypes (a fresh copy: callers may add to it)."""
    return _EMPTY_REGISTRY.copy()


def merge_holes(
    previous: pd.DataFrame,
    gaps: Sequence[Gap],
    *,
    exchange: str,
    symbol: str,
    timeframe: str,
    now: pd.Timestamp,
    open_end: pd.Timestamp | None = None,
    policy: GapPolicy = GapPolicy(),
) -> pd.DataFrame:
    """The registry rows of one series window after a fetch that found `gaps`.

    `previous` holds the window's rows before this fetch (any series rows outside it are
    ignored by the caller). `open_end`: the last expected candle when the window is still
    open (today's partition); a hole ending there may be exchange lag, never `no_trades`.
    """
    if not len(previous) and not gaps:  # a clean window with no stored holes
        return empty_registry()
    step = parse_timeframe(timeframe)
    before = {pd.Timestamp(r.gap_start): r for r in previous.itertuples(index=False)}
    rows = []
    for gap in gaps:
        prev = before.get(pd.Timestamp(gap.start))
        same = prev is not None and pd.Timestamp(prev.gap_end) == pd.Timestamp(gap.end)
        attempts = int(prev.attempts) + 1 if same else 1
        if same and prev.reason in (CONFIRMED, NO_TRADES, ACCEPTED):
            reason = prev.reason
        elif (
            attempts >= 2
            and gap.missing * step <= policy.no_trades_max
            and not (open_end is not None and gap.end >= open_end)
        ):
            reason = NO_TRADES
        else:
            reason = MISSED
        rows.append(
            {
                "exchange": exchange,
                "symbol": symbol,
                "timeframe": timeframe,
                "gap_start": gap.start,
                "gap_end": gap.end,
                "missing_candles": int(gap.missing),
                "reason": reason,
                "attempts": attempts,
                "detected_at": pd.Timestamp(prev.detected_at) if same else now,
                "note": _note(prev) if same else None,
            }
        )
    if not rows:
        return empty_registry()
    return _registry_dtypes(pd.DataFrame(rows, columns=REGISTRY_COLUMNS))


def _note(row: object) -> str | None:
    note = getattr(row, "note", None)
    return None if note is None or pd.isna(note) else str(note)


def accept_holes(rows: pd.DataFrame, note: str) -> pd.DataFrame:
    """`rows` with every open (missed or confirmed) hole accepted, `note` saying why."""
    if not len(rows):
        return empty_registry()
    out = _registry_dtypes(rows.reindex(columns=REGISTRY_COLUMNS))
    open_ = out["reason"].isin(OPEN)
    out.loc[open_, "reason"] = ACCEPTED
    out.loc[open_, "note"] = note
    return out


def _registry_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.loc[:, REGISTRY_COLUMNS].copy()
    for col in ("gap_start", "gap_end", "detected_at"):
        out[col] = pd.to_datetime(out[col], utc=True).astype("datetime64[us, UTC]")
    for col in ("missing_candles", "attempts"):
        out[col] = out[col].astype("int64")
    return out.reset_index(drop=True)


def gap_severity(rows: pd.DataFrame) -> str | None:
    """Outcome of a window's holes: "error" (any missed), "warn" (any confirmed) or None."""
    reasons = set(rows["reason"]) if len(rows) else set()
    if MISSED in reasons:
        return "error"
    if CONFIRMED in reasons:
        return "warn"
    return None


@dataclass(frozen=True)
class RepairRequest:
    """Re-fetch the holes (`windows`) of partition (month, symbol) as repair `attempt`."""

    month: str
    symbol: str
    attempt: int
    detected_at: pd.Timestamp
    # [start, end) of each due hole: from its first missing candle to the candle after it.
    windows: tuple[tuple[pd.Timestamp, pd.Timestamp], ...] = ()

    @property
    def run_key(self) -> str:
        # The attempt number and the hole's first sighting make each repair request unique:
        # a tick before the run has happened asks again with the same key (deduplicated).
        seen = f"{self.detected_at:%Y%m%dT%H%M%S}"
        return f"gap-repair-{self.month}-{self.symbol}-attempt{self.attempt}-{seen}"


@dataclass(frozen=True)
class RepairPlan:
    """What the repair sensor does on one tick."""

    requests: list[RepairRequest]
    confirm: list[tuple[str, str]]  # (month, symbol) partitions with exhausted holes
    waiting: int  # partitions whose next repair is not due yet


def _partition_of(row: object) -> tuple[str, str]:
    return (month_key(pd.Timestamp(row.gap_start)), str(row.symbol))


def _hole_window(row: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    end = pd.Timestamp(row.gap_end) + parse_timeframe(str(row.timeframe))
    return pd.Timestamp(row.gap_start), end


def plan_repairs(missed: pd.DataFrame, now: pd.Timestamp, policy: GapPolicy) -> RepairPlan:
    """Repairs due now (exponential backoff from `detected_at`) and partitions to confirm.

    `missed` holds registry rows (rows of other reasons are ignored). A hole seen by
    `attempts` fetches has had `attempts - 1` repairs; after `max_repairs` it is confirmed.
    """
    requests: dict[tuple[str, str], RepairRequest] = {}
    windows: dict[tuple[str, str], list[tuple[pd.Timestamp, pd.Timestamp]]] = defaultdict(list)
    confirm: set[tuple[str, str]] = set()
    waiting: set[tuple[str, str]] = set()
    for row in missed[missed["reason"] == MISSED].itertuples(index=False):
        key = _partition_of(row)
        repairs_done = int(row.attempts) - 1
        if repairs_done >= policy.max_repairs:
            confirm.add(key)
            continue
        detected = pd.Timestamp(row.detected_at)
        if now < policy.repair_due_at(detected, repairs_done):
            waiting.add(key)
            continue
        request = RepairRequest(key[0], key[1], repairs_done + 1, detected)
        # One run repairs every due hole of the partition (only their windows are fetched):
        # name it after its least-tried hole.
        windows[key].append(_hole_window(row))
        if key not in requests or request.attempt < requests[key].attempt:
            requests[key] = request
    return RepairPlan(
        requests=[
            replace(requests[k], windows=tuple(sorted(windows[k]))) for k in sorted(requests)
        ],
        confirm=sorted(confirm),
        waiting=len(waiting - set(requests)),
    )


def confirm_exhausted(rows: pd.DataFrame, policy: GapPolicy) -> pd.DataFrame:
    """`rows` with every missed hole that had `max_repairs` repairs marked confirmed."""
    out = rows.copy()
    exhausted = (out["reason"] == MISSED) & (out["attempts"] - 1 >= policy.max_repairs)
    out.loc[exhausted, "reason"] = CONFIRMED
    return out


def holes_summary(rows: pd.DataFrame) -> list[dict[str, object]]:
    """Registry rows as JSON-ready dicts (for check metadata), oldest first."""
    if not len(rows):  # most months: no sort, no row tuples
        return []
    return [
        {
            "gap_start": f"{pd.Timestamp(r.gap_start):%Y-%m-%dT%H:%M:%SZ}",
            "gap_end": f"{pd.Timestamp(r.gap_end):%Y-%m-%dT%H:%M:%SZ}",
            "missing_candles": int(r.missing_candles),
            "reason": str(r.reason),
            "attempts": int(r.attempts),
            **({"note": note} if (note := _note(r)) else {}),
        }
        for r in rows.sort_values("gap_start").itertuples(index=False)
    ]


def holes_markdown(rows: Iterable[dict[str, object]]) -> str:
    """A markdown table of `holes_summary` rows (shown in the Dagster UI)."""
    lines = [
        "| gap_start | gap_end | missing | reason | attempts |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {h['gap_start']} | {h['gap_end']} | {h['missing_candles']} | {h['reason']} "
        f"| {h['attempts']} |"
        for h in rows
    ]
    return "\n".join(lines)
