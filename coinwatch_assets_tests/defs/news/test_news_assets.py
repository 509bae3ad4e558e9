import dagster as dg
import pandas as pd

from coinwatch_assets.defs.news.assets import article_sentiment, news_articles, sentiment_daily
from coinwatch_assets.defs.news.checks import news_feed_freshness
from coinwatch_assets.defs.news.resources import NewsFeedsResource, SentimentResource
from coinwatch_assets.defs.news.sensor import news_sensor
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets_tests.defs.news.conftest import RECORDED, news_resources, rss_body
from coinwatch_assets_tests.emulators.ollama import FakeOllama

NEWS = [news_articles, article_sentiment, sentiment_daily]
DAY = "2026-11-02"
A = ("a", "Bitcoin exchange hacked, $40 million stolen", "Mon, 02 Nov 2026 08:00:00 GMT")
B = (
    "b",
    "Ethereum startup raises $20 million in Series A funding",
    "Mon, 02 Nov 2026 09:00:00 GMT",
)
C = ("c", "ETHICS panel meets about a solution", "Mon, 02 Nov 2026 10:00:00 +0200")
D = ("d", "Solana launches a new mainnet upgrade", "Mon, 02 Nov 2026 23:30:00 GMT")
E = ("bare-e", "Bitcoin miners sell reserves", "Mon, 02 Nov 2026 11:00:00 GMT")


def _run(instance, resources, day=DAY):
    result = dg.materialize(NEWS, partition_key=day, instance=instance, resources=resources)
    assert result.success
    return result


def _articles(database_url):
    return DatabaseResource(url=database_url).read("news_articles")


def test_items_seen_in_two_polls_are_stored_once_and_dropped_items_are_kept(
    rss, instance, database_url
):
    rss.set_feed("f.xml", rss_body(A, B, C, E))
    resources = news_resources(database_url, [rss.custom_url("f.xml")])
    _run(instance, resources)
    first = _articles(database_url)
    assert sorted(first["title"]) == sorted(t for _, t, _ in (A, B, C, E))
    # The feed moves on: A and E (no summary) drop out, D appears; B and C are seen again.
    rss.set_feed("f.xml", rss_body(D, C, B))
    _run(instance, resources)
    second = _articles(database_url)
    assert sorted(second["title"]) == sorted(t for _, t, _ in (A, B, C, D, E))
    assert second["article_id"].is_unique
    # An article keeps the time it was first fetched.
    kept = first.set_index("article_id")["fetched_at"]
    again = second.set_index("article_id")["fetched_at"]
    assert (again[kept.index] == kept).all()
    assert all("utm_" not in link for link in second["link"])
    summaries = second.set_index("title")["summary"].fillna("")  # '' reads back as NaN on PG
    assert summaries[E[1]] == ""
    assert all(s.startswith("About") for t, s in summaries.items() if t != E[1])


def test_sentiment_and_daily_rows_follow_the_articles(rss, instance, database_url):
    rss.set_feed("f.xml", rss_body(A, B, C, D))
    resources = news_resources(database_url, [rss.custom_url("f.xml")])
    result = _run(instance, resources)
    database = DatabaseResource(url=database_url)
    scored = database.read("article_sentiment").merge(
        database.read("news_articles")[["article_id", "title"]]
    )
    # An empty text comes back from TimescaleDB's CSV read as NaN (storage layer).
    by_title = scored.assign(symbols=scored["symbols"].fillna("")).set_index("title")
    assert by_title.loc[A[1], "label"] in ("bearish", "very_bearish")
    assert by_title.loc[B[1], "label"] in ("bullish", "very_bullish")
    assert by_title.loc[A[1], "symbols"] == "BTC"
    assert by_title.loc[B[1], "symbols"] == "ETH"
    assert by_title.loc[C[1], "symbols"] == ""  # not ETH, not SOL
    assert by_title.loc[D[1], "symbols"] == "SOL"
    assert (scored["scorer"] == "lexicon").all() and scored["crypto_relevant"].any()
    daily = database.read("sentiment_daily").set_index("symbol")
    assert sorted(daily.index) == ["BTC", "ETH", "SOL"]
    assert daily.loc["BTC", "article_count"] == 1
    assert daily.loc["BTC", "mean_score"] == by_title.loc[A[1], "score"]
    assert (daily["day"] == pd.Timestamp(DAY, tz="UTC")).all()
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "news_articles_unique_ids": True,
        "news_feeds_ok": True,
        "article_sentiment_valid": True,
    }


def test_a_day_keeps_only_its_own_articles(rss, instance, database_url):
    other = ("e", "Bitcoin ETF approved", "Tue, 03 Nov 2026 00:30:00 GMT")
    early = ("f", "Bitcoin dips", "Mon, 02 Nov 2026 01:00:00 +0300")  # 1 Nov 22:00 UTC
    rss.set_feed("f.xml", rss_body(A, other, early))
    _run(instance, news_resources(database_url, [rss.custom_url("f.xml")]))
    assert _articles(database_url)["title"].tolist() == [A[1]]


