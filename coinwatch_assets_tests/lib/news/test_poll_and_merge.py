from datetime import UTC, datetime

import pandas as pd

from coinwatch_assets.lib.news.articles import (
    articles_frame,
    duplicate_ids,
    keep_first_days,
    merge_articles,
)
from coinwatch_assets.lib.news.fetch import FetchOutcome, Validators
from coinwatch_assets.lib.news.parse import Article
from coinwatch_assets.lib.news.poll import (
    SEEN_PER_FEED,
    FeedCursor,
    parsed_validators,
    poll,
    read_outcomes,
)
from coinwatch_assets.lib.news.sample import PER_DAY, sample_articles

T0 = datetime(2026, 11, 2, 12, tzinfo=UTC)
T1 = datetime(2026, 11, 3, 12, tzinfo=UTC)


def _rss(*items: tuple[str, str]) -> bytes:
    body = "".join(
        f"<item><guid>{g}</guid><title>t{g}</title><pubDate>{d}</pubDate></item>" for g, d in items
    )
    return f"<rss version='2.0'><channel><title>F</title>{body}</channel></rss>".encode()


def _ok(feed: str, body: bytes, etag: str) -> FetchOutcome:
    return FetchOutcome(feed, "ok", T1, body=body, validators=Validators(etag, None))


def test_cursor_round_trip_and_new_items_by_day():
    body = _rss(("1", "Mon, 02 Nov 2026 10:00:00 GMT"), ("2", "Tue, 03 Nov 2026 01:00:00 GMT"))
    outcomes = [_ok("http://a/", body, '"e1"'), FetchOutcome("http://b/", "error", T1, error="x")]
    read = read_outcomes(outcomes)
    result = poll(read, parsed_validators(read, outcomes), FeedCursor())
    assert {d.isoformat(): len(ids) for d, ids in result.new_by_day.items()} == {
        "2026-11-02": 1,
        "2026-11-03": 1,
    }
    cursor = FeedCursor.loads(result.cursor.dumps())
    assert cursor.validators == {"http://a/": Validators('"e1"', None)}
    assert "http://b/" not in cursor.validators and len(cursor.seen["http://a/"]) == 2
    # Same body again (say the server ignores validators): nothing new.
    again = poll(read_outcomes(outcomes), {}, cursor)
    assert again.new_by_day == {}
    assert [r["new_articles"] for r in again.read.status] == [0, 0]


def test_a_body_that_is_not_a_feed_keeps_the_old_validators():
    outcomes = [_ok("http://a/", b"<html><body>hi</body></html>", '"new"')]
    read = read_outcomes(outcomes)
    assert "no entries" in read.errors["http://a/"]
    start = FeedCursor(validators={"http://a/": Validators('"old"', None)})
    result = poll(read, parsed_validators(read, outcomes), start)
    assert result.cursor.validators["http://a/"] == Validators('"old"', None)


def test_seen_ids_are_bounded():
    cursor = FeedCursor(seen={"http://a/": [str(i) for i in range(SEEN_PER_FEED)]})
    body = _rss(("new", "Mon, 02 Nov 2026 10:00:00 GMT"))
    outcomes = [_ok("http://a/", body, None)]
    result = poll(read_outcomes(outcomes), {}, cursor)
    assert len(result.cursor.seen["http://a/"]) == SEEN_PER_FEED
    assert "0" not in result.cursor.seen["http://a/"]


def _article(guid: str, link: str, title: str = "t", feed: str = "http://a/") -> Article:
    return Article(guid, feed, "F", title, "", link, T0)


def test_merge_keeps_stored_rows_and_first_fetch_time_and_takes_corrections():
    stored = articles_frame([_article("1", "https://x/1"), _article("2", "https://x/2")], T0)
    fetched = articles_frame([_article("2", "https://x/2", title="fixed"), _article("3", "")], T1)
    merged = merge_articles(stored, fetched).set_index("article_id")
    assert sorted(merged.index) == ["1", "2", "3"]
    assert merged.loc["2", "title"] == "fixed"
    assert merged.loc["2", "fetched_at"] == pd.Timestamp(T0)
    assert merged.loc["3", "fetched_at"] == pd.Timestamp(T1)


def test_merge_drops_the_same_story_from_a_second_feed_and_reports_duplicates():
    first = articles_frame([_article("1", "https://x/s")], T0)
    second = articles_frame([_article("9", "https://x/s", feed="http://b/")], T1)
    merged = merge_articles(first, second)
    assert merged["article_id"].tolist() == ["1"]
    frame = pd.DataFrame({"article_id": ["a", "b", "a"]})
    assert duplicate_ids(frame) == ["a"]


def test_sample_source_is_deterministic_and_on_its_day():
    day = datetime(2026, 11, 20).date()
    articles = sample_articles(day)
    assert len(articles) == PER_DAY and articles == sample_articles(day)
    assert all(a.published_at.date() == day for a in articles)
    assert len({a.article_id for a in articles}) == PER_DAY
    assert sample_articles(day) != sample_articles(datetime(2026, 11, 21).date())


def test_a_redated_article_keeps_its_first_day():
    fetched = articles_frame(
        [
            Article("moved", "http://a/", "F", "t", "", "", T1),  # first stored on T0's day
            Article("retimed", "http://a/", "F", "t", "", "", T1 + pd.Timedelta(hours=2)),
            Article("new", "http://a/", "F", "t", "", "", T1),
        ],
        T1,
    )
    stored_at = {"moved": pd.Timestamp(T0), "retimed": pd.Timestamp(T1)}
    # A run of T1's day alone: the moved article belongs to T0's partition, not this one.
    kept, redated = keep_first_days(fetched, stored_at, [T1.date()])
    assert sorted(kept["article_id"]) == ["new", "retimed"] and redated == ["moved"]
    assert kept.set_index("article_id").loc["retimed", "published_at"] == pd.Timestamp(
        T1 + pd.Timedelta(hours=2)
    )  # a new time on the same day is a correction
    # A run over both days: the article stays on its first day, with its stored time.
    kept, _ = keep_first_days(fetched, stored_at, [T0.date(), T1.date()])
    assert kept.set_index("article_id").loc["moved", "published_at"] == pd.Timestamp(T0)
