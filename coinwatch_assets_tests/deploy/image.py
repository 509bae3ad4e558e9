"""What the deployment image sets for every process: the `ENV` of docker/Dockerfile."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "docker" / "Dockerfile"


def image_env(dockerfile: Path = DOCKERFILE) -> dict[str, str]:
    """The `ENV key=value ...` pairs of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[len("ENV ") :]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env
