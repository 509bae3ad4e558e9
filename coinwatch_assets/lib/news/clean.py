"""Cleaning feed text and links: HTML to plain text, tracking parameters off, stable ids.

Also the feed URL as it may be stored and shown (`redact_url`): credentials in the user part
or in secret-looking query parameters are replaced, so no table, log or cursor holds them.
"""

import hashlib
import re
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
# Control characters (C0 but tab/newline/CR, DEL, C1) and lone surrogates: PostgreSQL refuses
# NUL and surrogates in text, SQLite keeps them; neither is ever part of a headline or a link.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
LINK_SCHEMES = ("http", "https")
# Query parameter names that carry credentials: a name is secret when one of its words (split
# on anything but letters and digits) is one of these, so `api_key` is and `keyword` is not.
SECRET_WORDS = frozenset(
    {
        "token", "accesstoken", "authtoken", "apitoken", "key", "apikey", "secret",
        "password", "passwd", "pass", "pwd", "auth", "authorization", "sig", "signature",
        "session", "sessionid", "sid", "credential", "credentials", "jwt", "bearer",
    }
)  # fmt: skip
REDACTED = "***"


def clean_text(value: str | None) -> str:
    """The text without control characters and lone surrogates (the same on both backends)."""
    return _CONTROL.sub("", value or "")


def html_to_text(value: str | None) -> str:
    """Plain text of an HTML fragment (tags dropped, entities decoded, whitespace collapsed)."""
    if not value:
        return ""
    with warnings.catch_warnings():
        # A plain title that looks like a URL or file name is still just text.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        # The trailing space: html.parser drops a bare "&T" at the very end ("AT&T" -> "ATT").
        soup = BeautifulSoup(clean_text(value) + " ", "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    # Again after parsing: entities such as &#0; or &#x85; decode to control characters.
    return " ".join(clean_text(soup.get_text(" ")).split())


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def clean_link(url: str | None) -> str:
    """The link without tracking query parameters or fragment; other parameters keep order.

    Only http(s) links are kept: `javascript:`, `data:` and other schemes become "".
    """
    parts = urlsplit(clean_text(url).strip())
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return ""
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, urlencode(query), ""))


def _is_secret(name: str) -> bool:
    return any(word in SECRET_WORDS for word in re.split(r"[^a-z0-9]+", name.lower()))


def redact_url(url: str) -> str:
    """The URL as it may be stored, logged and shown: user and password in the netloc and the
    values of secret-looking query parameters (`token`, `api_key`, `sig`, ...) become ***.

    A URL without credentials comes back unchanged (same article ids, same status rows).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # an unparseable netloc or port: show nothing of it
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        host = f"[{host}]" if ":" in host else host
        netloc = f"{REDACTED}@{host}" + (f":{port}" if port is not None else "")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = parts.query
    if any(_is_secret(k) for k, _ in pairs):
        query = urlencode([(k, REDACTED if _is_secret(k) else v) for k, v in pairs], safe="*")
    # A fragment is never sent to the server but may still hold a token (OAuth implicit flow).
    fragment = REDACTED if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def redact_in(text: str, url: str) -> str:
    """`text` (an error message) with every occurrence of `url` replaced by its redacted form."""
    shown = redact_url(url)
    return text if shown == url else text.replace(url, shown)


def stable_id(feed_url: str, guid: str | None, link: str | None, title: str | None) -> str:
    """Hash of the feed and the entry's guid, else its cleaned link, else its title."""
    key = (guid or "").strip() or clean_link(link) or " ".join((title or "").split())
    if not key:
        raise ValueError(f"feed {feed_url}: an entry has no guid, link or title to identify it")
    return hashlib.sha256(f"{feed_url}\n{key}".encode()).hexdigest()[:32]
