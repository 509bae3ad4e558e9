"""A data.binance.vision emulator on 127.0.0.1: kline zips and `.CHECKSUM` files, real layout.

Files are built at test time: from real archive rows (published as they are, e.g. the CSVs of
../shared/data/binance_vision/) or from candle arrays written in Binance's 12-column layout
(ms or µs open times, with or without the futures header). Faults: a file whose bytes no
longer match its checksum (for N downloads or always), a file cut short with a matching
checksum (the truncated publication), a file removed (404, like the real S3 bucket)::

    with BinanceVisionEmulator() as vision:
        vision.publish_candles("BTCUSDT", "1m", "monthly", "2017-10", candles)
        archive = BinanceVisionArchive(vision.base_url)
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import numpy as np

from coinwatch_assets.lib.quality.timeframes import timeframe_ms
from coinwatch_assets_tests.emulators.loopback import ServedOnLoopback

FUTURES_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
    "taker_buy_volume,taker_buy_quote_volume,ignore"
)
# What S3 answers for a key it does not hold.
NOT_FOUND = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
    b"<Message>The specified key does not exist.</Message></Error>"
)


def kline_path(market: str, market_id: str, interval: str, period: str, label: str) -> str:
    name = f"{market_id}-{interval}-{label}.zip"
    return f"data/{market}/{period}/klines/{market_id}/{interval}/{name}"


def kline_lines(candles: np.ndarray, interval: str, *, unit: str = "ms") -> list[str]:
    """(n, 6) ts_ms/o/h/l/c/v candles as Binance's 12-column CSV lines."""
    scale = 1000 if unit == "us" else 1
    length = timeframe_ms(interval) * scale
    lines = []
    for ts, o, h, low, c, v in np.asarray(candles, dtype=float).reshape(-1, 6).tolist():
        start = int(ts) * scale
        lines.append(
            f"{start},{o!r},{h!r},{low!r},{c!r},{v!r},{start + length - 1},{c * v!r},1,0,0,0"
        )
    return lines


def period_bounds(period: str, label: str) -> tuple[int, int]:
    """[start, end) epoch ms of a `monthly` YYYY-MM or `daily` YYYY-MM-DD label."""
    if period == "monthly":
        first = datetime.strptime(label, "%Y-%m").replace(tzinfo=UTC)
        nxt = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    else:
        first = datetime.strptime(label, "%Y-%m-%d").replace(tzinfo=UTC)
        nxt = datetime.fromtimestamp(first.timestamp() + 86_400, tz=UTC)
    return int(first.timestamp() * 1000), int(nxt.timestamp() * 1000)


class BinanceVisionEmulator(ServedOnLoopback):
    """Serves published files by path; every state change is safe while it serves."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.checksums: dict[str, bytes] = {}
        self.corrupt: dict[str, int | None] = {}  # path -> downloads left to corrupt (None: all)
        self.requests: Counter[str] = Counter()
        self.failures = 0  # the next N requests answer 503 (an overloaded CDN)
        self.lock = threading.Lock()

    # -- publishing ------------------------------------------------------------------------
    def publish_lines(self, path: str, lines: list[str], *, header: str | None = None) -> bytes:
        """Zip `lines` (one CSV named like the zip) and publish it with its checksum."""
        name = path.rsplit("/", 1)[1]
        text = "\n".join(([header] if header else []) + lines) + "\n"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name.replace(".zip", ".csv"), text)
        data = buffer.getvalue()
        self.publish_bytes(path, data)
        return data

    def publish_bytes(self, path: str, data: bytes, *, checksum_of: bytes | None = None) -> None:
        """Publish `data` with the checksum of `checksum_of` (default: of `data` itself)."""
        name = path.rsplit("/", 1)[1]
        digest = hashlib.sha256(data if checksum_of is None else checksum_of).hexdigest()
        with self.lock:
            self.files[path] = data
            self.checksums[path] = f"{digest}  {name}\n".encode()

    def publish_candles(
        self,
        market_id: str,
        interval: str,
        period: str,
        label: str,
        candles: np.ndarray,
        *,
        market: str = "spot",
        unit: str = "ms",
        header: bool = False,
    ) -> str:
        """Publish the candles of `candles` inside the period; returns the file's path."""
        start, end = period_bounds(period, label)
        data = np.asarray(candles, dtype=float).reshape(-1, 6)
        inside = data[(data[:, 0] >= start) & (data[:, 0] < end)]
        path = kline_path(market, market_id, interval, period, label)
        self.publish_lines(
            path,
            kline_lines(inside, interval, unit=unit),
            header=FUTURES_HEADER if header else None,
        )
        return path

    def corrupt_downloads(self, path: str, times: int | None = None) -> None:
        """Serve `path` with one byte flipped (checksum unchanged) `times` times, or always."""
        with self.lock:
            self.corrupt[path] = times

    def remove(self, path: str) -> None:
        with self.lock:
            self.files.pop(path, None)
            self.checksums.pop(path, None)

    # -- serving ---------------------------------------------------------------------------
    def answer(self, path: str) -> tuple[int, bytes]:
        path = path.lstrip("/")
        with self.lock:
            self.requests[path] += 1
            if self.failures:
                self.failures -= 1
                return 503, b"<html><body>503 Service Unavailable</body></html>"
            if path.endswith(".CHECKSUM"):
                body = self.checksums.get(path.removesuffix(".CHECKSUM"))
                return (200, body) if body is not None else (404, NOT_FOUND)
            data = self.files.get(path)
            if data is None:
                return 404, NOT_FOUND
            if path in self.corrupt:
                left = self.corrupt[path]
                if left is None or left > 0:
                    if left is not None:
                        self.corrupt[path] = left - 1
                    data = data[:-1] + bytes([data[-1] ^ 0xFF])
            return 200, data

    def downloads(self, path: str) -> int:
        return self.requests[path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        emulator: BinanceVisionEmulator = self.server.emulator  # type: ignore[attr-defined]
        status, body = emulator.answer(self.path.split("?", 1)[0])
        self.send_response(status)
        kind = "application/xml" if status == 404 else "application/zip"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


BinanceVisionEmulator.handler = _Handler


def publish_history(
    emulator: BinanceVisionEmulator,
    market_id: str,
    interval: str,
    candles: np.ndarray,
    *,
    months: list[str] = (),  # type: ignore[assignment]
    days: list[str] = (),  # type: ignore[assignment]
) -> dict[str, str]:
    """Publish monthly and daily spot files of `candles`; label -> path."""
    paths = {
        m: emulator.publish_candles(market_id, interval, "monthly", m, candles) for m in months
    }
    paths |= {d: emulator.publish_candles(market_id, interval, "daily", d, candles) for d in days}
    return paths
