"""docker/: the compose file validates (Debian's docker-compose, no engine), the production
dagster.yaml passes Dagster's instance config schema, and the image builds from the repository
alone (every COPY source exists and is not filtered out of the build context)."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes import ConfigurableClass, class_from_code_pointer

from coinwatch_assets_tests.deploy.image import image_env

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
DAGSTER_SERVICES = {"coinwatch-user-code", "dagster-webserver", "dagster-daemon", "coinwatch-init"}


def load(name: str) -> dict:
    return yaml.safe_load((DOCKER / name).read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose not installed (apt-get install docker-compose; .ci/run does)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COINWATCH_", "DAGSTER_"))}
    out = subprocess.run(
        [binary, "-f", str(DOCKER / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def test_compose_config_validates_with_every_service(compose: dict) -> None:
    assert set(compose["services"]) == {"timescaledb", "dagster-postgres"} | DAGSTER_SERVICES
    for name in DAGSTER_SERVICES:
        build = compose["services"][name]["build"]
        # Built from the repository root with docker/Dockerfile: `up --build` never pulls it.
        assert Path(build["context"]) == REPO and build["dockerfile"] == "docker/Dockerfile"


def test_every_run_launcher_env_var_is_set_on_the_daemon(compose: dict) -> None:
    # DockerRunLauncher copies these from the daemon; an unset one fails every launch.
    wanted = load("dagster.yaml")["run_launcher"]["config"]["env_vars"]
    daemon_env = compose["services"]["dagster-daemon"]["environment"]
    assert [v for v in wanted if v not in daemon_env] == []
    assert "COINWATCH_ALERT_WEBHOOK" in compose["services"]["coinwatch-user-code"]["environment"]


def test_init_service_upgrades_schema_and_sets_pools_before_the_daemon(compose) -> None:
    pools = compose["services"]["coinwatch-init"]
    limits = dict(p.split("=") for p in pools["environment"]["COINWATCH_POOL_LIMITS"].split())
    assert {"exchange_binance", "exchange_sample", "coingecko", "feeds"} <= set(limits)
    assert all(v.isdigit() for v in limits.values())
    command = " ".join(pools["command"])
    assert "dagster instance concurrency set" in command
    assert command.startswith("coinwatch-db upgrade &&")  # schema first (Schema upgrades)
    for service in ("dagster-daemon", "coinwatch-user-code"):
        depends = compose["services"][service]["depends_on"]["coinwatch-init"]
        assert depends["condition"] == "service_completed_successfully"


def test_workspace_points_at_the_code_server_service(compose: dict) -> None:
    (entry,) = load("workspace.yaml")["load_from"]
    server = entry["grpc_server"]
    code = compose["services"][server["host"]]
    assert str(server["port"]) in code["command"] and server["location_name"] in code["command"]


def test_production_dagster_yaml_passes_the_instance_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_USER", "DAGSTER_POSTGRES_PASSWORD"):
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("DAGSTER_POSTGRES_DB", "dagster")
    config, _ = dagster_instance_config(str(DOCKER))  # raises on any schema error
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["run_monitoring"]["enabled"] is True
    # Retries configured once: run_retries for lost workers, no resume on top of it.
    assert config["run_retries"] == {
        "enabled": True,
        "max_retries": 1,
        "retry_on_asset_or_op_failure": False,
    }
    assert config["run_monitoring"]["max_resume_run_attempts"] == 0
    assert config["concurrency"]["pools"]["default_limit"] >= 1
    # Each pluggable class exists and accepts its config block.
    for section in ("run_launcher", "run_coordinator", "compute_logs", "scheduler"):
        block = config[section]
        cls = class_from_code_pointer(block["module"], block["class"])
        assert issubclass(cls, ConfigurableClass), section
        result = process_config(cls.config_type(), block.get("config", {}))
        assert result.success, (section, result.errors)
    assert config["run_launcher"]["class"] == "DockerRunLauncher"


def _dockerignore_patterns() -> list[str]:
    lines = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    parts = Path(path).parts
    for pattern in patterns:
        pattern = pattern.removeprefix("**/")
        if any(fnmatch.fnmatch(p, pattern) for p in parts) or fnmatch.fnmatch(path, pattern):
            return True
    return False


def test_dockerfile_copies_only_files_of_the_repository() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    copies = re.findall(r"^COPY\s+(?!--from)(.+)$", dockerfile, flags=re.MULTILINE)
    assert copies, "no COPY in docker/Dockerfile"
    patterns = _dockerignore_patterns()
    for line in copies:
        *sources, _dest = line.split()
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
            assert not _ignored(source, patterns), f"COPY {source}: excluded by dockerignore"
    # What the Python package build reads must be copied before `pip install .`.
    assert "COPY setup.py pyproject.toml" in dockerfile


def test_image_batches_the_event_writes_of_range_runs() -> None:
    # A range run's materializations stored in batched inserts, not a transaction each; the
    # production test runs its Dagster processes with the same value.
    env = image_env()
    assert int(env["DAGSTER_EVENT_BATCH_SIZE"]) >= 100
    assert env["DAGSTER_HOME"] == "/opt/dagster/dagster_home"
