"""The venue file and the single venue of the COINWATCH_* variables."""

from datetime import date
from pathlib import Path

import pytest

from coinwatch_assets.lib.venues import (
    VenueConfigError,
    load_venues,
    venue_from_env,
    venues_from_file,
)

THREE = """
venues:
  binance:
    exchange: binance
    top_n: 20
    quote: USDT
    timeframe: 5m
    start_date: 2024-01-01
    requests_per_minute: 1200
    ccxt_config_env: COINWATCH_BINANCE_CCXT
  kraken:
    exchange: kraken
    symbols: [BTC/USD, ETH/USD]
    timeframe: 15m
    start_date: 2024-06-01
    requests_per_minute: 60
    ccxt_config_env: COINWATCH_KRAKEN_CCXT
  bybit:
    exchange: bybit
    symbols: [BTC/USDT]
    timeframe: 1h
"""


def test_env_defines_one_unprefixed_venue() -> None:
    v = venue_from_env({})
    assert (v.name, v.source, v.exchange, v.timeframe, v.top_n, v.quote) == (
        None,
        "live",
        "binance",
        "5m",
        10,
        "USDT",
    )
    assert (v.named("symbols"), v.key_prefix(), v.pool) == ("symbols", [], "exchange_binance")
    assert v.ccxt_config_env == "COINWATCH_CCXT_CONFIG"
    s = venue_from_env({"COINWATCH_SOURCE": "sample", "COINWATCH_SYMBOLS": "BTC/USDT, ETH/USDT"})
    assert s.symbols == ("BTC/USDT", "ETH/USDT") and s.exchange_label == "sample"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COINWATCH_SOURCE": "csv"}, "COINWATCH_SOURCE"),
        ({"COINWATCH_TOP_N": "ten"}, "COINWATCH_TOP_N"),
        ({"COINWATCH_TIMEFRAME": "1w"}, "COINWATCH_TIMEFRAME"),
        ({"COINWATCH_TIMEFRAME": "7m"}, "COINWATCH_TIMEFRAME"),
        ({"COINWATCH_START_DATE": "yesterday"}, "COINWATCH_START_DATE"),
        ({"COINWATCH_SYMBOLS": "BTCUSDT"}, "COINWATCH_SYMBOLS"),
        ({"COINWATCH_EXCHANGE": "nosuchx"}, "COINWATCH_EXCHANGE"),
        ({"COINWATCH_REQUESTS_PER_MINUTE": "0"}, "COINWATCH_REQUESTS_PER_MINUTE"),
        ({"COINWATCH_START_DATE": "2024-02-30"}, "COINWATCH_START_DATE.*not a day of the"),
        ({"COINWATCH_START_DATE": "2999-01-01"}, "COINWATCH_START_DATE.*in the future"),
    ],
)
def test_bad_env_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(VenueConfigError, match=message):
        venue_from_env(env)


