"""Existing data survives an upgrade: a database from before revisions, filled, upgraded."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import StorageError
from coinwatch_assets.lib.storage.schema import (
    SchemaBehind,
    head_revision,
    schema_drift,
    upgrade_database,
)
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.lib.storage import legacy_schema

TABLES = ["ohlcv", "ohlcv_1h", "markets", "ohlcv_gaps"]


@pytest.fixture(params=["sqlite", "timescaledb"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or a TimescaleDB database with no tables."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'legacy.sqlite'}"
    return request.getfixturevalue("empty_timescale_url")


@pytest.fixture
def legacy_url(blank_url: str) -> str:
    """A database built by the old `create_all` path (no alembic_version), filled with rows."""
    legacy_schema.create_legacy_schema(blank_url)
    _fill(blank_url)
    return blank_url


def _fill(url: str) -> None:
    candles = pd.concat(
        [
            ohlcv_frame(symbol, day, base_price=price)
            for symbol, price in (("BTC/USDT", 40000.0), ("ETH/USDT", 2000.0))
            for day in ("2024-01-01", "2024-01-02", "2024-01-03")
        ]
    )
    hourly = ohlcv_frame("BTC/USDT", "2024-01-01", periods=72, freq="1h", timeframe="5m")
    now = datetime(2024, 1, 4, tzinfo=UTC)
    gaps = [
        {
            "exchange": "binance",
            "symbol": "ETH/USDT",
            "timeframe": "5m",
            "gap_start": datetime(2024, 1, day, 2, tzinfo=UTC),
            "gap_end": datetime(2024, 1, day, 2, 15, tzinfo=UTC),
            "missing_candles": 4,
            "reason": reason,
            "attempts": day,
            "detected_at": now,
        }
        for day, reason in ((1, "missed"), (2, "no_trades"), (3, "confirmed"))
    ]
    markets = [
        {
            "exchange": "binance",
            "symbol": symbol,
            "base": symbol.split("/")[0],
            "quote": "USDT",
            "active": active,
            "quote_volume_24h": volume,
            "first_seen": date(2024, 1, 1),
            "delisted": None if active else date(2024, 1, 3),
            "updated_at": now,
        }
        for symbol, active, volume in (("BTC/USDT", True, 1.5e9), ("OLD/USDT", False, None))
    ]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for name, rows in (
            ("ohlcv", candles.to_dict("records")),
            ("ohlcv_1h", hourly.to_dict("records")),
            ("ohlcv_gaps", gaps),
            ("markets", markets),
        ):
            conn.execute(sa.insert(legacy_schema.metadata.tables[name]), rows)
    engine.dispose()


def _snapshot(url: str) -> dict[str, object]:
    """Every row of every table, each table's primary key, and the hypertable chunks."""
    engine = sa.create_engine(url)
    snap: dict[str, object] = {}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for name in TABLES:
            table = legacy_schema.metadata.tables[name]
            pk = [c.name for c in table.primary_key.columns]
            snap[name] = conn.execute(sa.select(table).order_by(*pk)).all()
            snap[f"{name}.pk"] = inspector.get_pk_constraint(name)["constrained_columns"]
        if engine.dialect.name == "postgresql":
            snap["chunks"] = conn.exec_driver_sql(
                "SELECT hypertable_name, chunk_schema, chunk_name, range_start, range_end "
                "FROM timescaledb_information.chunks ORDER BY 1, 4"
            ).all()
            snap["dimensions"] = conn.exec_driver_sql(
                "SELECT hypertable_name, column_name, time_interval "
                "FROM timescaledb_information.dimensions ORDER BY 1"
            ).all()
    engine.dispose()
    return snap


def test_legacy_database_keeps_every_row_key_and_chunk(legacy_url: str) -> None:
    before = _snapshot(legacy_url)
    assert len(before["ohlcv"]) == 6 * 288 and len(before["ohlcv_gaps"]) == 3
    if legacy_url.startswith("postgresql"):
        assert len(before["chunks"]) >= 4  # 3 daily ohlcv chunks + ohlcv_1h + ohlcv_gaps
        # TimescaleDB: the first use names the command instead of touching the schema.
        with pytest.raises(SchemaBehind, match="before schema revisions.*coinwatch-db upgrade"):
            Storage(legacy_url).ensure_schema()
        first, after = upgrade_database(legacy_url)
        assert first.legacy and first.current == ()
        assert after.current == (head_revision(),)
    storage = Storage(legacy_url)
    # SQLite: this first read upgrades the file by itself (no command).
    rows = storage.read(table_spec("ohlcv"), Slice.whole_table("ohlcv"))
    assert len(rows) == 6 * 288
    assert _snapshot(legacy_url) == before
    engine = sa.create_engine(legacy_url)
    with engine.connect() as conn:
        assert schema_drift(conn) == []  # every column of the code's tables is in place
        versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    engine.dispose()
    assert versions == [(head_revision(),)]

    again_before, again_after = upgrade_database(legacy_url)  # a second upgrade: a no-op
    assert again_before.current == again_after.current == (head_revision(),)
    assert _snapshot(legacy_url) == before


