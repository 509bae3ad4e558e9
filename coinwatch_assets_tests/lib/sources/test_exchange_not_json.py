"""Answers that are not JSON (HTML with status 200, a truncated body): said so, and retried."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coinwatch_assets.lib.sources.errors import SourceUnavailable
from coinwatch_assets_tests.lib.sources.conftest import FULL_DAY, SYMBOL

KLINES = "/api/v3/klines"
NEXT_DAY = FULL_DAY + timedelta(days=1)
SAYS = {
    "html": "binance answered text/html, not JSON (HTTP 200",
    "truncated": "binance answered application/json that does not parse as JSON, truncated",
}


@pytest.mark.parametrize("kind", ["html", "truncated"])
def test_not_json_then_success_is_retried_and_complete(emulator, make_source, sleeps, kind):
    source = make_source(page_limit=1000)
    source.list_markets()
    emulator.garble_next(2, kind)
    frame = source.fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)
    assert len(frame) == 1440
    assert emulator.request_counts[KLINES] == 2 + 2  # two pages, two garbled answers
    assert len(sleeps.waits) == 2


@pytest.mark.parametrize("kind", ["html", "truncated"])
def test_persistent_not_json_fails_clearly_after_bounded_retries(
    emulator, make_source, sleeps, kind
):
    source = make_source()
    source.list_markets()
    emulator.garble_always(kind)
    with pytest.raises(SourceUnavailable) as caught:
        source.fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)
    message = str(caught.value)
    assert SAYS[kind] in message and "3 attempts" in message
    assert SYMBOL in message and "2017-11-12" in message
    assert "timestamp None" not in message
    assert emulator.request_counts[KLINES] == 3 and len(sleeps.waits) == 2


def test_markets_answer_in_html_says_so(emulator, make_source):
    emulator.garble_always("html", path="/api/v3/exchangeInfo")
    with pytest.raises(SourceUnavailable, match="answered text/html, not JSON"):
        make_source().list_markets()


def test_error_statuses_keep_their_own_handling(emulator, make_source, sleeps):
    # A 429 is still a rate limit (DDoSProtection with Retry-After), not "not JSON".
    emulator.fail_next(1, status=429, retry_after="0.5")
    assert len(make_source().fetch_ohlcv(SYMBOL, "1m", FULL_DAY, NEXT_DAY)) == 1440
    assert sleeps.waits and sleeps.waits[0] >= 0.5
