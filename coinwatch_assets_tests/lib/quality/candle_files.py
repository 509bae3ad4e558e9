"""Test-only loaders for the recorded candle files in ../shared/data/ohlcv.

Deliberately independent of the library: timeframes are parsed here with a plain regex and
a unit table, and holes are counted with Python sets and ranges.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from coinwatch_assets.lib.ohlcv_frame import PRICE_COLUMNS, to_canonical
from coinwatch_assets_tests.shared_data import read_candles_csv

UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_TIMEFRAME_IN_NAME = re.compile(r"-(\d+[mhdw])(?:-|\.)")


def timeframe_from_name(path: Path | str) -> str:
    """'XRP_USDT_USDT-8h-funding_rate.csv' -> '8h'; 'ADA_BTC-5m.csv' -> '5m'."""
    match = _TIMEFRAME_IN_NAME.search(Path(path).name)
    assert match, f"no timeframe in file name {path}"
    return match.group(1)


def step_ms(timeframe: str) -> int:
    """Independent duration table (not the library's)."""
    return int(timeframe[:-1]) * UNIT_MS[timeframe[-1]]


def load_candle_rows(path: Path) -> list[list[float]]:
    """A freqtrade candle file (.csv, ccxt .json or .json.gz) -> [[ts_ms, o, h, l, c, v], ...]."""
    name = path.name
    if name.endswith(".csv"):
        return read_candles_csv(path).tolist()
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt") as fh:
        return json.load(fh)


def load_timestamps_ms(path: Path) -> list[int]:
    """Open times of a candle file as Python ints (epoch ms)."""
    return [int(row[0]) for row in load_candle_rows(path)]


def independent_holes(stamps: list[int], step: int, *, snap: bool) -> list[tuple[int, int, int]]:
    """Holes over first..last candle, as (first_missing_ms, last_missing_ms, count).

    Without `snap`, only stamps exactly on the grid count as present and the window starts at
    the grid point at or before the first stamp; with `snap`, stamps are rounded to the nearest
    grid point (jitter tolerance).
    """
    if snap:
        present = {round(t / step) * step for t in stamps}
        lo, hi = min(present), max(present)
    else:
        present = {t for t in stamps if t % step == 0}
        lo, hi = min(stamps) // step * step, max(stamps) // step * step
    missing = sorted(set(range(lo, hi + 1, step)) - present)
    runs: list[tuple[int, int, int]] = []
    for t in missing:
        if runs and runs[-1][1] + step == t:
            first, _, count = runs[-1]
            runs[-1] = (first, t, count + 1)
        else:
            runs.append((t, t, 1))
    return runs


def load_cryptodatadownload_hourly(path: Path) -> pd.DataFrame:
    """A CryptoDataDownload hourly CSV -> canonical frame, oldest first.

    The vendor format: a banner line, then `date,symbol,open,high,low,close,volume_btc,volume`,
    rows newest first, hours written like `2019-10-17 09-AM` (12-hour clock, UTC).
    `volume_btc` (base-currency volume) becomes the canonical volume.
    """
    raw = pd.read_csv(path, skiprows=1)
    ts = [datetime.strptime(d, "%Y-%m-%d %I-%p").replace(tzinfo=UTC) for d in raw["date"]]
    frame = pd.DataFrame(
        {
            "exchange": "coinbase",
            "symbol": "BTC/USD",
            "timeframe": "1h",
            "ts": ts,
            "open": raw["open"],
            "high": raw["high"],
            "low": raw["low"],
            "close": raw["close"],
            "volume": raw["volume_btc"],
        }
    )
    return to_canonical(frame.iloc[::-1])


def rows_to_frame(rows: list[list[float]], timeframe: str) -> pd.DataFrame:
    """ccxt-style rows -> canonical frame for exchange 'test', symbol 'X/Y'."""
    frame = pd.DataFrame(rows, columns=["ts", *PRICE_COLUMNS])
    frame["ts"] = pd.to_datetime(frame["ts"].astype("int64"), unit="ms", utc=True)
    frame["exchange"], frame["symbol"], frame["timeframe"] = "test", "X/Y", timeframe
    return to_canonical(frame)
