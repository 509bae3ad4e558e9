import pytest

from coinwatch_assets.lib.news.clean import clean_link, html_to_text
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
