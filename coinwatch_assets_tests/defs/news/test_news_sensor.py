from datetime import date

import dagster as dg
import pytest

from coinwatch_assets.defs.news.sensor import news_sensor
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.news.parse import parse_feed
from coinwatch_assets_tests.defs.news.conftest import RECORDED, news_resources, rss_body
from coinwatch_assets_tests.lib.news.helpers import rss_root


def _tick(instance, resources, cursor=None):
    sensor_resources = {k: resources[k] for k in ("news_feeds", "database")}
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=sensor_resources)
    result = news_sensor(context)
    return result, context


def _recorded_days() -> set[str]:
    days = set()
    for path in RECORDED:
        parsed = parse_feed((rss_root() / path).read_bytes(), "http://x/")
        days |= {a.published_at.date().isoformat() for a in parsed.articles}
    return days


def test_first_poll_requests_each_publication_day_and_a_304_poll_requests_nothing(
    rss, instance, database_url
):
    resources = news_resources(database_url, [rss.url(p) for p in RECORDED])
    first, _ = _tick(instance, resources)
    keys = [r.partition_key for r in first.run_requests]
    assert sorted(keys) == sorted(_recorded_days())
    assert len(keys) == len(set(keys))
    second, _ = _tick(instance, resources, first.cursor)
    assert second.run_requests == []
    assert sum(rss.conditional.values()) == len(RECORDED)
    status = DatabaseResource(url=database_url).read("news_feed_status")
    assert sorted(status["status"]) == ["not_modified"] * 3


def test_only_days_with_new_items_are_requested(rss, instance, database_url):
    old = ("a", "Bitcoin steady", "Mon, 02 Nov 2026 10:00:00 GMT")
    rss.set_feed("f.xml", rss_body(old))
    resources = news_resources(database_url, [rss.custom_url("f.xml")])
    first, _ = _tick(instance, resources)
    assert [r.partition_key for r in first.run_requests] == ["2026-11-02"]
    new = ("b", "Ether rallies", "Tue, 03 Nov 2026 09:00:00 GMT")
    rss.set_feed("f.xml", rss_body(new, old))  # the body changed: a 200 with one new item
    second, _ = _tick(instance, resources, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["2026-11-03"]
    assert second.run_requests[0].tags["coinwatch/new_articles"] == "1"


def test_failing_and_hanging_feeds_never_stop_the_others(rss, instance, database_url):
    bad = [rss.base_url + p for p in ("/slow", "/status/500", "/html", "/huge")]
    good = rss.url(RECORDED[0])
    resources = news_resources(database_url, [*bad, good], max_bytes=100_000)
    result, _ = _tick(instance, resources)
    parsed = parse_feed((rss_root() / RECORDED[0]).read_bytes(), good)
    expected = {a.published_at.date().isoformat() for a in parsed.articles}
    assert {r.partition_key for r in result.run_requests} == expected
    status = DatabaseResource(url=database_url).read("news_feed_status").set_index("feed")
    assert status.loc[good, "status"] == "ok"
    errors = status.loc[bad, "last_error"].tolist()
    assert "timed out" in errors[0] and "HTTP 500" in errors[1]
    assert "no entries" in errors[2] and "exceeds the cap" in errors[3]
    assert (status.loc[bad, "status"] == "error").all()


@pytest.mark.parametrize("future", [False, True])
def test_items_outside_the_partitions_are_not_requested(rss, instance, database_url, future):
    day = "Fri, 01 Jan 2016 10:00:00 GMT" if not future else None
    if future:
        tomorrow = date.today().toordinal() + 1
        day = date.fromordinal(tomorrow).strftime("%a, %d %b %Y 12:00:00 GMT")
    rss.set_feed("f.xml", rss_body(("x", "Bitcoin news", day)))
    result, _ = _tick(instance, news_resources(database_url, [rss.custom_url("f.xml")]))
    assert result.run_requests == []
