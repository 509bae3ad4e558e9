"""Revision 0007: stored market_metrics rows become CoinGecko's, and both providers coexist."""

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from coinwatch_assets.lib.storage.schema import head_revision, upgrade_database
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.lib.storage.test_migrations import _scripts_up_to


@pytest.fixture(params=["sqlite", "timescaledb"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'blank.db'}"
    return request.getfixturevalue("empty_timescale_url")


def test_stored_metrics_become_coingecko_rows_and_cmc_rows_fit_beside_them(
    blank_url: str, tmp_path: Path
):
    upgrade_database(blank_url, _scripts_up_to(tmp_path, "0005"))
    hour = pd.Timestamp("2024-03-01 10:00", tz="UTC").to_pydatetime()
    engine = sa.create_engine(blank_url)
    with engine.begin() as conn:
        old = sa.Table("market_metrics", sa.MetaData(), autoload_with=conn)
        conn.execute(
            old.insert(),
            [
                {
                    "coin_id": "bitcoin",
                    "symbol": "BTC",
                    "ts": hour,
                    "price": 1.0,
                    "source": "coins/markets",
                }
            ],  # fmt: skip
        )
    engine.dispose()
    before, after = upgrade_database(blank_url)
    assert (before.current, after.current) == (("0005",), (head_revision(),))
    spec = table_spec("market_metrics")
    storage = Storage(blank_url)
    stored = storage.read(spec, Slice.whole_table("market_metrics"))
    assert stored[["coin_id", "provider", "price"]].values.tolist() == [
        ["bitcoin", "coingecko", 1.0]
    ]
    # the primary key now includes the provider: the same coin id and hour from CMC fits
    with storage.engine.begin() as conn:
        conn.execute(
            spec.table.insert(),
            [
                {
                    "coin_id": "bitcoin",
                    "ts": hour,
                    "source": "quotes/latest",
                    "provider": "coinmarketcap",
                    "price": 1.01,
                }
            ],  # fmt: skip
        )
    assert len(storage.read(spec, Slice.whole_table("market_metrics"))) == 2
