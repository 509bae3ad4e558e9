"""Models and migrations agree; behind / ahead databases are refused with the fix named."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import StorageError
from coinwatch_assets.lib.storage.schema import (
    SchemaAhead,
    SchemaBehind,
    check_schema,
    head_revision,
    schema_drift,
    upgrade_database,
)
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import TABLE_SPECS, metadata, table_spec
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.lib.storage.test_schema_upgrade import (
    scripts_at_0001,
    scripts_with_revision_0002,
)
from coinwatch_assets_tests.lib.storage.test_store import day_slice
from coinwatch_assets_tests.timescale import TimescaleCluster

OHLCV = table_spec("ohlcv")


def _connect(url: str) -> sa.Connection:
    return sa.create_engine(url, poolclass=sa.pool.NullPool).connect()


def test_models_and_migrations_agree(database_url: str) -> None:
    # `database_url` is upgraded to head by the fixture: every table, column, type, comment
    # and key of tables.py must be what the revisions built.
    with _connect(database_url) as conn:
        assert schema_drift(conn) == []
        if conn.dialect.name == "postgresql":
            dims = conn.exec_driver_sql(
                "SELECT hypertable_name, column_name, time_interval "
                "FROM timescaledb_information.dimensions"
            ).all()
            indexes = conn.exec_driver_sql(
                "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            ).all()
            expected = {
                (s.name, s.time_column, s.chunk_interval)
                for s in TABLE_SPECS.values()
                if s.chunk_interval is not None
            }
            assert set(dims) == expected  # every TableSpec chunk interval is a hypertable
            # No default `ts DESC` index: only the primary keys.
            assert {name for _, name in indexes} == {f"{t}_pkey" for t, _ in indexes}


def test_drift_check_fails_for_a_column_added_without_a_revision(database_url: str) -> None:
    changed = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["ohlcv_1h"].append_column(sa.Column("partial", sa.Boolean, nullable=True))
    with _connect(database_url) as conn:
        diffs = schema_drift(conn, changed)
    assert [(d[0], d[2], d[3].name) for d in diffs] == [("add_column", "ohlcv_1h", "partial")]


def test_drift_check_fails_for_a_changed_type_and_a_new_table(database_url: str) -> None:
    changed = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["ohlcv_gaps"].c.missing_candles.type = sa.Text()
    changed.tables["ohlcv"].c.volume.comment = "quote-currency volume"
    sa.Table("drift_probe", changed, sa.Column("id", sa.Text, primary_key=True))
    with _connect(database_url) as conn:
        kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in schema_drift(conn, changed)}
    # SQLite has no column comments; PostgreSQL compares them too.
    comments = {"modify_comment"} if database_url.startswith("postgresql") else set()
    assert kinds == {"add_table", "modify_type"} | comments


def test_parallel_upgrades_of_one_timescaledb_apply_the_revisions_once(
    empty_timescale_url: str,
) -> None:
    # The CLI and the job launched at once (or two operators): the advisory lock queues them.
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: upgrade_database(empty_timescale_url), range(4)))
    befores = sorted(before.revision for before, _ in results)
    assert befores == sorted(["empty"] + [head_revision()] * 3)  # one did the work
    assert all(after.up_to_date for _, after in results)


def test_an_empty_timescaledb_is_initialized_on_first_use(empty_timescale_url: str) -> None:
    # as Dagster does with its own storage: parallel first uses create the schema once
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: Storage(empty_timescale_url).ensure_schema(), range(4)))
    storage = Storage(empty_timescale_url)
    storage.write(OHLCV, ohlcv_frame(), day_slice("BTC/USDT", "2024-01-01"))
    assert len(storage.read(OHLCV, Slice.whole_table("ohlcv"))) == 288
    with _connect(empty_timescale_url) as conn:
        assert check_schema(conn).up_to_date
        assert "ohlcv" in sa.inspect(conn).get_table_names()
    storage.dispose()


def test_database_one_revision_behind_names_both_revisions(
    empty_timescale_url: str, tmp_path: Path
) -> None:
    # A database at 0001; a code with a revision 0002 sees it as behind.
    upgrade_database(empty_timescale_url, scripts_at_0001(tmp_path, "at_0001"))
    newer = scripts_with_revision_0002(tmp_path)
    with _connect(empty_timescale_url) as conn:
        with pytest.raises(SchemaBehind) as err:
            check_schema(conn, newer)
    text = str(err.value)
    assert "is at schema revision 0001" in text and "needs schema revision 0002" in text
    assert "coinwatch-db upgrade" in text
    # first use initializes only an EMPTY database: an existing schema's upgrade stays explicit
    with pytest.raises(SchemaBehind, match="is at schema revision 0001"):
        Storage(empty_timescale_url).ensure_schema()
    assert upgrade_database(empty_timescale_url, newer)[1].current == ("0002",)


def test_database_ahead_of_the_code_is_refused(database_url: str) -> None:
    with _connect(database_url) as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
        conn.commit()
    for attempt in (
        lambda: Storage(database_url).ensure_schema(),  # SQLite would upgrade: it refuses
        lambda: upgrade_database(database_url),
    ):
        with pytest.raises(SchemaAhead) as err:
            attempt()
        text = str(err.value)
        assert "schema revision 0099" in text and f"(schema revision {head_revision()})" in text
        assert "never downgrades" in text and "coinwatch-db current" in text
    with _connect(database_url) as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").all() == [("0099",)]


def test_sqlite_upgrades_itself_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'first-run.sqlite'}"
    storage = Storage(url)
    storage.write(OHLCV, ohlcv_frame(), day_slice("BTC/USDT", "2024-01-01"))  # no command run
    with _connect(url) as conn:
        assert check_schema(conn).up_to_date
        assert schema_drift(conn) == []


_FIRST_USE = """
import sys
from coinwatch_assets.lib.storage.store import Storage
Storage(sys.argv[1]).ensure_schema()
"""


def test_parallel_first_uses_of_one_sqlite_file_upgrade_it_once(tmp_path: Path) -> None:
    # Run workers start together on a fresh file: one upgrades, the others wait and find it done.
    url = f"sqlite:///{tmp_path / 'parallel.sqlite'}"
    procs = [
        subprocess.Popen([sys.executable, "-c", _FIRST_USE, url], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    with _connect(url) as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").all() == [
            (head_revision(),)
        ]


def test_upgrade_on_a_server_without_timescaledb_is_a_clear_error() -> None:
    plain = TimescaleCluster(preload_timescaledb=False)
    plain.start()
    try:
        with psycopg.connect(plain.dsn("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE plain_pg")
        url = f"postgresql+psycopg://coinwatch:s3cret-pw@127.0.0.1:{plain.port}/plain_pg"
        with pytest.raises(StorageError) as err:
            upgrade_database(url)
        with _connect(url) as conn:
            assert sa.inspect(conn).get_table_names() == []  # the revision was rolled back
    finally:
        plain.stop()
    text = str(err.value)
    assert "TimescaleDB extension is not available" in text
    assert "plain_pg" in text and "s3cret-pw" not in text
    assert "shared_preload_libraries=timescaledb" in text


def _scripts_up_to(tmp_path: Path, last: str) -> str:
    """A copy of the package's migrations without the revisions after `last`."""
    import shutil

    import coinwatch_assets.lib.storage.migrations as migrations

    target = tmp_path / f"up_to_{last}"
    shutil.copytree(Path(migrations.__file__).parent, target)
    for path in (target / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"):
        if path.name[:4] > last:
            path.unlink()
    return str(target)


@pytest.fixture(params=["sqlite", "timescaledb"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'blank.db'}"
    return request.getfixturevalue("empty_timescale_url")


def test_revision_0005_counts_the_candles_of_stored_hourly_bars(
    blank_url: str, tmp_path: Path
) -> None:
    upgrade_database(blank_url, _scripts_up_to(tmp_path, "0004"))
    start = pd.Timestamp("2024-01-01", tz="UTC")
    candles = ohlcv_frame("BTC/USDT", "2024-01-01", periods=24)  # 00:00-01:55, 5m
    candles = candles.drop(index=[3, 4, 15])  # two candles of hour 0, one of hour 1
    engine = sa.create_engine(blank_url)
    with engine.begin() as conn:
        old = sa.MetaData()
        ohlcv = sa.Table("ohlcv", old, autoload_with=conn)
        bars = sa.Table("ohlcv_1h", old, autoload_with=conn)
        conn.execute(ohlcv.insert(), candles.to_dict("records"))
        bar = {"exchange": "binance", "symbol": "BTC/USDT", "open": 1.0, "high": 1.0}
        bar |= {"low": 1.0, "close": 1.0, "volume": 1.0}
        conn.execute(
            bars.insert(),
            [
                {**bar, "timeframe": "5m", "ts": start.to_pydatetime()},
                {**bar, "timeframe": "5m", "ts": (start + pd.Timedelta("1h")).to_pydatetime()},
                {**bar, "timeframe": "5m", "ts": (start + pd.Timedelta("2h")).to_pydatetime()},
                # an "hourly bar" of hourly candles: a copy, no longer derived
                {**bar, "timeframe": "1h", "ts": start.to_pydatetime()},
            ],
        )
    engine.dispose()
    before, after = upgrade_database(blank_url)
    assert (before.current, after.current) == (("0004",), (head_revision(),))
    stored = Storage(blank_url).read(table_spec("ohlcv_1h"), Slice.whole_table("ohlcv_1h"))
    counts = stored.sort_values("ts")[["timeframe", "candles", "expected_candles"]]
    assert counts.values.tolist() == [["5m", 10, 12], ["5m", 11, 12], ["5m", 0, 12]]
    assert len(Storage(blank_url).read(OHLCV, Slice.whole_table("ohlcv"))) == 21
