import dagster as dg
import pytest
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._serdes import serialize_value

from coinwatch_assets.definitions import build_definitions
from coinwatch_assets.defs.news.resources import (
    DEFAULT_FEEDS,
    NewsFeedsResource,
    SentimentResource,
    feeds_setting,
)
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.defs.venues import VENUES


def test_feeds_default_to_the_five_sites_and_split_on_commas():
    assert NewsFeedsResource().feed_list() == list(DEFAULT_FEEDS)
    both = NewsFeedsResource(feeds=" https://a.test/rss , https://b.test/feed ,")
    assert both.feed_list() == ["https://a.test/rss", "https://b.test/feed"]


@pytest.mark.parametrize("bad", ["ftp://a.test/rss", "not a url", "https://a.test/rss,/feed"])
def test_a_bad_feed_url_names_the_setting(bad):
    with pytest.raises(ValueError, match="COINWATCH_FEEDS"):
        NewsFeedsResource(feeds=bad)


def test_an_unknown_scorer_names_the_setting_and_the_choices():
    with pytest.raises(ValueError, match="COINWATCH_SENTIMENT.*lexicon"):
        SentimentResource(scorer="gpt")
    assert SentimentResource().make().name == "lexicon"


CREDENTIALED = "https://reader:feed-pa55@news.example.com/rss?token=ft0k3n,https://b.test/feed"


def test_feeds_from_the_environment_are_shown_and_stored_as_a_reference(monkeypatch, tmp_path):
    monkeypatch.setenv("COINWATCH_FEEDS", CREDENTIALED)
    defs = build_definitions(VENUES, DatabaseResource(sqlite_path=str(tmp_path / "cw.sqlite")))
    # What the UI's resource view and the code location's snapshot hold: the variable's name.
    snapshot = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))
    assert "COINWATCH_FEEDS" in snapshot
    assert "feed-pa55" not in snapshot and "ft0k3n" not in snapshot

    @dg.asset
    def feeds_probe(news_feeds: NewsFeedsResource) -> list[str]:
        return news_feeds.feed_list()

    # A run resolves the reference: the feeds are fetched with their credentials.
    result = dg.materialize([feeds_probe], resources={"news_feeds": defs.resources["news_feeds"]})
    assert result.output_for_node("feeds_probe") == CREDENTIALED.split(",")


def test_a_bad_feed_url_in_the_environment_fails_at_load_naming_it():
    with pytest.raises(ValueError, match="COINWATCH_FEEDS: 'ftp://a.test/rss'"):
        feeds_setting({"COINWATCH_FEEDS": "https://ok.test/rss,ftp://a.test/rss"})
    assert feeds_setting({}) == ",".join(DEFAULT_FEEDS)
