"""Resources of the news domain: the feeds (or the offline sample) and the sentiment scorer."""

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import dagster as dg
from pydantic import field_validator

from coinwatch_assets.lib.news.clean import redact_url
from coinwatch_assets.lib.news.fetch import FeedFetcher, FetchOutcome, Validators
from coinwatch_assets.lib.news.poll import FeedRead, parsed_validators, read_outcomes
from coinwatch_assets.lib.news.sample import SAMPLE_FEED, sample_articles
from coinwatch_assets.lib.sentiment.base import Scorer
from coinwatch_assets.lib.sentiment.factory import SCORERS, make_scorer

DEFAULT_FEEDS = (
    "https://www.coindesk.com/arc/outboundfeeds/rss/",
    "https://cointelegraph.com/rss",
    "https://decrypt.co/feed",
    "https://www.theblock.co/rss.xml",
    "https://bitcoinmagazine.com/.rss/full/",
)


def check_feed_urls(value: str) -> str:
    """`value` if every comma-separated entry is an http(s) URL; else an error naming it."""
    for url in (u.strip() for u in value.split(",") if u.strip()):
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise ValueError(
                f"COINWATCH_FEEDS: {redact_url(url)!r} is not an http(s) URL; give feed "
                "URLs separated by commas"
            )
    return value


def feeds_setting(environ: Mapping[str, str] = os.environ) -> str | dg.EnvVar:
    """The `feeds` of the deployment: COINWATCH_FEEDS as an env reference, checked now (a bad
    URL fails the code location at load), else the default sites.

    A reference, not the value: Dagster shows a resource's configured values in the UI and keeps
    them in run storage, and a feed URL may carry credentials.
    """
    raw = environ.get("COINWATCH_FEEDS")
    if not raw:
        return ",".join(DEFAULT_FEEDS)
    check_feed_urls(raw)
    return dg.EnvVar("COINWATCH_FEEDS")


class NewsFeedsResource(dg.ConfigurableResource):
    """RSS/Atom feeds (COINWATCH_FEEDS, comma-separated) or the offline `sample` headlines."""

    source: str = "live"
    feeds: str = ",".join(DEFAULT_FEEDS)
    timeout_seconds: float = 10.0
    max_bytes: int = 5_000_000
    freshness_minutes: int = 60  # news_feed_freshness warns past this

    @field_validator("feeds", mode="before")
    @classmethod
    def _urls(cls, value: object) -> object:
        # An env reference is checked where it is resolved (feeds_setting, then the run).
        return value if isinstance(value, dg.EnvVar) else check_feed_urls(str(value))

    def feed_list(self) -> list[str]:
        """The URLs to fetch, credentials included: never store or log these."""
        if self.source == "sample":
            return [SAMPLE_FEED]
        return [u.strip() for u in self.feeds.split(",") if u.strip()]

    def feed_names(self) -> list[str]:
        """The feeds as stored and shown (`news_feed_status.feed`, `news_articles.feed`)."""
        return [redact_url(u) for u in self.feed_list()]

    def fetch(self, validators: dict[str, Validators] | None = None) -> list[FetchOutcome]:
        """One fetch of every feed (conditional when validators are given)."""
        if self.source == "sample":
            return []
        fetcher = FeedFetcher(self.timeout_seconds, self.max_bytes)
        return fetcher.fetch_all(self.feed_list(), validators)

    def poll_read(
        self, validators: dict[str, Validators]
    ) -> tuple[FeedRead, dict[str, Validators]]:
        """A conditional fetch of every feed: what was read and the validators to keep."""
        if self.source == "sample":
            return self.read(), {}
        outcomes = self.fetch(validators)
        read = read_outcomes(outcomes)
        return read, parsed_validators(read, outcomes)

    def read(self, days: list[date] | None = None) -> FeedRead:
        """Every feed's current articles (sample: those of `days`, default today)."""
        if self.source == "sample":
            now = datetime.now(UTC)
            read = FeedRead()
            for day in days or [now.date()]:
                read.articles.extend(a for a in sample_articles(day) if a.published_at <= now)
            read.status.append(
                {
                    "feed": SAMPLE_FEED,
                    "status": "ok",
                    "last_attempt_at": now,
                    "last_success_at": now,
                    "last_error": None,
                    "new_articles": 0,
                }
            )
            return read
        return read_outcomes(self.fetch())


class SentimentResource(dg.ConfigurableResource):
    """The scorer (COINWATCH_SENTIMENT: lexicon | ollama) and, for ollama, its server."""

    scorer: str = "lexicon"
    ollama_url: str = "http://127.0.0.1:11434"
    ollama_model: str = "llama3.2"
    timeout_seconds: float = 30.0

    @field_validator("scorer")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SCORERS:
            raise ValueError(f"COINWATCH_SENTIMENT: unknown scorer {value!r}; use one of {SCORERS}")
        return value

    def make(self) -> Scorer:
        return make_scorer(
            self.scorer,
            ollama_url=self.ollama_url,
            ollama_model=self.ollama_model,
            timeout_seconds=self.timeout_seconds,
        )
