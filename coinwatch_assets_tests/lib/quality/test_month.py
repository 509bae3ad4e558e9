"""Which days of a month partition a run judges, and the month's per-day table."""

from datetime import date

import pandas as pd

from coinwatch_assets.lib.market.grain import clip_to_month, days_between, month_window
from coinwatch_assets.lib.quality.gaps import Gap
from coinwatch_assets.lib.quality.month import (
    MonthFindings,
    day_spans,
    days_markdown,
    judged_days,
    kept_days,
    split_gaps_by_day,
)
from coinwatch_assets.lib.quality.registry import empty_registry, merge_holes
from coinwatch_assets.lib.quality.window import evaluate_window

UTC = "UTC"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def test_a_month_without_a_fetch_span_is_judged_whole_up_to_the_fetch() -> None:
    days = judged_days("2024-02", None, ts("2024-03-05"))
    assert days[0] == date(2024, 2, 1) and days[-1] == date(2024, 2, 29) and len(days) == 29
    # The current month: days after the fetch expect nothing yet.
    assert judged_days("2024-02", None, ts("2024-02-10 12:00"))[-1] == date(2024, 2, 10)


def test_a_fetch_span_judges_the_days_it_touched_inside_the_month() -> None:
    tail = (ts("2024-02-29 23:40"), ts("2024-03-01 00:10"))  # an intraday run across months
    assert judged_days("2024-02", tail, ts("2024-03-01 00:10")) == [date(2024, 2, 29)]
    assert judged_days("2024-03", tail, ts("2024-03-01 00:10")) == [date(2024, 3, 1)]
    hole = (ts("2024-02-10 10:00"), ts("2024-02-10 10:05"))
    assert judged_days("2024-02", hole, ts("2024-03-01")) == [date(2024, 2, 10)]
    assert judged_days("2024-02", (hole[0], hole[0]), ts("2024-03-01")) == []


def test_grain_windows_days_and_clipping() -> None:
    lo, hi = month_window("2024-02")
    assert days_between(lo, hi)[-1] == date(2024, 2, 29) and len(days_between(lo, hi)) == 29
    assert days_between(hi, lo) == []
    assert clip_to_month("2024-02", ts("2024-01-31 23:00"), ts("2024-02-01 01:00")) == (
        lo,
        ts("2024-02-01 01:00"),
    )
    assert clip_to_month("2024-02", ts("2024-03-01"), ts("2024-03-02")) is None


def test_the_per_day_table_lists_judged_days_and_days_with_stored_holes() -> None:
    stored = pd.DataFrame(
        {"gap_start": [ts("2024-02-03 01:00"), ts("2024-02-03 05:00")], "missing_candles": [2, 3]}
    )
    days = [
        {
            "day": "2024-02-10",
            "candles": 288,
            "expected": 288,
            "holes": 0,
            "missing": 0,
            "judged": "this run",
        },
        {
            "day": "2024-02-01",
            "candles": 0,
            "expected": 0,
            "holes": 0,
            "missing": 0,
            "judged": "this run",
        },  # nothing expected (not listed yet): left out
        *kept_days(stored),
    ]
    table = days_markdown(days).splitlines()
    assert table[2:] == [
        "| 2024-02-03 | - | - | 2 | 5 | earlier run (registry) |",
        "| 2024-02-10 | 288 | 288 | 0 | 0 | this run |",
    ]


def test_day_spans_group_consecutive_days() -> None:
    days = [date(2024, 1, 5), date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 4)]
    assert day_spans(days) == [
        [date(2024, 1, 1), date(2024, 1, 2)],
        [date(2024, 1, 4), date(2024, 1, 5)],
    ]


def test_a_hole_across_midnight_is_one_registry_row_per_day() -> None:
    hole = Gap(ts("2024-01-01 23:45"), ts("2024-01-02 00:10"), 6)
    same_day = Gap(ts("2024-01-03 01:00"), ts("2024-01-03 01:05"), 2)
    parts = split_gaps_by_day([hole, same_day], "5m")
    assert [(str(g.start), str(g.end), g.missing) for g in parts] == [
        ("2024-01-01 23:45:00+00:00", "2024-01-01 23:55:00+00:00", 3),
        ("2024-01-02 00:00:00+00:00", "2024-01-02 00:10:00+00:00", 3),
        ("2024-01-03 01:00:00+00:00", "2024-01-03 01:05:00+00:00", 2),
    ]


def test_a_span_window_is_counted_per_day_in_the_table() -> None:
    # Two days of 5m candles with one hole across midnight: one window, two table lines.
    stamps = pd.date_range("2024-01-01", "2024-01-03", freq="5min", tz="UTC", inclusive="left")
    kept = stamps[(stamps < "2024-01-01 23:45") | (stamps > "2024-01-02 00:10")]
    frame = pd.DataFrame(
        {"ts": kept, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}
    ).assign(exchange="x", symbol="A/B", timeframe="5m")
    start, end = pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-03", tz="UTC")
    window = evaluate_window(frame, "5m", start, end, end)
    gaps = split_gaps_by_day(window.gaps.gaps, "5m")
    rows = merge_holes(empty_registry(), gaps, exchange="x", symbol="A/B", timeframe="5m", now=end)
    findings = MonthFindings()
    findings.add_span([date(2024, 1, 1), date(2024, 1, 2)], window, rows, None, "5m")
    assert findings.candles == 570 and findings.expected == 576
    assert [
        (d["day"], d["candles"], d["expected"], d["holes"], d["missing"]) for d in findings.days
    ] == [
        ("2024-01-01", 285, 288, 1, 3),
        ("2024-01-02", 285, 288, 1, 3),
    ]


def test_judged_days_are_read_in_batches_of_about_a_symbol_year() -> None:
    from coinwatch_assets.defs.quality.judge import DAYS_PER_BATCH, day_batches

    month = [date(2024, 1, d) for d in range(1, 32)]
    days = {f"2024-{m:02d}|{s}": month for s in ("A-B", "C-D") for m in range(1, 25)}
    batches = day_batches(days)
    assert sorted(k for b in batches for k in b) == sorted(days)  # every key, once
    assert all(sum(len(d) for d in b.values()) <= DAYS_PER_BATCH for b in batches)
    assert len(batches) == 5  # 48 months of 31 days, 11 months (341 days) a batch
    # an intraday run of many symbols, one day each: one batch
    assert len(day_batches({f"2024-01|S{i}-B": [date(2024, 1, 31)] for i in range(200)})) == 1
