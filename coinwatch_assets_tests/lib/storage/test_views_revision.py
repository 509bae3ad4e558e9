"""Views and later revisions: a revision that rebuilds a table a view reads still applies."""

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

import coinwatch_assets.lib.storage.migrations as migrations
from coinwatch_assets.lib.consumers.views import VIEWS, read_view
from coinwatch_assets.lib.storage.schema import head_revision, schema_drift, upgrade_database
from coinwatch_assets.lib.storage.store import Storage

# A later revision in batch mode: SQLite rebuilds each table (copy, drop, rename back) whenever
# it cannot ALTER in place (a type change, a dropped column); forced here for every table.
# PostgreSQL alters in place.
_REBUILD = """
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"


def upgrade() -> None:
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    for table in ("ohlcv", "ohlcv_gaps", "article_sentiment"):
        with op.batch_alter_table(table, recreate=recreate) as batch_op:
            batch_op.add_column(sa.Column("probe", sa.Text(), nullable=True))


def downgrade() -> None:
    pass
"""


def test_a_table_rebuild_after_the_views_keeps_them_working(
    database_url: str, tmp_path: Path
) -> None:
    location = tmp_path / "migrations"
    shutil.copytree(Path(migrations.__file__).parent, location)
    (location / "versions" / "9999_rebuild.py").write_text(_REBUILD.format(head=head_revision()))
    _, after = upgrade_database(database_url, str(location))
    assert after.current == ("9999",)
    with sa.create_engine(database_url, poolclass=sa.pool.NullPool).connect() as conn:
        for view in VIEWS:  # each view still resolves its tables
            assert conn.exec_driver_sql(f"SELECT * FROM {view}").all() == [], view
        views = set(sa.inspect(conn).get_view_names())
        columns = {c["name"] for c in sa.inspect(conn).get_columns("ohlcv")}
    assert set(VIEWS) <= views and "probe" in columns


def test_views_are_not_drift(database_url: str) -> None:
    with sa.create_engine(database_url, poolclass=sa.pool.NullPool).connect() as conn:
        assert set(VIEWS) <= set(sa.inspect(conn).get_view_names())
        assert schema_drift(conn) == []


def test_read_view_names_the_known_views(tmp_path: Path) -> None:
    storage = Storage(f"sqlite:///{tmp_path / 'views.sqlite'}")
    with pytest.raises(KeyError, match=r"known views: \['coverage', 'latest_candles'"):
        read_view(storage, "latest_candle")
