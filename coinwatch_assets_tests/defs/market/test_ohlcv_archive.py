"""End to end: `ohlcv` backfilled from the archive emulator + REST emulator through Dagster.

The history (see archive_data) is real Binance 1m rows: 2017-10 as a monthly file, 11-01 ->
11-05 as daily files, 11-06 not published (404: REST). A truncated daily file leaves holes;
the gap check fails, and the repair sensor's run re-fetches the day through REST only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.defs.quality.checks import QUALITY
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.market.fetch_plan import FETCH_WINDOWS_TAG, encode_windows
from coinwatch_assets.lib.market.grain import join_key, month_key
from coinwatch_assets.lib.sources.exchange import ExchangeSource
from coinwatch_assets.lib.sources.history import HISTORY_REST, HISTORY_SOURCE_TAG
from coinwatch_assets.lib.venues import Venue
from coinwatch_assets_tests.emulators.binance import BinanceEmulator
from coinwatch_assets_tests.emulators.binance_vision import BinanceVisionEmulator, kline_lines
from coinwatch_assets_tests.lib.sources.archive_data import SYMBOL, history_candles, publish

VENUE = build_venue(
    Venue(symbols=(SYMBOL,), timeframe="1m", start_date=date(2017, 10, 1), archive="none")
)
SYMBOL_KEY = "UNITTEST-BTC"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
FULL_DAY = "2017-11-05"  # 1,440 candles: the one day of the recording without a hole


def partition_key(day: str) -> str:
    """The `ohlcv` partition key holding `day` (the only place that knows the key format)."""
    return join_key(month_key(date.fromisoformat(day)), SYMBOL_KEY)


@pytest.fixture
def candles() -> np.ndarray:
    return history_candles()


@pytest.fixture
def emulators(candles: np.ndarray) -> Iterator[tuple[BinanceEmulator, BinanceVisionEmulator]]:
    with BinanceEmulator() as rest, BinanceVisionEmulator() as vision:
        rest.add_market(SYMBOL, candles, interval="1m", quote_volume=1e6)
        publish(vision, candles)
        yield rest, vision


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions(VENUE.partitions.symbols.name, [SYMBOL_KEY])
        yield inst


@pytest.fixture
def resources(emulators, database_url: str) -> dict[str, Any]:
    rest, vision = emulators
    database = DatabaseResource(url=database_url)
    return {
        "io_manager": CoinwatchIOManager(database=database),
        "database": database,
        VENUE.source_key: MarketSourceResource(
            source="live",
            exchange="binance",
            ccxt_config=json.dumps(rest.ccxt_config()),
            archive="binance_vision",
            archive_url=vision.base_url,
            base_delay_seconds=0.01,
            max_delay_seconds=0.05,
        ),
        "quality_policy": QualityPolicyResource(base_delay_seconds=0, max_delay_seconds=0),
    }


def run(instance, resources, first: str, last: str | None = None, tags=None):
    """The partitions holding days `first`..`last`, fetching those days only (unless `tags`
    say which windows, as a repair request does)."""
    range_tags = {RANGE_START: partition_key(first), RANGE_END: partition_key(last or first)}
    start = datetime.fromisoformat(first).replace(tzinfo=UTC)
    end = datetime.fromisoformat(last or first).replace(tzinfo=UTC) + timedelta(days=1)
    range_tags[FETCH_WINDOWS_TAG] = encode_windows([(start, end)])
    return dg.materialize(
        [VENUE.ohlcv, VENUE.quality_checks],
        instance=instance,
        resources=resources,
        tags={**range_tags, **(tags or {})},
        raise_on_error=False,
    )


def metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    """The run's output metadata (every partition's materialization carries it)."""
    event = result.get_asset_materialization_events()[0]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def stored(resources: dict[str, Any]) -> pd.DataFrame:
    frame = resources["database"].read("ohlcv")
    return frame.sort_values("ts").reset_index(drop=True)


def test_backfill_from_archive_matches_rest_and_reports_its_sources(instance, resources, emulators):
    rest, vision = emulators
    result = run(instance, resources, "2017-10-01", "2017-11-06")
    meta = metadata(result)
    assert meta["archive_windows"] == 6 and meta["rest_windows"] == 1  # 11-06 is not published
    assert meta["archive_files_downloaded"] == 6 and meta["archive_bytes_downloaded"] > 50_000
    assert meta["archive_checksum_failures"] == 0 and meta["archive_fallbacks"] == 1
    assert "2017-11-06: not published (404)" in meta["archive_fallback_windows"]
    start, end = datetime(2017, 10, 1, tzinfo=UTC), datetime(2017, 11, 7, tzinfo=UTC)
    expected = ExchangeSource("binance", rest.ccxt_config()).fetch_ohlcv(SYMBOL, "1m", start, end)
    table = stored(resources)
    assert len(table) == len(expected) > 8000
    assert (table["ts"].to_numpy() == expected["ts"].to_numpy()).all()
    for column in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(table[column].to_numpy(), expected[column].to_numpy())


def test_republished_file_corrects_stored_candles(instance, resources, emulators, candles):
    rest, vision = emulators
    run(instance, resources, "2017-11-02")
    day = datetime(2017, 11, 2, tzinfo=UTC).timestamp() * 1000
    rows = candles[(candles[:, 0] >= day) & (candles[:, 0] < day + 86_400_000)].copy()
    fix = int(np.flatnonzero(rows[:, 4] != rows[:, 1])[0])
    rows[fix, 4] = rows[fix, 1]  # a corrected close (= open: inside [low, high])
    path = vision.publish_candles("UNITTESTBTC", "1m", "daily", "2017-11-02", rows)
    assert kline_lines(rows[fix : fix + 1], "1m")[0].split(",")[4] == repr(float(rows[fix, 1]))
    again = run(instance, resources, "2017-11-02")
    assert metadata(again)["rows_updated"] == 1 and vision.downloads(path) == 2
    table = stored(resources).set_index("ts")
    at = pd.Timestamp(int(rows[fix, 0]), unit="ms", tz="UTC")
    assert table.loc[at, "close"] == rows[fix, 1] and len(table) == len(rows)


def test_truncated_file_fails_the_gap_check_and_the_repair_refetches_through_rest(
    instance, resources, emulators, candles
):
    rest, vision = emulators
    day = datetime(2017, 11, 5, tzinfo=UTC).timestamp() * 1000
    rows = candles[(candles[:, 0] >= day) & (candles[:, 0] < day + 86_400_000)]
    assert len(rows) == 1440
    path = vision.publish_candles("UNITTESTBTC", "1m", "daily", FULL_DAY, rows[:1000])
    first = run(instance, resources, FULL_DAY)
    assert not first.success and len(stored(resources)) == 1000  # checksum fine, rows missing
    (gaps,) = [e for e in first.get_asset_check_evaluations() if e.check_name == QUALITY]
    assert not gaps.passed and gaps.metadata["missing"].value == 440

    (repair_sensor,) = [s for s in VENUE.sensors if s.name.endswith("gap_repair_sensor")]
    needed = {k: resources[k] for k in ("database", "quality_policy")}
    with dg.build_sensor_context(instance=instance, resources=needed) as context:
        (request,) = repair_sensor(context).run_requests
    downloads = vision.downloads(path)
    repaired = run(instance, resources, FULL_DAY, tags=request.tags)
    assert vision.downloads(path) == downloads  # the repair never asked the archive
    assert repaired.success and len(stored(resources)) == 1440
    assert request.tags[HISTORY_SOURCE_TAG] == HISTORY_REST
    assert "archive_windows" not in metadata(repaired)
