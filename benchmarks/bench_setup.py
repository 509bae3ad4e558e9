"""Setup shared by the benchmark scripts that run real Dagster materializations.

Import it first: it sets one offline sample venue (BTC/USDT, 5m, from 2025-01-01) before the
code location's settings are read, puts the repository on `sys.path` and quiets Dagster's
preview warnings.
"""

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.update(
    {
        "COINWATCH_SOURCE": "sample",
        "COINWATCH_SYMBOLS": "BTC/USDT",
        "COINWATCH_TIMEFRAME": "5m",
        "COINWATCH_START_DATE": "2025-01-01",
    }
)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg  # noqa: E402

warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
RANGE = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


@contextmanager
def postgres_instance(home: Path, url: str) -> Iterator[dg.DagsterInstance]:
    """A Dagster instance in `home` on dagster-postgres at `url` (a psycopg2 URL)."""
    (home / "dagster.yaml").write_text(f"storage:\n  postgres:\n    postgres_url: {url}\n")
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        yield instance
    finally:
        instance.dispose()
