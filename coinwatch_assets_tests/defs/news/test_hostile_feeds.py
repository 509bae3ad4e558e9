"""Feeds that re-date items, send control characters, script links or credentials in their URL,
drip their bytes or list nothing: no day blocked, nothing unsafe stored, ticks stay bounded."""

import time

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.news.assets import article_sentiment, news_articles, sentiment_daily
from coinwatch_assets.defs.news.sensor import news_sensor
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.news.fetch import GRACE_SECONDS
from coinwatch_assets_tests.defs.news.conftest import news_resources, rss_body

NEWS = [news_articles, article_sentiment, sentiment_daily]
D1, D2 = "2026-11-02", "2026-11-03"
X_ON_D1 = ("x", "Bitcoin holds 70k", "Mon, 02 Nov 2026 10:00:00 GMT")
X_ON_D2 = ("x", "Bitcoin holds 70k (updated)", "Tue, 03 Nov 2026 08:00:00 GMT")
Y_ON_D2 = ("y", "Ether upgrade ships", "Tue, 03 Nov 2026 09:00:00 GMT")
Z_ON_D2 = ("z", "Solana validators vote", "Tue, 03 Nov 2026 11:00:00 GMT")


def _run(instance, resources, day):
    return dg.materialize(
        NEWS, partition_key=day, instance=instance, resources=resources, raise_on_error=False
    )


def _articles(database_url: str) -> pd.DataFrame:
    return DatabaseResource(url=database_url).read("news_articles")


def test_a_redated_article_keeps_its_first_day_and_blocks_no_day(rss, instance, database_url):
    rss.set_feed("a.xml", rss_body(X_ON_D1))
    rss.set_feed("b.xml", rss_body(Z_ON_D2))
    resources = news_resources(database_url, [rss.custom_url("a.xml"), rss.custom_url("b.xml")])
    assert _run(instance, resources, D1).success
    # Feed a now dates x a day later (same guid) and adds y; feed b's z is on that day too.
    rss.set_feed("a.xml", rss_body(X_ON_D2, Y_ON_D2))
    for _ in range(2):  # and again: a later run of the day never fails either
        result = _run(instance, resources, D2)
        assert result.success, [e.message for e in result.all_events if e.is_failure]
    stored = _articles(database_url).set_index("title")
    assert sorted(stored.index) == sorted([X_ON_D1[1], Y_ON_D2[1], Z_ON_D2[1]])
    assert stored.loc[X_ON_D1[1], "published_at"] == pd.Timestamp("2026-11-02 10:00", tz="UTC")
    meta = result.asset_materializations_for_node("news_articles")[0].metadata
    assert meta["redated_kept_on_first_day"].value != "none"
    # The first day's own run still works and keeps x where it was first stored.
    assert _run(instance, resources, D1).success
    scored = DatabaseResource(url=database_url).read("article_sentiment")
    assert scored["article_id"].is_unique and len(scored) == 3


def _hostile_body() -> bytes:
    items = (
        "<item><guid>n</guid><title>Bitcoin\x00 rallies\x07 past\x1b 70k</title>"
        "<link>  JavaScript:alert(document.cookie)</link>"
        "<description>ok\x00</description><pubDate>Tue, 03 Nov 2026 08:00:00 GMT</pubDate></item>"
        "<item><guid>d</guid><title>Ether slips</title>"
        "<link>data:text/html;base64,PHNjcmlwdD4=</link>"
        "<pubDate>Tue, 03 Nov 2026 09:00:00 GMT</pubDate></item>"
    )
    return (
        f"<rss version='2.0'><channel><title>Hostile\x00</title>{items}</channel></rss>"
    ).encode()


def test_control_characters_script_links_and_feed_credentials_are_never_stored(
    rss, instance, database_url
):
    rss.set_feed("h.xml", _hostile_body())
    rss.set_feed("ok.xml", rss_body(Z_ON_D2))
    host = rss.base_url.removeprefix("http://")
    secret = f"http://reader:hunter2@{host}/custom/h.xml?token=s3cr3t&lang=en"
    shown = f"http://***@{host}/custom/h.xml?token=***&lang=en"
    feeds = [secret, rss.custom_url("ok.xml"), rss.base_url + "/empty"]
    result = _run(instance, news_resources(database_url, feeds), D2)
    assert result.success
    stored = _articles(database_url).set_index("article_id")
    by_title = stored.reset_index().set_index("title")
    # One bad title no longer rolls back the day (TimescaleDB refuses NUL): all three stored.
    assert sorted(by_title.index) == sorted(["Bitcoin rallies past 70k", "Ether slips", Z_ON_D2[1]])
    assert by_title.loc["Bitcoin rallies past 70k", "summary"] == "ok"
    assert by_title.loc["Bitcoin rallies past 70k", "source"] == "Hostile"
    links = by_title["link"].fillna("")  # '' reads back as NaN on TimescaleDB
    assert links["Bitcoin rallies past 70k"] == "" and links["Ether slips"] == ""
    assert links[Z_ON_D2[1]].startswith("https://news.test/")
    assert set(stored["feed"]) == {shown, rss.custom_url("ok.xml")}
    status = DatabaseResource(url=database_url).read("news_feed_status").set_index("feed")
    assert sorted(status.index) == sorted([shown, rss.custom_url("ok.xml"), feeds[2]])
    # An empty but valid feed answered: not a failure.
    assert status.loc[feeds[2], "status"] == "empty" and pd.isna(status.loc[feeds[2], "last_error"])
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["news_feeds_ok"] is True
    # Nowhere in the run's event log either (metadata, logs).
    for record in instance.all_logs(result.run_id):
        text = f"{record.user_message} {record.dagster_event!r}"
        assert "hunter2" not in text and "s3cr3t" not in text


def test_a_dripping_feed_keeps_the_sensor_tick_bounded(rss, instance, database_url):
    rss.drip_seconds = 0.2  # every read is quick; the whole body would take ~13 s
    rss.set_feed("ok.xml", rss_body(Z_ON_D2))
    resources = news_resources(database_url, [rss.base_url + "/drip", rss.custom_url("ok.xml")])
    context = dg.build_sensor_context(
        instance=instance, resources={k: resources[k] for k in ("news_feeds", "database")}
    )
    started = time.monotonic()
    tick = news_sensor(context)
    elapsed = time.monotonic() - started
    timeout = resources["news_feeds"].timeout_seconds
    assert elapsed < timeout + GRACE_SECONDS + 2.0, elapsed
    # The healthy feed's day is requested; the dripping one is recorded as failed.
    assert [r.partition_key for r in tick.run_requests] == [D2]
    status = DatabaseResource(url=database_url).read("news_feed_status").set_index("feed")
    assert status.loc[rss.base_url + "/drip", "status"] == "error"
    assert "no complete answer within" in status.loc[rss.base_url + "/drip", "last_error"]
