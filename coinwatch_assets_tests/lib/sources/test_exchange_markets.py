"""ExchangeSource.list_markets and construction, with the real ccxt client and the emulator."""

from __future__ import annotations

import math

import pytest

from coinwatch_assets.lib.sources.base import MARKET_COLUMNS, MarketDataSource
from coinwatch_assets.lib.sources.errors import SourceError, UnknownSymbol
from coinwatch_assets.lib.sources.exchange import ExchangeSource, deep_merge
from coinwatch_assets.lib.sources.factory import source_from_env


@pytest.fixture
def markets(emulator):
    emulator.add_market("BTC/USDT", quote_volume=5.0e9)
    emulator.add_market("ETH/USDT", quote_volume=2.0e9)
    emulator.add_market("SOL/USDT", quote_volume=1.0e9)
    emulator.add_market("XRP/ETH", quote_volume=3.0e9)
    emulator.add_market("OLD/USDT", status="BREAK", quote_volume=9.0e9)
    return emulator


def test_default_is_active_usdt_markets_by_volume(markets, make_source):
    frame = make_source().list_markets()
    assert list(frame.columns) == MARKET_COLUMNS
    assert list(frame["symbol"]) == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]  # not OLD (inactive)
    assert list(frame["quote_volume_24h"]) == [5.0e9, 2.0e9, 1.0e9]
    assert set(frame["exchange"]) == {"binance"} and frame["active"].all()
    assert list(frame.iloc[0][["base", "quote"]]) == ["BTC", "USDT"]
    assert markets.request_counts["/api/v3/exchangeInfo"] == 1
    assert markets.request_counts["/api/v3/ticker/24hr"] == 1


def test_top_n_and_other_quotes(markets, make_source):
    source = make_source()
    assert list(source.list_markets(top_n=2)["symbol"]) == ["BTC/USDT", "ETH/USDT"]
    assert list(source.list_markets(quote="ETH")["symbol"]) == ["XRP/ETH"]
    every_quote = source.list_markets(quote=None, top_n=3)
    assert list(every_quote["symbol"]) == ["BTC/USDT", "XRP/ETH", "ETH/USDT"]
    assert source.list_markets(quote="EUR").empty


def test_explicit_symbols_keep_their_order_and_get_volumes(markets, make_source):
    frame = make_source().list_markets(symbols=["XRP/ETH", "SOL/USDT"])
    assert list(frame["symbol"]) == ["XRP/ETH", "SOL/USDT"]
    assert list(frame["quote_volume_24h"]) == [3.0e9, 1.0e9]
    ticker_query = [q for p, q in markets.requests if p == "/api/v3/ticker/24hr"][-1]
    assert ticker_query["symbols"] == '["XRPETH","SOLUSDT"]'


def test_unknown_explicit_symbols_are_named(markets, make_source):
    with pytest.raises(UnknownSymbol) as caught:
        make_source().list_markets(symbols=["BTC/USDT", "NOPE/USDT", "OLD/USDT"])
    assert "NOPE/USDT, OLD/USDT" in str(caught.value) and "binance" in str(caught.value)


def test_volumes_are_nan_without_tickers(markets, make_source):
    source = make_source()
    source.client.has["fetchTickers"] = False
    frame = source.list_markets()
    assert all(math.isnan(v) for v in frame["quote_volume_24h"])
    assert list(frame["symbol"]) == ["BTC/USDT", "ETH/USDT", "SOL/USDT"]  # then by symbol


def test_the_source_satisfies_the_protocol(make_source):
    assert isinstance(make_source(), MarketDataSource)


def test_config_is_merged_and_rate_limit_stays_on(emulator):
    config = emulator.ccxt_config()
    config["enableRateLimit"] = False
    source = ExchangeSource("binance", config)
    assert source.client.enableRateLimit is True
    assert source.client.urls["api"]["public"] == emulator.base_url + "/api/v3"
    assert source.client.options["fetchMarkets"]["types"] == ["spot"]
    assert source.page_limit == 1000 and source.exchange_id == "binance"
    assert ExchangeSource("kraken").page_limit == 720
    assert ExchangeSource("bitstamp").page_limit == 500


def test_sandbox_switches_to_the_testnet():
    source = ExchangeSource("binance", {"sandbox": True})
    assert source.client.urls["api"]["public"] == "https://testnet.binance.vision/api/v3"


def test_an_unknown_exchange_is_refused():
    with pytest.raises(SourceError, match="nosuchexchange: not an exchange ccxt knows"):
        ExchangeSource("nosuchexchange")


def test_deep_merge_merges_dicts_and_replaces_lists():
    base = {"options": {"a": 1, "types": ["spot", "linear"]}, "x": 1}
    merged = deep_merge(base, {"options": {"types": ["spot"]}, "y": 2})
    assert merged == {"options": {"a": 1, "types": ["spot"]}, "x": 1, "y": 2}
    assert base["options"]["types"] == ["spot", "linear"]


def test_source_from_env_points_at_the_emulator(markets):
    import json

    env = {"COINWATCH_CCXT_CONFIG": json.dumps(markets.ccxt_config())}
    source = source_from_env(env)
    assert isinstance(source, ExchangeSource)
    assert list(source.list_markets(top_n=1)["symbol"]) == ["BTC/USDT"]