def test_legacy_database_missing_a_later_table_gets_it(blank_url: str) -> None:
    # A database from an older commit that had no ohlcv_gaps yet: create_all would have added
    # it; the adoption does the same before stamping.
    url = blank_url
    legacy_schema.create_legacy_schema(url, tables=["ohlcv", "ohlcv_1h", "markets"])
    before, after = upgrade_database(url)
    assert before.legacy and after.up_to_date
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert "ohlcv_gaps" in sa.inspect(conn).get_table_names()
        assert schema_drift(conn) == []
        if engine.dialect.name == "postgresql":
            hypertables = conn.exec_driver_sql(
                "SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1"
            ).scalars()
            assert list(hypertables) == ["ohlcv", "ohlcv_1h", "ohlcv_gaps"]
    engine.dispose()


def test_legacy_database_that_differs_is_not_stamped(blank_url: str) -> None:
    url = blank_url
    legacy_schema.create_legacy_schema(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE markets ADD COLUMN hand_made TEXT")
    with pytest.raises(StorageError, match="differ from revision 0001.*hand_made"):
        upgrade_database(url)
    with engine.connect() as conn:
        assert "alembic_version" not in sa.inspect(conn).get_table_names()  # rolled back
    engine.dispose()


# A later revision, as other branches will add them: a new column and a new hypertable.
_REVISION_0002 = """
import sqlalchemy as sa
from alembic import op
from datetime import timedelta

from coinwatch_assets.lib.storage.hypertables import create_hypertable

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ohlcv_1h") as batch_op:
        batch_op.add_column(sa.Column("partial", sa.Boolean, nullable=True))
    op.create_table(
        "sentiment_daily",
        sa.Column("symbol", sa.Text, nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("symbol", "day"),
    )
    create_hypertable("sentiment_daily", "day", timedelta(days=30))


def downgrade() -> None:
    op.drop_table("sentiment_daily")
    with op.batch_alter_table("ohlcv_1h") as batch_op:
        batch_op.drop_column("partial")
"""


def scripts_at_0001(tmp_path: Path, name: str = "migrations") -> str:
    """A copy of the package's migrations cut after revision 0001 (later real revisions
    dropped), so the fabricated 0002 below always follows it."""
    import shutil

    import coinwatch_assets.lib.storage.migrations as migrations

    target = tmp_path / name
    shutil.copytree(Path(migrations.__file__).parent, target)
    for path in (target / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"):
        if not path.name.startswith("0001_"):
            path.unlink()
    return str(target)


def scripts_with_revision_0002(tmp_path: Path) -> str:
    """Revision 0001 of the package plus a fabricated 0002 (a filesystem script location)."""
    target = Path(scripts_at_0001(tmp_path))
    (target / "versions" / "0002_partial_and_sentiment.py").write_text(_REVISION_0002)
    return str(target)


def test_a_later_revision_adds_its_column_and_hypertable_keeping_rows(
    legacy_url: str, tmp_path: Path
) -> None:
    location = scripts_with_revision_0002(tmp_path)
    before = _snapshot(legacy_url)
    first, after = upgrade_database(legacy_url, location)
    assert first.legacy and after.current == ("0002",)
    engine = sa.create_engine(legacy_url)
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert "partial" in {c["name"] for c in inspector.get_columns("ohlcv_1h")}
        assert "sentiment_daily" in inspector.get_table_names()
        hourly = conn.exec_driver_sql("SELECT count(*), count(partial) FROM ohlcv_1h").one()
        assert tuple(hourly) == (72, 0)  # rows kept (batch mode rebuilt it on SQLite)
        if engine.dialect.name == "postgresql":
            dims = conn.exec_driver_sql(
                "SELECT column_name, time_interval FROM timescaledb_information.dimensions "
                "WHERE hypertable_name = 'sentiment_daily'"
            ).all()
            assert dims == [("day", timedelta(days=30))]
    engine.dispose()
    # Rows (of the old columns), keys and chunks as they were; only the dimensions gained one.
    after_snap = _snapshot(legacy_url)
    assert {k: v for k, v in after_snap.items() if k != "dimensions"} == {
        k: v for k, v in before.items() if k != "dimensions"
    }
    assert upgrade_database(legacy_url, location)[0].current == ("0002",)  # no-op again
