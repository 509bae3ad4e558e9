import time

import pytest

from coinwatch_assets.lib.news.fetch import GRACE_SECONDS, FeedFetcher, Validators
from coinwatch_assets.lib.news.parse import FeedError, parse_feed
from coinwatch_assets.lib.news.poll import read_outcomes
from coinwatch_assets_tests.emulators.rss import RssEmulator
from coinwatch_assets_tests.lib.news.helpers import BOZO_FEED, EXPECTED_ARTICLES, rss_root


@pytest.fixture
def emu():
    with RssEmulator(rss_root(), huge_bytes=300_000) as server:
        yield server


def test_real_client_fetches_and_parses_every_recorded_feed(emu):
    feeds = [emu.url(p) for p in sorted(EXPECTED_ARTICLES)]
    outcomes = FeedFetcher().fetch_all(feeds)
    assert [o.status for o in outcomes] == ["ok"] * len(feeds)
    for path, outcome in zip(sorted(EXPECTED_ARTICLES), outcomes, strict=True):
        assert outcome.validators.etag and outcome.validators.last_modified
        parsed = parse_feed(outcome.body, outcome.feed, content_type=outcome.content_type)
        assert len(parsed.articles) == EXPECTED_ARTICLES[path]
        assert (parsed.bozo is not None) == (path == BOZO_FEED)


def test_conditional_get_answers_304_with_the_previous_validators(emu):
    url = emu.url("swelbyboy_prospect_reserialized/decrypt.xml")
    fetcher = FeedFetcher()
    first = fetcher.fetch_all([url])[0]
    second = fetcher.fetch_all([url], {url: first.validators})[0]
    assert second.status == "not_modified" and second.body == b""
    assert second.validators == first.validators
    assert emu.conditional["/feeds/swelbyboy_prospect_reserialized/decrypt.xml"] == 1
    # Only Last-Modified known: still conditional.
    third = fetcher.fetch_all([url], {url: Validators(None, first.validators.last_modified)})[0]
    assert third.status == "not_modified"


def test_a_hanging_feed_times_out_without_stopping_the_others(emu):
    emu.slow_seconds = 3.0
    good = emu.url("swelbyboy_prospect_reserialized/decrypt.xml")
    started = time.monotonic()
    outcomes = FeedFetcher(timeout_seconds=0.5).fetch_all([emu.base_url + "/slow", good])
    assert time.monotonic() - started < 2.5  # the slow server would need 3 s
    assert outcomes[0].status == "error" and "timed out" in outcomes[0].error
    assert emu.base_url + "/slow" in outcomes[0].error
    assert outcomes[1].status == "ok" and outcomes[1].body


def test_server_errors_and_unreachable_hosts_are_outcomes_not_exceptions(emu):
    outcomes = FeedFetcher(timeout_seconds=1).fetch_all(
        [emu.base_url + "/status/500", "http://127.0.0.1:9/feed"]
    )
    assert outcomes[0].status == "error" and "HTTP 500" in outcomes[0].error
    assert outcomes[1].status == "error" and "ConnectError" in outcomes[1].error


@pytest.mark.parametrize("path", ["/huge", "/huge-stream"])
def test_a_body_beyond_the_cap_is_refused(emu, path):
    outcome = FeedFetcher(max_bytes=100_000).fetch_all([emu.base_url + path])[0]
    assert outcome.status == "error" and "exceeds the cap of 100000 bytes" in outcome.error
    assert outcome.body == b""


def test_an_html_page_is_fetched_but_is_not_a_feed(emu):
    outcome = FeedFetcher().fetch_all([emu.base_url + "/html"])[0]
    assert outcome.status == "ok"
    with pytest.raises(FeedError, match="/html: no entries"):
        parse_feed(outcome.body, outcome.feed, content_type=outcome.content_type)


def test_a_dripping_feed_is_cut_at_its_deadline_and_the_others_are_not_held_up(emu):
    # 0.2 s a byte: every read returns well inside the 1 s read timeout, so only a total
    # deadline stops it (the whole body would take ~13 s).
    emu.drip_seconds = 0.2
    good = emu.url("swelbyboy_prospect_reserialized/decrypt.xml")
    started = time.monotonic()
    outcomes = FeedFetcher(timeout_seconds=1.0).fetch_all([emu.base_url + "/drip", good, good])
    elapsed = time.monotonic() - started
    assert elapsed < 1.0 + GRACE_SECONDS + 1.0, elapsed
    assert outcomes[0].status == "error" and "no complete answer within" in outcomes[0].error
    assert [o.status for o in outcomes[1:]] == ["ok", "ok"] and outcomes[1].body


def test_a_feed_url_with_credentials_is_fetched_but_named_redacted(emu):
    emu.set_feed("f.xml", (rss_root() / "swelbyboy_prospect_reserialized/decrypt.xml").read_bytes())
    host = emu.base_url.removeprefix("http://")
    secret_feed = f"http://reader:hunter2@{host}/custom/f.xml?token=s3cr3t&lang=en"
    failing = f"http://reader:hunter2@{host}/status/500?api_key=s3cr3t"
    outcomes = FeedFetcher().fetch_all([secret_feed, failing])
    assert outcomes[0].status == "ok" and outcomes[0].body
    assert outcomes[0].feed == f"http://***@{host}/custom/f.xml?token=***&lang=en"
    assert outcomes[1].status == "error" and "HTTP 500" in outcomes[1].error
    for outcome in outcomes:
        assert "hunter2" not in repr(outcome) and "s3cr3t" not in repr(outcome)
    # The validators of the next poll are found under the redacted name.
    again = FeedFetcher().fetch_all([secret_feed], {outcomes[0].feed: outcomes[0].validators})
    assert again[0].status == "not_modified"


def test_an_empty_but_valid_feed_is_an_answer_not_an_error(emu):
    outcome = FeedFetcher().fetch_all([emu.base_url + "/empty"])[0]
    read = read_outcomes([outcome])
    assert read.errors == {} and read.articles == []
    assert [(r["status"], r["last_error"]) for r in read.status] == [("empty", None)]
    assert read.status[0]["last_success_at"] == outcome.fetched_at
