"""The news and sentiment domain's definitions."""

import os
from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.news.assets import article_sentiment, news_articles, sentiment_daily
from coinwatch_assets.defs.news.checks import (
    news_feed_freshness,
    news_feed_freshness_job,
    news_feed_freshness_schedule,
)
from coinwatch_assets.defs.news.resources import (
    NewsFeedsResource,
    SentimentResource,
    feeds_setting,
)
from coinwatch_assets.defs.news.sensor import news_daily_job, news_sensor, sentiment_daily_schedule
from coinwatch_assets.defs.shared import env_or_none
from coinwatch_assets.defs.venues import SOURCE
from coinwatch_assets.lib.venues import Venue


def definitions(venues: Sequence[Venue]) -> dg.Definitions:
    """Feeds, articles, their sentiment and the daily aggregate, with their automation."""
    return dg.Definitions(
        assets=[news_articles, article_sentiment, sentiment_daily],
        asset_checks=[news_feed_freshness],
        jobs=[news_feed_freshness_job, news_daily_job],
        schedules=[news_feed_freshness_schedule, sentiment_daily_schedule],
        sensors=[news_sensor],
        resources={
            "news_feeds": NewsFeedsResource(
                source=SOURCE,
                feeds=feeds_setting(),
            ),
            "sentiment": SentimentResource(
                scorer=os.environ.get("COINWATCH_SENTIMENT") or "lexicon",
                ollama_url=env_or_none("OLLAMA_URL") or "http://127.0.0.1:11434",
                ollama_model=os.environ.get("OLLAMA_MODEL") or "llama3.2",
            ),
        },
    )
