"""Fetching feeds over httpx: timeouts, conditional GET (ETag / Last-Modified), a size cap."""

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

USER_AGENT = "coinwatch/0.1 (+https://github.com/coinwatch; RSS poller)"


@dataclass(frozen=True)
class Validators:
    """What the last successful fetch of a feed returned, sent back as a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class FetchOutcome:
    """One fetch of one feed. status: ok | not_modified | error."""

    feed: str
    status: str
    fetched_at: datetime
    body: bytes = b""
    content_type: str | None = None
    validators: Validators = Validators()
    error: str | None = None


class FeedFetcher:
    """Fetches feeds with one httpx client; never raises for one feed's failure."""

    def __init__(self, timeout_seconds: float = 10.0, max_bytes: int = 5_000_000) -> None:
        self.timeout = httpx.Timeout(timeout_seconds)
        self.max_bytes = max_bytes

    def fetch_all(
        self, feeds: list[str], validators: dict[str, Validators] | None = None
    ) -> list[FetchOutcome]:
        validators = validators or {}
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
        }
        with httpx.Client(timeout=self.timeout, headers=headers, follow_redirects=True) as client:
            return [self.fetch(client, f, validators.get(f, Validators())) for f in feeds]

    def fetch(self, client: httpx.Client, feed: str, previous: Validators) -> FetchOutcome:
        now = datetime.now(UTC)
        try:
            with client.stream("GET", feed, headers=previous.headers()) as response:
                if response.status_code == 304:
                    return FetchOutcome(feed, "not_modified", now, validators=previous)
                if response.status_code != 200:
                    return self._error(feed, now, f"HTTP {response.status_code}")
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.max_bytes:
                    return self._error(feed, now, self._too_big(declared))
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        return self._error(feed, now, self._too_big(len(body)))
                found = Validators(
                    response.headers.get("etag"), response.headers.get("last-modified")
                )
                return FetchOutcome(
                    feed,
                    "ok",
                    now,
                    body=bytes(body),
                    content_type=response.headers.get("content-type"),
                    validators=found,
                )
        except httpx.TimeoutException as exc:
            return self._error(
                feed, now, f"timed out after {self.timeout.read}s ({type(exc).__name__})"
            )
        except httpx.HTTPError as exc:
            return self._error(feed, now, f"{type(exc).__name__}: {exc}")

    def _too_big(self, size: int) -> str:
        return f"body of at least {size} bytes exceeds the cap of {self.max_bytes} bytes"

    @staticmethod
    def _error(feed: str, now: datetime, why: str) -> FetchOutcome:
        return FetchOutcome(feed, "error", now, error=f"{feed}: {why}")
