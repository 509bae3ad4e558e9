"""History through an exchange archive: closed months and days from files, REST for the rest.

:class:`ArchivedSource` wraps a REST source (:class:`~coinwatch_assets.lib.sources.exchange.
ExchangeSource`) and answers `fetch_ohlcv` for any window, whatever the partition grain: the
window is split into whole closed months (monthly files), whole closed days (daily files) and
what is left (REST: the still-open day, partial days). A month the archive has not published
(404) is asked day by day; a day it lacks, a file whose checksum fails twice or whose content
is unusable is fetched through REST instead, and :class:`HistoryStats` and the log say so.
Files download concurrently (bounded); the pieces are stitched in order, never overlapping.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from coinwatch_assets.lib.ohlcv_frame import empty_ohlcv, from_ccxt_rows
from coinwatch_assets.lib.quality.timeframes import DAY_MS, timeframe_ms
from coinwatch_assets.lib.sources.archive import (
    ARCHIVE_INTERVALS,
    BAD_CHECKSUM,
    MISSING,
    OK,
    ArchiveFile,
    BinanceVisionArchive,
    FileResult,
)
from coinwatch_assets.lib.sources.base import MarketDataSource, Window, grid_ms

log = logging.getLogger(__name__)

# Run tag choosing where history comes from; `rest` bypasses the archive (gap repairs: a
# truncated file must not serve the same holes again).
HISTORY_SOURCE_TAG = "coinwatch/history_source"
HISTORY_REST = "rest"
ARCHIVES = ("binance_vision", "none")


@dataclass(frozen=True)
class Piece:
    """Open times [start, end) served by `file`, or by REST when `file` is None."""

    start: int
    end: int
    file: ArchiveFile | None = None


@dataclass
class HistoryStats:
    """What a source's fetches took from the archive and from REST (per run metadata)."""

    archive_windows: int = 0
    rest_windows: int = 0
    files_downloaded: int = 0
    bytes_downloaded: int = 0
    checksum_failures: int = 0
    fallbacks: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "archive_windows": self.archive_windows,
            "rest_windows": self.rest_windows,
            "archive_files_downloaded": self.files_downloaded,
            "archive_bytes_downloaded": self.bytes_downloaded,
            "archive_checksum_failures": self.checksum_failures,
            "archive_fallbacks": len(self.fallbacks),
            "archive_fallback_windows": "\n".join(self.fallbacks[:50]),
        }


