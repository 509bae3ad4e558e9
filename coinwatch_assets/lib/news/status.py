"""`news_feed_status`: one row per feed, merged by the database in one statement.

A poll and a news run may record the same feeds at the same moment. Reading the table, merging
in Python and rewriting it would let the later writer undo the earlier one's rows; instead each
write is one `INSERT ... ON CONFLICT (feed) DO UPDATE` (atomic on both backends, rows in feed
order so two writers never deadlock), and the merge rules live in its SET clause:

- the latest attempt wins: an attempt older than the stored one (a slow run finishing late)
  changes nothing but `last_success_at`;
- `last_success_at` only moves forward, so a failing attempt keeps the last success.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from coinwatch_assets.lib.news.clean import clean_text
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec

STATUSES = ("ok", "not_modified", "empty", "error")
_LATEST = ("status", "last_attempt_at", "last_error", "new_articles")


def _utc(value: object) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert(UTC).to_pydatetime()


def _record(row: dict[str, object]) -> dict[str, object]:
    status = str(row["status"])
    if status not in STATUSES:
        raise ValueError(f"news_feed_status: unknown status {status!r}; one of {STATUSES}")
    error = row.get("last_error")
    return {
        "feed": str(row["feed"]),
        "status": status,
        "last_attempt_at": _utc(row["last_attempt_at"]),
        "last_success_at": _utc(row.get("last_success_at")),
        "last_error": None if error is None or pd.isna(error) else clean_text(str(error)),
        "new_articles": int(row.get("new_articles") or 0),  # type: ignore[call-overload]
    }


def upsert_statement(dialect: str, rows: list[dict[str, object]]) -> sa.Insert:
    """The merging upsert of `rows` for `dialect` (postgresql | sqlite)."""
    table = table_spec("news_feed_status").table
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(rows)
    new, cur = insert.excluded, table.c
    newer = new.last_attempt_at >= cur.last_attempt_at
    later_success = sa.or_(cur.last_success_at.is_(None), new.last_success_at > cur.last_success_at)
    updates = {c: sa.case((newer, new[c]), else_=cur[c]) for c in _LATEST}
    updates["last_success_at"] = sa.case(
        (sa.and_(new.last_success_at.is_not(None), later_success), new.last_success_at),
        else_=cur.last_success_at,
    )
    return insert.on_conflict_do_update(index_elements=["feed"], set_=updates)


def record_status(storage: Storage, rows: Iterable[dict[str, object]]) -> int:
    """Merges each feed's row into `news_feed_status`, touching no other feed; returns rows."""
    # One row per feed (a feed listed twice, or two URLs that differ only in a redacted
    # token): an upsert may not touch a row twice. The latest attempt is kept.
    latest: dict[str, dict[str, object]] = {}
    for record in sorted((_record(r) for r in rows), key=lambda r: r["last_attempt_at"]):
        latest[str(record["feed"])] = record
    records = [latest[feed] for feed in sorted(latest)]
    if not records:
        return 0
    storage.ensure_schema()
    with storage.engine.begin() as conn:
        conn.execute(upsert_statement(storage.engine.dialect.name, records))
    return len(records)
