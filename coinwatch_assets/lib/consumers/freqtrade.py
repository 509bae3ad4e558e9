"""Export stored candles in freqtrade's data layout, so freqtrade can backtest from them.

freqtrade's Feather data handler (`--data-format-ohlcv feather`) keeps one file per pair and
timeframe, `{datadir}/{BASE}_{QUOTE}-{timeframe}.feather` (spot; `/`, `:`, spaces, `.`, `@`,
`$` and `+` in the pair become `_`; a `1M` timeframe is written `1Mo`), with a plain
RangeIndex and the columns `date` (datetime64[ns, UTC]), `open`, `high`, `low`, `close`,
`volume` (float64), LZ4-compressed. Only closed candles are exported; holes stay holes
(freqtrade fills them itself when it loads the data). An export appends what is newer than
the file's last candle and leaves the file untouched when there is nothing new.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from coinwatch_assets.lib.quality.timeframes import parse_timeframe
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import ohlcv, table_spec
from coinwatch_assets.lib.venues import Venue

COLUMNS = ["date", "open", "high", "low", "close", "volume"]
_PRICES = COLUMNS[1:]
_PAIR_SEPARATORS = ("/", " ", ".", "@", "$", "+", ":")


class ExportError(ValueError):
    """An export that cannot be done as asked; nothing was written."""


@dataclass(frozen=True)
class PairExport:
    """What one pair's export did."""

    symbol: str
    path: Path
    appended: int  # candles added by this export
    total: int  # candles in the file afterwards
    first: pd.Timestamp | None
    last: pd.Timestamp | None


def pair_filename(symbol: str, timeframe: str) -> str:
    """freqtrade's file name of a spot pair: `BTC/USDT`, `5m` -> `BTC_USDT-5m.feather`."""
    pair = symbol
    for sep in _PAIR_SEPARATORS:
        pair = pair.replace(sep, "_")
    return f"{pair}-{timeframe.replace('M', 'Mo')}.feather"


def read_pair_file(path: Path) -> pd.DataFrame:
    """A freqtrade Feather file as written here: checked columns, UTC dates."""
    try:
        frame = pd.read_feather(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ExportError(
            f"{path}: not a readable Feather file ({exc}); move it away or delete it and export "
            "again (the export rewrites it from the database)"
        ) from exc
    if list(frame.columns) != COLUMNS:
        raise ExportError(
            f"{path}: columns {list(frame.columns)}, expected freqtrade's {COLUMNS}; move it "
            "away or delete it and export again"
        )
    frame["date"] = pd.to_datetime(frame["date"], utc=True).astype("datetime64[ns, UTC]")
    return frame


def _stored(
    storage: Storage, exchange: str, symbol: str, timeframe: str, after: pd.Timestamp | None
) -> pd.DataFrame:
    start = None if after is None else (after + pd.Timedelta(microseconds=1)).to_pydatetime()
    cell = Cell(
        equals=(("exchange", exchange), ("symbol", symbol), ("timeframe", timeframe)), start=start
    )
    return storage.read(table_spec("ohlcv"), Slice("ohlcv", "ts", (cell,), symbol))


def _candles(rows: pd.DataFrame, timeframe: str, now: pd.Timestamp) -> pd.DataFrame:
    closed = rows[rows["ts"] + parse_timeframe(timeframe) <= now]
    out = pd.DataFrame(
        {"date": closed["ts"].dt.tz_convert("UTC").astype("datetime64[ns, UTC]")}
        | {c: closed[c].astype("float64") for c in _PRICES}
    )
    return out.reset_index(drop=True)


def _write(frame: pd.DataFrame, path: Path) -> None:
    # Written beside the target and renamed: a reader never sees half a file.
    tmp = path.with_name(path.name + ".tmp")
    frame.reset_index(drop=True).loc[:, COLUMNS].to_feather(
        tmp, compression="lz4", compression_level=9
    )
    os.replace(tmp, path)


def export_pair(
    storage: Storage,
    exchange: str,
    symbol: str,
    timeframe: str,
    dest: Path,
    now: pd.Timestamp | None = None,
) -> PairExport:
    """Append `symbol`'s closed candles newer than its file in `dest` (create the file)."""
    now = now or pd.Timestamp.now(tz="UTC")
    path = Path(dest) / pair_filename(symbol, timeframe)
    existing = read_pair_file(path) if path.exists() else None
    after = existing["date"].max() if existing is not None and len(existing) else None
    new = _candles(_stored(storage, exchange, symbol, timeframe, after), timeframe, now)
    frame = new if existing is None else pd.concat([existing, new], ignore_index=True)
    if len(new) or existing is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(frame, path)
    return PairExport(
        symbol=symbol,
        path=path,
        appended=len(new),
        total=len(frame),
        first=frame["date"].min() if len(frame) else None,
        last=frame["date"].max() if len(frame) else None,
    )


def stored_symbols(storage: Storage, exchange: str, timeframe: str) -> list[str]:
    """The symbols with candles of `exchange` and `timeframe`, sorted."""
    storage.ensure_schema()
    stmt = (
        sa.select(ohlcv.c.symbol)
        .where(ohlcv.c.exchange == exchange, ohlcv.c.timeframe == timeframe)
        .distinct()
        .order_by(ohlcv.c.symbol)
    )
    with storage.engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


def export_freqtrade(
    storage: Storage,
    exchange: str,
    timeframe: str,
    dest: Path,
    symbols: Iterable[str] | None = None,
    now: pd.Timestamp | None = None,
) -> list[PairExport]:
    """Export every stored symbol of `exchange`/`timeframe` (or `symbols`) into `dest`."""
    parse_timeframe(timeframe)  # an unknown timeframe fails here, naming it
    stored = stored_symbols(storage, exchange, timeframe)
    wanted = list(symbols) if symbols else stored
    if not stored:
        raise ExportError(
            f"no candles stored for exchange {exchange!r} and timeframe {timeframe!r} in "
            f"{storage.display_url}; check --venue and --timeframe (the venue's `exchange` "
            "value and its timeframe)"
        )
    unknown = sorted(set(wanted) - set(stored))
    if unknown:
        raise ExportError(
            f"no {timeframe} candles of {exchange!r} for {unknown}; stored symbols: {stored}"
        )
    return [export_pair(storage, exchange, s, timeframe, dest, now) for s in wanted]


def resolve_venue(name: str, venues: Sequence[Venue], timeframe: str = "") -> tuple[str, str]:
    """(the rows' `exchange` value, timeframe) of venue `name` (its name or exchange value).

    A name no venue has is taken as the `exchange` value itself (rows of a venue no longer
    configured); `timeframe` defaults to the venue's and is then required.
    """
    for venue in venues:
        if name in (venue.name, venue.exchange_label):
            return venue.exchange_label, timeframe or venue.timeframe
    if not timeframe:
        known = sorted({v.name or v.exchange_label for v in venues})
        raise ExportError(
            f"venue {name!r} is not configured here (venues: {known}): give its timeframe too"
        )
    return name, timeframe


def summary_lines(results: Iterable[PairExport]) -> list[str]:
    """One line per pair: file, candles appended and in total, first and last candle."""
    lines = []
    for r in results:
        span = f"{r.first:%Y-%m-%d %H:%M} .. {r.last:%Y-%m-%d %H:%M}" if r.total else "empty"
        lines.append(f"{r.path}: +{r.appended} candles, {r.total} in file ({span} UTC)")
    return lines
