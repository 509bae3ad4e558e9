"""The emulator speaks Binance's wire format and parameter semantics (checked over HTTP)."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from coinwatch_assets_tests.emulators.binance import BinanceEmulator
from coinwatch_assets_tests.lib.sources.conftest import FULL_DAY_MS, SYMBOL
from coinwatch_assets_tests.shared_data import shared_path

MARKET_ID = "UNITTESTBTC"


@pytest.fixture
def http(emulator: BinanceEmulator):
    with httpx.Client(base_url=emulator.base_url + "/api/v3") as client:
        yield client


def test_kline_rows_match_the_recorded_binance_response(binance_emulator, http):
    recorded = json.loads(
        shared_path("exchange_responses", "binance_fetchOHLCV_static_response.json").read_text()
    )["fetchOHLCV"][0]  # spot BTC/USDT 1h
    binance_emulator.add_market("BTC/USDT", np.array(recorded["parsedResponse"]), interval="1h")
    since = recorded["input"][2]
    body = http.get(
        "/klines", params={"symbol": "BTCUSDT", "interval": "1h", "startTime": since, "limit": 3}
    ).json()
    for ours, theirs in zip(body, recorded["httpResponse"], strict=True):
        assert len(ours) == len(theirs) == 12
        assert [type(v) for v in ours] == [type(v) for v in theirs]
        assert ours[:7] == theirs[:7]  # open time, OHLCV strings, close time


def test_klines_window_and_limit_semantics(emulator, http):
    def get(**params):
        return http.get("/klines", params={"symbol": MARKET_ID, "interval": "1m", **params})

    rows = get(startTime=FULL_DAY_MS, endTime=FULL_DAY_MS + 9 * 60_000).json()
    assert [r[0] for r in rows] == [FULL_DAY_MS + i * 60_000 for i in range(10)]
    assert len(get(startTime=FULL_DAY_MS).json()) == 500  # default limit
    assert len(get(startTime=FULL_DAY_MS, limit=1000).json()) == 1000
    latest = get(endTime=FULL_DAY_MS - 1, limit=2).json()  # no start: the latest rows
    assert [r[0] for r in latest] == [FULL_DAY_MS - 120_000, FULL_DAY_MS - 60_000]
    assert get(startTime=FULL_DAY_MS, limit=1001).json()["code"] == -1130
    assert get(startTime=FULL_DAY_MS, endTime=FULL_DAY_MS - 1).json()["code"] == -1023


def test_errors_use_binance_codes(emulator, http):
    bad_symbol = http.get("/klines", params={"symbol": "NOPEUSDT", "interval": "1m"})
    assert bad_symbol.status_code == 400
    assert bad_symbol.json() == {"code": -1121, "msg": "Invalid symbol."}
    bad_interval = http.get("/klines", params={"symbol": MARKET_ID, "interval": "7m"})
    assert bad_interval.json()["code"] == -1120
    assert http.get("/klines", params={"interval": "1m"}).json()["code"] == -1102
    assert http.get("/nothing").status_code == 404


def test_faults_are_served_then_cleared(emulator, http):
    emulator.fail_next(2, status=429, retry_after="3")
    params = {"symbol": MARKET_ID, "interval": "1m", "limit": 1}
    first = http.get("/klines", params=params)
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert first.json()["code"] == -1003
    assert http.get("/exchangeInfo").status_code == 200  # the fault only hits /klines
    assert http.get("/klines", params=params).status_code == 429
    assert http.get("/klines", params=params).status_code == 200
    emulator.fail_always(418)
    assert http.get("/time").status_code == 418
    emulator.clear_faults()
    assert http.get("/ping").json() == {}
    assert emulator.request_counts["/api/v3/klines"] == 3


def test_now_hides_unopened_candles_and_serves_the_open_one(emulator, http):
    emulator.now_ms = FULL_DAY_MS + 30_000
    rows = http.get(
        "/klines", params={"symbol": MARKET_ID, "interval": "1m", "startTime": FULL_DAY_MS - 60_000}
    ).json()
    assert [r[0] for r in rows] == [FULL_DAY_MS - 60_000, FULL_DAY_MS]
    assert rows[-1][6] > emulator.now_ms  # its close time is still ahead
    assert http.get("/time").json() == {"serverTime": FULL_DAY_MS + 30_000}


def test_exchange_info_and_tickers(emulator, http):
    info = http.get("/exchangeInfo").json()
    assert [s["symbol"] for s in info["symbols"]] == [MARKET_ID]
    assert info["symbols"][0]["baseAsset"] == "UNITTEST"
    every = http.get("/ticker/24hr").json()
    one = http.get("/ticker/24hr", params={"symbol": MARKET_ID}).json()
    assert every == [one] and one["quoteVolume"] == "1000000.00000000"
    some = http.get("/ticker/24hr", params={"symbols": json.dumps([MARKET_ID])}).json()
    assert some == [one]
    assert http.get("/ticker/24hr", params={"symbol": "NOPEUSDT"}).json()["code"] == -1121


def test_the_ccxt_config_points_every_api_root_at_the_emulator(emulator):
    config = emulator.ccxt_config()
    assert config["urls"]["api"]["public"] == emulator.base_url + "/api/v3"
    assert all(url.startswith(emulator.base_url) for url in config["urls"]["api"].values())
    assert config["options"]["fetchMarkets"]["types"] == ["spot"]


def test_malform_rejects_unknown_kinds(emulator):
    with pytest.raises(ValueError, match="kind must be one of"):
        emulator.malform(SYMBOL, FULL_DAY_MS, "garbled")


def test_using_it_before_start_is_an_error():
    with pytest.raises(RuntimeError, match="not running"):
        BinanceEmulator().ccxt_config()
