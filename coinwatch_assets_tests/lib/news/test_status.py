"""news_feed_status on both backends: concurrent writers keep each other's rows."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from coinwatch_assets.lib.news.status import record_status
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec

T0 = datetime(2026, 11, 2, 12, tzinfo=UTC)


def _row(feed: str, status: str, at: datetime, *, error: str | None = None, new: int = 0):
    ok = status != "error"
    return {
        "feed": feed,
        "status": status,
        "last_attempt_at": at,
        "last_success_at": at if ok else None,
        "last_error": error,
        "new_articles": new,
    }


def _stored(storage: Storage) -> pd.DataFrame:
    spec = table_spec("news_feed_status")
    return storage.read(spec, Slice.whole_table(spec.name)).set_index("feed")


def test_writers_finishing_together_keep_every_feed_row(database_url):
    # A poll and news runs record their feeds at the same moment: each row must survive
    # (reading, merging and rewriting the table lost all but the last writer's rows).
    storage = Storage(database_url)
    record_status(storage, [_row("http://seed/", "ok", T0)])
    feeds = [f"http://f{i}/" for i in range(24)]

    def write(feed: str) -> int:
        return record_status(Storage(database_url), [_row(feed, "ok", T0, new=3)])

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(write, feeds)) == len(feeds)
    stored = _stored(storage)
    assert sorted(stored.index) == sorted([*feeds, "http://seed/"])
    assert (stored.loc[feeds, "new_articles"] == 3).all()


def test_a_failure_keeps_the_last_success_and_a_late_older_attempt_changes_nothing(database_url):
    storage = Storage(database_url)
    later = T0 + timedelta(minutes=5)
    record_status(storage, [_row("http://a/", "ok", T0, new=2), _row("http://b/", "ok", T0)])
    record_status(storage, [_row("http://a/", "error", later, error="http://a/: HTTP 500")])
    a = _stored(storage).loc["http://a/"]
    assert (a["status"], a["last_error"], a["new_articles"]) == ("error", "http://a/: HTTP 500", 0)
    assert pd.Timestamp(a["last_success_at"]) == pd.Timestamp(T0)
    assert pd.Timestamp(a["last_attempt_at"]) == pd.Timestamp(later)
    # A run that started before that failure and finishes now: its success time counts, but
    # the newer failure stays the feed's status.
    record_status(storage, [_row("http://a/", "empty", T0 + timedelta(minutes=1))])
    a = _stored(storage).loc["http://a/"]
    assert a["status"] == "error"
    assert pd.Timestamp(a["last_success_at"]) == pd.Timestamp(T0 + timedelta(minutes=1))
    assert _stored(storage).loc["http://b/", "status"] == "ok"


def test_a_feed_twice_in_one_write_keeps_its_latest_attempt(database_url):
    storage = Storage(database_url)
    later = T0 + timedelta(minutes=1)
    rows = [_row("http://a/", "ok", later), _row("http://a/", "error", T0, error="x")]
    assert record_status(storage, rows) == 1
    assert _stored(storage).loc["http://a/", "status"] == "ok"


def test_an_unknown_status_is_refused(tmp_path):
    storage = Storage(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(ValueError, match="unknown status 'weird'"):
        record_status(storage, [_row("http://a/", "weird", T0)])