def test_venue_file_with_three_venues(tmp_path: Path) -> None:
    path = tmp_path / "coinwatch.yaml"
    path.write_text(THREE)
    binance, kraken, bybit = load_venues({"COINWATCH_CONFIG": str(path)})
    assert [v.name for v in (binance, kraken, bybit)] == ["binance", "kraken", "bybit"]
    assert binance.key_prefix() == ["binance"] and binance.named("symbols") == "binance_symbols"
    assert kraken.symbols == ("BTC/USD", "ETH/USD") and kraken.start_date == date(2024, 6, 1)
    assert kraken.requests_per_minute == 60 and kraken.pool == "exchange_kraken"
    assert bybit.timeframe == "1h" and bybit.ccxt_config_env is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "venues:\n  kraken:\n    exchange: kraken\n    timeframe: 7m\n",
            r"venue 'kraken', field 'timeframe'",
        ),
        ("venues:\n  kraken:\n    exchange: krakn\n", r"venue 'kraken'.*krakn"),
        (
            "venues:\n  kraken:\n    exchange: kraken\n    top_n: 0\n",
            r"venue 'kraken', field 'top_n'",
        ),
        ("venues:\n  kraken:\n    exchnage: kraken\n", r"venue 'kraken', field 'exchnage'"),
        ("venues:\n  kraken:\n    symbols: [BTCUSD]\n", r"venue 'kraken', field 'symbols'"),
        ("venues:\n  Kraken:\n    exchange: kraken\n", r"venue 'Kraken', field 'name'"),
        ("venues:\n  k:\n    ccxt_config_env: '{\"a\": 1}'\n", r"field 'ccxt_config_env'"),
        ("venues: {}\n", "top level, field 'venues'"),
        ("venue:\n  a: {}\n", "top level"),
        ("venues: [\n", "not valid YAML"),
        (
            "venues:\n  a:\n    exchange: sample\n    label: x\n  b:\n    exchange: sample\n"
            "    label: x\n",
            "write the same rows",
        ),
        # PyYAML keeps the last of two equal keys silently; both lines are named instead.
        (
            "venues:\n  a:\n    exchange: sample\n  b:\n    exchange: kraken\n"
            "  a:\n    exchange: sample\n    seed: 2\n",
            r"'a' appears twice under 'venues' \(lines 2 and 6\); keys must be unique",
        ),
        (
            "venues:\n  a:\n    exchange: sample\n    timeframe: 5m\n    timeframe: 1h\n",
            r"'timeframe' appears twice under 'a' \(lines 4 and 5\)",
        ),
        ("venues: {a: {exchange: sample, seed: 1, seed: 2}}\n", r"'seed' appears twice under 'a'"),
        (
            "venues:\n  a:\n    exchange: sample\nvenues:\n  b:\n    exchange: sample\n",
            r"'venues' appears twice at the top level \(lines 1 and 4\)",
        ),
        # a calendar-impossible day: a clear error, not PyYAML's raw ValueError
        (
            "venues:\n  a:\n    exchange: sample\n    start_date: 2024-02-30\n",
            r"venue 'a', field 'start_date'.*not a day of the calendar; write an existing date",
        ),
        # a number is not a date (pydantic would read it as a Unix time)
        (
            "venues:\n  a:\n    exchange: sample\n    start_date: 1704067200\n",
            r"venue 'a', field 'start_date'.*must be a date written YYYY-MM-DD",
        ),
        (
            "venues:\n  a:\n    exchange: sample\n    start_date: 2999-01-01\n",
            r"venue 'a', field 'start_date'.*in the future.*today at the latest",
        ),
        (
            "venues:\n  a:\n    exchange: sample\n    price_offset: .nan\n",
            r"venue 'a', field 'price_offset'.*finite fraction above -1",
        ),
        (
            "venues:\n  a:\n    exchange: sample\n    price_offset: -1\n",
            r"venue 'a', field 'price_offset'.*finite fraction above -1",
        ),
    ],
)
def test_bad_venue_file_names_file_venue_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "venues.yaml"
    path.write_text(text)
    with pytest.raises(VenueConfigError, match=expected) as err:
        venues_from_file(path)
    assert str(path) in str(err.value)


def test_yaml_merge_keys_may_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "venues.yaml"
    path.write_text(
        "defaults: &d\n  exchange: sample\n  timeframe: 5m\n"
        "venues:\n  a:\n    <<: *d\n    timeframe: 1h\n"
    )
    with pytest.raises(VenueConfigError, match="top level, field 'defaults'"):
        venues_from_file(path)  # the extra top-level key, not the overridden merge key
    path.write_text("venues:\n  a: &d\n    exchange: sample\n  b:\n    <<: *d\n    seed: 1\n")
    a, b = venues_from_file(path)
    assert (a.exchange, b.exchange, b.seed) == ("sample", "sample", 1)


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(VenueConfigError, match="COINWATCH_CONFIG=.*nope.yaml"):
        load_venues({"COINWATCH_CONFIG": str(tmp_path / "nope.yaml")})


def test_coinwatch_yaml_in_the_working_directory_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_venues({})[0].name is None  # no file: the env's venue
    (tmp_path / "coinwatch.yaml").write_text("venues:\n  demo_a:\n    exchange: sample\n")
    (venue,) = load_venues({})
    assert (venue.name, venue.source, venue.exchange_label) == ("demo_a", "sample", "demo_a")
