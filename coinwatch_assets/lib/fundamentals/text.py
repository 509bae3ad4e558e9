"""Plain text from CoinGecko's HTML descriptions (Beautiful Soup, not regular expressions)."""

import html

from bs4 import BeautifulSoup


def plain_text(fragment: str | None) -> str | None:
    """The text of an HTML fragment, entities decoded, whitespace collapsed; None if empty."""
    if not fragment:
        return None
    # html.parser ships with Python: no lxml needed; unescape twice-escaped "&amp;amp;"
    text = BeautifulSoup(fragment, "html.parser").get_text(" ")
    text = " ".join(html.unescape(text).split())
    return text or None
