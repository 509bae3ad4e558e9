"""News assets by UTC publication day: articles, their sentiment, per-coin daily sentiment."""

from datetime import UTC, date, datetime

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.news.partitions import news_partitions
from coinwatch_assets.defs.news.resources import NewsFeedsResource, SentimentResource
from coinwatch_assets.defs.news.status import record_feed_status
from coinwatch_assets.defs.storage import DatabaseResource, partition_slice, table_metadata
from coinwatch_assets.defs.venues import SYMBOLS
from coinwatch_assets.lib.news.articles import (
    articles_frame,
    duplicate_ids,
    keep_first_days,
    merge_articles,
)
from coinwatch_assets.lib.news.stored import publication_times
from coinwatch_assets.lib.news.symbols import COIN_NAMES, SymbolMatcher, coins_of
from coinwatch_assets.lib.sentiment.daily import (
    daily_sentiment,
    inconsistent_labels,
    score_articles,
)
from coinwatch_assets.lib.storage.tables import table_spec

ERROR = dg.AssetCheckSeverity.ERROR
WARN = dg.AssetCheckSeverity.WARN


def _days(context: dg.AssetExecutionContext) -> list[date]:
    return [date.fromisoformat(k) for k in context.partition_keys]


@dg.asset(
    partitions_def=news_partitions,
    metadata=table_metadata("news_articles"),
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[
        dg.AssetCheckSpec("news_articles_unique_ids", asset="news_articles", blocking=True),
        dg.AssetCheckSpec("news_feeds_ok", asset="news_articles"),
    ],
    group_name="news",
)
def news_articles(
    context: dg.AssetExecutionContext,
    news_feeds: NewsFeedsResource,
    database: DatabaseResource,
):
    """Deduplicated articles published on the partition's UTC days; earlier ones are kept."""
    days = _days(context)
    read = news_feeds.read(days)
    record_feed_status(database, read.status)
    fetched = articles_frame(
        [a for a in read.articles if a.published_at.date() in days], datetime.now(UTC)
    )
    stored_at = publication_times(database.storage(), fetched["article_id"])
    fetched, redated = keep_first_days(fetched, stored_at, days)
    where = partition_slice(
        table_spec("news_articles"), "news_articles", news_partitions, list(context.partition_keys)
    )
    stored = database.read("news_articles", where)
    merged = merge_articles(stored, fetched)
    for error in read.errors.values():
        context.log.warning(f"feed failed, others go on: {error}")
    kept = int(stored["article_id"].isin(merged["article_id"]).sum()) if len(stored) else 0
    yield dg.Output(
        merged,
        metadata={
            "articles": len(merged),
            "new_articles": len(merged) - kept,
            "stored_before": len(stored),
            "feeds": len(read.status),
            "failed_feeds": ", ".join(sorted(read.errors)) or "none",
            "empty_feeds": ", ".join(r["feed"] for r in read.status if r["status"] == "empty")
            or "none",
            "redated_kept_on_first_day": ", ".join(redated[:20]) or "none",
            "rejected_entries": dg.MetadataValue.json(dict(read.rejected)),
            "bozo_feeds": dg.MetadataValue.json(read.bozo),
        },
    )
    dups = duplicate_ids(merged)
    yield dg.AssetCheckResult(
        check_name="news_articles_unique_ids",
        passed=not dups,
        severity=ERROR,
        metadata={"duplicate_ids": ", ".join(dups[:20]) or "none"},
    )
    yield dg.AssetCheckResult(
        check_name="news_feeds_ok",
        passed=not read.errors,
        severity=WARN,
        description=f"{len(read.errors)} of {len(read.status)} feed(s) failed"
        if read.errors
        else "all feeds answered",
        metadata={"errors": dg.MetadataValue.json(read.errors)},
    )


def tracked_coins(database: DatabaseResource) -> list[str]:
    """Coins of the tracked markets; else of COINWATCH_SYMBOLS; else the best-known coins."""
    markets = database.read("markets")
    if len(markets):
        return coins_of(markets.loc[markets["active"].astype(bool), "symbol"])
    if SYMBOLS:
        return coins_of(SYMBOLS)
    return sorted(COIN_NAMES)


@dg.asset(
    partitions_def=news_partitions,
    metadata=table_metadata("article_sentiment"),
    backfill_policy=dg.BackfillPolicy.single_run(),
    ins={"news_articles": dg.AssetIn()},
    check_specs=[
        dg.AssetCheckSpec("article_sentiment_valid", asset="article_sentiment", blocking=True),
    ],
    group_name="news",
)
def article_sentiment(
    context: dg.AssetExecutionContext,
    news_articles: pd.DataFrame,
    sentiment: SentimentResource,
    database: DatabaseResource,
):
    """Each article's headline score in [-1, 1], label, scorer, matched coins, crypto relevance."""
    scorer = sentiment.make()
    coins = tracked_coins(database)
    scored = score_articles(news_articles, scorer, SymbolMatcher(coins))
    yield dg.Output(
        scored,
        metadata={
            "articles": len(scored),
            "scorer": f"{scorer.name} {scorer.version}",
            "crypto_relevant": int(scored["crypto_relevant"].sum()) if len(scored) else 0,
            "labels": dg.MetadataValue.json(scored["label"].value_counts().to_dict()),
            "coins": ", ".join(coins),
        },
    )
    bad = inconsistent_labels(scored)
    dups = duplicate_ids(scored)
    yield dg.AssetCheckResult(
        check_name="article_sentiment_valid",
        passed=bad.empty and not dups,
        severity=ERROR,
        description="scores in [-1, 1], labels match scores, one row per article",
        metadata={
            "out_of_range_or_mislabelled": len(bad),
            "examples": dg.MetadataValue.md(bad.head(5).to_string() if len(bad) else "none"),
            "duplicate_ids": ", ".join(dups[:20]) or "none",
        },
    )


@dg.asset(
    partitions_def=news_partitions,
    metadata=table_metadata("sentiment_daily"),
    backfill_policy=dg.BackfillPolicy.single_run(),
    ins={"article_sentiment": dg.AssetIn()},
    group_name="news",
)
def sentiment_daily(article_sentiment: pd.DataFrame) -> dg.Output:
    """Per coin and UTC day: mean headline score, article count and the mean's label."""
    daily = daily_sentiment(article_sentiment)
    table = "\n".join(
        ["| day | coin | articles | mean score | label |", "|---|---|---|---|---|"]
        + [
            f"| {r.day:%Y-%m-%d} | {r.symbol} | {r.article_count} | {r.mean_score:.3f} "
            f"| {r.label} |"
            for r in daily.itertuples()
        ]
    )
    return dg.Output(
        daily,
        metadata={
            "rows": len(daily),
            "coins": daily["symbol"].nunique(),
            "sentiment": dg.MetadataValue.md(table),
        },
    )
