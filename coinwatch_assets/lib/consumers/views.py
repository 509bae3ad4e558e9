"""The consumer views (created by schema revision 0008) and what they read, as plain Python.

Each view answers one question a user of the data asks; `VIEWS` names the tables each reads
(its lineage in Dagster) and `read_view` returns its rows with the same dtypes on both
backends: times as UTC timestamps, `stale` as a boolean.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from coinwatch_assets.lib.storage.store import Storage

# view -> (tables it reads, one-line description shown in the UI)
VIEWS: dict[str, tuple[tuple[str, ...], str]] = {
    "latest_candles": (
        ("ohlcv",),
        "Per venue, symbol and timeframe: the last closed candle and its age in seconds.",
    ),
    "latest_sentiment": (
        ("article_sentiment", "news_articles", "sentiment_daily"),
        "Per coin: the latest scored article, its day's mean and count, and a stale flag.",
    ),
    "coverage": (
        ("ohlcv", "ohlcv_gaps"),
        "Per venue, symbol and timeframe: stored vs expected candles and holes by reason.",
    ),
}
# Per-venue tables (asset key prefixed by the venue); the others are shared assets.
VENUE_TABLES = ("ohlcv", "ohlcv_gaps")

_TIMES = {
    "latest_candles": ("ts",),
    "latest_sentiment": ("published_at", "scored_at"),
    "coverage": ("first_ts", "last_ts"),
}


def read_view(storage: Storage, view: str, where: str = "", **params: object) -> pd.DataFrame:
    """The rows of `view` (optionally `WHERE ...` with bound `params`), ordered by its keys."""
    if view not in VIEWS:
        raise KeyError(f"no view {view!r}; known views: {sorted(VIEWS)}")
    storage.ensure_schema()
    order = "symbol" if view == "latest_sentiment" else "exchange, symbol, timeframe"
    sql = f"SELECT * FROM {view} {f'WHERE {where}' if where else ''} ORDER BY {order}"
    with storage.engine.connect() as conn:
        result = conn.execute(sa.text(sql), params)
        frame = pd.DataFrame.from_records([tuple(r) for r in result], columns=list(result.keys()))
    for column in _TIMES[view]:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    if "stale" in frame:
        frame["stale"] = frame["stale"].astype(bool)
    return frame
