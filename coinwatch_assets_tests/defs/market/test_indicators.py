"""`indicators` in a real Dagster instance on both backends: look-back days (across a month
boundary too) give the values of one continuous series, only the days `ohlcv` touched are
rewritten, and a partition whose look-back holds holes nobody explained says so."""

from datetime import date

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import (
    FETCHED_FROM,
    FETCHED_TO,
    CoinwatchIOManager,
    DatabaseResource,
)
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
ETH, ADA = "2018-01|ETH-BTC", "2018-01|ADA-BTC"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def write_candles(database: DatabaseResource, symbol: str, frame: pd.DataFrame) -> None:
    start, end = frame["ts"].min().floor("D"), frame["ts"].max().floor("D") + DAY
    cell = Cell(equals=(("symbol", symbol),), start=start, end=end)
    where = Slice("ohlcv", "ts", (cell,)).pinned(PINS)
    database.storage().write(table_spec("ohlcv"), frame, where)


@pytest.fixture
def series() -> dict[str, pd.DataFrame]:
    return {s: recorded_series(p, exchange=EXCHANGE, symbol=s) for s, p in PAIRS.items()}


@pytest.fixture
def resources(database_url: str, series: dict[str, pd.DataFrame]) -> dict[str, object]:
    database = DatabaseResource(url=database_url)
    storage = database.storage()
    for symbol, frame in series.items():
        write_candles(database, symbol, frame)
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


def touched(instance, key: str, start: str, end: str) -> None:
    """What an intraday `ohlcv` run records: it wrote [start, end) of partition `key`."""
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            ohlcv.key,
            partition=key,
            metadata={FETCHED_FROM: utc(start).isoformat(), FETCHED_TO: utc(end).isoformat()},
        )
    )


def assert_stored_days_equal_reference(resources, series, days: list[str], symbols) -> None:
    stored = resources["database"].read("indicators")
    assert set(stored["exchange"]) == {EXCHANGE} and set(stored["timeframe"]) == {"5m"}
    for symbol in symbols:
        rows = stored[stored["symbol"] == symbol].reset_index(drop=True)
        # Exactly the runs' own days: no look-back day is written.
        assert sorted(set(rows["ts"].dt.strftime("%Y-%m-%d"))) == sorted(days), symbol
        want = reference(series[symbol])
        scale = float(series[symbol]["close"].median())
        # The recording's first days have no look-back: TA-Lib seeds MACD later than the
        # textbook there. From the fourth day on, values are those of the long series.
        settled = series[symbol]["ts"].min().floor("D") + 3 * DAY
        for day in days:
            got = rows[(rows["ts"] >= utc(day)) & (rows["ts"] < utc(day) + DAY)]
            exp = want[(want.index >= utc(day)) & (want.index < utc(day) + DAY)]
            assert got["ts"].tolist() == list(exp.index)  # every candle of the day, in order
            if utc(day) < settled:
                continue
            got = got.reset_index(drop=True)
            assert_matches(got.iloc[:12], exp.iloc[:12], scale, f"{symbol} {day} first hour")
            assert_matches(got, exp, scale, f"{symbol} {day}")


def days_of(frame: pd.DataFrame) -> list[str]:
    return sorted(set(frame["ts"].dt.strftime("%Y-%m-%d")))


def test_a_month_equals_the_continuous_series_and_a_clean_lookback_reports_no_hole(
    instance, resources, series
) -> None:
    meta = materialize(instance, resources, partition_key=ETH)
    assert list(meta) == [ETH]
    month = meta[ETH]
    assert month["lookback_days"] == 3
    assert month["lookback_start"] == "2017-12-29T00:00:00+00:00"
    assert month["derived_days"] == 31 and month["derived_windows"] == "2018-01-01..2018-02-01"
    assert month["source_candles"] == month["lookback_candles"] == len(series["ETH/BTC"])
    assert month["unexplained_holes"] == 0 and month["unexplained_holes_json"] == []
    assert month["rows_written"] == month["indicator_rows"] == len(series["ETH/BTC"])
    days = days_of(series["ETH/BTC"])
    assert_stored_days_equal_reference(resources, series, days, ["ETH/BTC"])


