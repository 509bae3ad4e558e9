"""Two venues in one code location and one database: Binance and Kraken emulators, real ccxt.

The code location is assembled the way definitions.py does it, from a venue file whose ccxt
configs sit in environment variables (read through dg.EnvVar).
"""

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from coinwatch_assets.definitions import build_definitions
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.venues import venues_from_file
from coinwatch_assets_tests.defs.quality.helpers import day_tags
from coinwatch_assets_tests.emulators.binance import BinanceEmulator
from coinwatch_assets_tests.emulators.kraken import KrakenEmulator
from coinwatch_assets_tests.shared_data import shared_path

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
VENUE_FILE = """
venues:
  binance:
    exchange: binance
    symbols: [ETH/BTC, LTC/BTC]
    timeframe: 5m
    start_date: 2018-01-10
    requests_per_minute: 6000
    ccxt_config_env: TEST_BINANCE_CCXT
    archive: none
  kraken:
    exchange: kraken
    symbols: [BTC/USDT]
    timeframe: 1h
    start_date: 2024-01-29
    requests_per_minute: 6000
    ccxt_config_env: TEST_KRAKEN_CCXT
"""


def kraken_recorded() -> np.ndarray:
    """Kraken's recorded 1h BTC/USDT answer: seconds, vwap at 5, a 44-hour hole."""
    path = shared_path("exchange_responses", "kraken_fetchOHLCV_static_response.json")
    rows = json.loads(path.read_text())["fetchOHLCV"][0]["httpResponse"]["result"]["XBTUSDT"]
    return np.array([[r[0] * 1000, *map(float, r[1:5]), float(r[6])] for r in rows])


@pytest.fixture
def code_location(
    recorded_5m: dict[str, np.ndarray],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dg.Definitions]:
    with BinanceEmulator() as binance, KrakenEmulator() as kraken:
        for symbol, candles in recorded_5m.items():
            binance.add_market(symbol, candles, interval="5m", quote_volume=1e6)
        kraken.add_market("BTC/USDT", kraken_recorded(), interval="1h")
        monkeypatch.setenv("TEST_BINANCE_CCXT", json.dumps(binance.ccxt_config()))
        monkeypatch.setenv("TEST_KRAKEN_CCXT", json.dumps(kraken.ccxt_config()))
        path = tmp_path / "coinwatch.yaml"
        path.write_text(VENUE_FILE)
        yield build_definitions(venues_from_file(path), DatabaseResource(url=database_url))


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions("binance_symbols", ["ETH-BTC", "LTC-BTC"])
        inst.add_dynamic_partitions("kraken_symbols", ["BTC-USDT"])
        yield inst


# The months of each venue's run, and the recorded days they fetch of them.
BINANCE, BINANCE_DAYS = ("2018-01|ETH-BTC", "2018-01|LTC-BTC"), day_tags("2018-01-12", 2)
KRAKEN, KRAKEN_DAYS = ("2024-01|BTC-USDT", "2024-02|BTC-USDT"), day_tags("2024-01-30", 3)


def run(defs, instance, asset: str, start: str | None = None, end: str | None = None, **kw):
    tags = {RANGE_START: start, RANGE_END: end} if start else {}
    tags.update(kw.pop("tags", {}))
    return defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey.from_user_string(asset)],
        tags=tags,
        raise_on_error=False,
        **kw,
    )


def rows(defs, table: str, exchange: str) -> pd.DataFrame:
    frame = defs.resources["database"].read(table)
    mine = frame[frame["exchange"] == exchange]
    return mine.sort_values(list(mine.columns[:4])).reset_index(drop=True)