def _month_bounds(ms: int) -> tuple[int, int, str]:
    day = datetime.fromtimestamp(ms / 1000, tz=UTC)
    first = datetime(day.year, day.month, 1, tzinfo=UTC)
    nxt = datetime(day.year + day.month // 12, day.month % 12 + 1, 1, tzinfo=UTC)
    return int(first.timestamp() * 1000), int(nxt.timestamp() * 1000), f"{first:%Y-%m}"


def _day_label(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d")


def plan_pieces(
    window: Window, market: str, market_id: str, interval: str, *, months: bool = True
) -> list[Piece]:
    """Whole closed months, then whole closed days from files; the rest from REST (merged).

    A period is closed (and wanted whole) when its last candle opens before `window.stop`.
    """
    pieces: list[Piece] = []
    cursor, stop = window.start, window.stop
    last = stop + window.tf_ms - 1  # a period ending by here has all its candles wanted
    while cursor < stop:
        m_start, m_end, month = _month_bounds(cursor)
        day_end = cursor - cursor % DAY_MS + DAY_MS
        if months and cursor == m_start and m_end <= last:
            file = ArchiveFile(market, market_id, interval, "monthly", month, m_start, m_end)
            pieces.append(Piece(m_start, m_end, file))
            cursor = m_end
        elif cursor % DAY_MS == 0 and day_end <= last:
            day = _day_label(cursor)
            pieces.append(
                Piece(
                    cursor,
                    day_end,
                    ArchiveFile(market, market_id, interval, "daily", day, cursor, day_end),
                )
            )
            cursor = day_end
        else:
            nxt = min(day_end, stop)
            if pieces and pieces[-1].file is None and pieces[-1].end == cursor:
                pieces[-1] = Piece(pieces[-1].start, nxt)
            else:
                pieces.append(Piece(cursor, nxt))
            cursor = nxt
    return pieces


class ArchivedSource:
    """A REST source whose closed history comes from Binance's public archive first."""

    def __init__(
        self,
        rest: MarketDataSource,
        archive: BinanceVisionArchive,
        *,
        market: str = "spot",
        concurrency: int = 4,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"archive concurrency must be >= 1, got {concurrency}")
        self.rest = rest
        self.archive = archive
        self.market = market
        self.concurrency = concurrency
        self.stats = HistoryStats()

    @property
    def exchange_id(self) -> str:
        return self.rest.exchange_id

    def list_markets(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        return self.rest.list_markets(*args, **kwargs)

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        start: datetime,
        end: datetime,
        now: datetime | None = None,
    ) -> pd.DataFrame:
        if timeframe not in ARCHIVE_INTERVALS:
            self.stats.rest_windows += 1
            return self.rest.fetch_ohlcv(symbol, timeframe, start, end, now=now)
        tf_ms = timeframe_ms(timeframe)
        window = Window.of(start, end, now, tf_ms)
        if window.empty:
            return empty_ohlcv()
        # Binance's spot ids are base + quote (BTC/USDT -> BTCUSDT)
        market_id = symbol.replace("/", "")
        pieces = plan_pieces(window, self.market, market_id, timeframe)
        served = self._download(pieces, tf_ms)
        # a month not published yet (or lacking) is asked day by day before REST
        retry = [
            day
            for piece in pieces
            if piece.file and piece.file.period == "monthly" and served[piece].status == MISSING
            for day in plan_pieces(
                Window(piece.start, piece.end, piece.end, tf_ms),
                self.market,
                market_id,
                timeframe,
                months=False,
            )
        ]
        served.update(self._download(retry, tf_ms))
        arrays, frames = [], []
        for piece in sorted([*pieces, *retry], key=lambda p: (p.start, p.end)):
            result = served.get(piece)  # None: a REST piece
            if result is not None and result.status == OK:
                self.stats.archive_windows += 1
                arrays.append(result.rows)
                continue
            if result is not None and result.status == MISSING and result.file.period == "monthly":
                continue  # asked day by day: its days are in `retry`
            if result is not None:
                self._fall_back(symbol, result)
            self.stats.rest_windows += 1
            rest_start = datetime.fromtimestamp(piece.start / 1000, tz=UTC)
            rest_end = datetime.fromtimestamp(piece.end / 1000, tz=UTC)
            frames.append(self.rest.fetch_ohlcv(symbol, timeframe, rest_start, rest_end, now=now))
        return self._stitch(arrays, frames, window, symbol, timeframe)

    def _download(self, pieces: list[Piece], tf_ms: int) -> dict[Piece, FileResult]:
        files = [p for p in pieces if p.file is not None]
        if not files:
            return {}
        grid = grid_ms(tf_ms)
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(files))) as pool:
            results = list(pool.map(lambda p: self.archive.fetch(p.file, tf_ms, grid), files))
        for result in results:
            self.stats.files_downloaded += result.downloads
            self.stats.bytes_downloaded += result.bytes
            self.stats.checksum_failures += result.checksum_failures
        return dict(zip(files, results, strict=True))

    def _fall_back(self, symbol: str, result: FileResult) -> None:
        file = result.file
        why = (
            "checksum mismatch (downloaded twice)"
            if result.status == BAD_CHECKSUM
            else result.reason
        )
        note = f"{symbol} {file.interval} {file.label}: {why}; fetched through REST"
        self.stats.fallbacks.append(note)
        if result.status == MISSING:
            log.info("archive %s: %s", file.path, note)
        else:
            log.warning("archive %s: %s", file.path, note)

    def _stitch(
        self,
        arrays: list[np.ndarray],
        frames: list[pd.DataFrame],
        window: Window,
        symbol: str,
        timeframe: str,
    ) -> pd.DataFrame:
        parts = [f for f in frames if not f.empty]
        rows = np.concatenate(arrays) if arrays else np.empty((0, 6))
        rows = rows[(rows[:, 0] >= window.start) & (rows[:, 0] < window.stop)]
        if len(rows):
            parts.append(
                from_ccxt_rows(rows, exchange=self.exchange_id, symbol=symbol, timeframe=timeframe)
            )
        if not parts:
            return empty_ohlcv()
        frame = pd.concat(parts, ignore_index=True).sort_values("ts", kind="stable")
        # pieces never overlap; a duplicate would mean a file strayed outside its period
        return frame.drop_duplicates("ts", keep="first").reset_index(drop=True)
