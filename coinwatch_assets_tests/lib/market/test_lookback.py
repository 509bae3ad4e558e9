"""Holes in a look-back window: explained ones stay quiet, the rest are listed with reasons."""

import pandas as pd

from coinwatch_assets.lib.market.lookback import lookback_window, unexplained_holes
from coinwatch_assets.lib.quality.registry import empty_registry

NOW = pd.Timestamp("2024-03-10", tz="UTC")


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def stamps(start: str, end: str, *holes: tuple[str, str]) -> pd.Series:
    """5m open times in [start, end) without the inclusive (first, last) missing runs."""
    ts = pd.Series(pd.date_range(t(start), t(end), freq="5min", inclusive="left"))
    for first, last in holes:
        ts = ts[(ts < t(first)) | (ts > t(last))]
    return ts.sample(frac=1.0, random_state=3)  # any order


def registry(*rows: tuple[str, str, str]) -> pd.DataFrame:
    frame = empty_registry()
    for i, (first, last, reason) in enumerate(rows):
        frame.loc[i] = ["x", "A/B", "5m", t(first), t(last), 0, reason, 1, NOW, None]
    return frame


def listed(holes: list[dict[str, object]]) -> list[tuple[str, int, str]]:
    return [(h["gap_start"][11:16], h["missing_candles"], h["reason"]) for h in holes]


def test_window_is_the_lookback_days_and_the_day() -> None:
    assert lookback_window("2024-03-04", 3) == (t("2024-03-01"), t("2024-03-05"))


def test_window_of_several_days_reaches_across_the_month_start() -> None:
    # February's first two days and the end of January they read.
    assert lookback_window("2024-02-01", 3, "2024-02-03") == (t("2024-01-29"), t("2024-02-03"))


def test_explained_holes_are_quiet_and_the_others_carry_their_reasons() -> None:
    series = stamps(
        "2024-03-01",
        "2024-03-02",
        ("2024-03-01 01:00", "2024-03-01 01:10"),  # accepted
        ("2024-03-01 02:00", "2024-03-01 02:00"),  # nobody traded
        ("2024-03-01 03:00", "2024-03-01 03:05"),  # confirmed outage
        ("2024-03-01 04:00", "2024-03-01 04:15"),  # half accepted, half never registered
        ("2024-03-01 05:00", "2024-03-01 05:00"),  # not in the registry at all
    )
    rows = registry(
        ("2024-03-01 01:00", "2024-03-01 01:10", "accepted"),
        ("2024-03-01 02:00", "2024-03-01 02:00", "no_trades"),
        ("2024-03-01 03:00", "2024-03-01 03:05", "confirmed"),
        ("2024-03-01 04:00", "2024-03-01 04:05", "accepted"),
    )
    holes = unexplained_holes(series, "5m", end=t("2024-03-02"), now=NOW, registry=rows)
    assert listed(holes) == [
        ("03:00", 2, "confirmed"),
        ("04:00", 4, "unregistered"),
        ("05:00", 1, "unregistered"),
    ]


def test_a_hole_across_midnight_is_explained_only_when_both_day_rows_are() -> None:
    series = stamps("2024-03-01", "2024-03-03", ("2024-03-01 23:50", "2024-03-02 00:10"))
    night = [("2024-03-01 23:50", "2024-03-01 23:55"), ("2024-03-02 00:00", "2024-03-02 00:10")]
    both = registry(*((a, b, "accepted") for a, b in night))
    end = t("2024-03-03")
    assert unexplained_holes(series, "5m", end=end, now=NOW, registry=both) == []
    split = registry((*night[0], "accepted"), (*night[1], "missed"))
    holes = unexplained_holes(series, "5m", end=end, now=NOW, registry=split)
    assert listed(holes) == [("23:50", 5, "missed")]


def test_before_the_first_candle_after_now_and_at_the_end_of_the_day() -> None:
    late_listing = stamps("2024-03-01 12:00", "2024-03-02")
    end = t("2024-03-02")
    assert unexplained_holes(late_listing, "5m", end=end, now=NOW, registry=registry()) == []
    # Candles stop at 20:00: the rest of the closed day is a hole; of today, only up to now.
    stopped = stamps("2024-03-01", "2024-03-01 20:00")
    holes = unexplained_holes(stopped, "5m", end=end, now=NOW, registry=registry())
    assert listed(holes) == [("20:00", 48, "unregistered")]
    holes = unexplained_holes(
        stopped, "5m", end=end, now=t("2024-03-01 21:00"), registry=registry()
    )
    assert listed(holes) == [("20:00", 12, "unregistered")]  # 20:55 closed at 21:00
    assert unexplained_holes(stopped.iloc[:0], "5m", end=end, now=NOW, registry=registry()) == []
