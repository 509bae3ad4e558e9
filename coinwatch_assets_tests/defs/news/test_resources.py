import pytest

from coinwatch_assets.defs.news.resources import DEFAULT_FEEDS, NewsFeedsResource, SentimentResource


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
