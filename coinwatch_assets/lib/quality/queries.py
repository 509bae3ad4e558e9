"""Small SQL reads the quality checks and the repair sensor need (plain SQLAlchemy Core).

They filter on columns the partition slices cannot express (a reason, an aggregate), so the
sensor never loads the whole registry or the whole candle table.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from coinwatch_assets.lib.storage.frames import normalize_read
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec


def gaps_with_reason(storage: Storage, reason: str, exchange: str, timeframe: str) -> pd.DataFrame:
    """Registry rows (`ohlcv_gaps`) of one exchange and timeframe with `reason`."""
    spec = table_spec("ohlcv_gaps")
    table = spec.table
    storage.ensure_schema()
    stmt = (
        sa.select(*table.columns)
        .where(table.c.reason == reason, table.c.exchange == exchange)
        .where(table.c.timeframe == timeframe)
        .order_by(*(table.c[c] for c in spec.primary_key))
    )
    with storage.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return normalize_read(spec, pd.DataFrame(rows, columns=[c.name for c in table.columns]))


def latest_candles(storage: Storage, exchange: str, timeframe: str) -> dict[str, pd.Timestamp]:
    """{symbol: open time of its latest stored candle} (the primary key index serves this)."""
    table = table_spec("ohlcv").table
    storage.ensure_schema()
    stmt = (
        sa.select(table.c.symbol, sa.func.max(table.c.ts))
        .where(table.c.exchange == exchange, table.c.timeframe == timeframe)
        .group_by(table.c.symbol)
    )
    with storage.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    # SQLite returns max() of a DateTime column as text: parse both backends the same way.
    return {str(symbol): pd.Timestamp(pd.to_datetime(ts, utc=True)) for symbol, ts in rows}
