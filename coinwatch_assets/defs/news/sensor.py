"""`news_sensor`: polls the feeds with a cursor and requests runs for days with new items."""

import hashlib
from datetime import UTC, datetime, timedelta

import dagster as dg

from coinwatch_assets.defs.news.assets import article_sentiment, news_articles, sentiment_daily
from coinwatch_assets.defs.news.partitions import news_partitions
from coinwatch_assets.defs.news.resources import NewsFeedsResource
from coinwatch_assets.defs.news.status import record_feed_status
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.news.poll import FeedCursor, poll

NEWS_ASSETS = [news_articles, article_sentiment, sentiment_daily]


@dg.sensor(
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    target=NEWS_ASSETS,
    description="Every 5 minutes: conditional GET of every feed; one run per day with new items.",
)
def news_sensor(
    context: dg.SensorEvaluationContext,
    news_feeds: NewsFeedsResource,
    database: DatabaseResource,
) -> dg.SensorResult:
    cursor = FeedCursor.loads(context.cursor)
    read, validators = news_feeds.poll_read(cursor.validators)
    result = poll(read, validators, cursor)
    record_feed_status(database, read.status)
    for error in read.errors.values():
        # One feed's failure is logged and recorded (news_feed_status, news_feed_freshness);
        # the other feeds' items are requested as usual.
        context.log.warning(f"news feed failed: {error}")
    valid = set(news_partitions.get_partition_keys(datetime.now(UTC)))
    requests = []
    for day, ids in sorted(result.new_by_day.items()):
        key = day.isoformat()
        if key not in valid:
            context.log.warning(f"{len(ids)} new item(s) dated {key}: outside the news partitions")
            continue
        digest = hashlib.sha256(",".join(sorted(ids)).encode()).hexdigest()[:12]
        requests.append(
            dg.RunRequest(
                run_key=f"news-{key}-{digest}",
                partition_key=key,
                tags={"coinwatch/new_articles": str(len(ids))},
            )
        )
    empty = sum(1 for r in read.status if r["status"] == "empty")
    context.log.info(
        f"{len(read.status)} feed(s), {len(read.errors)} failed, {empty} empty, "
        f"{sum(map(len, result.new_by_day.values()))} new item(s), {len(requests)} run(s)"
    )
    return dg.SensorResult(run_requests=requests, cursor=result.cursor.dumps())


news_daily_job = dg.define_asset_job("news_daily_job", selection=NEWS_ASSETS)


@dg.schedule(
    cron_schedule="20 0 * * *",
    job=news_daily_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="00:20 UTC: yesterday's news once more, so the day's sentiment is final.",
)
def sentiment_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = (context.scheduled_execution_time.astimezone(UTC) - timedelta(days=1)).date()
    return dg.RunRequest(run_key=f"news-daily-{day}", partition_key=day.isoformat())
