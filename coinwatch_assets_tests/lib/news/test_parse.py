from datetime import UTC, datetime

import pytest

from coinwatch_assets.lib.news.parse import FeedError, parse_feed
from coinwatch_assets_tests.lib.news.helpers import BOZO_FEED, EXPECTED_ARTICLES, rss_root

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize("path", sorted(EXPECTED_ARTICLES))
def test_every_recorded_feed_parses_into_its_articles_with_utc_times(path):
    parsed = parse_feed((rss_root() / path).read_bytes(), f"http://feeds.test/{path}", NOW)
    assert len(parsed.articles) == EXPECTED_ARTICLES[path]
    assert not parsed.rejected
    assert len({a.article_id for a in parsed.articles}) == len(parsed.articles)
    for article in parsed.articles:
        assert article.published_at.utcoffset().total_seconds() == 0
        assert article.title and "<" not in article.title and "&amp;" not in article.title
        assert "<p" not in article.summary and "<img" not in article.summary
        assert "utm_" not in article.link


def test_bozo_feed_still_yields_its_entries():
    root = rss_root()
    clean = parse_feed((root / BOZO_FEED.replace("_as_embedded", "")).read_bytes(), "http://a/")
    bozo = parse_feed((root / BOZO_FEED).read_bytes(), "http://a/")
    assert bozo.bozo is not None and clean.bozo is None
    assert [a.title for a in bozo.articles] == [a.title for a in clean.articles]


def test_pubdate_with_offset_becomes_utc():
    body = (rss_root() / "swelbyboy_prospect_reserialized/decrypt.xml").read_bytes()
    first = parse_feed(body, "http://d/", NOW).articles[0]
    # <pubDate>Fri, 30 Jan 2026 22:02:19 +0000
    assert first.published_at == datetime(2026, 1, 30, 22, 2, 19, tzinfo=UTC)


def test_cdata_html_titles_and_entities_are_plain_text():
    parsed = parse_feed((rss_root() / "mlalma_CFTA/rssfeedparser_5.rss").read_bytes(), "http://e/")
    assert all("<" not in a.title and ">" not in a.title for a in parsed.articles)


def test_tracking_params_are_stripped_from_recorded_links():
    body = (rss_root() / "swelbyboy_prospect_reserialized/cointelegraph.xml").read_bytes()
    assert b"utm_source" in body
    links = [a.link for a in parse_feed(body, "http://c/", NOW).articles]
    assert links and all("?" not in link for link in links)
    assert all(link.startswith("https://cointelegraph.com/news/") for link in links)


def _rss(*items: str) -> bytes:
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def test_missing_unparseable_and_absurd_dates_are_rejected_and_counted():
    item = "<item><title>{}</title><guid>{}</guid>{}</item>"
    body = _rss(
        item.format("ok", 1, "<pubDate>Tue, 01 Dec 2026 10:00:00 +0100</pubDate>"),
        item.format("no date", 2, ""),
        item.format("bad date", 3, "<pubDate>sometime soon</pubDate>"),
        item.format("old", 4, "<pubDate>Mon, 01 Jan 1990 00:00:00 GMT</pubDate>"),
        item.format("future", 5, "<pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate>"),
    )
    parsed = parse_feed(body, "http://t/", NOW)
    assert [a.title for a in parsed.articles] == ["ok"]
    assert parsed.articles[0].published_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert dict(parsed.rejected) == {"missing_date": 1, "unparseable_date": 1, "absurd_date": 2}


def test_ids_are_stable_and_fall_back_from_guid_to_link_to_title():
    item = "<item><title>A</title>{}<pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item>"
    with_guid = _rss(item.format("<guid>g1</guid><link>http://x/a?utm_source=x</link>"))
    link_only = _rss(item.format("<link>http://x/a?utm_source=y</link>"))
    title_only = _rss(item.format(""))
    ids = [parse_feed(b, "http://f/", NOW).articles[0].article_id for b in (with_guid, link_only)]
    assert ids[0] == parse_feed(with_guid, "http://f/", NOW).articles[0].article_id
    assert ids[0] != ids[1]
    # Tracking parameters never change an id built from the link.
    other = _rss(item.format("<link>http://x/a?utm_medium=z</link>"))
    assert parse_feed(other, "http://f/", NOW).articles[0].article_id == ids[1]
    assert parse_feed(title_only, "http://f/", NOW).articles[0].article_id not in ids
    # The same guid in another feed is another article id.
    assert parse_feed(with_guid, "http://g/", NOW).articles[0].article_id != ids[0]


def test_html_page_is_not_a_feed():
    page = b"<!doctype html><html><head><title>Hi</title></head><body>hello</body></html>"
    with pytest.raises(FeedError, match="http://h/.*no entries.*COINWATCH_FEEDS"):
        parse_feed(page, "http://h/", NOW, content_type="text/html")
