"""CMC answers -> rows: ticker map tie-breaks on the real recorded bodies, refusals."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from coinwatch_assets.lib.fundamentals.cmc_errors import CmcBodyError
from coinwatch_assets.lib.fundamentals.cmc_parse import candidates, map_cmc_tickers, quote_rows
from coinwatch_assets_tests.emulators.coinmarketcap import recorded

HOUR = datetime(2021, 4, 23, 14, tzinfo=UTC)


def by_symbol():
    return recorded("v2_quotes_latest_by_symbol_2021-04-23.json")["data"]


def test_recorded_ambiguous_tickers_follow_the_documented_tie_breaks_only():
    coins = candidates(by_symbol())
    table = map_cmc_tickers(["ATOM", "ONE", "ADA", "NOPE"], coins, {}).set_index("ticker")
    # Cosmos is the only active ATOM (Atomic Coin: is_active 0, no rank, stale since 2020)
    assert table.loc["ATOM", ["cmc_id", "status"]].tolist() == ["3794", "active_only"]
    # ONE: Harmony (rank 91) and BigONE Token (rank 660) are both active and ranked
    assert table.loc["ONE", "status"] == "ambiguous" and pd.isna(table.loc["ONE", "cmc_id"])
    assert table.loc["ONE", "candidates"].count(":active:") == 2
    assert table.loc["ADA", ["cmc_id", "status"]].tolist() == ["2010", "mapped"]
    assert table.loc["NOPE", "status"] == "unmapped"


def test_ranked_only_when_one_active_candidate_has_a_rank():
    coin = {"symbol": "X", "is_active": 1}
    body = {"X": [{**coin, "id": 1, "name": "A", "cmc_rank": 7},
                  {**coin, "id": 2, "name": "B", "cmc_rank": None}]}  # fmt: skip
    table = map_cmc_tickers(["X"], candidates(body), {})
    assert table[["cmc_id", "status"]].values.tolist() == [["1", "ranked_only"]]


def test_overrides_win_and_an_unknown_override_maps_nothing():
    coins = candidates(by_symbol())
    table = map_cmc_tickers(["ONE", "ATOM"], coins, {"ONE": "3945", "ATOM": "999"})
    table = table.set_index("ticker")
    assert table.loc["ONE", ["cmc_id", "status", "name"]].tolist() == [
        "3945",
        "override",
        "Harmony",
    ]
    assert table.loc["ATOM", "status"] == "unknown_override" and pd.isna(
        table.loc["ATOM", "cmc_id"]
    )


def test_quotes_by_id_become_rows_and_an_unasked_coin_is_refused():
    data = recorded("v1_quotes_latest_by_id_2019-02-04.json")["data"]
    asked = {i: f"T{i}" for i in data}
    rows = quote_rows(data, HOUR, asked).set_index("coin_id")
    assert rows.loc["1", "price"] == pytest.approx(3475.55287338)
    assert rows.loc["1", ["symbol", "provider", "source"]].tolist() == [
        "T1", "coinmarketcap", "quotes/latest"
    ]  # fmt: skip
    del asked["2"]
    with pytest.raises(CmcBodyError, match="coin 2 was not asked for"):
        quote_rows(data, HOUR, asked)