def test_an_intraday_run_recomputes_only_the_day_it_touched(instance, resources, series) -> None:
    materialize(instance, resources, partition_key=ETH)
    database = resources["database"]
    with database.storage().engine.begin() as conn:  # marks: which rows get rewritten
        conn.exec_driver_sql("UPDATE indicators SET rsi_14 = -1")
    # The last day of the recording is "today": an intraday run fetched 2018-01-30 09:00 on.
    touched(instance, ETH, "2018-01-30 09:00", "2018-01-30 12:00")
    meta = materialize(instance, resources, partition_key=ETH)[ETH]
    # 01-30 and the day after (its look-back reads 01-30), the month's end: nothing else.
    assert meta["derived_windows"] == "2018-01-30..2018-02-01" and meta["derived_days"] == 2
    assert meta["lookback_start"] == "2018-01-27T00:00:00+00:00"
    stored = database.read("indicators")
    rewritten = stored[stored["rsi_14"] != -1]
    assert days_of(rewritten) == ["2018-01-30"]
    assert (
        meta["rows_written"]
        == len(rewritten)
        == (series["ETH/BTC"]["ts"] >= utc("2018-01-30")).sum()
    )
    assert (stored.loc[stored["ts"] < utc("2018-01-30"), "rsi_14"] == -1).all()
    assert len(stored) == len(series["ETH/BTC"])  # the month's other rows are still there
    want = reference(series["ETH/BTC"])
    want = want[want.index >= utc("2018-01-30")]
    got = rewritten.reset_index(drop=True)
    assert_matches(got, want, float(series["ETH/BTC"]["close"].median()), "touched day")

    # Two intraday runs before the next derivation: both windows are recomputed.
    touched(instance, ETH, "2018-01-20 00:00", "2018-01-20 00:05")
    touched(instance, ETH, "2018-01-25 23:55", "2018-01-26 00:00")
    meta = materialize(instance, resources, partition_key=ETH)[ETH]
    assert meta["derived_windows"] == "2018-01-20..2018-01-24, 2018-01-25..2018-01-29"
    # A deliberate re-run with no new ohlcv write: the whole month again.
    meta = materialize(instance, resources, partition_key=ETH)[ETH]
    assert meta["derived_windows"] == "2018-01-01..2018-02-01"
    assert (database.read("indicators")["rsi_14"] != -1).sum() > 0
    assert_stored_days_equal_reference(resources, series, days_of(series["ETH/BTC"]), ["ETH/BTC"])


def test_indicators_equal_the_continuous_series_across_a_month_boundary(
    instance, resources
) -> None:
    # The recorded ETH/BTC candles moved to 2019-01-25 .. 02-14: one series over two months.
    shifted = recorded_series("ETH_BTC", exchange=EXCHANGE, symbol="ETH/BTC")
    shifted["ts"] = shifted["ts"] + pd.Timedelta(days=380)
    write_candles(resources["database"], "ETH/BTC", shifted)
    meta = materialize(instance, resources, partition_key="2019-02|ETH-BTC")["2019-02|ETH-BTC"]
    assert meta["lookback_start"] == "2019-01-29T00:00:00+00:00"
    assert meta["unexplained_holes"] == 0
    materialize(instance, resources, partition_key="2019-01|ETH-BTC")
    stored = before = resources["database"].read("indicators")
    stored = stored[stored["ts"] >= utc("2019-01-01")].reset_index(drop=True)
    assert stored["ts"].tolist() == shifted["ts"].tolist()
    want = reference(shifted)
    scale = float(shifted["close"].median())
    # The first hour of February, warmed up on January's last days, then both months from
    # the recording's fourth day on (its first days have no look-back of their own).
    feb = stored[stored["ts"] >= utc("2019-02-01")].iloc[:12].reset_index(drop=True)
    assert_matches(feb, want[want.index >= utc("2019-02-01")].iloc[:12], scale, "02-01 first hour")
    settled = shifted["ts"].min().floor("D") + 3 * DAY
    rows = stored[stored["ts"] >= settled].reset_index(drop=True)
    assert_matches(rows, want[want.index >= settled], scale, "January and February")

    # January re-fetched on its 26th only: February reads no day of it, nothing to rewrite.
    touched(instance, "2019-01|ETH-BTC", "2019-01-26 00:00", "2019-01-26 01:00")
    meta = materialize(instance, resources, partition_key="2019-02|ETH-BTC")["2019-02|ETH-BTC"]
    assert meta["derived_days"] == 0 and meta["indicator_rows"] == 0
    assert resources["database"].read("indicators").equals(before)


