"""The TimescaleDB a benchmark measures: a given URL, or a private cluster for the run."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@contextmanager
def timescale_database(name: str, url: str | None = None) -> Iterator[str]:
    """`url` when given, else database `name` of a private cluster.

    The private cluster (the test session's, `coinwatch_assets_tests.timescale`) is stopped
    when the block ends.
    """
    if url:
        yield url
        return
    from coinwatch_assets_tests.timescale import TimescaleCluster

    cluster = TimescaleCluster()
    cluster.start()
    try:
        yield cluster.create_database(name)
    finally:
        cluster.stop()
