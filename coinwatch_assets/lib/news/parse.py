"""Feed bytes -> articles: feedparser on a byte stream, then validation of every entry."""

import calendar
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import feedparser

from coinwatch_assets.lib.news.clean import clean_link, html_to_text, stable_id

# Before Bitcoin's genesis block no crypto news existed; a date more than a day ahead is a
# broken clock or a time zone bug at the publisher.
EARLIEST_PUBLISHED = datetime(2009, 1, 3, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)
SUMMARY_MAX_CHARS = 2000


class FeedError(ValueError):
    """The body is not a feed (no entries); names the feed and what feedparser saw."""


def is_empty_feed(parsed: feedparser.FeedParserDict) -> bool:
    """A well-formed RSS/Atom document with no items: a quiet feed, not a broken one."""
    return not parsed.entries and bool(parsed.get("version")) and not parsed.get("bozo")


@dataclass(frozen=True)
class Article:
    article_id: str
    feed: str
    source: str
    title: str
    summary: str
    link: str
    published_at: datetime  # UTC

    def as_row(self) -> dict[str, object]:
        return self.__dict__.copy()


@dataclass
class ParsedFeed:
    feed: str
    source: str
    articles: list[Article]
    rejected: Counter[str] = field(default_factory=Counter)
    bozo: str | None = None  # feedparser's complaint, when it had one

    @property
    def empty(self) -> bool:
        """The feed is valid but lists no items at all (rejected ones count as items)."""
        return not self.articles and not self.rejected


def _published(entry: dict, now: datetime) -> tuple[datetime | None, str | None]:
    # dict.get: FeedParserDict.get maps published<->updated itself, with a DeprecationWarning.
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if parsed is None:
        raw = dict.get(entry, "published") or dict.get(entry, "updated")
        return None, ("unparseable_date" if raw else "missing_date")
    # feedparser normalises dates to UTC struct_time; timegm reads it as UTC.
    published = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    if published < EARLIEST_PUBLISHED or published > now + FUTURE_TOLERANCE:
        return None, "absurd_date"
    return published, None


def parse_feed(
    body: bytes,
    feed_url: str,
    now: datetime | None = None,
    content_type: str | None = None,
) -> ParsedFeed:
    """Articles of one feed body. A bozo feed is fine while it has entries; a well-formed
    feed without items gives no articles (`ParsedFeed.empty`); anything else is a FeedError."""
    now = now or datetime.now(UTC)
    headers = {"content-location": feed_url, "content-type": content_type or "application/xml"}
    # BytesIO: feedparser treats a str as a URL or path and would fetch it itself.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    bozo = repr(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not parsed.entries and not is_empty_feed(parsed):
        version = parsed.get("version") or "not a feed"
        raise FeedError(
            f"feed {feed_url}: no entries ({version}; {bozo or 'parsed cleanly'}); "
            "check the URL in COINWATCH_FEEDS points at an RSS or Atom feed"
        )
    source = html_to_text(parsed.feed.get("title")) or urlsplit(feed_url).hostname or feed_url
    result = ParsedFeed(feed=feed_url, source=source, articles=[], bozo=bozo)
    for entry in parsed.entries:
        title = html_to_text(entry.get("title"))
        link = clean_link(entry.get("link"))
        if not title:
            result.rejected["missing_title"] += 1
            continue
        published, reason = _published(entry, now)
        if reason:
            result.rejected[reason] += 1
            continue
        summary = html_to_text(entry.get("summary") or entry.get("description"))
        article_id = stable_id(feed_url, entry.get("id"), link, title)
        result.articles.append(
            Article(
                article_id=article_id,
                feed=feed_url,
                source=source,
                title=title,
                summary=summary[:SUMMARY_MAX_CHARS],
                link=link,
                published_at=published,
            )
        )
    return result
