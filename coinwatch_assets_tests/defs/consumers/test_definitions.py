"""The consumers domain in the code location: view lineage, the check, the export job."""

from pathlib import Path

import dagster as dg
import pandas as pd

from coinwatch_assets.definitions import build_definitions
from coinwatch_assets.defs.consumers.definitions import definitions
from coinwatch_assets.defs.consumers.views import COVERAGE_BY_MONTH
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.venues import venues_from_file
from coinwatch_assets_tests.factories import ohlcv_frame

VENUE_FILE = """
venues:
  alpha:
    exchange: sample
    symbols: [BTC/USDT]
    timeframe: 5m
    start_date: 2024-01-01
  beta:
    exchange: sample
    symbols: [BTC/USDT]
    timeframe: 1h
    start_date: 2024-01-01
"""


def _venues(tmp_path: Path):
    path = tmp_path / "venues.yaml"
    path.write_text(VENUE_FILE)
    return venues_from_file(path)


def test_views_hang_off_every_venue_and_the_news_assets(tmp_path: Path) -> None:
    defs = build_definitions(_venues(tmp_path), DatabaseResource(url="sqlite:///unused"))
    graph = defs.resolve_asset_graph()
    parents = {
        name: set(graph.get(dg.AssetKey(name)).parent_keys)
        for name in ("latest_candles", "latest_sentiment", "coverage")
    }
    ohlcv = {dg.AssetKey(["alpha", "ohlcv"]), dg.AssetKey(["beta", "ohlcv"])}
    gaps = {dg.AssetKey(["alpha", "ohlcv_gaps"]), dg.AssetKey(["beta", "ohlcv_gaps"])}
    assert parents["latest_candles"] == ohlcv
    assert parents["coverage"] == ohlcv | gaps
    assert parents["latest_sentiment"] == {
        dg.AssetKey(n) for n in ("article_sentiment", "news_articles", "sentiment_daily")
    }
    for name in parents:
        node = graph.get(dg.AssetKey(name))
        assert node.group_name == "consumers" and node.description and node.owners
        assert not node.is_materializable  # the database computes a view on every query
    assert dg.AssetCheckKey(dg.AssetKey("coverage"), COVERAGE_BY_MONTH) in graph.asset_check_keys
    assert defs.resolve_job_def("freqtrade_export_job")


def test_export_job_writes_a_venues_selection(tmp_path: Path, database_url: str) -> None:
    venues = _venues(tmp_path)
    database = DatabaseResource(url=database_url)
    storage = database.storage()
    for symbol in ("BTC/USDT", "ETH/USDT"):
        for venue, tf, freq in (("alpha", "5m", "5min"), ("beta", "1h", "1h")):
            candles = ohlcv_frame(symbol, periods=24, freq=freq, exchange=venue, timeframe=tf)
            storage.write(table_spec("ohlcv"), candles, Slice.whole_table("ohlcv"))
    defs = dg.Definitions.merge(
        definitions(venues), dg.Definitions(resources={"database": database})
    )
    dest = tmp_path / "freqtrade"
    config = {"venue": "beta", "dest": str(dest), "symbols": ["ETH/USDT"]}
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("freqtrade_export_job").execute_in_process(
            run_config={"ops": {"export_freqtrade_candles": {"config": config}}},
            instance=instance,
        )
    assert result.success
    assert [p.name for p in dest.iterdir()] == ["ETH_USDT-1h.feather"]  # the venue's timeframe
    written = pd.read_feather(dest / "ETH_USDT-1h.feather")
    assert len(written) == 24 and written["date"].iloc[-1] == pd.Timestamp(
        "2024-01-01 23:00", tz="UTC"
    )
    (materialization,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = materialization.event_specific_data.metadata
    assert metadata["pairs"].value == 1 and metadata["appended_candles"].value == 24
    assert "| ETH_USDT-1h.feather | 24 | 24 |" in metadata["files"].value
