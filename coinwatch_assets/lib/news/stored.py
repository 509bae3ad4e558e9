"""Where stored articles live: their publication times, looked up by id on both backends."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa

from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec

_CHUNK = 500  # ids per IN list: far below every backend's parameter limit


def publication_times(storage: Storage, ids: Iterable[str]) -> dict[str, pd.Timestamp]:
    """{article_id: stored published_at (UTC)} for the given ids that are stored anywhere."""
    wanted = sorted(set(ids))
    table = table_spec("news_articles").table
    out: dict[str, pd.Timestamp] = {}
    storage.ensure_schema()
    with storage.engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            stmt = sa.select(table.c.article_id, table.c.published_at).where(
                table.c.article_id.in_(chunk)
            )
            for article_id, published in conn.execute(stmt):
                ts = pd.Timestamp(published)  # SQLite gives naive UTC, PostgreSQL aware
                out[article_id] = ts.tz_convert("UTC") if ts.tzinfo else ts.tz_localize("UTC")
    return out
