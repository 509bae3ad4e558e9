"""End to end: a real outage served to the real ccxt client, checked, registered and repaired.

ADA/BTC 5m candles (freqtrade test data, Binance 2018) miss 12:00 -> 14:40 UTC on 2018-01-15
(33 candles, a pair-specific outage) plus four short no-trade holes that morning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC as UTC_TZ
from datetime import datetime
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.quality.checks import PRICE_JUMPS, QUALITY
from coinwatch_assets.defs.quality.repair import REPAIR_ATTEMPT_TAG
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.lib.market.fetch_plan import (
    FETCH_WINDOWS_TAG,
    decode_windows,
    encode_windows,
)
from coinwatch_assets_tests.defs.quality.helpers import evaluations_by_check, latest_evaluation, run
from coinwatch_assets_tests.emulators.binance import BinanceEmulator
from coinwatch_assets_tests.shared_data import read_candles_csv, shared_path
from coinwatch_assets_tests.venue_defs import gap_repair_sensor, ohlcv

DAY = "2018-01-15"
KEY = "2018-01|ADA-BTC"
# The day fetched on its own (as the daily close does): the run owns and judges that day.
DAY_WINDOW = {
    FETCH_WINDOWS_TAG: encode_windows(
        [(datetime(2018, 1, 15, tzinfo=UTC_TZ), datetime(2018, 1, 16, tzinfo=UTC_TZ))]
    )
}
UTC = "UTC"
HOLES = [  # (gap_start, gap_end, missing candles) of ADA/BTC on 2018-01-15
    ("2018-01-15 10:10", "2018-01-15 10:10", 1),
    ("2018-01-15 10:30", "2018-01-15 10:30", 1),
    ("2018-01-15 11:10", "2018-01-15 11:25", 4),
    ("2018-01-15 11:45", "2018-01-15 11:45", 1),
    ("2018-01-15 12:00", "2018-01-15 14:40", 33),
]
OUTAGE_START = pd.Timestamp("2018-01-15 12:00", tz=UTC)
MAX_REPAIRS = 2


@pytest.fixture
def emulator() -> Iterator[BinanceEmulator]:
    candles = read_candles_csv(shared_path("ohlcv", "freqtrade", "ADA_BTC-5m.csv"))
    with BinanceEmulator() as emu:
        emu.add_market("ADA/BTC", candles, interval="5m")
        yield emu


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions("symbols", ["ADA-BTC"])
        yield inst


@pytest.fixture
def resources(emulator: BinanceEmulator, database_url: str) -> dict[str, Any]:
    database = DatabaseResource(url=database_url)
    return {
        "io_manager": CoinwatchIOManager(database=database),
        "database": database,
        "market_source": MarketSourceResource(
            source="live",
            exchange="binance",
            ccxt_config=json.dumps(emulator.ccxt_config()),
            base_delay_seconds=0.01,
            max_delay_seconds=0.05,
        ),
        # No backoff wait in the test; the backoff schedule itself is unit-tested.
        "quality_policy": QualityPolicyResource(
            max_repairs=MAX_REPAIRS, base_delay_seconds=0, max_delay_seconds=0
        ),
    }


def registry(resources: dict[str, Any]) -> pd.DataFrame:
    return resources["database"].read("ohlcv_gaps")


def tick(instance: dg.DagsterInstance, resources: dict[str, Any]) -> Any:
    needed = {k: resources[k] for k in ("database", "quality_policy")}
    with dg.build_sensor_context(instance=instance, resources=needed) as context:
        return gap_repair_sensor(context)


def hole_tuples(holes: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [
        (
            pd.Timestamp(h["gap_start"]).strftime("%Y-%m-%d %H:%M"),
            pd.Timestamp(h["gap_end"]).strftime("%Y-%m-%d %H:%M"),
            h["missing_candles"],
        )
        for h in holes
    ]


def test_outage_is_checked_registered_repaired_then_confirmed(instance, resources) -> None:
    # 1. The day is fetched through the real ccxt client; the blocking gap check fails.
    result = run([ohlcv], instance, resources, key=KEY, tags=DAY_WINDOW)
    assert not result.success
    assert result.get_asset_materialization_events(), "the candles are stored before the check"
    (gaps,) = evaluations_by_check(result)[QUALITY]
    assert not gaps.passed and gaps.severity == dg.AssetCheckSeverity.ERROR
    assert gaps.partition == KEY
    assert hole_tuples(gaps.metadata["holes_json"].value) == HOLES
    assert gaps.metadata["missing"].value == 40

    # 2. ohlcv_gaps holds exactly those holes, not yet re-fetched.
    rows = registry(resources)
    assert [
        (f"{r.gap_start:%Y-%m-%d %H:%M}", f"{r.gap_end:%Y-%m-%d %H:%M}", r.missing_candles)
        for r in rows.itertuples()
    ] == HOLES
    assert set(rows["reason"]) == {"missed"} and set(rows["attempts"]) == {1}
    assert set(rows["symbol"]) == {"ADA/BTC"} and set(rows["timeframe"]) == {"5m"}

    # 3. The sensor re-requests the partition's hole windows (not its month); each repair
    # re-fetches them and re-checks their day.
    run_keys = []
    for attempt in range(1, MAX_REPAIRS + 1):
        sensor_result = tick(instance, resources)
        (request,) = sensor_result.run_requests
        assert request.partition_key == KEY and request.tags[REPAIR_ATTEMPT_TAG] == str(attempt)
        windows = decode_windows(request.tags[FETCH_WINDOWS_TAG])
        step = pd.Timedelta(minutes=5)
        due = HOLES if attempt == 1 else HOLES[-1:]  # later: only the outage is still missed
        assert [(pd.Timestamp(lo), pd.Timestamp(hi)) for lo, hi in windows] == [
            (pd.Timestamp(a, tz=UTC), pd.Timestamp(b, tz=UTC) + step) for a, b, _ in due
        ]
        run_keys.append(request.run_key)
        repaired = run([ohlcv], instance, resources, key=KEY, tags=request.tags)
        assert not repaired.success  # the outage is still there: still ERROR, still blocking
        meta = repaired.get_asset_materialization_events()[0].materialization.metadata
        assert meta["rows_written"].value == 0  # the exchange still has none in the holes
        assert meta["candles_not_returned"].value == 0
        rows = registry(resources).set_index("gap_start")
        # The re-fetch returned the same short holes: periods without trades, not errors.
        assert set(rows.drop(OUTAGE_START)["reason"]) == {"no_trades"}
        assert rows.loc[OUTAGE_START, "reason"] == "missed"
        assert rows.loc[OUTAGE_START, "attempts"] == attempt + 1
        assert len(rows) == len(HOLES)
    assert len(set(run_keys)) == MAX_REPAIRS

    # 4. Repairs exhausted: the sensor confirms the outage and records a WARN result itself.
    sensor_result = tick(instance, resources)
    assert not sensor_result.run_requests
    (warn,) = sensor_result.asset_events
    assert warn.partition == KEY and warn.severity == dg.AssetCheckSeverity.WARN
    instance.report_runless_asset_event(warn)
    rows = registry(resources).set_index("gap_start")
    assert rows.loc[OUTAGE_START, "reason"] == "confirmed"
    latest = latest_evaluation(instance, QUALITY, KEY)
    assert not latest.passed and latest.severity == dg.AssetCheckSeverity.WARN

    # 5. No endless loop: nothing more to request.
    assert isinstance(tick(instance, resources), dg.SkipReason)

    # 6. A later refresh of the day (e.g. the daily close) now passes the blocking gate.
    again = run([ohlcv], instance, resources, key=KEY, tags=DAY_WINDOW)
    assert again.success
    (gaps,) = evaluations_by_check(again)[QUALITY]
    assert gaps.severity == dg.AssetCheckSeverity.WARN and not gaps.passed
    assert isinstance(tick(instance, resources), dg.SkipReason)
    assert len(registry(resources)) == len(HOLES)  # re-runs never duplicate holes


def test_single_run_backfill_leaves_a_result_per_partition(instance, resources) -> None:
    first, last = "2017-11|ADA-BTC", KEY
    result = run([ohlcv], instance, resources, start=first, end=last)
    assert not result.success  # one bad month fails the run's blocking gate...
    by_key = {e.partition: e for e in evaluations_by_check(result)[QUALITY]}
    assert set(by_key) == {first, "2017-12|ADA-BTC", KEY}
    # ...but every month has its own recorded outcome, findable per partition in Dagster.
    for key, passed in [(first, True), ("2017-12|ADA-BTC", True), (KEY, False)]:
        assert by_key[key].passed is passed
        assert latest_evaluation(instance, QUALITY, key).passed is passed
    assert len(evaluations_by_check(result)[QUALITY]) == 3  # one result per month, no more
    # Price jumps, which block nothing, are one result for the run over its three months.
    (jumps,) = evaluations_by_check(result)[PRICE_JUMPS]
    assert jumps.partition is None and jumps.metadata["partitions_judged"].value == 3
    # ...and in SQL: the registry holds the bad month's holes only: the outage day's exactly,
    # and the month's end the recorded data does not reach (Jan 30 from 04:55, Jan 31).
    rows = registry(resources)
    assert set(rows["gap_start"].dt.strftime("%Y-%m")) == {"2018-01"}
    on_day = rows[rows["gap_start"].dt.strftime("%Y-%m-%d") == DAY]
    assert [
        (f"{r.gap_start:%Y-%m-%d %H:%M}", f"{r.gap_end:%Y-%m-%d %H:%M}", r.missing_candles)
        for r in on_day.itertuples()
    ] == HOLES
    tail = rows[rows["gap_start"] > pd.Timestamp("2018-01-16", tz=UTC)]
    assert [(f"{r.gap_start:%Y-%m-%d %H:%M}", r.missing_candles) for r in tail.itertuples()] == [
        ("2018-01-30 04:55", 229),
        ("2018-01-31 00:00", 288),
    ]
    days = by_key[KEY].metadata["days_table"].value
    assert "| 2018-01-15 | 248 | 288 | 5 | 40 | this run |" in days, days
    # A repair re-requests just the bad month's hole windows, not the whole range.
    (request,) = tick(instance, resources).run_requests
    assert request.partition_key == KEY
    assert len(decode_windows(request.tags[FETCH_WINDOWS_TAG])) == len(HOLES) + 2


def test_confirming_holes_never_hides_broken_candles(instance, resources) -> None:
    from coinwatch_assets.defs.quality.evaluations import BROKEN_DAYS
    from coinwatch_assets.defs.quality.repair import confirm_partition
    from coinwatch_assets.lib.quality.registry import GapPolicy
    from coinwatch_assets_tests.venue_defs import VENUE

    assert not run([ohlcv], instance, resources, key=KEY).success  # the outage: missed holes
    # A later result found a broken candle on another day of the month (as an intraday run
    # would), and the holes' repairs are then exhausted.
    broken = {"2018-01-03": ["invalid_volume"]}
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=ohlcv.key,
            check_name=QUALITY,
            passed=False,
            partition=KEY,
            metadata={BROKEN_DAYS: dg.MetadataValue.json(broken)},
        )
    )
    evaluation = confirm_partition(
        instance, resources["database"], KEY, GapPolicy(max_repairs=0), venue=VENUE, ohlcv=ohlcv
    )
    assert evaluation is not None
    assert set(registry(resources)["reason"]) == {"confirmed"}
    # Confirmed holes alone would be a WARN; the broken day keeps the month an ERROR.
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR and not evaluation.passed
    assert evaluation.metadata[BROKEN_DAYS].value == broken
    assert evaluation.description.endswith("; broken: invalid_volume on 2018-01-03")
