"""Parsing the real recorded CoinGecko bodies, and the ticker -> id rules."""

import copy
import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from coinwatch_assets.lib.fundamentals.coin_ids import map_tickers, parse_overrides
from coinwatch_assets.lib.fundamentals.errors import CoinGeckoBodyError
from coinwatch_assets.lib.fundamentals.parse import (
    chart_points,
    coins_list,
    hourly_from_chart,
    market_rows,
    metadata_row,
)
from coinwatch_assets.lib.fundamentals.text import plain_text
from coinwatch_assets_tests.emulators.coingecko_bodies import recorded

HOUR = datetime(2024, 4, 7, 16, tzinfo=UTC)


def test_real_markets_body_becomes_one_full_row():
    rows = market_rows(recorded("GetMarkets.json"), HOUR, {"bitcoin"})
    row = rows.iloc[0]
    assert (row.coin_id, row.price, row.market_cap_rank, row.max_supply) == (
        "bitcoin", 70187, 1, 21000000,
    )  # fmt: skip
    assert row.ath_date == pd.Timestamp("2024-03-14T07:10:36.635Z")
    assert row.last_updated == pd.Timestamp("2024-04-07T16:49:31.736Z")
    assert row.source == "coins/markets"


def test_an_answer_about_coins_not_asked_for_is_refused():
    with pytest.raises(CoinGeckoBodyError, match="'bitcoin' was not asked for"):
        market_rows(recorded("GetMarkets.json"), HOUR, {"ethereum"})
    with pytest.raises(CoinGeckoBodyError, match="about 'bitcoin', not 'ethereum'"):
        metadata_row(recorded("GetAssetDetails.json"), "ethereum", HOUR, HOUR)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("current_price", -1.5, "price -1.5 for coin 'bitcoin', which is negative"),
        ("current_price", float("nan"), "price nan for coin 'bitcoin', which is not a finite"),
        ("market_cap", float("inf"), "market_cap inf for coin 'bitcoin', which is not a finite"),
        ("total_volume", "12", "total_volume '12' for coin 'bitcoin', which is not a number"),
        ("market_cap_rank", 0, "market_cap_rank 0 for coin 'bitcoin', which is not positive"),
    ],
)
def test_bad_numbers_are_refused_naming_coin_field_and_value(field, value, says):
    # through real JSON text: NaN and Infinity are what json.loads makes of such an answer
    body = json.loads(json.dumps([{**recorded("GetMarkets.json")[0], field: value}]))
    with pytest.raises(CoinGeckoBodyError, match=says):
        market_rows(body, HOUR, {"bitcoin"})
    chart = copy.deepcopy(recorded("GetMarketChart.json"))  # the recorded body is cached
    chart["market_caps"][2][1] = -5.0
    with pytest.raises(CoinGeckoBodyError, match="market_cap -5.0 for coin 'bitcoin'"):
        chart_points(chart, "bitcoin")


def test_nulls_and_negative_changes_are_kept():
    entry = {**recorded("GetMarkets.json")[0], "max_supply": None, "price_change_24h": -12.5}
    row = market_rows([entry], HOUR, {"bitcoin"}).iloc[0]
    assert pd.isna(row.max_supply) and row.price_change_24h == -12.5


def test_real_market_chart_gives_the_last_point_of_each_hour():
    points = chart_points(recorded("GetMarketChart.json"), "bitcoin")
    assert len(points) == 3
    hours = [datetime(2024, 3, 31, tzinfo=UTC), datetime(2024, 4, 1, 14, tzinfo=UTC)]
    rows = hourly_from_chart(points, "bitcoin", "btc", hours)
    assert list(rows["ts"]) == [pd.Timestamp(hours[0])]  # 14:00 has no point: not invented
    assert rows.iloc[0].price == pytest.approx(69702.3087473573)
    assert rows.iloc[0].market_cap_rank is None or pd.isna(rows.iloc[0].market_cap_rank)


def test_real_coin_details_become_plain_metadata():
    body = recorded("GetAssetDetails.json")
    row = metadata_row(body, "bitcoin", HOUR, HOUR)
    assert row["homepage"] == "http://www.bitcoin.org"
    assert row["genesis_date"].isoformat() == "2009-01-03"
    assert row["hashing_algorithm"] == "SHA-256"
    assert "<" not in row["description"] and "peer-to-peer" in row["description"]
    assert json.loads(row["platforms"]) == {}  # {"": ""} is a native coin, not a platform
    usdc = metadata_row(recorded("GetAssetDetailsFromContract.json"), "usd-coin", HOUR, HOUR)
    assert json.loads(usdc["platforms"])["ethereum"].startswith("0xa0b86991")
    assert "Stablecoins" in json.loads(usdc["categories"])


def test_plain_text_removes_tags_and_entities():
    assert plain_text("<p>A &amp; B <a href='x'>link</a></p>\r\n<br>next") == "A & B link next"
    assert plain_text("") is None


def test_coins_list_shape_is_checked():
    assert list(coins_list(recorded("GetAssets.json"))["id"]) == ["0chain", "01coin"]
    with pytest.raises(CoinGeckoBodyError, match="lacks id/symbol/name"):
        coins_list([{"id": "x"}])


def test_ambiguous_tickers_map_only_through_overrides():
    coins = pd.DataFrame(
        {
            "id": ["ethereum", "ethereum-wormhole", "solana", "luna-a", "luna-b"],
            "symbol": ["eth", "eth", "sol", "luna", "luna"],
            "name": ["Ethereum", "Ethereum (Wormhole)", "Solana", "Luna A", "Luna B"],
        }
    )
    mapped = map_tickers(["ETH", "SOL", "LUNA", "XYZ"], coins, {}).set_index("ticker")
    assert mapped.loc["SOL", "coin_id"] == "solana" and mapped.loc["SOL", "status"] == "mapped"
    assert mapped.loc["ETH", "status"] == "ambiguous" and pd.isna(mapped.loc["ETH", "coin_id"])
    assert mapped.loc["ETH", "candidates"] == "ethereum,ethereum-wormhole"
    assert mapped.loc["XYZ", "status"] == "unmapped"
    overrides = parse_overrides("eth=ethereum, LUNA=luna-gone")
    mapped = map_tickers(["ETH", "LUNA"], coins, overrides).set_index("ticker")
    assert mapped.loc["ETH", "coin_id"] == "ethereum" and mapped.loc["ETH", "status"] == "override"
    assert mapped.loc["LUNA", "status"] == "unknown_override"
    with pytest.raises(ValueError, match="COINGECKO_ID_OVERRIDES"):
        parse_overrides("ETH")
