"""Many windows of one series judged at once give what each window judged alone gives."""

import numpy as np
import pandas as pd

from coinwatch_assets.lib.quality.window import Window, evaluate_window, evaluate_windows
from coinwatch_assets_tests.factories import ohlcv_frame

DAY = pd.Timedelta(days=1)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def troubled_days() -> pd.DataFrame:
    """Four days of 5m candles with a hole, broken rows, a duplicate, an off-grid stamp, and
    jumps inside a day and at midnight (where a window starts)."""
    frame = ohlcv_frame("BTC/USDT", "2024-01-01", periods=4 * 288)
    frame = frame.drop(index=range(300, 310))  # a hole on day 2
    frame.loc[20, "low"] = frame.loc[20, "open"] + 1  # low above the body
    frame.loc[700, "volume"] = -1.0
    frame.loc[650, "close"] = np.nan
    frame.loc[100, "close"] *= 1.5  # a jump up and one back down on day 1
    frame.loc[576:, "close"] *= 2  # a jump at day 3's first candle
    frame.loc[576:, ["open", "high", "low"]] *= 2
    frame.loc[600, "ts"] += pd.Timedelta(minutes=2)  # off the grid
    duplicate = frame.loc[[620]]
    frame = pd.concat([frame, duplicate]).sort_values("ts", kind="stable")
    return frame.reset_index(drop=True)


def comparable(findings) -> tuple:
    gaps = findings.gaps
    return (
        findings.start,
        findings.end,
        findings.candles,
        None if gaps is None else (gaps.expected, [(g.start, g.end, g.missing) for g in gaps.gaps]),
        {n: sorted(r["ts"]) for n, r in findings.broken_rules.items()},
        sorted(zip(findings.jumps["ts"], findings.jumps["move"].round(9), strict=True)),
        findings.outages,
        findings.grid_error,
        list(findings.candle_ms),
    )


def test_windows_of_a_series_judged_at_once_equal_each_judged_alone() -> None:
    frame = troubled_days()
    now = ts("2024-01-03 12:00")  # day 3's afternoon and day 4 are not closed yet
    spans = [
        Window(ts("2024-01-01"), ts("2024-01-02"), ts("2024-01-01"), ts("2024-01-02"), now, True),
        # two days in one window, judged from a listing at 06:00
        Window(ts("2024-01-02"), ts("2024-01-04"), ts("2024-01-02 06:00"), ts("2024-01-04"), now),
        Window(ts("2024-01-04"), ts("2024-01-05"), ts("2024-01-04"), ts("2024-01-05"), now, True),
        Window(ts("2024-01-07"), ts("2024-01-08"), ts("2024-01-07"), ts("2024-01-08"), now),
    ]
    together = evaluate_windows(frame, "5m", spans, jump_threshold=0.2)
    stamps = frame["ts"]
    for window, found in zip(spans, together, strict=True):
        rows = frame[(stamps >= window.rows_from) & (stamps < window.rows_to)]
        alone = evaluate_window(
            rows,
            "5m",
            window.start,
            window.end,
            window.now,
            jump_threshold=0.2,
            expect=window.expect,
        )
        assert comparable(found) == comparable(alone)
    day1, days23, day4, empty = together
    assert "low_above_open_close" in day1.broken_rules and len(day1.jumps) == 2
    # The jump at day 3's first candle: its previous close lies in the same window.
    assert ts("2024-01-03") in set(days23.jumps["ts"])
    assert {"invalid_price", "invalid_volume", "off_grid_timestamp", "duplicate_timestamp"} <= set(
        days23.broken_rules
    )
    # Day 4 starts no jump: its first candle's previous close is outside its window.
    assert day4.jumps.empty and "future_candle" in day4.broken_rules
    assert empty.candles == 0 and empty.gaps is None


def test_a_window_starting_at_a_jump_does_not_see_it() -> None:
    frame = ohlcv_frame("BTC/USDT", "2024-01-01", periods=2 * 288)
    frame.loc[288:, ["open", "high", "low", "close"]] *= 3
    now = ts("2024-02-01")
    whole = Window(ts("2024-01-01"), ts("2024-01-03"), ts("2024-01-01"), ts("2024-01-03"), now)
    second = Window(ts("2024-01-02"), ts("2024-01-03"), ts("2024-01-02"), ts("2024-01-03"), now)
    both, alone = evaluate_windows(frame, "5m", [whole, second])
    assert list(both.jumps["ts"]) == [ts("2024-01-02")]
    assert alone.jumps.empty
