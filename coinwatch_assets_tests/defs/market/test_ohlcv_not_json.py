"""The `ohlcv` asset when the exchange answers HTML with status 200: retried, or nothing written."""

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.lib.sources import SourceUnavailable
from coinwatch_assets_tests.venue_defs import ohlcv

KLINES = "/api/v3/klines"


def materialize(resources, instance, key):
    return dg.materialize([ohlcv], instance=instance, partition_key=key, resources=resources)


def test_html_then_success_is_retried_and_written(resources, instance, emulator) -> None:
    emulator.garble_next(2, "html")
    assert materialize(resources, instance, "2018-01|ETH-BTC").success
    stored = resources["database"].read("ohlcv")
    assert len(stored) == 5760 and set(stored["symbol"]) == {"ETH/BTC"}  # the recorded month


def test_persistent_html_fails_clearly_and_the_partition_keeps_its_rows(
    resources, instance, emulator
) -> None:
    assert materialize(resources, instance, "2018-01|LTC-BTC").success
    before = resources["database"].read("ohlcv")
    assert len(before) == 5760
    klines_before = emulator.request_counts[KLINES]
    emulator.garble_always("html")
    with pytest.raises(SourceUnavailable) as err:
        materialize(resources, instance, "2018-01|LTC-BTC")
    assert "binance answered text/html, not JSON" in str(err.value)
    assert "LTC/BTC" in str(err.value) and "3 attempts" in str(err.value)
    assert emulator.request_counts[KLINES] - klines_before == 3  # max_attempts
    pd.testing.assert_frame_equal(resources["database"].read("ohlcv"), before)
