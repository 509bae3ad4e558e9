"""A production-shaped Dagster deployment as real processes, without Docker.

dagster-postgres instance storage (its own database on the test session's TimescaleDB
cluster), the QueuedRunCoordinator with pools, and three processes as in docker/: the gRPC
code server (`dagster code-server start`), `dagster-webserver` and `dagster-daemon run`,
both reading a workspace.yaml that points at the code server. Every process starts in its own
process group, so stopping it also stops what it spawned (run workers are children of the code
server under the DefaultRunLauncher).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import httpx
import yaml

T = TypeVar("T")
BIN = Path(sys.executable).parent
LOCATION = "coinwatch"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    # Linux: SIGTERM the process when pytest dies, even by SIGKILL, when no finalizer runs.
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 1.0) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except (httpx.HTTPError, OSError) as exc:
            last_error = exc
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last_error})")


def instance_config(pg_port: int, pg_user: str, db_name: str) -> dict[str, object]:
    """dagster.yaml of the deployment: Postgres storage, queued runs, pools of one run."""
    return {
        "storage": {
            "postgres": {
                "postgres_db": {
                    # psycopg2: with SQLAlchemy 2.x `postgresql` maps to psycopg 3 and
                    # dagster-postgres fails on its first run (ARCHITECTURE.md, Known traps).
                    "scheme": "postgresql+psycopg2",
                    "hostname": "127.0.0.1",
                    "port": pg_port,
                    "username": pg_user,
                    "db_name": db_name,
                }
            }
        },
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {"dequeue_interval_seconds": 1},
        },
        "concurrency": {
            "runs": {"max_concurrent_runs": 4},
            "pools": {"default_limit": 1, "granularity": "run"},
        },
        "run_monitoring": {"enabled": True, "poll_interval_seconds": 5},
        "telemetry": {"enabled": False},
        "nux": {"enabled": False},
    }


class DagsterStack:
    """Writes DAGSTER_HOME, starts code server, webserver and daemon; stops them all."""

    def __init__(self, root: Path, instance: Mapping[str, object], env: Mapping[str, str]):
        self.root = root
        self.home = root / "dagster_home"
        self.logs = root / "logs"
        self.grpc_port, self.web_port = free_port(), free_port()
        self.env = {**os.environ, **env, "DAGSTER_HOME": str(self.home)}
        self.instance = instance
        self.procs: dict[str, subprocess.Popen] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def write_files(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.home / "dagster.yaml").write_text(yaml.safe_dump(self.instance))
        workspace = {
            "load_from": [
                {
                    "grpc_server": {
                        "host": "127.0.0.1",
                        "port": self.grpc_port,
                        "location_name": LOCATION,
                    }
                }
            ]
        }
        path = self.home / "workspace.yaml"
        path.write_text(yaml.safe_dump(workspace))
        return path

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            args,
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: killpg reaches its children
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        log.close()

    def code_server_healthy(self) -> bool:
        # The check docker-compose.yml's healthcheck runs before webserver and daemon start.
        probe = subprocess.run(
            [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(self.grpc_port)],
            env=self.env,
            capture_output=True,
            timeout=60,
        )
        return probe.returncode == 0

    def start(self, timeout: float) -> None:
        workspace = self.write_files()
        self._spawn(
            "code-server",
            [
                str(BIN / "dagster"),
                *("code-server", "start", "-h", "127.0.0.1", "-p", str(self.grpc_port)),
                *("-m", "coinwatch_assets.definitions", "--location-name", LOCATION),
            ],
        )

        def healthy() -> bool:
            self.check_alive()
            return self.code_server_healthy()

        wait_for("the code server's gRPC health check", healthy, timeout, 2)
        self._spawn(
            "webserver",
            [
                str(BIN / "dagster-webserver"),
                *("-h", "127.0.0.1", "-p", str(self.web_port), "-w", str(workspace)),
            ],
        )
        self._spawn("daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)])

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def logs_summary(self) -> str:
        return "\n".join(f"--- {n} ---\n{self.log_tail(n, 2000)}" for n in self.procs)

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM every process group, then SIGKILL what is left after `grace` seconds."""
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs.values():
            # Also the group's leftovers (run workers) when the leader itself exited.
            _signal_group(proc, signal.SIGKILL)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
