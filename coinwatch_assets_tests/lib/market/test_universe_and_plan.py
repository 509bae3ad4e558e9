"""Plain-Python market logic: universe merging, partition key planning, fetch windows."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from coinwatch_assets.lib.market.fetch_plan import (
    decode_windows,
    encode_windows,
    fetch_windows,
    group_by_symbol,
    narrow_plan,
    partition_windows,
)
from coinwatch_assets.lib.market.universe import delisted_since, merge_markets, plan_symbol_changes
from coinwatch_assets.lib.symbols import SymbolKeyError, key_to_symbol, symbol_to_key

NOW = datetime(2024, 5, 2, 12, tzinfo=UTC)


def listed(*symbols: str, exchange: str = "binance") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "exchange": exchange,
            "symbol": list(symbols),
            "base": [s.split("/")[0] for s in symbols],
            "quote": [s.split("/")[1] for s in symbols],
            "active": True,
            "quote_volume_24h": 1.0,
        }
    )


def test_merge_markets_tracks_first_seen_and_delisting() -> None:
    empty = merge_markets(
        listed().iloc[:0].assign(first_seen=None, delisted=None, updated_at=None),
        listed("BTC/USDT", "ETH/USDT"),
        today=date(2024, 5, 1),
        now=NOW,
    )
    assert empty["first_seen"].tolist() == [date(2024, 5, 1)] * 2
    later = merge_markets(empty, listed("BTC/USDT", "SOL/USDT"), today=date(2024, 5, 2), now=NOW)
    rows = later.set_index("symbol")
    assert rows.loc["BTC/USDT", "first_seen"] == date(2024, 5, 1)
    assert rows.loc["SOL/USDT", "first_seen"] == date(2024, 5, 2)
    assert not rows.loc["ETH/USDT", "active"] and rows.loc["ETH/USDT", "delisted"] == date(
        2024, 5, 2
    )
    again = merge_markets(later, listed("BTC/USDT", "SOL/USDT"), today=date(2024, 5, 9), now=NOW)
    assert again.set_index("symbol").loc["ETH/USDT", "delisted"] == date(2024, 5, 2)
    assert delisted_since(again, "binance") == {"ETH/USDT": date(2024, 5, 2)}
    relisted = merge_markets(again, listed("ETH/USDT"), today=date(2024, 6, 1), now=NOW)
    eth = relisted.set_index("symbol").loc["ETH/USDT"]
    assert eth["active"] and eth["delisted"] is None and eth["first_seen"] == date(2024, 5, 1)


def test_merge_keeps_other_exchanges() -> None:
    kraken = merge_markets(
        listed().iloc[:0].assign(first_seen=None, delisted=None, updated_at=None),
        listed("XBT/USD", exchange="kraken"),
        today=date(2024, 5, 1),
        now=NOW,
    )
    both = merge_markets(kraken, listed("BTC/USDT"), today=date(2024, 5, 2), now=NOW)
    assert set(zip(both["exchange"], both["active"], strict=True)) == {
        ("kraken", True),
        ("binance", True),
    }


def test_plan_symbol_changes() -> None:
    table = merge_markets(
        listed().iloc[:0].assign(first_seen=None, delisted=None, updated_at=None),
        listed("BTC/USDT", "ETH/USDT", "A-B/USDT"),
        today=date(2024, 5, 1),
        now=NOW,
    )
    table.loc[table["symbol"] == "ETH/USDT", "active"] = False
    add, delisted, unusable = plan_symbol_changes(table, ["ETH-USDT"], "binance")
    assert add == ["BTC-USDT"] and delisted == ["ETH-USDT"] and unusable == ["A-B/USDT"]
    assert plan_symbol_changes(table, [], "kraken") == ([], [], [])


def test_fetch_windows_merge_consecutive_months_and_stop_at_now() -> None:
    months = group_by_symbol(
        [
            ("2024-04", "BTC-USDT"),
            ("2024-03", "BTC-USDT"),
            ("2024-05", "BTC-USDT"),
            ("2024-01", "BTC-USDT"),
            ("2024-04", "ETH-USDT"),
            ("2024-06", "ETH-USDT"),
        ]
    )
    plan = fetch_windows(months, NOW)
    assert plan == [
        ("BTC-USDT", datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)),
        ("BTC-USDT", datetime(2024, 3, 1, tzinfo=UTC), NOW),
        ("ETH-USDT", datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC)),
    ]
    # Never before the venue's start.
    since = datetime(2024, 3, 15, tzinfo=UTC)
    assert fetch_windows(months, NOW, since)[0] == ("BTC-USDT", since, NOW)


def test_narrowed_plans_fetch_the_tail_a_time_on_or_hole_windows() -> None:
    plan = [("BTC-USDT", datetime(2024, 5, 1, tzinfo=UTC), NOW)]
    last = datetime(2024, 5, 2, 11, tzinfo=UTC)
    tail = narrow_plan(plan, latest={"BTC-USDT": last}, overlap=timedelta(minutes=15))
    assert tail == [("BTC-USDT", last - timedelta(minutes=15), NOW)]
    # A last candle before the plan's start never moves the start back (month, venue start).
    early = narrow_plan(plan, latest={"BTC-USDT": datetime(2024, 4, 1, tzinfo=UTC)})
    assert early == plan
    assert narrow_plan(plan, latest={}) == plan  # nothing stored: the whole window
    start = datetime(2024, 5, 2, tzinfo=UTC)
    assert narrow_plan(plan, fetch_from=start) == [("BTC-USDT", start, NOW)]
    hole = (datetime(2024, 5, 1, 10, tzinfo=UTC), datetime(2024, 5, 1, 11, tzinfo=UTC))
    outside = (datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 4, 2, tzinfo=UTC))
    assert narrow_plan(plan, windows=[hole, outside]) == [("BTC-USDT", *hole)]
    assert decode_windows(encode_windows([hole])) == [hole]
    with pytest.raises(ValueError, match="coinwatch/fetch_windows"):
        decode_windows('[["2024-05-01T10:00", "2024-05-01T11:00"]]')  # no UTC offset


def test_partition_windows_cut_a_fetch_at_month_boundaries() -> None:
    fetched = [("BTC-USDT", datetime(2024, 4, 30, 23, tzinfo=UTC), NOW)]
    windows = partition_windows(
        fetched, [("2024-04", "BTC-USDT"), ("2024-05", "BTC-USDT"), ("2024-05", "ETH-USDT")]
    )
    assert windows == {
        "2024-04|BTC-USDT": [
            (datetime(2024, 4, 30, 23, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC))
        ],
        "2024-05|BTC-USDT": [(datetime(2024, 5, 1, tzinfo=UTC), NOW)],
        "2024-05|ETH-USDT": [],
    }


@pytest.mark.parametrize(
    "symbol,key",
    [
        ("BTC/USDT", "BTC-USDT"),
        ("1000SATS/USDT", "1000SATS-USDT"),
        ("BTC/USDT:USDT", "BTC-USDT_USDT"),
    ],
)
def test_symbol_keys_round_trip(symbol: str, key: str) -> None:
    assert symbol_to_key(symbol) == key and key_to_symbol(key) == symbol


@pytest.mark.parametrize("bad", ["BTCUSDT", "A-B/USDT", "X|Y/USDT", "A,B/C", "", "A/B C"])
def test_unrepresentable_symbols_are_refused(bad: str) -> None:
    with pytest.raises(SymbolKeyError, match="symbol"):
        symbol_to_key(bad)


@pytest.mark.parametrize("bad", ["BTC", "BTC-USDT-X", "-USDT", "BTC-"])
def test_bad_partition_keys_are_refused(bad: str) -> None:
    with pytest.raises(SymbolKeyError, match=bad):
        key_to_symbol(bad)
