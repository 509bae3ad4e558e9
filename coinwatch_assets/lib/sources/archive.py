"""Binance public data (data.binance.vision): kline zips, SHA-256 verified, parsed and checked.

Layout (binance/binance-public-data): `{base}/data/{market}/{monthly|daily}/klines/{SYMBOL}/
{interval}/{SYMBOL}-{interval}-{YYYY-MM|YYYY-MM-DD}.zip`, with `<zip>.CHECKSUM` beside it
holding `<sha256>  <file name>`. A file is a claim like any API answer: its bytes must match
the checksum before it is opened, it must hold one CSV of 12 columns (spot files have no
header, futures files have one: it is sniffed), and every row passes the same rules as a REST
row (:func:`coinwatch_assets.lib.sources.validate.row_problem`) and lies inside the file's
period. Spot files from 2025 on carry microsecond open times: they are turned into ms.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import numpy as np
import pandas as pd

from coinwatch_assets.lib.sources.retry import RetryPolicy, call_with_retry
from coinwatch_assets.lib.sources.validate import row_problem
from coinwatch_assets.lib.venues import DEFAULT_ARCHIVE_URL

log = logging.getLogger(__name__)

# Intervals Binance publishes kline files for (`1mo` has no fixed length: never used).
ARCHIVE_INTERVALS = (
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d",
)  # fmt: skip
COLUMNS = 12
# Open times above this are microseconds (ms stays below it until the year 5138).
_MICROSECONDS_FROM = 10**14

OK, MISSING, BAD_CHECKSUM, BAD_FILE = "ok", "missing", "bad_checksum", "bad_file"


class ArchiveUnavailable(Exception):
    """The archive kept failing with transient errors (network, 5xx) after every retry."""


@dataclass(frozen=True)
class ArchiveFile:
    """One kline file: `period` is `monthly` or `daily`, covering open times [start, end)."""

    market: str
    market_id: str
    interval: str
    period: str
    label: str  # YYYY-MM or YYYY-MM-DD
    start: int
    end: int

    @property
    def name(self) -> str:
        return f"{self.market_id}-{self.interval}-{self.label}.zip"

    @property
    def path(self) -> str:
        return (
            f"data/{self.market}/{self.period}/klines/{self.market_id}/{self.interval}/{self.name}"
        )


@dataclass
class FileResult:
    """What one file gave: `status` OK with `rows` (n, 6) ms/o/h/l/c/v, or why not."""

    file: ArchiveFile
    status: str
    rows: np.ndarray
    bytes: int = 0
    downloads: int = 0
    checksum_failures: int = 0
    reason: str = ""


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


class FileProblem(ValueError):
    """A verified file whose content is unusable (layout, values, period)."""


def parse_klines(data: bytes, file: ArchiveFile, tf_ms: int, grid: int) -> np.ndarray:
    """The (n, 6) float array of a verified zip, sorted by open time; FileProblem if unusable."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise FileProblem(f"expected one CSV in the zip, found {members}")
            text = archive.read(members[0])
    except zipfile.BadZipFile as err:
        raise FileProblem(f"not a zip file: {err}") from None
    first = text[: text.find(b"\n")] if b"\n" in text else text
    header = bool(first.strip()) and not first.split(b",", 1)[0].strip().lstrip(b"-").isdigit()
    # spot files have no header, futures files start with one: sniffed, never assumed
    table = _read_csv(text, skip=1 if header else 0)
    if table is None:
        return np.empty((0, 6))
    ts = _open_times(table[0].to_numpy())
    values = table.loc[:, 1:5].to_numpy(dtype=float)
    _check_rows(ts, values, grid)
    outside = (ts < file.start) | (ts >= file.end)
    if outside.any():
        at = int(ts[outside][0])
        raise FileProblem(
            f"candle at {_iso(at)} lies outside the file's period "
            f"[{_iso(file.start)}, {_iso(file.end)})"
        )
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    if (np.diff(ts) == 0).any():
        raise FileProblem(f"duplicate open time {_iso(int(ts[1:][np.diff(ts) == 0][0]))}")
    return np.column_stack([ts.astype(float), values])


def _read_csv(text: bytes, skip: int) -> pd.DataFrame | None:
    """The 12 columns of the CSV (C parser), None if it holds no rows; FileProblem if the
    layout or a number is wrong."""
    dtypes = {0: "int64", **dict.fromkeys(range(1, 6), "float64")}
    try:
        with warnings.catch_warnings():
            # pandas only warns when rows have more fields than names, and drops them
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(
                io.BytesIO(text),
                header=None,
                skiprows=skip,
                names=range(COLUMNS),
                index_col=False,
                dtype=dtypes,
            )
    except pd.errors.EmptyDataError:
        return None
    except (ValueError, pd.errors.ParserError, pd.errors.ParserWarning) as err:
        raise FileProblem(f"not {COLUMNS} numeric kline columns: {err}") from None
    short = table[COLUMNS - 1].isna()
    if short.any():
        index = int(np.flatnonzero(short.to_numpy())[0])
        count = int(table.iloc[index].notna().sum())
        raise FileProblem(f"row {index} has {count} columns, not {COLUMNS}")
    return table if len(table) else None


