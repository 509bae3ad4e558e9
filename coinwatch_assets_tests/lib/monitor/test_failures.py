"""Failure reports without Dagster: redaction, hole text, rows and alert payloads."""

from datetime import UTC, datetime

import pytest

from coinwatch_assets.lib.monitor.alerts import AlertError, post_alert
from coinwatch_assets.lib.monitor.failures import (
    DATA_QUALITY,
    ERROR,
    FailureReport,
    alert_payload,
    check_failure_message,
    errors_frame,
    keys_text,
    redact,
)
from coinwatch_assets_tests.emulators.webhook import WebhookReceiver

WHEN = datetime(2024, 3, 5, 1, 2, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql+psycopg://cw:pw@db:5432/x down", "postgresql+psycopg://***@db:5432/x down"),
        ("http://u:p@proxy:3128", "http://***@proxy:3128"),
        ('{"apiKey": "abcd1234", "secret": "zz"}', '{"apiKey": "***", "secret": "***"}'),
        ("token=abc&x=1", "token=***&x=1"),
        ("no secrets here: BTC/USDT 02:00", "no secrets here: BTC/USDT 02:00"),
    ],
)
def test_redact_masks_credentials(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_masks_given_secret_values_anywhere() -> None:
    assert redact("hook https://hooks.example/T0/SECRETPATH failed", ["SECRETPATH"]) == (
        "hook https://hooks.example/T0/*** failed"
    )


def test_check_failure_message_names_partition_and_holes() -> None:
    holes = [
        {
            "gap_start": "2024-03-04T02:00:00Z",
            "gap_end": "2024-03-04T02:10:00Z",
            "missing_candles": 3,
            "reason": "missed",
            "attempts": 1,
        },
        {
            "gap_start": "2024-03-04T23:55:00Z",
            "gap_end": "2024-03-05T00:20:00Z",
            "missing_candles": 6,
            "reason": "missed",
            "attempts": 1,
        },
    ]
    text = check_failure_message("ohlcv_quality", "2024-03|ETH-USDT", holes, "2 hole(s)")
    assert text == (
        "ohlcv_quality failed on 2024-03|ETH-USDT: 2 hole(s): "
        "2024-03-04 02:00-02:10 UTC (3 candle(s), missed), "
        "2024-03-04 23:55-2024-03-05 00:20 UTC (6 candle(s), missed)"
    )
    assert check_failure_message("ohlcv_quality", "k", [], "no holes; broken: x") == (
        "ohlcv_quality failed on k: no holes; broken: x"
    )
    # Holes and broken candles of one month: the line names both.
    broken = {"2024-03-09": ["invalid_volume"], "2024-03-02": ["invalid_price", "invalid_volume"]}
    assert check_failure_message("ohlcv_quality", "k", holes[:1], "", broken) == (
        "ohlcv_quality failed on k: 1 hole(s): 2024-03-04 02:00-02:10 UTC (3 candle(s), missed); "
        "broken: invalid_price, invalid_volume on 2024-03-02, 2024-03-09"
    )


def test_keys_text_is_bounded() -> None:
    assert keys_text(["a", "b"]) == "a, b"
    assert keys_text([str(i) for i in range(30)]).endswith("... (30 in all)")


def test_rows_and_payload_of_one_run() -> None:
    failures = [
        FailureReport(DATA_QUALITY, "checks", "ohlcv_no_gaps", "holes", "2024-03-04|ETH-USDT"),
        FailureReport(ERROR, "ohlcv", "RuntimeError", "pw=hunter22 at db"),
    ]
    kwargs = dict(
        run_id="r" * 36,
        job="j",
        assets=["ohlcv"],
        partitions=["a...b"],
        failures=failures,
        failed_at=WHEN,
        secrets=["hunter22"],
    )
    frame = errors_frame(**kwargs)
    assert list(frame["seq"]) == [0, 1]
    assert list(frame["partition_keys"]) == ["2024-03-04|ETH-USDT", "a...b"]
    assert "hunter22" not in " ".join(frame["message"])
    payload = alert_payload(**kwargs)
    assert payload["kind"] == ERROR  # not every failure is a data-quality one
    assert payload["failed_at"] == "2024-03-05T01:02:03+00:00"
    assert "hunter22" not in str(payload)


def test_post_alert_retries_then_succeeds() -> None:
    with WebhookReceiver(fail_first=1) as hook:
        assert post_alert(hook.url, {"a": 1}, attempts=3, base_delay=0.01) == 2
        assert hook.alerts() == [{"a": 1}]


def test_post_alert_gives_up_after_the_bound_without_leaking_the_url() -> None:
    with WebhookReceiver(fail_first=10) as hook:
        with pytest.raises(AlertError) as err:
            post_alert(hook.url, {"a": 1}, attempts=3, base_delay=0.01)
        assert len(hook.requests) == 3
    assert "HTTP 503 after 3 attempt(s)" in str(err.value)
    assert "/hooks/" not in str(err.value)


def test_post_alert_unreachable_host_is_bounded() -> None:
    with WebhookReceiver() as hook:
        url = hook.url
    with pytest.raises(AlertError, match="unreachable after 2 attempt"):
        post_alert(url, {"a": 1}, attempts=2, base_delay=0.01, timeout=2)
