"""`indicators` in a real Dagster instance on both backends: look-back days through the
partition mapping give the values of one continuous series, own days only are written, and a
day whose look-back holds holes nobody explained says so in its metadata."""

from datetime import date

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.venues import Venue
from coinwatch_assets_tests.lib.market.indicator_reference import (
    WARM_UP,
    assert_matches,
    recorded_series,
    reference,
)
from coinwatch_assets_tests.venue_defs import EXCHANGE, indicators, ohlcv, ohlcv_quality_checks

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
# Recorded Binance 5m candles, 2018-01-10 04:55 -> 01-30: ETH/BTC has no hole, ADA/BTC has
# five on 2018-01-15 (10:10 one candle, 10:30 one, 11:10 four, 11:45 one, 12:00 33).
PAIRS = {"ETH/BTC": "ETH_BTC", "ADA/BTC": "ADA_BTC"}
PINS = {"exchange": EXCHANGE, "timeframe": "5m"}
DAY = pd.Timedelta(days=1)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture
def series() -> dict[str, pd.DataFrame]:
    return {s: recorded_series(p, exchange=EXCHANGE, symbol=s) for s, p in PAIRS.items()}


@pytest.fixture
def resources(database_url: str, series: dict[str, pd.DataFrame]) -> dict[str, object]:
    database = DatabaseResource(url=database_url)
    storage = database.storage()
    for symbol, frame in series.items():
        cell = Cell(equals=(("symbol", symbol),), start=utc("2018-01-01"), end=utc("2018-02-01"))
        storage.write(table_spec("ohlcv"), frame, Slice("ohlcv", "ts", (cell,)).pinned(PINS))
    # Two of ADA's holes are registered: one accepted by a human, one still missed.
    registry = pd.DataFrame(
        {
            "exchange": EXCHANGE,
            "symbol": "ADA/BTC",
            "timeframe": "5m",
            "gap_start": [utc("2018-01-15 10:10"), utc("2018-01-15 10:30")],
            "gap_end": [utc("2018-01-15 10:10"), utc("2018-01-15 10:30")],
            "missing_candles": [1, 1],
            "reason": ["accepted", "missed"],
            "attempts": [4, 1],
            "detected_at": utc("2018-01-16"),
            "note": ["exchange maintenance", None],
        }
    )
    cell = Cell(equals=(("symbol", "ADA/BTC"),), start=utc("2018-01-15"), end=utc("2018-01-16"))
    storage.write(
        table_spec("ohlcv_gaps"), registry, Slice("ohlcv_gaps", "gap_start", (cell,)).pinned(PINS)
    )
    return {
        "market_source": MarketSourceResource(source="sample", label=EXCHANGE),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions("symbols", ["ADA-BTC", "ETH-BTC"])
        yield inst


def warnings_of(instance: dg.DagsterInstance) -> list[str]:
    runs = instance.get_run_records()
    return [
        e.message for r in runs for e in instance.all_logs(r.dagster_run.run_id) if e.level == 30
    ]


def materialize(instance, resources, **selection) -> dict[str, dict[str, object]]:
    result = dg.materialize(
        [ohlcv, indicators],
        selection=[indicators.key],
        instance=instance,
        resources=resources,
        **selection,
    )
    assert result.success
    return {
        str(e.materialization.partition): {
            k: v.value for k, v in e.materialization.metadata.items()
        }
        for e in result.get_asset_materialization_events()
    }


def assert_stored_days_equal_reference(resources, series, days: list[str], symbols) -> None:
    stored = resources["database"].read("indicators")
    assert set(stored["exchange"]) == {EXCHANGE} and set(stored["timeframe"]) == {"5m"}
    for symbol in symbols:
        rows = stored[stored["symbol"] == symbol].reset_index(drop=True)
        # Exactly the runs' own days: no look-back day is written.
        assert sorted(set(rows["ts"].dt.strftime("%Y-%m-%d"))) == sorted(days), symbol
        want = reference(series[symbol])
        scale = float(series[symbol]["close"].median())
        for day in days:
            got = rows[(rows["ts"] >= utc(day)) & (rows["ts"] < utc(day) + DAY)]
            exp = want[(want.index >= utc(day)) & (want.index < utc(day) + DAY)]
            assert got["ts"].tolist() == list(exp.index)  # every candle of the day, in order
            assert got["ts"].iloc[0] == utc(day)  # the day boundary is stored
            got = got.reset_index(drop=True)
            assert_matches(got.iloc[:12], exp.iloc[:12], scale, f"{symbol} {day} first hour")
            assert_matches(got, exp, scale, f"{symbol} {day}")


def test_one_day_equals_the_continuous_series_and_a_clean_lookback_reports_no_hole(
    instance, resources, series
) -> None:
    meta = materialize(instance, resources, partition_key="2018-01-20|ETH-BTC")
    assert list(meta) == ["2018-01-20|ETH-BTC"]
    day = meta["2018-01-20|ETH-BTC"]
    assert day["lookback_days"] == 3
    assert day["lookback_start"] == "2018-01-17T00:00:00+00:00"
    assert day["source_candles"] == day["lookback_candles"] == 4 * 288
    assert day["unexplained_holes"] == 0 and day["unexplained_holes_json"] == []
    assert day["rows_written"] == day["indicator_rows"] == 288
    assert_stored_days_equal_reference(resources, series, ["2018-01-20"], ["ETH/BTC"])


def test_unexplained_holes_in_the_lookback_are_listed_with_their_reasons(
    instance, resources, series
) -> None:
    holed = materialize(instance, resources, partition_key="2018-01-17|ADA-BTC")
    holes = holed["2018-01-17|ADA-BTC"]["unexplained_holes_json"]
    # The accepted hole (10:10) explains itself; the missed and unregistered ones do not.
    assert [(h["gap_start"], h["missing_candles"], h["reason"]) for h in holes] == [
        ("2018-01-15T10:30:00Z", 1, "missed"),
        ("2018-01-15T11:10:00Z", 4, "unregistered"),
        ("2018-01-15T11:45:00Z", 1, "unregistered"),
        ("2018-01-15T12:00:00Z", 33, "unregistered"),
    ]
    assert holed["2018-01-17|ADA-BTC"]["unexplained_missing_candles"] == 39
    (warning,) = warnings_of(instance)
    assert "2018-01-17|ADA-BTC" in warning and "4 unexplained hole(s)" in warning
    # Three days on, 2018-01-15 has left the look-back: nothing to report.
    clean = materialize(instance, resources, partition_key="2018-01-19|ADA-BTC")
    assert clean["2018-01-19|ADA-BTC"]["unexplained_holes"] == 0
    assert len(warnings_of(instance)) == 1  # the clean day logged none
    assert_stored_days_equal_reference(resources, series, ["2018-01-17", "2018-01-19"], ["ADA/BTC"])


def test_single_run_range_of_symbols_and_days(instance, resources, series) -> None:
    days = ["2018-01-14", "2018-01-15", "2018-01-16", "2018-01-17", "2018-01-18", "2018-01-19"]
    meta = materialize(
        instance,
        resources,
        tags={RANGE_START: f"{days[0]}|ADA-BTC", RANGE_END: f"{days[-1]}|ETH-BTC"},
    )
    assert len(meta) == 12
    holes = {key: m["unexplained_holes"] for key, m in meta.items()}
    assert holes == {
        **{f"{d}|ETH-BTC": 0 for d in days},
        "2018-01-14|ADA-BTC": 0,
        "2018-01-15|ADA-BTC": 4,  # the day's own holes are part of its window too
        "2018-01-16|ADA-BTC": 4,
        "2018-01-17|ADA-BTC": 4,
        "2018-01-18|ADA-BTC": 4,
        "2018-01-19|ADA-BTC": 0,
    }
    # Each partition records ITS rows and window, the run its loaded candles.
    assert {m["partition_rows"] for k, m in meta.items() if k != "2018-01-15|ADA-BTC"} == {288}
    assert meta["2018-01-15|ADA-BTC"]["partition_rows"] == 288 - 40
    assert meta["2018-01-16|ETH-BTC"]["lookback_start"] == "2018-01-13T00:00:00+00:00"
    assert {m["source_candles"] for m in meta.values()} == {2 * 9 * 288 - 40}
    assert_stored_days_equal_reference(resources, series, days, ["ETH/BTC", "ADA/BTC"])


def test_automation_requests_a_day_once_its_lookback_days_passed_their_checks(
    database_url: str,
) -> None:
    database = DatabaseResource(url=database_url)
    resources = {
        "market_source": MarketSourceResource(source="sample", label=EXCHANGE),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
        "quality_policy": QualityPolicyResource(),
    }
    defs = dg.Definitions(
        assets=[ohlcv, indicators], asset_checks=[ohlcv_quality_checks], resources=resources
    )
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("symbols", ["BTC-USDT"])
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert tick.total_requested == 0
        result = dg.materialize(
            [ohlcv, ohlcv_quality_checks],
            instance=instance,
            resources=resources,
            tags={RANGE_START: "2024-03-01|BTC-USDT", RANGE_END: "2024-03-05|BTC-USDT"},
        )
        assert result.success
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    # 03-01..03-03 wait for look-back days nobody fetched (02-26..02-29).
    requested = {str(k) for k in tick.get_requested_partitions(indicators.key)}
    assert requested == {"2024-03-04|BTC-USDT", "2024-03-05|BTC-USDT"}


def test_the_first_day_of_a_venue_warms_up_with_nulls(instance, resources, series) -> None:
    # A venue starting on 2018-01-11: its look-back days do not exist, and the candles
    # stored for 2018-01-10 are none of its partitions, so history starts at 01-11 00:00.
    venue = build_venue(Venue(start_date=date(2018, 1, 11)))
    result = dg.materialize(
        [venue.ohlcv, venue.indicators],
        selection=[venue.indicators.key],
        instance=instance,
        resources=resources,
        partition_key="2018-01-11|ETH-BTC",
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    meta = {k: v.value for k, v in event.materialization.metadata.items()}
    assert meta["lookback_candles"] == meta["source_candles"] == 288
    assert meta["unexplained_holes"] == 0  # nothing is expected before the first candle
    stored = resources["database"].read("indicators")
    assert len(stored) == 288 and stored["ts"].iloc[0] == utc("2018-01-11")
    nulls = {c: int(stored[c].isna().sum()) for c in WARM_UP}
    assert nulls == WARM_UP
    assert all(stored[c].iloc[n:].notna().all() for c, n in WARM_UP.items())
    day = series["ETH/BTC"][series["ETH/BTC"]["ts"] >= utc("2018-01-11")].iloc[:288]
    # Seeded alike (SMA seeds), TA-Lib's RSI, EMAs and windows equal the textbook from the
    # first candle on; its MACD seeds the fast EMA later, which only the look-back hides.
    same = [c for c in WARM_UP if c not in ("macd", "macd_signal", "macd_hist")]
    scale = float(day["close"].median())
    assert_matches(stored[same], reference(day)[same], scale, "first day of history")