def test_assembled_definitions_per_venue(code_location: dg.Definitions) -> None:
    repo = code_location.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    for venue, timeframe in (("binance", "5m"), ("kraken", "1h")):
        assert {f"{venue}/markets", f"{venue}/ohlcv", f"{venue}/ohlcv_1d"} <= keys
        # hourly bars only from finer candles: binance 5m has them, kraken 1h does not
        assert (f"{venue}/ohlcv_1h" in keys) == (timeframe == "5m")
        bars = repo.assets_defs_by_key[dg.AssetKey([venue, "ohlcv_1d"])]
        assert repo.asset_graph.get(bars.key).group_name == f"{venue}_derived"
        ohlcv = repo.assets_defs_by_key[dg.AssetKey([venue, "ohlcv"])]
        node = repo.asset_graph.get(ohlcv.key)
        assert node.pools == {f"exchange_{venue}"}
        dims = {d.name: d.partitions_def for d in ohlcv.partitions_def.partitions_defs}
        assert dims["symbol"].name == f"{venue}_symbols"
        meta = ohlcv.metadata_by_key[ohlcv.key]
        assert (meta["exchange"], meta["timeframe"]) == (venue, timeframe)
        assert node.group_name == venue
        checks = {c.name for c in repo.asset_graph.get_check_keys_for_assets([ohlcv.key])}
        assert checks == {
            "ohlcv_quality",
            "ohlcv_price_jumps",
            "ohlcv_freshness",
            # the cross-venue check sits on the first venue of each pair
            *(["price_divergence_vs_kraken"] if venue == "binance" else []),
        }
        for name in ("symbol_discovery_sensor", "gap_repair_sensor", "derived_automation_sensor"):
            assert repo.has_sensor_def(f"{venue}_{name}")
        for name in ("ohlcv_intraday_schedule", "ohlcv_daily_close_schedule", "markets_schedule"):
            assert repo.has_schedule_def(f"{venue}_{name}")
    binance_days = repo.assets_defs_by_key[dg.AssetKey(["binance", "ohlcv"])].partitions_def
    kraken_days = repo.assets_defs_by_key[dg.AssetKey(["kraken", "ohlcv"])].partitions_def
    assert binance_days.partitions_defs[0].partitions_def.start.year == 2018
    assert kraken_days.partitions_defs[0].partitions_def.start.year == 2024


def test_materializing_either_venue_never_changes_the_other(
    code_location: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    defs = code_location
    for venue in ("binance", "kraken"):
        assert run(defs, instance, f"{venue}/markets").success
    markets = defs.resources["database"].read("markets")
    assert sorted(markets["symbol"]) == ["BTC/USDT", "ETH/BTC", "LTC/BTC"]
    assert run(defs, instance, "binance/ohlcv", *BINANCE, tags=BINANCE_DAYS).success
    # Kraken's hole fails its blocking gap check (the run fails after the write)
    kraken = run(defs, instance, "kraken/ohlcv", *KRAKEN, tags=KRAKEN_DAYS)
    assert len(kraken.get_asset_materialization_events()) == 2
    stored_kraken = rows(defs, "ohlcv", "kraken")
    # Kraken's wire format: seconds, strings, vwap at 5; the recorded 44-hour hole stays one
    assert len(stored_kraken) == 6 and set(stored_kraken["timeframe"]) == {"1h"}
    assert stored_kraken["ts"].iloc[-1] == pd.Timestamp("2024-02-01 15:00", tz="UTC")
    assert stored_kraken["volume"].iloc[0] == pytest.approx(18.7543011)
    stored_binance = rows(defs, "ohlcv", "binance")
    assert len(stored_binance) == 4 * 288
    before = {
        t: (rows(defs, t, "binance"), rows(defs, t, "kraken")) for t in ("ohlcv", "ohlcv_gaps")
    }
    assert len(before["ohlcv_gaps"][1]) >= 1  # kraken's hole is in the registry...
    assert len(before["ohlcv_gaps"][0]) == 0  # ...and none of binance's rows are
    # a deliberate slice replacement on one venue, then a plain re-fetch on the other
    replace = {"coinwatch/replace_slice": "true"}
    again = run(defs, instance, "binance/ohlcv", *BINANCE, tags={**replace, **BINANCE_DAYS})
    assert again.success
    pd.testing.assert_frame_equal(rows(defs, "ohlcv", "kraken"), before["ohlcv"][1])
    pd.testing.assert_frame_equal(rows(defs, "ohlcv_gaps", "kraken"), before["ohlcv_gaps"][1])
    again = run(defs, instance, "kraken/ohlcv", *KRAKEN, tags={**replace, **KRAKEN_DAYS})
    assert len(again.get_asset_materialization_events()) == 2
    pd.testing.assert_frame_equal(rows(defs, "ohlcv", "binance"), before["ohlcv"][0])
    pd.testing.assert_frame_equal(rows(defs, "ohlcv_gaps", "binance"), before["ohlcv_gaps"][0])
    assert sorted(defs.resources["database"].read("markets")["symbol"]) == sorted(markets["symbol"])


def test_run_config_override_of_a_venue_resource_changes_the_run(
    code_location: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    override = {"resources": {"binance_market_source": {"config": {"symbols": ["LTC/BTC"]}}}}
    assert run(code_location, instance, "binance/markets", run_config=override).success
    markets = code_location.resources["database"].read("markets")
    assert list(markets["symbol"]) == ["LTC/BTC"]  # not the venue file's ETH/BTC, LTC/BTC
