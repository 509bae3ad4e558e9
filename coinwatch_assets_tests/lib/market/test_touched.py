"""The days of a month partition a derived run recomputes, from the windows ohlcv wrote."""

from datetime import UTC, date, datetime

import pytest

from coinwatch_assets.lib.market.touched import (
    derive_windows,
    lookback_months,
    months_read,
    previous_month,
    touched_window,
    whole_days,
)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_whole_days_round_out_to_midnights() -> None:
    assert whole_days(t("2024-03-05 09:00"), t("2024-03-05 12:00")) == (
        t("2024-03-05"),
        t("2024-03-06"),
    )
    assert whole_days(t("2024-03-05"), t("2024-03-07")) == (t("2024-03-05"), t("2024-03-07"))


def test_unknown_touch_is_the_whole_month_from_the_venue_start() -> None:
    assert derive_windows("2024-02", None) == [(t("2024-02-01"), t("2024-03-01"))]
    assert derive_windows("2024-02", None, since=date(2024, 2, 10)) == [
        (t("2024-02-10"), t("2024-03-01"))
    ]
    assert derive_windows("2024-01", None, since=date(2024, 2, 10)) == []


def test_an_intraday_touch_is_its_day_and_the_days_reading_it() -> None:
    today = [(t("2024-03-31 23:00"), t("2024-03-31 23:55"))]
    assert derive_windows("2024-03", today) == [(t("2024-03-31"), t("2024-04-01"))]
    # The indicators of April's first three days read March 31.
    assert derive_windows("2024-04", today, follow_days=3) == [(t("2024-04-01"), t("2024-04-04"))]
    assert derive_windows("2024-04", [(t("2024-03-05"), t("2024-03-06"))], follow_days=3) == []


def test_windows_of_several_runs_merge() -> None:
    runs = [
        (t("2024-03-05 10:00"), t("2024-03-05 11:00")),
        (t("2024-03-06 00:00"), t("2024-03-06 00:05")),
        (t("2024-03-20 00:00"), t("2024-03-21 00:00")),
    ]
    assert derive_windows("2024-03", runs) == [
        (t("2024-03-05"), t("2024-03-07")),
        (t("2024-03-20"), t("2024-03-21")),
    ]


@pytest.mark.parametrize(
    ("start", "end", "window"),
    [
        (
            "2024-03-05T10:00:00+00:00",
            "2024-03-05T11:00:00+00:00",
            (t("2024-03-05 10:00"), t("2024-03-05 11:00")),
        ),
        (
            "2024-03-05T10:00:00",
            "2024-03-05T11:00:00",
            (t("2024-03-05 10:00"), t("2024-03-05 11:00")),
        ),
        ("2024-03-05T10:00:00+00:00", None, None),
        ("yesterday", "today", None),
        (None, None, None),
    ],
)
def test_touched_window_from_recorded_times(start, end, window) -> None:
    assert touched_window(start, end) == window


def test_previous_month() -> None:
    assert previous_month("2024-01") == "2023-12"
    assert previous_month("2024-03") == "2024-02"


def test_months_a_lookback_reads() -> None:
    assert months_read("2024-03", 3) == ["2024-02", "2024-03"]
    assert months_read("2024-03", 28) == ["2024-02", "2024-03"]
    assert months_read("2024-01", 29) == ["2023-11", "2023-12", "2024-01"]
    assert lookback_months(600) == 22  # daily candles: 600 days