def _open_times(raw: np.ndarray) -> np.ndarray:
    if len(raw) and raw.max() >= _MICROSECONDS_FROM:
        if raw.min() < _MICROSECONDS_FROM:
            raise FileProblem("open times mix milliseconds and microseconds")
        if (raw % 1000).any():
            raise FileProblem("microsecond open times that are not whole milliseconds")
        raw = raw // 1000
    return raw


def _check_rows(ts: np.ndarray, values: np.ndarray, grid: int) -> None:
    """The REST row rules (grid, finite numbers), vectorised; the first failure is reported
    through :func:`row_problem` itself so both paths word and judge it the same way."""
    bad = (ts % grid != 0) | ~np.isfinite(values).all(axis=1)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        row = [int(ts[index]), *(float(v) for v in values[index])]
        raise FileProblem(f"row {index}: {row_problem(row, grid)}")


def parse_checksum(text: str, file: ArchiveFile) -> str:
    """The hex digest of a `.CHECKSUM` body (`<sha256>  <name>`), naming the file if wrong."""
    parts = text.split()
    if len(parts) < 1 or len(parts[0]) != 64 or any(c not in "0123456789abcdef" for c in parts[0]):
        raise FileProblem(f"{file.name}.CHECKSUM is not `<sha256>  <name>`: {text[:80]!r}")
    if len(parts) > 1 and parts[1].lstrip("*") != file.name:
        raise FileProblem(f"{file.name}.CHECKSUM names another file: {parts[1]!r}")
    return parts[0]


class BinanceVisionArchive:
    """Downloads, verifies and parses kline files; thread-safe (one shared httpx client)."""

    def __init__(
        self,
        base_url: str = DEFAULT_ARCHIVE_URL,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy(max_attempts=3)
        self._sleep = sleep
        self.client = client or httpx.Client(timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self.client.close()

    def _get(self, path: str) -> httpx.Response | None:
        """The answer for `path`, None on 404; transient failures retried, then raised."""
        url = f"{self.base_url}/{path}"

        def get() -> httpx.Response | None:
            response = self.client.get(url)
            if response.status_code == 404:
                return None
            if response.status_code in (429, 418) or response.status_code >= 500:
                response.raise_for_status()
            if response.status_code != 200:
                raise FileProblem(f"{url} answered HTTP {response.status_code}")
            return response

        def transient(err: BaseException) -> bool:
            if isinstance(err, httpx.HTTPStatusError):
                return err.response.status_code >= 500 or err.response.status_code == 429
            return isinstance(err, httpx.TransportError)

        return call_with_retry(
            get,
            policy=self.retry,
            is_transient=transient,
            retry_after=lambda: None,
            give_up=lambda err, n: ArchiveUnavailable(f"{url}: {err} (after {n} attempts)"),
            sleep=self._sleep,
            what=f"archive download {path}",
        )

    def fetch(self, file: ArchiveFile, tf_ms: int, grid: int) -> FileResult:
        """The verified rows of `file`; a checksum mismatch is downloaded again once."""
        result = FileResult(file, MISSING, np.empty((0, 6)))
        try:
            for _attempt in range(2):
                checksum = self._get(file.path + ".CHECKSUM")
                body = self._get(file.path) if checksum is not None else None
                if checksum is None or body is None:
                    result.reason = "not published (404)"
                    return result
                result.downloads += 1
                result.bytes += len(body.content) + len(checksum.content)
                expected = parse_checksum(checksum.text, file)
                actual = hashlib.sha256(body.content).hexdigest()
                if actual == expected:
                    result.rows = parse_klines(body.content, file, tf_ms, grid)
                    result.status = OK
                    return result
                result.checksum_failures += 1
                log.warning(
                    "%s: SHA-256 %s does not match its .CHECKSUM %s (download %d of 2)",
                    file.path,
                    actual,
                    expected,
                    result.downloads,
                )
            result.status, result.reason = BAD_CHECKSUM, "checksum mismatch twice"
        except FileProblem as err:
            result.status, result.reason = BAD_FILE, str(err)
        except ArchiveUnavailable as err:
            result.status, result.reason = BAD_FILE, str(err)
        return result
