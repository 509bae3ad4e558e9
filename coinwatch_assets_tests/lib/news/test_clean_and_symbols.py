import pytest

from coinwatch_assets.lib.news.clean import (
    clean_link,
    clean_text,
    html_to_text,
    redact_in,
    redact_url,
)
from coinwatch_assets.lib.news.symbols import SymbolMatcher, coins_of

MATCHER = SymbolMatcher(["BTC", "ETH", "SOL", "XRP", "LINK", "DOT", "AVAX", "BCH", "UNI"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ETHICS committee reviews AI policy", []),
        ("Ethereum developers schedule the next hard fork", ["ETH"]),
        ("Ether slides 5% overnight", ["ETH"]),
        ("ETH-based tokens rally", ["ETH"]),
        ("A new solution for cross-border payments", []),
        ("SOL jumps after Solana's upgrade", ["SOL"]),
        ("Solana's validators vote", ["SOL"]),
        ("Click the link in our bio", []),
        ("Chainlink (LINK) adds oracles", ["LINK"]),
        ("Connect the dots on monetary policy", []),
        ("Polkadot parachain auction ends", ["DOT"]),
        ("An avalanche of sell orders hit stocks", []),
        ("Avalanche launches a subnet for games", ["AVAX"]),
        ("Bitcoin Cash hard fork is scheduled", ["BCH"]),
        ("Bitcoin and Bitcoin Cash both fall", ["BCH", "BTC"]),
        ("BTC/USDT breaks above resistance", ["BTC"]),
        ("$xrp holders cheer court ruling", ["XRP"]),
        ("Ripple wins partial victory against SEC", ["XRP"]),
        ("University (uni) tuition rises", []),
        ("Uniswap governance passes fee switch", ["UNI"]),
        ("BTCST token delisted", []),
        ("", []),
    ],
)
def test_symbol_matching_on_word_boundaries(text, expected):
    assert MATCHER.match(text) == expected


def test_only_tracked_coins_match():
    assert SymbolMatcher(["BTC"]).match("Ethereum and Bitcoin") == ["BTC"]
    assert coins_of(["BTC/USDT", "ETH/USDT", "eth/btc"]) == ["BTC", "ETH"]


def test_crypto_relevance():
    assert MATCHER.is_crypto("Stablecoin issuer expands reserves")
    assert MATCHER.is_crypto("Solana outage")
    assert not MATCHER.is_crypto("Local bakery wins award for sourdough")


def test_html_is_removed_by_a_parser():
    html = '<p>Bitcoin &amp; Ether <a href="x">rally</a><script>alert(1)</script></p><img src=y>'
    assert html_to_text(html) == "Bitcoin & Ether rally"
    assert html_to_text("5 < 6 and AT&T") == "5 < 6 and AT&T"
    assert html_to_text(None) == ""


def test_tracking_parameters_are_dropped_and_others_kept():
    url = "https://x.com/a/b?id=7&utm_source=rss&utm_medium=feed&fbclid=1&page=2#comments"
    assert clean_link(url) == "https://x.com/a/b?id=7&page=2"
    assert clean_link("https://x.com/a?utm_campaign=c") == "https://x.com/a"


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "   javascript:alert(1)",
        "\tjAvAsCrIpT:void(0)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        " DATA:text/html,<b>x</b>",
        "vbscript:msgbox(1)",
        "ftp://x.com/file",
        "//x.com/no-scheme",
        "java\x00script:alert(1)",
    ],
)
def test_only_http_links_are_kept(link):
    assert clean_link(link) == ""


def test_http_links_keep_their_form():
    assert clean_link("  HTTPS://x.com/a?id=1 ") == "https://x.com/a?id=1"
    assert clean_link("http://x.com/\x00a") == "http://x.com/a"


def test_control_characters_are_removed_from_text():
    # NUL makes PostgreSQL refuse the whole write; the others are invisible junk.
    assert html_to_text("Bitcoin\x00 rallies\x07\x1b") == "Bitcoin rallies"
    decoded = html_to_text("Ether &#0;falls &#x7f;&#x1b;&#1;today")  # entities of controls
    assert decoded.startswith("Ether") and decoded.endswith("today")
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in decoded)
    assert html_to_text("lone \ud800surrogate") == "lone surrogate"
    assert clean_text("tab\tand\nnewline stay") == "tab\tand\nnewline stay"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@feeds.test/rss", "https://***@feeds.test/rss"),
        ("https://tokenonly@feeds.test:8443/rss", "https://***@feeds.test:8443/rss"),
        ("https://feeds.test/rss?token=abc&lang=en", "https://feeds.test/rss?token=***&lang=en"),
        (
            "https://feeds.test/rss?api_key=k&X-Auth-Token=t&sig=s&page=2",
            "https://feeds.test/rss?api_key=***&X-Auth-Token=***&sig=***&page=2",
        ),
        (
            "https://feeds.test/rss?apikey=k&access_token=t",
            "https://feeds.test/rss?apikey=***&access_token=***",
        ),
        ("https://feeds.test/rss#access_token=t", "https://feeds.test/rss#***"),
        ("https://u:p@[::1]:8080/rss", "https://***@[::1]:8080/rss"),
        # nothing secret: unchanged, so stored ids and status rows stay what they were
        ("https://feeds.test/rss?keyword=btc&page=2", "https://feeds.test/rss?keyword=btc&page=2"),
        (
            "https://www.coindesk.com/arc/outboundfeeds/rss/",
            "https://www.coindesk.com/arc/outboundfeeds/rss/",
        ),
    ],
)
def test_feed_urls_are_shown_without_credentials(url, shown):
    assert redact_url(url) == shown


def test_an_error_message_is_redacted_by_value():
    url = "https://u:secret@feeds.test/rss?token=abc"
    message = f"ConnectError: cannot reach {url}"
    assert (
        redact_in(message, url) == "ConnectError: cannot reach https://***@feeds.test/rss?token=***"
    )
