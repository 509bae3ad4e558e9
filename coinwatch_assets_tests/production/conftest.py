"""One production-shaped deployment per test session (see stack.py), shared by the end-to-end
test and the browser smoke test. Every wait is bounded; every process is stopped at the end,
also when a test or the start-up fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from coinwatch_assets.lib.market.grain import join_key, month_keys
from coinwatch_assets_tests.deploy.image import image_env
from coinwatch_assets_tests.emulators.webhook import WebhookReceiver
from coinwatch_assets_tests.production.graphql import TERMINAL, DagsterApi
from coinwatch_assets_tests.production.stack import (
    BIN,
    LOCATION,
    DagsterStack,
    instance_config,
    wait_for,
)
from coinwatch_assets_tests.timescale import TimescaleCluster

# BTC and SOL have no holes in the sample source; ETH misses 02:00-02:15 every day, so its
# runs fail their blocking gap check (the run-failure monitor's real-world case).
CLEAN_KEYS = ["BTC-USDT", "SOL-USDT"]
HOLE_KEY = "ETH-USDT"
DAYS = 3
REPO = Path(__file__).resolve().parents[2]
REQUIRED_DAEMONS = {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR", "BACKFILL", "ASSET"}
START_TIMEOUT = 240  # s: three Dagster processes importing on a busy 2-core machine
RUN_TIMEOUT = 300
BACKFILL_DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


@dataclass
class Deployment:
    stack: DagsterStack
    api: DagsterApi
    data_url: str
    webhook: WebhookReceiver
    days: list[str]
    backfill_id: str = ""
    backfill_partitions: list[str] = field(default_factory=list)
    markets_run: str = ""

    def wait_run(self, run_id: str, timeout: float = RUN_TIMEOUT) -> str:
        def done() -> str | None:
            self.stack.check_alive()
            status = self.api.run_status(run_id)
            return status if status in TERMINAL else None

        return wait_for(f"run {run_id}", done, timeout)

    def wait_backfill(self, timeout: float = RUN_TIMEOUT) -> str:
        def done() -> str | None:
            self.stack.check_alive()
            status = self.api.backfill_status(self.backfill_id)
            return status if status in BACKFILL_DONE else None

        return wait_for(f"backfill {self.backfill_id}", done, timeout, 2)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots and process logs of the deployment tests, kept after the session:
    `.artifacts/deployment/` in the repository (git-ignored), or $COINWATCH_TEST_ARTIFACTS.
    Not pytest's tmp dir: pytest keeps only the newest three sessions there."""
    base = Path(os.environ.get("COINWATCH_TEST_ARTIFACTS") or REPO / ".artifacts")
    path = base / "deployment"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="session")
def deployment(timescale: TimescaleCluster, artifacts_dir: Path) -> Iterator[Deployment]:
    """Code server, webserver and daemon on dagster-postgres, writing to TimescaleDB."""
    data_url = timescale.create_database("e2e_coinwatch")
    timescale.create_database("e2e_dagster", timescale=False)
    today = datetime.now(UTC).date()
    days = [f"{today - timedelta(days=n):%Y-%m-%d}" for n in range(DAYS - 1, -1, -1)]
    with WebhookReceiver() as webhook:
        env = {
            "COINWATCH_SOURCE": "sample",
            "COINWATCH_SYMBOLS": "BTC/USDT,SOL/USDT,ETH/USDT",
            "COINWATCH_START_DATE": days[0],
            "COINWATCH_TIMEFRAME": "5m",
            "COINWATCH_DATABASE_URL": data_url,
            # Every minute, so a test sees the schedule tick within ~60 s.
            "COINWATCH_INTRADAY_CRON": "* * * * *",
            "COINWATCH_ALERT_WEBHOOK": webhook.url,
            # As the image runs every process: event writes batched.
            "DAGSTER_EVENT_BATCH_SIZE": image_env()["DAGSTER_EVENT_BATCH_SIZE"],
        }
        # Outside pytest's tmp dirs: a parallel pytest session may prune those while we run.
        root = Path(tempfile.mkdtemp(prefix="coinwatch-deployment-"))
        # As the compose stack's one-shot `coinwatch-init`: the schema before any process.
        subprocess.run(
            [str(BIN / "coinwatch-db"), "--url", data_url, "upgrade"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        stack = DagsterStack(
            root, instance_config(timescale.port, timescale.user, "e2e_dagster"), env
        )
        api = DagsterApi(stack.web_port, LOCATION)
        try:
            stack.start(START_TIMEOUT)

            def up(probe):
                def check():
                    stack.check_alive()
                    return probe()

                return check

            wait_for("the code location to load", up(api.location_loaded), START_TIMEOUT, 2)
            wait_for(
                "the daemons to report healthy",
                up(lambda: api.daemons_healthy(REQUIRED_DAEMONS)),
                START_TIMEOUT,
                2,
            )
            yield Deployment(stack, api, data_url, webhook, days)
        except BaseException:
            print(stack.logs_summary())
            raise
        finally:
            api.close()
            stack.stop()
            shutil.copytree(stack.logs, artifacts_dir / "logs", dirs_exist_ok=True)
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def populated(deployment: Deployment) -> Deployment:
    """`markets` materialized, two symbols added as partitions, a months x symbols backfill
    (the months holding the venue's days: from its start date to today) launched."""
    api = deployment.api
    deployment.markets_run = api.materialize("markets")
    assert deployment.wait_run(deployment.markets_run) == "SUCCESS", deployment.markets_run
    for key in CLEAN_KEYS:
        api.add_dynamic_partition("symbols", key)
    months = month_keys(
        date.fromisoformat(deployment.days[0]), date.fromisoformat(deployment.days[-1])
    )
    deployment.backfill_partitions = [join_key(m, k) for m in months for k in CLEAN_KEYS]
    deployment.backfill_id = api.launch_backfill("ohlcv", deployment.backfill_partitions)
    return deployment
