"""The consumer views over data written through the assets, on SQLite and TimescaleDB.

Candles: ADA/BTC 5m (freqtrade test data, Binance 2018) served to the real ccxt client; the
gap check registers its holes (an outage of 33 candles, four short holes) as missed, and the
registry code moves four of them on: one to no_trades (seen twice, short), one accepted (with
a note), the outage confirmed. News: a fresh bullish BTC headline and a stale bearish ETH one,
fetched from the RSS emulator and scored by the sentiment assets. Both backends hold the same
data and every view returns the same rows on both (ages aside, which move with the clock).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.consumers.views import (
    COVERAGE_BY_MONTH,
    coverage_by_month_check,
    view_specs,
)
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.news.assets import article_sentiment, news_articles, sentiment_daily
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.consumers.coverage import coverage_by_month
from coinwatch_assets.lib.consumers.views import read_view
from coinwatch_assets.lib.quality.gaps import Gap
from coinwatch_assets.lib.quality.registry import (
    GapPolicy,
    accept_holes,
    confirm_exhausted,
    merge_holes,
)
from coinwatch_assets.lib.storage.schema import upgrade_database
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.defs.news.conftest import news_resources, rss_body
from coinwatch_assets_tests.defs.quality.helpers import day_tags, run
from coinwatch_assets_tests.emulators.binance import BinanceEmulator
from coinwatch_assets_tests.emulators.rss import RssEmulator
from coinwatch_assets_tests.shared_data import read_candles_csv, shared_path
from coinwatch_assets_tests.venue_defs import EXCHANGE, VENUE, ohlcv

UTC = "UTC"
DAY = pd.Timestamp("2018-01-15", tz=UTC)
NO_TRADES_AT = pd.Timestamp("2018-01-15 10:30", tz=UTC)  # 1 candle
ACCEPTED_AT = pd.Timestamp("2018-01-15 11:10", tz=UTC)  # 4 candles
CONFIRMED_AT = pd.Timestamp("2018-01-15 12:00", tz=UTC)  # the 33-candle outage
NOW = pd.Timestamp.now(tz=UTC).floor("s")
FRESH = ("fresh", "Bitcoin rallies as ETF inflows surge to a record", NOW - pd.Timedelta("1h"))
STALE = ("stale", "Ethereum exchange hacked, $40 million stolen", NOW - pd.Timedelta("30h"))


def _partition_key(ts: pd.Timestamp, symbol_key: str) -> str:
    """The ohlcv partition holding `ts` for `symbol_key`, whatever the time grain."""
    parts = {}
    for dim in ohlcv.partitions_def.partitions_defs:
        if isinstance(dim.partitions_def, dg.TimeWindowPartitionsDefinition):
            parts[dim.name] = dim.partitions_def.get_partition_key_for_timestamp(ts.timestamp())
        else:
            parts[dim.name] = symbol_key
    return dg.MultiPartitionKey(parts)


@pytest.fixture(scope="module")
def exchange() -> Iterator[BinanceEmulator]:
    candles = read_candles_csv(shared_path("ohlcv", "freqtrade", "ADA_BTC-5m.csv"))
    with BinanceEmulator() as emu:
        emu.add_market("ADA/BTC", candles, interval="5m")
        yield emu


@pytest.fixture(scope="module")
def rss() -> Iterator[RssEmulator]:
    with RssEmulator() as emu:
        emu.set_feed(
            "f.xml",
            rss_body(*((g, t, f"{d:%a, %d %b %Y %H:%M:%S} GMT") for g, t, d in (FRESH, STALE))),
        )
        yield emu


def _market_resources(database: DatabaseResource, emu: BinanceEmulator) -> dict[str, Any]:
    return {
        "io_manager": CoinwatchIOManager(database=database),
        "database": database,
        "market_source": MarketSourceResource(
            source="live",
            exchange="binance",
            ccxt_config=json.dumps(emu.ccxt_config()),
            base_delay_seconds=0.01,
            max_delay_seconds=0.05,
        ),
        "quality_policy": QualityPolicyResource(),
    }


def _move_holes_on(database: DatabaseResource) -> pd.DataFrame:
    """The registry after the gap check, with holes moved to each reason by the registry code."""
    rows = database.read("ohlcv_gaps")
    assert set(rows["reason"]) == {"missed"}
    at = rows["gap_start"]
    seen_twice = merge_holes(
        rows[at == NO_TRADES_AT],
        [
            Gap(r.gap_start, r.gap_end, r.missing_candles)
            for r in rows[at == NO_TRADES_AT].itertuples()
        ],
        exchange=EXCHANGE,
        symbol="ADA/BTC",
        timeframe="5m",
        now=NOW,
    )
    accepted = accept_holes(rows[at == ACCEPTED_AT], "exchange maintenance, announced")
    confirmed = confirm_exhausted(rows[at == CONFIRMED_AT], GapPolicy(max_repairs=0))
    rest = rows[~at.isin([NO_TRADES_AT, ACCEPTED_AT, CONFIRMED_AT])]
    registry = pd.concat([rest, seen_twice, accepted, confirmed], ignore_index=True)
    database.storage().write(table_spec("ohlcv_gaps"), registry, Slice.whole_table("ohlcv_gaps"))
    return registry


def _fill(url: str, exchange: BinanceEmulator, rss: RssEmulator) -> pd.DataFrame:
    """Candles, holes and news written through the assets into `url`; the registry rows."""
    database = DatabaseResource(url=url)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("symbols", ["ADA-BTC"])
        run(
            [ohlcv],
            instance,
            _market_resources(database, exchange),
            key=_partition_key(DAY, "ADA-BTC"),
            # the recorded day only (its month holds 20 recorded days)
            tags=day_tags(f"{DAY:%Y-%m-%d}"),
        )
        resources = news_resources(url, [rss.custom_url("f.xml")])
        for day in sorted({f"{d:%Y-%m-%d}" for _, _, d in (FRESH, STALE)}):
            result = dg.materialize(
                [news_articles, article_sentiment, sentiment_daily],
                partition_key=day,
                instance=instance,
                resources=resources,
            )
            assert result.success
    return _move_holes_on(database)


@pytest.fixture(scope="module")
def backends(
    tmp_path_factory: pytest.TempPathFactory, exchange: BinanceEmulator, rss: RssEmulator, timescale
) -> dict[str, tuple[str, pd.DataFrame]]:
    sqlite = f"sqlite:///{tmp_path_factory.mktemp('views') / 'coinwatch.sqlite'}"
    upgrade_database(sqlite)
    pg = timescale.create_database(f"views{os.getpid()}")
    upgrade_database(pg)
    return {
        name: (url, _fill(url, exchange, rss))
        for name, url in (("sqlite", sqlite), ("timescaledb", pg))
    }


def _views(backends, view: str) -> dict[str, pd.DataFrame]:
    return {
        name: read_view(DatabaseResource(url=url).storage(), view)
        for name, (url, _) in backends.items()
    }


def _same_on_both(frames: dict[str, pd.DataFrame], *moving: str) -> pd.DataFrame:
    sqlite, pg = (frames[n].drop(columns=list(moving)) for n in ("sqlite", "timescaledb"))
    pd.testing.assert_frame_equal(sqlite, pg, check_dtype=False)
    return frames["sqlite"]


def _candles(url: str) -> pd.DataFrame:
    return DatabaseResource(url=url).read("ohlcv")


def test_latest_candles_is_the_last_closed_candle_and_its_age(backends) -> None:
    frames = _views(backends, "latest_candles")
    rows = _same_on_both(frames, "age_seconds")
    stored = _candles(backends["sqlite"][0])
    last = stored.iloc[-1]
    assert rows[["exchange", "symbol", "timeframe"]].values.tolist() == [
        [EXCHANGE, "ADA/BTC", "5m"]
    ]
    row = rows.iloc[0]
    assert row["ts"] == last["ts"]
    assert [row[c] for c in ("open", "high", "low", "close", "volume")] == [
        last[c] for c in ("open", "high", "low", "close", "volume")
    ]
    for frame in frames.values():
        closed_ago = (
            pd.Timestamp.now(tz=UTC) - (last["ts"] + pd.Timedelta("5min"))
        ).total_seconds()
        assert abs(frame.iloc[0]["age_seconds"] - closed_ago) < 120


def test_coverage_counts_stored_expected_and_holes_by_reason(backends) -> None:
    rows = _same_on_both(_views(backends, "coverage"))
    url, registry = backends["sqlite"]
    stored = _candles(url)
    first, last = stored["ts"].min(), stored["ts"].max()
    expected = int((last - first) / pd.Timedelta("5min")) + 1
    inside = registry[(registry["gap_start"] > first) & (registry["gap_end"] < last)]
    by_reason = inside.groupby("reason")["missing_candles"].sum().to_dict()
    # one symbol with holes of every reason
    assert by_reason["no_trades"] == 1 and by_reason["accepted"] == 4
    assert by_reason["confirmed"] == 33 and by_reason["missed"] >= 2
    (row,) = rows.to_dict("records")
    assert row == {
        "exchange": EXCHANGE,
        "symbol": "ADA/BTC",
        "timeframe": "5m",
        "first_ts": first,
        "last_ts": last,
        "stored_candles": len(stored),
        "expected_candles": expected,
        "missing_candles": expected - len(stored),
        "missed_candles": by_reason["missed"],
        "confirmed_candles": 33,
        "no_trades_candles": 1,
        "accepted_candles": 4,
        "completeness_pct": round(100 * len(stored) / expected, 2),
    }
    # every missing candle is a registered hole
    assert row["missing_candles"] == sum(by_reason.values())


def test_latest_sentiment_is_the_latest_article_per_coin_with_a_staleness_flag(backends) -> None:
    frames = _views(backends, "latest_sentiment")
    rows = _same_on_both(frames, "age_seconds", "scored_at", "stale").set_index("symbol")
    assert list(rows.index) == ["BTC", "ETH"]
    btc, eth = rows.loc["BTC"], rows.loc["ETH"]
    assert (btc["article_id"], btc["headline"], btc["published_at"]) != (None, None, None)
    assert btc["headline"] == FRESH[1] and btc["published_at"] == FRESH[2]
    assert eth["headline"] == STALE[1] and eth["published_at"] == STALE[2]
    assert btc["label"] in ("bullish", "very_bullish") and btc["score"] > 0
    assert eth["label"] in ("bearish", "very_bearish") and eth["score"] < 0
    assert btc["source"] == "Test feed" and btc["stale_after_hours"] == 4.0
    for name, frame in frames.items():
        by_coin = frame.set_index("symbol")
        assert by_coin["stale"].tolist() == [False, True], name
        age = (pd.Timestamp.now(tz=UTC) - FRESH[2]).total_seconds()  # the fixture's NOW aged
        assert abs(by_coin.loc["BTC", "age_seconds"] - age) < 60, name
        assert by_coin["scored_at"].notna().all(), name
        # the day's mean and count come from sentiment_daily for the article's UTC day
        daily = DatabaseResource(url=backends[name][0]).read("sentiment_daily")
        for coin, (_, _, published) in (("BTC", FRESH), ("ETH", STALE)):
            day = daily[(daily["symbol"] == coin) & (daily["day"] == published.floor("D"))]
            assert by_coin.loc[coin, "day_mean_score"] == day["mean_score"].item(), name
            assert by_coin.loc[coin, "day_article_count"] == day["article_count"].item(), name


def test_staleness_age_is_a_setting_users_change(backends) -> None:
    for url, _ in backends.values():
        storage = DatabaseResource(url=url).storage()
        with storage.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE view_settings SET sentiment_stale_hours = 48")
        try:
            frame = read_view(storage, "latest_sentiment")
            assert frame["stale"].tolist() == [False, False]
            assert frame["stale_after_hours"].tolist() == [48.0, 48.0]
            with storage.engine.begin() as conn:  # no row: the documented default, 4 hours
                conn.exec_driver_sql("DELETE FROM view_settings")
            assert read_view(storage, "latest_sentiment")["stale"].tolist() == [False, True]
        finally:
            with storage.engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM view_settings")
                conn.exec_driver_sql("INSERT INTO view_settings VALUES (1, 4.0)")


def test_coverage_per_month_adds_up_to_the_view_and_shows_in_the_check(backends) -> None:
    for url, _ in backends.values():
        database = DatabaseResource(url=url)
        series = read_view(database.storage(), "coverage").iloc[0]
        months = coverage_by_month(database.storage())
        totals = months.drop(columns=["month", "completeness_pct"]).sum(numeric_only=True)
        for column in totals.index:
            assert totals[column] == series[column], column
        defs = dg.Definitions(
            assets=view_specs([VENUE]),
            asset_checks=[coverage_by_month_check],
            jobs=[dg.define_asset_job("check", dg.AssetSelection.checks(coverage_by_month_check))],
            resources={"database": database},
        )
        with dg.instance_for_test() as instance:
            result = defs.resolve_job_def("check").execute_in_process(instance=instance)
        (evaluation,) = result.get_asset_check_evaluations()
        assert evaluation.check_name == COVERAGE_BY_MONTH
        assert evaluation.asset_key == dg.AssetKey("coverage")
        # every missing candle is listed in ohlcv_gaps: nothing unjudged
        assert evaluation.passed and evaluation.metadata["series"].value == 1
        table = evaluation.metadata["months"].value
        assert f"| {EXCHANGE} | ADA/BTC | 5m | 2018-01 |" in table


def _readme_queries() -> list[str]:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme.split("\n## Using the data\n", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```sql\n")[1:]]


def test_the_readme_queries_run_on_both_backends(backends) -> None:
    chart, fresh_bullish, below_99 = _readme_queries()
    # the chart of the recorded day instead of the example's symbol and week
    chart = chart.replace("'BTC/USDT'", "'ADA/BTC'").replace("'binance'", f"'{EXCHANGE}'")
    chart = chart.replace("2024-06-01", "2018-01-15").replace("2024-06-02", "2018-01-16")
    for name, (url, _) in backends.items():
        with DatabaseResource(url=url).storage().engine.connect() as conn:
            candles = conn.exec_driver_sql(chart).all()
            signals = conn.exec_driver_sql(fresh_bullish).all()
            incomplete = conn.exec_driver_sql(below_99).all()
        stored = _candles(url)
        day = stored[stored["ts"].dt.floor("D") == DAY]
        assert len(candles) == len(day) > 0, name
        assert [c[4] for c in candles] == day["close"].tolist(), name
        assert [s[0] for s in signals] == ["BTC"], name
        assert [r[1] for r in incomplete] == ["ADA/BTC"] and incomplete[0][3] < 99, name
