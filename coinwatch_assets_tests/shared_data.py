"""Access to the recorded real data in ../shared/data (never copied into this repo).

CI always has it; a clone elsewhere may not, so tests that need it skip with a message that
names the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(
    os.environ.get("COINWATCH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def shared_path(*parts: str) -> Path:
    """Path inside the shared data folder; skips the calling test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"recorded data not available: {path} (expected the folder {SHARED_DATA})")
    return path


def read_candles_csv(path: Path) -> np.ndarray:
    """A `ts_ms,open,high,low,close,volume` CSV -> float64 array of shape (n, 6).

    Empty files give an array of shape (0, 6).
    """
    if path.stat().st_size == 0:
        return np.empty((0, 6))
    data = np.genfromtxt(path, delimiter=",", names=True, dtype=float)
    if data.size == 0:
        return np.empty((0, 6))
    return np.column_stack([np.atleast_1d(data[name]) for name in data.dtype.names])
