"""CoinGecko trending (the recorded non-UTF-8 body), exchanges and community votes."""

from datetime import UTC, datetime

import dagster as dg
import pytest

from coinwatch_assets.defs.fundamentals.assets import coin_ids, coin_metadata
from coinwatch_assets.defs.fundamentals.market_info import (
    coingecko_exchanges,
    coingecko_trending,
    exchanges_partitions,
    trending_partitions,
)
from coinwatch_assets.defs.fundamentals.partitions import coin_metadata_partitions
from coinwatch_assets.defs.fundamentals.resources import CoinGeckoResource


def now_key(pdef) -> str:
    return pdef.get_partition_key_for_timestamp(datetime.now(UTC).timestamp())


def test_trending_reads_the_recorded_body_with_its_stray_latin1_bytes(
    resources, instance, emulator
):
    # every /search/trending answer is the real capture, 0xA0 bytes and all
    emulator.fail_always(kind="non_utf8", path="/api/v3/search/trending")
    key = now_key(trending_partitions)
    result = dg.materialize([coingecko_trending], resources=resources, instance=instance,
                            partition_key=key)  # fmt: skip
    assert result.success
    rows = resources["database"].read("coingecko_trending")
    assert rows["kind"].value_counts().to_dict() == {"coin": 15, "nft": 7, "category": 6}
    first = rows[(rows["kind"] == "coin") & (rows["position"] == 0)].iloc[0]
    assert (first["item_id"], first["symbol"], first["market_cap_rank"]) == (
        "qubic-network", "QUBIC", 368,
    )  # fmt: skip
    assert first["price_usd"] == pytest.approx(9.04766669820536e-07)


def test_a_past_hour_of_trending_is_refused(resources, instance):
    past = trending_partitions.get_partition_key_for_timestamp(datetime(2024, 1, 1).timestamp())
    result = dg.materialize([coingecko_trending], resources=resources, instance=instance,
                            partition_key=past, raise_on_error=False)  # fmt: skip
    assert not result.success
    assert resources["database"].read("coingecko_trending").empty


def test_exchanges_from_the_recorded_body(resources, instance):
    key = now_key(exchanges_partitions)
    assert dg.materialize([coingecko_exchanges], resources=resources, instance=instance,
                          partition_key=key).success  # fmt: skip
    rows = resources["database"].read("coingecko_exchanges").set_index("exchange_id")
    assert sorted(rows.index) == ["bybit_spot", "gdax"]
    assert rows.loc["gdax", ["country", "year_established", "trust_score_rank"]].tolist() == [
        "United States", 2012, 2,
    ]  # fmt: skip


def test_coin_metadata_keeps_the_community_votes(resources, instance):
    dg.materialize([coin_ids], resources=resources, instance=instance)
    key = now_key(coin_metadata_partitions)
    assert dg.materialize([coin_metadata], resources=resources, instance=instance,
                          partition_key=key).success  # fmt: skip
    meta = resources["database"].read("coin_metadata").set_index("coin_id")
    # the recorded /coins/{id} body's votes
    assert meta.loc["bitcoin", "sentiment_votes_up_pct"] == pytest.approx(84.07)
    assert meta.loc["bitcoin", "sentiment_votes_down_pct"] == pytest.approx(15.93)


def test_the_offline_sample_serves_trending_and_exchanges(resources, instance):
    sample = {**resources, "coingecko": CoinGeckoResource(source="sample")}
    for asset, pdef, table, count in (
        (coingecko_trending, trending_partitions, "coingecko_trending", 10),
        (coingecko_exchanges, exchanges_partitions, "coingecko_exchanges", 5),
    ):
        assert dg.materialize([asset], resources=sample, instance=instance,
                              partition_key=now_key(pdef)).success  # fmt: skip
        assert len(sample["database"].read(table)) == count
