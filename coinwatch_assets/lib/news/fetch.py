"""Fetching feeds over httpx: a total deadline, conditional GET (ETag / Last-Modified), a size cap.

httpx's timeouts bound each network read, not a whole answer: a server dripping one byte a
second never trips them. Every feed therefore gets a total deadline checked between reads,
and feeds are fetched side by side, so one slow feed holds up neither the others nor the
sensor tick. Outcomes name feeds by `redact_url`, never by a URL holding credentials.
"""

import math
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from coinwatch_assets.lib.news.clean import redact_in, redact_url

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
    """One fetch of one feed (`feed`: its redacted URL). status: ok | not_modified | error."""

    feed: str
    status: str
    fetched_at: datetime
    body: bytes = b""
    content_type: str | None = None
    validators: Validators = Validators()
    error: str | None = None


MAX_PARALLEL = 16
# How long past a feed's deadline fetch_all still waits for its thread: one last read.
GRACE_SECONDS = 1.0


class _DeadlinePassed(Exception):
    pass


class FeedFetcher:
    """Fetches feeds side by side; never raises for one feed's failure.

    `timeout_seconds` bounds each connect and read and, as a total deadline, each feed's whole
    answer (headers and body): a fetch_all call returns within about that time.
    """

    def __init__(self, timeout_seconds: float = 10.0, max_bytes: int = 5_000_000) -> None:
        self.timeout = httpx.Timeout(timeout_seconds)
        self.deadline_seconds = timeout_seconds
        self.max_bytes = max_bytes

    def fetch_all(
        self, feeds: list[str], validators: dict[str, Validators] | None = None
    ) -> list[FetchOutcome]:
        """One outcome per feed, in order. `validators` are keyed by the redacted feed URL."""
        if not feeds:
            return []
        validators = validators or {}
        workers = min(MAX_PARALLEL, len(feeds))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feed")
        futures = [
            pool.submit(self.fetch_one, url, validators.get(redact_url(url), Validators()))
            for url in feeds
        ]
        rounds = math.ceil(len(feeds) / workers)
        wait(futures, timeout=rounds * (self.deadline_seconds + GRACE_SECONDS))
        # A thread still blocked in a read ends by itself at its read timeout; nobody waits.
        pool.shutdown(wait=False, cancel_futures=True)
        now = datetime.now(UTC)
        return [
            f.result() if f.done() and not f.cancelled() else self._error(url, now, self._late())
            for url, f in zip(feeds, futures, strict=True)
        ]

    def fetch_one(self, url: str, previous: Validators) -> FetchOutcome:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
        }
        with httpx.Client(timeout=self.timeout, headers=headers, follow_redirects=True) as client:
            return self.fetch(client, url, previous)

    def fetch(self, client: httpx.Client, url: str, previous: Validators) -> FetchOutcome:
        now = datetime.now(UTC)
        feed = redact_url(url)
        deadline = time.monotonic() + self.deadline_seconds
        try:
            with client.stream("GET", url, headers=previous.headers()) as response:
                if response.status_code == 304:
                    return FetchOutcome(feed, "not_modified", now, validators=previous)
                if response.status_code != 200:
                    return self._error(url, now, f"HTTP {response.status_code}")
                declared = int(response.headers.get("content-length") or 0)
                if declared > self.max_bytes:
                    return self._error(url, now, self._too_big(declared))
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        return self._error(url, now, self._too_big(len(body)))
                    if time.monotonic() > deadline:
                        raise _DeadlinePassed
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
        except _DeadlinePassed:
            return self._error(url, now, self._late())
        except httpx.TimeoutException as exc:
            return self._error(
                url, now, f"timed out after {self.timeout.read}s ({type(exc).__name__})"
            )
        except httpx.HTTPError as exc:
            return self._error(url, now, f"{type(exc).__name__}: {exc}")

    def _late(self) -> str:
        return (
            f"timed out: no complete answer within the deadline of {self.deadline_seconds}s "
            "(the server sends too slowly)"
        )

    def _too_big(self, size: int) -> str:
        return f"body of at least {size} bytes exceeds the cap of {self.max_bytes} bytes"

    @staticmethod
    def _error(url: str, now: datetime, why: str) -> FetchOutcome:
        feed = redact_url(url)
        return FetchOutcome(feed, "error", now, error=f"{feed}: {redact_in(why, url)}")