def test_unexplained_holes_in_the_lookback_are_listed_with_their_reasons(
    instance, resources, series
) -> None:
    holed = materialize(instance, resources, partition_key=ADA)
    holes = holed[ADA]["unexplained_holes_json"]
    # The accepted hole (10:10) explains itself; the missed and unregistered ones do not.
    assert [(h["gap_start"], h["missing_candles"], h["reason"]) for h in holes] == [
        ("2018-01-15T10:30:00Z", 1, "missed"),
        ("2018-01-15T11:10:00Z", 4, "unregistered"),
        ("2018-01-15T11:45:00Z", 1, "unregistered"),
        ("2018-01-15T12:00:00Z", 33, "unregistered"),
    ]
    assert holed[ADA]["unexplained_missing_candles"] == 39
    (warning,) = warnings_of(instance)
    assert ADA in warning and "4 unexplained hole(s)" in warning
    # An update of 2018-01-19: its look-back from 01-16 has left the holes behind.
    touched(instance, ADA, "2018-01-19 00:00", "2018-01-20 00:00")
    clean = materialize(instance, resources, partition_key=ADA)
    assert clean[ADA]["lookback_start"] == "2018-01-16T00:00:00+00:00"
    assert clean[ADA]["unexplained_holes"] == 0
    assert len(warnings_of(instance)) == 1  # the clean update logged none
    assert_stored_days_equal_reference(resources, series, days_of(series["ADA/BTC"]), ["ADA/BTC"])


def test_single_run_range_of_symbols_and_months(instance, resources, series) -> None:
    meta = materialize(instance, resources, tags={RANGE_START: ADA, RANGE_END: ETH})
    assert set(meta) == {ADA, ETH}
    assert {key: m["unexplained_holes"] for key, m in meta.items()} == {ADA: 4, ETH: 0}
    # Each partition records ITS rows and window, the run its loaded candles.
    assert meta[ETH]["partition_rows"] == len(series["ETH/BTC"])
    assert meta[ADA]["partition_rows"] == len(series["ADA/BTC"])
    assert meta[ETH]["lookback_start"] == "2017-12-29T00:00:00+00:00"
    assert {m["source_candles"] for m in meta.values()} == {sum(map(len, series.values()))}
    for symbol, frame in series.items():
        assert_stored_days_equal_reference(resources, series, days_of(frame), [symbol])


def test_automation_requests_a_month_once_its_lookback_month_passed_its_checks(
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
            tags={RANGE_START: "2024-02|BTC-USDT", RANGE_END: "2024-03|BTC-USDT"},
        )
        assert result.success
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
    # 2024-02 waits for its look-back month nobody fetched (2024-01).
    requested = {str(k) for k in tick.get_requested_partitions(indicators.key)}
    assert requested == {"2024-03|BTC-USDT"}


def test_the_first_day_of_a_venue_warms_up_with_nulls(instance, resources, series) -> None:
    # A venue starting on 2018-01-11: its first month is 2018-01, but the candles stored for
    # 2018-01-10 are none of its history (its ohlcv fetches from 01-11), so history starts at
    # 01-11 00:00 and nothing before it is read or written.
    venue = build_venue(Venue(start_date=date(2018, 1, 11)))
    result = dg.materialize(
        [venue.ohlcv, venue.indicators],
        selection=[venue.indicators.key],
        instance=instance,
        resources=resources,
        partition_key=ETH,
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    meta = {k: v.value for k, v in event.materialization.metadata.items()}
    history = series["ETH/BTC"][series["ETH/BTC"]["ts"] >= utc("2018-01-11")]
    assert meta["lookback_candles"] == meta["source_candles"] == len(history)
    assert meta["derived_windows"] == "2018-01-11..2018-02-01"
    assert meta["unexplained_holes"] == 0  # nothing is expected before the first candle
    stored = resources["database"].read("indicators")
    assert len(stored) == len(history) and stored["ts"].iloc[0] == utc("2018-01-11")
    nulls = {c: int(stored[c].isna().sum()) for c in WARM_UP}
    assert nulls == WARM_UP
    assert all(stored[c].iloc[n:].notna().all() for c, n in WARM_UP.items())
    day = history.iloc[:288]
    # Seeded alike (SMA seeds), TA-Lib's RSI, EMAs and windows equal the textbook from the
    # first candle on; its MACD seeds the fast EMA later, which only the look-back hides.
    same = [c for c in WARM_UP if c not in ("macd", "macd_signal", "macd_hist")]
    scale = float(day["close"].median())
    assert_matches(stored[same].iloc[:288], reference(day)[same], scale, "first day of history")
