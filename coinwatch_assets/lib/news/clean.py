"""Cleaning feed text and links: HTML to plain text, tracking parameters off, stable ids."""

import hashlib
import warnings
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

# Query parameters that only identify a campaign or a click, never the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "mkt_tok", "_hsenc", "_hsmi", "ref", "ref_src", "referrer", "source", "cmpid",
        "icid", "ito", "spm", "guccounter", "soc_src", "soc_trk", "sr_share", "rss",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "oly_")


def html_to_text(value: str | None) -> str:
    """Plain text of an HTML fragment (tags dropped, entities decoded, whitespace collapsed)."""
    if not value:
        return ""
    with warnings.catch_warnings():
        # A plain title that looks like a URL or file name is still just text.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        # The trailing space: html.parser drops a bare "&T" at the very end ("AT&T" -> "ATT").
        soup = BeautifulSoup(value + " ", "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return " ".join(soup.get_text(" ").split())


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def clean_link(url: str | None) -> str:
    """The link without tracking query parameters or fragment; other parameters keep order."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def stable_id(feed_url: str, guid: str | None, link: str | None, title: str | None) -> str:
    """Hash of the feed and the entry's guid, else its cleaned link, else its title."""
    key = (guid or "").strip() or clean_link(link) or " ".join((title or "").split())
    if not key:
        raise ValueError(f"feed {feed_url}: an entry has no guid, link or title to identify it")
    return hashlib.sha256(f"{feed_url}\n{key}".encode()).hexdigest()[:32]
