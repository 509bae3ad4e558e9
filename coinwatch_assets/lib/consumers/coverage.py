"""Coverage per calendar month: the `coverage` view's figures split by UTC month.

The view answers per series (venue, symbol, timeframe); the UI also wants to see which months
are incomplete. Months are calendar months of the candle open times, whatever the partition
grain of the assets: candles are counted per month in SQL, the expected slots and the holes
(split across months when a hole spans two) in pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from coinwatch_assets.lib.consumers.views import read_view
from coinwatch_assets.lib.quality.registry import REASONS
from coinwatch_assets.lib.quality.timeframes import parse_timeframe
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec

SERIES = ["exchange", "symbol", "timeframe"]
HOLE_COLUMNS = [f"{r}_candles" for r in REASONS]
MONTH_COLUMNS = [
    *SERIES,
    "month",
    "stored_candles",
    "expected_candles",
    *HOLE_COLUMNS,
    "completeness_pct",
]
_MONTH_SQL = {
    # SQLite keeps SQLAlchemy's UTC text `YYYY-MM-DD HH:MM:SS.ffffff`
    "sqlite": "substr(ts, 1, 7)",
    "postgresql": "to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM')",
}


def _stored_per_month(storage: Storage) -> pd.DataFrame:
    month = _MONTH_SQL[storage.engine.dialect.name]
    sql = (
        f"SELECT exchange, symbol, timeframe, {month} AS month, count(*) AS stored_candles "
        f"FROM ohlcv GROUP BY exchange, symbol, timeframe, {month}"
    )
    with storage.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(sql))]
    frame = pd.DataFrame.from_records(rows, columns=[*SERIES, "month", "stored_candles"])
    return frame.astype({"stored_candles": "int64", "month": str})


def _slots(origin: pd.Timestamp, step: pd.Timedelta, lo: pd.Timestamp, hi: pd.Timestamp) -> int:
    """Grid times origin + k*step (k >= 0) inside [lo, hi]."""
    if hi < lo:
        return 0
    first = max(0, int(np.ceil((lo - origin) / step)))
    last = int(np.floor((hi - origin) / step))
    return max(0, last - first + 1)


def _months(
    first: pd.Timestamp, last: pd.Timestamp
) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """(YYYY-MM, start, last instant) of every UTC month from `first` to `last`."""
    out = []
    for period in pd.period_range(first.tz_convert(None), last.tz_convert(None), freq="M"):
        start = period.start_time.tz_localize("UTC")
        end = (period + 1).start_time.tz_localize("UTC") - pd.Timedelta(microseconds=1)
        out.append((str(period), start, end))
    return out


def coverage_by_month(storage: Storage) -> pd.DataFrame:
    """One row per series and calendar month from its first to its last stored candle."""
    spans = read_view(storage, "coverage")
    if spans.empty:
        return pd.DataFrame(columns=MONTH_COLUMNS)
    stored = _stored_per_month(storage).set_index([*SERIES, "month"])["stored_candles"]
    holes = storage.read(table_spec("ohlcv_gaps"), Slice.whole_table("ohlcv_gaps"))
    rows = []
    for span in spans.itertuples(index=False):
        step = parse_timeframe(span.timeframe)
        series = (span.exchange, span.symbol, span.timeframe)
        mine = holes[
            (holes["exchange"] == span.exchange)
            & (holes["symbol"] == span.symbol)
            & (holes["timeframe"] == span.timeframe)
            & (holes["gap_start"] > span.first_ts)
            & (holes["gap_end"] < span.last_ts)
        ]
        for month, start, end in _months(span.first_ts, span.last_ts):
            expected = _slots(
                span.first_ts, step, max(start, span.first_ts), min(end, span.last_ts)
            )
            by_reason = dict.fromkeys(REASONS, 0)
            for hole in mine.itertuples(index=False):
                lo, hi = max(start, hole.gap_start), min(end, hole.gap_end)
                by_reason[hole.reason] += _slots(hole.gap_start, step, lo, hi)
            count = int(stored.get((*series, month), 0))
            rows.append(
                [*series, month, count, expected, *by_reason.values(), _pct(count, expected)]
            )
    return pd.DataFrame(rows, columns=MONTH_COLUMNS)


def _pct(stored: int, expected: int) -> float:
    return round(100.0 * stored / expected, 2) if expected else 100.0


def months_markdown(months: pd.DataFrame, limit: int = 400) -> str:
    """A markdown table of `coverage_by_month` rows (at most `limit`, the least complete kept)."""
    shown = months
    if len(months) > limit:
        shown = months.nsmallest(limit, "completeness_pct").sort_values([*SERIES, "month"])
    lines = [
        "| exchange | symbol | tf | month | stored | expected | missed | confirmed | no_trades "
        "| accepted | complete % |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.exchange} | {r.symbol} | {r.timeframe} | {r.month} | {r.stored_candles} "
        f"| {r.expected_candles} | {r.missed_candles} | {r.confirmed_candles} "
        f"| {r.no_trades_candles} | {r.accepted_candles} | {r.completeness_pct:.2f} |"
        for r in shown.itertuples(index=False)
    ]
    if len(months) > limit:
        lines.append(f"\n{len(months) - limit} more complete months not shown.")
    return "\n".join(lines)
