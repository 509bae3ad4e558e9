"""`news_feed_freshness`: every configured feed answered successfully within the last hour."""

from datetime import timedelta

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.news.assets import news_articles
from coinwatch_assets.defs.news.resources import NewsFeedsResource
from coinwatch_assets.defs.storage import DatabaseResource


@dg.asset_check(asset=news_articles, name="news_feed_freshness", description="Feeds answer.")
def news_feed_freshness(
    news_feeds: NewsFeedsResource, database: DatabaseResource
) -> dg.AssetCheckResult:
    """Each feed's last successful fetch (ok or 304) is at most `freshness_minutes` old."""
    now = pd.Timestamp.now(tz="UTC")
    allowed = timedelta(minutes=news_feeds.freshness_minutes)
    status = database.read("news_feed_status").set_index("feed")
    stale = {}
    for feed in news_feeds.feed_names():
        last = status["last_success_at"].get(feed) if feed in status.index else None
        if last is None or pd.isna(last) or now - pd.Timestamp(last) > allowed:
            error = status["last_error"].get(feed) if feed in status.index else "never fetched"
            stale[feed] = f"last success {last if last is not None else 'never'}; {error}"
    return dg.AssetCheckResult(
        passed=not stale,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{len(stale)} feed(s) stale" if stale else "all feeds fresh",
        metadata={"allowed_age": str(allowed), "stale_feeds": dg.MetadataValue.json(stale)},
    )


news_feed_freshness_job = dg.define_asset_job(
    "news_feed_freshness_job", selection=dg.AssetSelection.checks(news_feed_freshness)
)

news_feed_freshness_schedule = dg.ScheduleDefinition(
    name="news_feed_freshness_schedule",
    cron_schedule="*/15 * * * *",
    job=news_feed_freshness_job,
    execution_timezone="UTC",
    description="Every 15 minutes: has every feed answered within the last hour?",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
