"""News tests: real httpx + feedparser against the RSS emulator, real Dagster, both backends."""

from collections.abc import Iterator

import dagster as dg
import pytest

from coinwatch_assets.defs.news.resources import NewsFeedsResource, SentimentResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets_tests.emulators.rss import RssEmulator
from coinwatch_assets_tests.lib.news.helpers import rss_root

RECORDED = [
    "swelbyboy_prospect_reserialized/decrypt.xml",
    "swelbyboy_prospect_reserialized/bitcoin-magazine.xml",
    "swelbyboy_prospect_reserialized/cointelegraph.xml",
]


@pytest.fixture
def rss() -> Iterator[RssEmulator]:
    with RssEmulator(rss_root(), huge_bytes=300_000) as emu:
        emu.slow_seconds = 2.0
        yield emu


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst


def news_resources(database_url: str, feeds: list[str], **feed_options) -> dict[str, object]:
    database = DatabaseResource(url=database_url)
    return {
        "news_feeds": NewsFeedsResource(feeds=",".join(feeds), timeout_seconds=1.0, **feed_options),
        "sentiment": SentimentResource(),
        "database": database,
        "io_manager": CoinwatchIOManager(database=database),
    }


def rss_body(*items: tuple[str, str, str]) -> bytes:
    """An RSS 2.0 body of (guid, title, pubDate) items; guids starting "bare" get no summary."""
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>https://news.test/{g}?utm_source=rss</link>"
        + (
            ""
            if g.startswith("bare")
            else f"<description>&lt;p&gt;About {t}&lt;/p&gt;</description>"
        )
        + f"<pubDate>{d}</pubDate></item>"
        for g, t, d in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Test feed</title><link>https://news.test/</link>{body}</channel></rss>"
    ).encode()
