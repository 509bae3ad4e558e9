"""Plain-Python market logic: universe merging, partition key planning, fetch windows."""

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from coinwatch_assets.lib.market.fetch_plan import fetch_windows, group_days
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


def test_fetch_windows_merge_consecutive_days_and_stop_at_now() -> None:
    days = group_days(
        [
            ("2024-05-01", "BTC-USDT"),
            ("2024-04-30", "BTC-USDT"),
            ("2024-05-02", "BTC-USDT"),
            ("2024-04-01", "BTC-USDT"),
            ("2024-05-01", "ETH-USDT"),
            ("2024-05-03", "ETH-USDT"),
        ]
    )
    plan = fetch_windows(days, NOW)
    assert plan == [
        ("BTC-USDT", datetime(2024, 4, 1, tzinfo=UTC), datetime(2024, 4, 2, tzinfo=UTC)),
        ("BTC-USDT", datetime(2024, 4, 30, tzinfo=UTC), NOW),
        ("ETH-USDT", datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC)),
    ]


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
