"""A venue's request budget, enforced for every request through ccxt's throttle.

The Kraken emulator enforces a server-side limit equal to the client's budget (scaled to a
1-second window so the test takes seconds, not minutes): a fetch of >= 30 pages gets no 429.
"""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from coinwatch_assets.lib.sources import SourceUnavailable
from coinwatch_assets.lib.sources.exchange import ExchangeSource
from coinwatch_assets.lib.sources.retry import RetryPolicy
from coinwatch_assets_tests.emulators.kraken import KrakenEmulator

START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 15  # 15 days of 1m candles = 21,600 candles = 30 pages of 720
BUDGET_PER_SECOND = 5  # the server's limit: 5 requests per 1 s sliding window


def minute_candles(days: int) -> np.ndarray:
    ts = START.timestamp() * 1000 + np.arange(days * 1440) * 60_000
    close = 100 + np.cumsum(np.random.default_rng(1).normal(0, 0.1, len(ts)))
    return np.column_stack([ts, close, close + 0.5, close - 0.5, close, np.ones(len(ts))])


@pytest.fixture
def kraken() -> KrakenEmulator:
    with KrakenEmulator(limit=BUDGET_PER_SECOND, window_seconds=1.0) as emu:
        emu.add_market("BTC/USD", minute_candles(DAYS), interval="1m")
        yield emu


def fetch(kraken: KrakenEmulator, requests_per_minute: int, attempts: int = 1):
    source = ExchangeSource(
        "kraken",
        kraken.ccxt_config(),
        requests_per_minute=requests_per_minute,
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.05),
    )
    return source.fetch_ohlcv("BTC/USD", "1m", START, START + timedelta(days=DAYS))


def test_a_budget_equal_to_the_server_limit_gets_no_429_over_30_pages(kraken) -> None:
    frame = fetch(kraken, requests_per_minute=BUDGET_PER_SECOND * 60)
    assert len(frame) == DAYS * 1440
    assert kraken.request_counts["/0/public/OHLC"] >= 30
    assert kraken.rejected == 0


def test_without_the_budget_the_same_fetch_is_refused(kraken) -> None:
    # the control: a client faster than the server's limit gets 429s (so the test can fail)
    with pytest.raises(SourceUnavailable, match="RateLimitExceeded|DDoSProtection|429"):
        fetch(kraken, requests_per_minute=60_000)
    assert kraken.rejected >= 1
