"""A database that cannot be reached, or may not get the extension, says so (password hidden)."""

from __future__ import annotations

import socket

import psycopg
import pytest

from coinwatch_assets.lib.storage.frames import StorageError
from coinwatch_assets.lib.storage.schema import upgrade_database
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.factories import ohlcv_frame
from coinwatch_assets_tests.timescale import TimescaleCluster

OHLCV = table_spec("ohlcv")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("operation", ["read", "write"])
def test_unreachable_database_names_the_variable_not_the_password(operation: str) -> None:
    port = _closed_port()
    storage = Storage(f"postgresql+psycopg://app:s3cret-pw@127.0.0.1:{port}/coinwatch")
    whole = Slice.whole_table("ohlcv")
    with pytest.raises(StorageError) as err:
        if operation == "read":
            storage.read(OHLCV, whole)
        else:
            storage.write(OHLCV, ohlcv_frame(), whole)
    text = str(err.value)
    assert "cannot connect to the database" in text and "COINWATCH_DATABASE_URL" in text
    assert f"127.0.0.1:{port}/coinwatch" in text and "s3cret-pw" not in text


def test_denied_create_extension_says_ask_an_admin(timescale: TimescaleCluster) -> None:
    # A role that may use the database but not create extensions in it (TimescaleDB is a
    # trusted extension: it needs the CREATE privilege on the database).
    name = "denied_ext"
    timescale.create_database(name, timescale=False)
    with psycopg.connect(timescale.dsn("postgres"), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS limited_app")
        conn.execute("CREATE ROLE limited_app LOGIN PASSWORD 'limited-pw'")
    with psycopg.connect(timescale.dsn(name), autocommit=True) as conn:
        conn.execute("GRANT USAGE, CREATE ON SCHEMA public TO limited_app")
    url = f"postgresql+psycopg://limited_app:limited-pw@127.0.0.1:{timescale.port}/{name}"
    storage = Storage(url)
    with pytest.raises(StorageError) as err:
        storage.ensure_schema()
    text = str(err.value)
    assert "permission denied" in text and "CREATE EXTENSION timescaledb" in text
    assert "administrator" in text and "Install it" not in text
    assert name in text and "limited-pw" not in text
    # Once an administrator created it, the same role upgrades the schema and works.
    with psycopg.connect(timescale.dsn(name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION timescaledb")
    upgrade_database(url)
    storage.write(OHLCV, ohlcv_frame(), Slice.whole_table("ohlcv"))
    assert len(storage.read(OHLCV, Slice.whole_table("ohlcv"))) == 288
    storage.dispose()
