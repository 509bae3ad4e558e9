"""The CoinGecko client: budget, retries, breaker and clear errors, over real HTTP."""

import logging
import time

import pytest

from coinwatch_assets.lib.fundamentals.client import ClientPolicy, CoinGeckoClient
from coinwatch_assets.lib.fundamentals.errors import (
    CoinGeckoBodyError,
    CoinGeckoConfigError,
    CoinGeckoUnavailable,
)
from coinwatch_assets_tests.emulators.coingecko import CoinGeckoEmulator

FAST = ClientPolicy(
    calls_per_minute=1000,
    timeout_seconds=5,
    max_attempts=4,
    base_delay_seconds=0.01,
    max_delay_seconds=0.05,
)
KEY = "CG-secret-key-0123456789"


def client(emu: CoinGeckoEmulator, **policy) -> CoinGeckoClient:
    fields = {**FAST.__dict__, **policy}
    return CoinGeckoClient(emu.api_url, policy=ClientPolicy(**fields))


def test_burst_stays_within_the_budget_shared_by_every_client(emulator: CoinGeckoEmulator):
    # 5 calls per 2 s: 14 calls from two clients of one root must spread over >= 3 windows
    first, second = (
        client(emulator, calls_per_minute=5, budget_window_seconds=2),
        client(emulator, calls_per_minute=5, budget_window_seconds=2),
    )
    for _ in range(7):
        first.get("/ping")
        second.get("/ping")
    assert len(emulator.calls) == 14
    assert emulator.max_calls_in_window(2.0) <= 5
    assert emulator.max_calls_in_window(2.0) == 5  # the budget is used, not just throttled


def test_429_with_retry_after_is_retried_and_succeeds(emulator: CoinGeckoEmulator):
    emulator.fail_next(2, status=429, retry_after="1", path="/api/v3/coins/markets")
    rows = client(emulator).get("/coins/markets", {"vs_currency": "usd"})
    assert [r["id"] for r in rows] == ["bitcoin", "ethereum"]
    times = [t for t, *_ in emulator.calls]
    assert len(times) == 3
    # Retry-After: 1 is honoured although the backoff alone would wait 10-50 ms
    assert all(b - a >= 0.95 for a, b in zip(times, times[1:], strict=False))


def test_5xx_is_retried(emulator: CoinGeckoEmulator):
    emulator.fail_next(1, status=503)
    assert client(emulator).get("/ping") == {"gecko_says": "(V3) To the Moon!"}
    assert len(emulator.calls) == 2


@pytest.mark.parametrize(
    ("fault", "error", "says"),
    [
        ({"kind": "code", "code": 10002}, CoinGeckoConfigError, "COINGECKO_API_KEY"),
        ({"kind": "code", "code": 10005}, CoinGeckoConfigError, "not in your plan"),
        ({"kind": "code", "code": 10010}, CoinGeckoConfigError, "pro-api.coingecko.com/api/v3"),
        ({"kind": "code", "code": 10011}, CoinGeckoConfigError, "api.coingecko.com/api/v3 and"),
        ({"kind": "cdn_block"}, CoinGeckoConfigError, "1020"),
        ({"kind": "truncated"}, CoinGeckoBodyError, "truncated"),
        ({"kind": "html"}, CoinGeckoBodyError, "answered GET /coins/markets with text/html, not"),
        ({"kind": "non_utf8"}, CoinGeckoBodyError, "not valid UTF-8"),
    ],
)
def test_each_error_answer_gives_its_clear_error_at_once(emulator, fault, error, says):
    emulator.fail_next(1, **fault)
    with pytest.raises(error, match=says) as caught:
        client(emulator).get("/coins/markets", {"vs_currency": "usd"})
    assert "nothing was written" in str(caught.value) or error is CoinGeckoConfigError
    assert len(emulator.calls) == 1  # never retried: retrying cannot fix these


def test_the_key_goes_in_its_plan_header_and_never_into_logs(emulator, caplog):
    caplog.set_level(logging.DEBUG)
    emulator.require_key("x-cg-demo-api-key", KEY)
    emulator.fail_next(1, status=429, retry_after="0")
    demo = CoinGeckoClient(emulator.api_url, plan="demo", api_key=KEY, policy=FAST)
    assert demo.get("/ping")
    _, _, _, headers = emulator.calls[-1]
    assert headers["x-cg-demo-api-key"] == KEY
    assert headers["user-agent"].startswith("coinwatch/")
    wrong = CoinGeckoClient(emulator.api_url, plan="demo", api_key="CG-wrong", policy=FAST)
    with pytest.raises(CoinGeckoConfigError, match="COINGECKO_API_KEY") as caught:
        wrong.get("/ping")
    assert "CG-wrong" not in str(caught.value)
    pro = CoinGeckoClient(emulator.api_url, plan="pro", api_key=KEY, policy=FAST)
    with pytest.raises(CoinGeckoConfigError):
        pro.get("/ping")  # the pro header is not the demo one
    assert "x-cg-pro-api-key" in emulator.calls[-1][3]
    assert KEY not in caplog.text and "CG-wrong" not in caplog.text


def test_a_plan_without_a_key_or_an_unknown_plan_fails_before_calling(emulator):
    with pytest.raises(CoinGeckoConfigError, match="needs COINGECKO_API_KEY"):
        CoinGeckoClient(emulator.api_url, plan="pro", api_key=None)
    with pytest.raises(CoinGeckoConfigError, match="public, demo or pro"):
        CoinGeckoClient(emulator.api_url, plan="enterprise", api_key=KEY)
    assert emulator.calls == []


def test_a_slow_answer_times_out_and_is_retried(emulator: CoinGeckoEmulator):
    emulator.fail_next(1, kind="slow", delay=1.0)
    assert client(emulator, timeout_seconds=0.3).get("/ping")
    assert len(emulator.calls) == 2
    emulator.fail_always(kind="slow", delay=0.5)
    with pytest.raises(CoinGeckoUnavailable, match=r"did not answer GET /ping within 0\.3 s"):
        client(emulator, timeout_seconds=0.3, max_attempts=2).get("/ping")


def test_breaker_opens_after_repeated_failures_and_closes_after_the_cool_down(
    emulator: CoinGeckoEmulator, caplog
):
    caplog.set_level(logging.INFO)
    emulator.fail_always(status=500)
    cg = client(emulator, max_attempts=10, breaker_failures=3, breaker_cooldown_seconds=1)
    with pytest.raises(CoinGeckoUnavailable, match="circuit breaker is open"):
        cg.get("/ping")
    assert len(emulator.calls) == 3  # it stopped calling after 3 failures, not 10
    with pytest.raises(CoinGeckoUnavailable, match=r"Calls resume after .* UTC \(cool-down 1 s\)"):
        cg.get("/ping")
    assert len(emulator.calls) == 3  # open: nothing sent
    assert "circuit breaker OPEN" in caplog.text
    emulator.clear_faults()
    time.sleep(1.1)
    assert cg.get("/ping")  # the trial call after the cool-down succeeds: closed again
    assert cg.breaker.current_state == "closed"
    assert "calls resume" in caplog.text
