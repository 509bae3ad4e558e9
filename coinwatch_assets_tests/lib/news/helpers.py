"""Recorded feeds and their expected article counts (items in each file, all dated)."""

from pathlib import Path

from coinwatch_assets_tests.shared_data import shared_path

EXPECTED_ARTICLES = {
    "b2crypto_coindesk_2023/coindesk_arc_rss_2023-03-13.xml": 50,
    "b2crypto_coindesk_2023/coindesk_arc_rss_2023-03-13_as_embedded.xml": 50,
    "mlalma_CFTA/rssfeedparser_1.rss": 20,
    "mlalma_CFTA/rssfeedparser_3.rss": 25,
    "mlalma_CFTA/rssfeedparser_4.rss": 30,
    "mlalma_CFTA/rssfeedparser_5.rss": 19,
    "mlalma_CFTA/rssfeedparser_6.rss": 10,
    "mlalma_CFTA/rssfeedparser_7.rss": 10,
    "swelbyboy_prospect_reserialized/bitcoin-magazine.xml": 10,
    "swelbyboy_prospect_reserialized/cointelegraph.xml": 10,
    "swelbyboy_prospect_reserialized/decrypt.xml": 10,
}
BOZO_FEED = "b2crypto_coindesk_2023/coindesk_arc_rss_2023-03-13_as_embedded.xml"


def rss_root() -> Path:
    return shared_path("rss")
