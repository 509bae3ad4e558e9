"""News and sentiment definitions, grouped for coinwatch_assets/definitions.py."""

from coinwatch_assets.defs.news.assets import article_sentiment, news_articles, sentiment_daily
from coinwatch_assets.defs.news.checks import (
    news_feed_freshness,
    news_feed_freshness_job,
    news_feed_freshness_schedule,
)
from coinwatch_assets.defs.news.resources import DEFAULT_FEEDS, NewsFeedsResource, SentimentResource
from coinwatch_assets.defs.news.sensor import news_daily_job, news_sensor, sentiment_daily_schedule

NEWS_ASSETS = [news_articles, article_sentiment, sentiment_daily]
NEWS_CHECKS = [news_feed_freshness]
NEWS_JOBS = [news_feed_freshness_job, news_daily_job]
NEWS_SCHEDULES = [news_feed_freshness_schedule, sentiment_daily_schedule]
NEWS_SENSORS = [news_sensor]

__all__ = [
    "DEFAULT_FEEDS",
    "NEWS_ASSETS",
    "NEWS_CHECKS",
    "NEWS_JOBS",
    "NEWS_SCHEDULES",
    "NEWS_SENSORS",
    "NewsFeedsResource",
    "SentimentResource",
]
