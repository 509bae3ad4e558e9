"""The gap registry state machine and the repair plan (plain Python)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from coinwatch_assets.lib.quality.freshness import allowed_lag, latest_closed_candle, symbol_lags
from coinwatch_assets.lib.quality.gaps import Gap
from coinwatch_assets.lib.quality.registry import (
    ACCEPTED,
    CONFIRMED,
    MISSED,
    NO_TRADES,
    GapPolicy,
    accept_holes,
    confirm_exhausted,
    empty_registry,
    gap_severity,
    merge_holes,
    plan_repairs,
)

T0 = pd.Timestamp("2024-03-01 12:00", tz="UTC")
SHORT = Gap(
    pd.Timestamp("2024-03-01 01:00", tz="UTC"), pd.Timestamp("2024-03-01 01:05", tz="UTC"), 2
)
LONG = Gap(
    pd.Timestamp("2024-03-01 04:00", tz="UTC"), pd.Timestamp("2024-03-01 06:40", tz="UTC"), 33
)
POLICY = GapPolicy(max_repairs=3, base_delay=timedelta(minutes=5), max_delay=timedelta(minutes=15))


def fetch(previous: pd.DataFrame, gaps: list[Gap], now: pd.Timestamp = T0, **kw) -> pd.DataFrame:
    return merge_holes(
        previous, gaps, exchange="binance", symbol="BTC/USDT", timeframe="5m", now=now, **kw
    )


def by_start(rows: pd.DataFrame) -> dict[pd.Timestamp, tuple[str, int]]:
    return {r.gap_start: (r.reason, r.attempts) for r in rows.itertuples()}


def test_first_sighting_is_missed_and_an_error() -> None:
    rows = fetch(empty_registry(), [SHORT, LONG])
    assert by_start(rows) == {SHORT.start: (MISSED, 1), LONG.start: (MISSED, 1)}
    assert (rows["detected_at"] == T0).all() and gap_severity(rows) == "error"


def test_refetch_turns_short_holes_into_no_trades_and_keeps_counting() -> None:
    later = T0 + timedelta(minutes=10)
    rows = fetch(fetch(empty_registry(), [SHORT, LONG]), [SHORT, LONG], later)
    assert by_start(rows) == {SHORT.start: (NO_TRADES, 2), LONG.start: (MISSED, 2)}
    assert (rows["detected_at"] == T0).all()  # first sighting is kept for the backoff


def test_a_hole_the_refetch_filled_is_dropped_and_a_changed_one_starts_over() -> None:
    first = fetch(empty_registry(), [SHORT, LONG])
    shrunk = Gap(LONG.start, LONG.end - timedelta(minutes=5), 32)
    rows = fetch(first, [shrunk], T0 + timedelta(hours=1))
    assert by_start(rows) == {LONG.start: (MISSED, 1)}
    assert fetch(first, []).empty and gap_severity(fetch(first, [])) is None


def test_open_window_tail_is_never_no_trades() -> None:
    first = fetch(empty_registry(), [SHORT], open_end=SHORT.end)
    assert by_start(fetch(first, [SHORT], open_end=SHORT.end)) == {SHORT.start: (MISSED, 2)}


def test_confirmed_and_no_trades_stay_put() -> None:
    rows = fetch(empty_registry(), [SHORT, LONG])
    rows["attempts"] = 4
    rows = confirm_exhausted(rows, POLICY)
    assert set(rows["reason"]) == {CONFIRMED} and gap_severity(rows) == "warn"
    assert set(fetch(rows, [SHORT, LONG])["reason"]) == {CONFIRMED}


def test_accepted_holes_pass_keep_their_note_and_cover_only_the_same_hole() -> None:
    rows = fetch(fetch(empty_registry(), [SHORT, LONG]), [SHORT, LONG], T0 + timedelta(hours=1))
    assert by_start(rows)[SHORT.start][0] == NO_TRADES  # explained already: left as it is
    accepted = accept_holes(rows, "announced maintenance")
    assert by_start(accepted) == {SHORT.start: (NO_TRADES, 2), LONG.start: (ACCEPTED, 2)}
    assert accepted.set_index("gap_start")["note"].to_dict() == {
        SHORT.start: None,
        LONG.start: "announced maintenance",
    }
    assert gap_severity(accepted) is None
    again = fetch(accepted, [SHORT, LONG], T0 + timedelta(hours=2))
    assert by_start(again)[LONG.start] == (ACCEPTED, 3)
    assert again.set_index("gap_start").loc[LONG.start, "note"] == "announced maintenance"
    # A re-fetch filled part of it: a different hole, not what was accepted.
    shrunk = Gap(LONG.start, LONG.end - timedelta(minutes=5), 32)
    changed = fetch(accepted, [shrunk], T0 + timedelta(hours=2))
    assert by_start(changed) == {LONG.start: (MISSED, 1)} and changed["note"].isna().all()
    assert accept_holes(empty_registry(), "x").empty


def test_backoff_doubles_from_first_sighting_and_is_capped() -> None:
    due = [POLICY.repair_due_at(T0, n) - T0 for n in range(4)]
    assert due == [timedelta(minutes=m) for m in (5, 15, 30, 45)]


def test_plan_requests_due_repairs_with_attempt_numbered_run_keys() -> None:
    rows = fetch(empty_registry(), [LONG])
    assert plan_repairs(rows, T0 + timedelta(minutes=4), POLICY).requests == []
    assert plan_repairs(rows, T0 + timedelta(minutes=4), POLICY).waiting == 1
    (request,) = plan_repairs(rows, T0 + timedelta(minutes=5), POLICY).requests
    assert (request.month, request.symbol, request.attempt) == ("2024-03", "BTC/USDT", 1)
    # Only the hole is re-fetched: from its first missing candle to the candle after it.
    assert request.windows == ((LONG.start, LONG.end + pd.Timedelta(minutes=5)),)
    again = fetch(rows, [LONG], T0 + timedelta(minutes=6))
    assert plan_repairs(again, T0 + timedelta(minutes=14), POLICY).requests == []
    (second,) = plan_repairs(again, T0 + timedelta(minutes=15), POLICY).requests
    assert second.attempt == 2 and second.run_key != request.run_key


def test_plan_confirms_after_max_repairs_and_ignores_explained_holes() -> None:
    rows = fetch(empty_registry(), [SHORT, LONG])
    rows["attempts"] = [2, 4]
    rows.loc[0, "reason"] = NO_TRADES
    plan = plan_repairs(rows, T0 + timedelta(days=1), POLICY)
    assert plan.requests == [] and plan.confirm == [("2024-03", "BTC/USDT")]


def test_one_repair_per_month_fetches_each_due_hole_window() -> None:
    later = Gap(
        pd.Timestamp("2024-03-20 08:00", tz="UTC"), pd.Timestamp("2024-03-20 08:00", tz="UTC"), 1
    )
    rows = fetch(empty_registry(), [SHORT, LONG, later])
    (request,) = plan_repairs(rows, T0 + timedelta(minutes=5), POLICY).requests
    step = pd.Timedelta(minutes=5)
    assert request.month == "2024-03"
    assert request.windows == tuple((g.start, g.end + step) for g in (SHORT, LONG, later))


def test_negative_max_repairs_is_refused() -> None:
    with pytest.raises(ValueError, match="max_repairs"):
        GapPolicy(max_repairs=-1)


def test_freshness_lags() -> None:
    now = pd.Timestamp("2024-03-01 12:07:30", tz="UTC")
    assert latest_closed_candle("5m", now) == pd.Timestamp("2024-03-01 12:00", tz="UTC")
    latest = {
        "BTC/USDT": pd.Timestamp("2024-03-01 12:00", tz="UTC"),
        "ETH/USDT": pd.Timestamp("2024-03-01 10:00", tz="UTC"),
    }
    lags = {lag.symbol: lag for lag in symbol_lags(latest, [*latest, "SOL/USDT"], "5m", now)}
    allowed = allowed_lag("5m", timedelta(minutes=5), timedelta(minutes=15))
    assert allowed == timedelta(minutes=20)
    assert not lags["BTC/USDT"].late(allowed) and lags["BTC/USDT"].lag == timedelta()
    assert lags["ETH/USDT"].late(allowed) and lags["ETH/USDT"].lag == timedelta(hours=2)
    assert lags["SOL/USDT"].late(allowed) and lags["SOL/USDT"].latest is None