def test_one_story_in_two_feeds_is_stored_once(rss, instance, database_url):
    rss.set_feed("one.xml", rss_body(A))
    rss.set_feed("two.xml", rss_body(A, B))  # same link https://news.test/a in both
    feeds = [rss.custom_url("one.xml"), rss.custom_url("two.xml")]
    _run(instance, news_resources(database_url, feeds))
    stored = _articles(database_url)
    assert sorted(stored["title"]) == sorted([A[1], B[1]])


def test_a_failing_feed_is_visible_and_does_not_fail_the_run(rss, instance, database_url):
    rss.set_feed("f.xml", rss_body(A))
    feeds = [rss.base_url + "/status/500", rss.custom_url("f.xml")]
    result = _run(instance, news_resources(database_url, feeds))
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["news_feeds_ok"].passed
    assert checks["news_feeds_ok"].severity == dg.AssetCheckSeverity.WARN
    assert "HTTP 500" in str(checks["news_feeds_ok"].metadata["errors"].value)
    assert _articles(database_url)["title"].tolist() == [A[1]]


def test_recorded_feeds_end_to_end(rss, instance, database_url):
    resources = news_resources(database_url, [rss.url(p) for p in RECORDED])
    tick = news_sensor(
        dg.build_sensor_context(
            instance=instance,
            resources={k: resources[k] for k in ("news_feeds", "database")},
        )
    )
    keys = sorted(r.partition_key for r in tick.run_requests)
    result = dg.materialize(
        NEWS,
        instance=instance,
        resources=resources,
        tags={
            "dagster/asset_partition_range_start": keys[0],
            "dagster/asset_partition_range_end": keys[-1],
        },
    )
    assert result.success
    stored = _articles(database_url)
    assert len(stored) == 30 and stored["article_id"].is_unique
    scored = DatabaseResource(url=database_url).read("article_sentiment")
    assert len(scored) == 30 and scored["score"].between(-1, 1).all()


def test_feed_freshness_warns_about_feeds_not_fetched_within_the_hour(rss, instance, database_url):
    rss.set_feed("f.xml", rss_body(A))
    good, bad = rss.custom_url("f.xml"), rss.base_url + "/status/500"
    resources = news_resources(database_url, [good, bad])
    news_sensor(
        dg.build_sensor_context(
            instance=instance,
            resources={k: resources[k] for k in ("news_feeds", "database")},
        )
    )
    check_resources = {
        "news_feeds": resources["news_feeds"],
        "database": resources["database"],
    }
    result = dg.materialize(
        [news_articles, news_feed_freshness],
        selection=dg.AssetSelection.checks(news_feed_freshness),
        instance=instance,
        resources=check_resources | {"io_manager": resources["io_manager"]},
    )
    evaluation = result.get_asset_check_evaluations()[0]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    stale = evaluation.metadata["stale_feeds"].value
    assert list(stale) == [bad] and "HTTP 500" in stale[bad]
    # Only the good feed configured: fresh.
    only_good = check_resources | {
        "news_feeds": NewsFeedsResource(feeds=good),
        "io_manager": resources["io_manager"],
    }
    result = dg.materialize(
        [news_articles, news_feed_freshness],
        selection=dg.AssetSelection.checks(news_feed_freshness),
        instance=instance,
        resources=only_good,
    )
    assert result.get_asset_check_evaluations()[0].passed


def test_sample_source_fills_every_table_offline(instance, database_url):
    resources = news_resources(database_url, ["https://unused.test/feed"], source="sample")
    _run(instance, resources, day="2026-11-20")
    database = DatabaseResource(url=database_url)
    assert len(database.read("news_articles")) == 4
    assert len(database.read("article_sentiment")) == 4
    assert len(database.read("sentiment_daily")) >= 1


def test_an_ollama_answering_garbage_fails_the_run_and_writes_no_sentiment(
    rss, instance, database_url
):
    rss.set_feed("f.xml", rss_body(A, B))
    resources = news_resources(database_url, [rss.custom_url("f.xml")])
    with FakeOllama("garbage") as fake:
        resources["sentiment"] = SentimentResource(scorer="ollama", ollama_url=fake.base_url)
        result = dg.materialize(
            NEWS, partition_key=DAY, instance=instance, resources=resources, raise_on_error=False
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "not JSON with a 'score'" in str(failure.event_specific_data.error)
    database = DatabaseResource(url=database_url)
    assert len(database.read("news_articles")) == 2  # the articles are facts, stored first
    assert database.read("article_sentiment").empty
    assert database.read("sentiment_daily").empty
    with FakeOllama() as fake:
        resources["sentiment"] = SentimentResource(scorer="ollama", ollama_url=fake.base_url)
        _run(instance, resources)
    scored = database.read("article_sentiment")
    assert sorted(scored["score"]) == [-0.8, 0.75] and (scored["scorer"] == "ollama").all()
