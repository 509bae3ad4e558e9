"""Session-wide test infrastructure: a private TimescaleDB cluster and per-test databases."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Settings are read when coinwatch_assets.definitions is imported; the recorded candles in
# ../shared/data date from 2017-2019, so the test session's partitions start earlier.
os.environ.setdefault("COINWATCH_START_DATE", "2017-01-01")
os.environ.setdefault("COINWATCH_TIMEFRAME", "5m")
# The archive is tested against its emulator only: never data.binance.vision itself.
os.environ.setdefault("COINWATCH_ARCHIVE", "none")

from coinwatch_assets.lib.storage.schema import upgrade_database  # noqa: E402
from coinwatch_assets_tests.timescale import TimescaleCluster  # noqa: E402

_counter = itertools.count()


@pytest.fixture(autouse=True)
def _no_stale_defs_state_storage() -> None:
    """Each test starts as a fresh process does: no instance's defs-state storage current.

    A Dagster instance entered as a context manager makes its storage current in a
    ContextVar; fixtures of different scopes restore those values out of order, so a later
    test could resolve Definitions against an instance already closed ("Attempted to resolve
    undefined DagsterInstance weakref"). Private API, used in tests only.
    """
    from dagster._core.storage.defs_state.base import _current_storage

    _current_storage.set(None)


@pytest.fixture(scope="session")
def timescale() -> Iterator[TimescaleCluster]:
    """A TimescaleDB cluster started for this test session and stopped at its end."""
    cluster = TimescaleCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def timescale_url(timescale: TimescaleCluster) -> str:
    """A fresh TimescaleDB database (extension created), upgraded to the schema head."""
    url = timescale.create_database(f"t{os.getpid()}_{next(_counter)}")
    upgrade_database(url)
    return url


@pytest.fixture
def empty_timescale_url(timescale: TimescaleCluster) -> str:
    """A fresh TimescaleDB database with no coinwatch schema (for the upgrade tests)."""
    return timescale.create_database(f"e{os.getpid()}_{next(_counter)}")


@pytest.fixture(params=["sqlite", "timescaledb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on both backends: an embedded SQLite file and TimescaleDB."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'coinwatch.sqlite'}"
        upgrade_database(url)
        return url
    return request.getfixturevalue("timescale_url")
