"""The great-expectations suites: pass on the real recorded bodies, name what a bad batch breaks."""

from datetime import UTC, datetime, timedelta

import pandas as pd

from coinwatch_assets.lib.fundamentals.parse import market_rows, metadata_row
from coinwatch_assets.lib.fundamentals.suites import (
    coin_metadata_suite,
    market_metrics_suite,
    validate,
)
from coinwatch_assets_tests.emulators.coingecko_bodies import recorded

HOUR = datetime(2024, 4, 7, 16, tzinfo=UTC)  # the recorded /coins/markets answer's hour
GRACE = timedelta(minutes=15)


def test_real_bodies_pass_both_suites():
    rows = market_rows(recorded("GetMarkets.json"), HOUR, {"bitcoin"})
    evaluated, failures = validate(
        rows, market_metrics_suite(HOUR, HOUR + timedelta(hours=1) + GRACE), "mm", ["coin_id"]
    )
    assert evaluated == 9 and failures == []
    meta = pd.DataFrame(
        [
            metadata_row(recorded("GetAssetDetails.json"), "bitcoin", HOUR, HOUR),
            metadata_row(recorded("GetAssetDetailsFromContract.json"), "usd-coin", HOUR, HOUR),
        ]
    )
    assert validate(meta, coin_metadata_suite(), "cm", ["coin_id"]) == (4, [])


def test_a_crafted_bad_batch_fails_naming_each_expectation_with_examples():
    good = market_rows(recorded("GetMarkets.json"), HOUR, {"bitcoin"}).iloc[0]
    bad = pd.DataFrame([good] * 4).reset_index(drop=True)
    bad["coin_id"] = ["bitcoin", "bitcoin", "b", "c"]  # one coin twice in the hour
    bad.loc[2, "price"] = -1.0
    bad.loc[3, "market_cap_rank"] = 0
    bad.loc[3, "circulating_supply"] = 2 * bad.loc[3, "total_supply"]
    bad.loc[2, "last_updated"] = HOUR + timedelta(hours=5)
    _, failures = validate(
        bad, market_metrics_suite(HOUR, HOUR + timedelta(hours=1) + GRACE), "mm", ["coin_id", "ts"]
    )
    by_name = {f.expectation: f for f in failures}
    assert (
        by_name["ExpectCompoundColumnsToBeUnique(column_list=['coin_id', 'ts'])"].unexpected_count
        == 2
    )
    price = by_name["ExpectColumnValuesToBeBetween(column=price, min_value=0)"]
    assert price.unexpected_count == 1 and price.examples[0]["coin_id"] == "b"
    assert float(price.examples[0]["price"]) == -1.0
    assert any("market_cap_rank, min_value=1" in name for name in by_name)
    assert any("ts', 'market_cap_rank'" in name for name in by_name)  # ranks 1,1 in one hour
    assert any("column_A=total_supply, column_B=circulating_supply" in n for n in by_name)
    assert any(n.startswith("ExpectColumnValuesToBeBetween(column=last_updated") for n in by_name)

    meta = pd.DataFrame(
        {
            "coin_id": ["a", "a", "b"],
            "name": ["A", None, "B"],
            "homepage": ["https://a.org", "htp:/broken", None],
        }
    )
    _, failures = validate(meta, coin_metadata_suite(), "cm", ["coin_id"])
    names = sorted(f.expectation.split("(")[0] + f"({f.unexpected_count})" for f in failures)
    assert names == [
        "ExpectColumnValuesToBeUnique(2)",
        "ExpectColumnValuesToMatchRegex(1)",
        "ExpectColumnValuesToNotBeNull(1)",
    ]
