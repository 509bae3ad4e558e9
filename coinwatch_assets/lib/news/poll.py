"""One poll of the feeds: which publication days got new items, and each feed's status.

The cursor (JSON, kept by the sensor) holds per-feed validators for conditional GET and the
ids seen recently, so a 304 or an unchanged feed requests nothing and one feed's failure
never stops the others.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from coinwatch_assets.lib.news.fetch import FetchOutcome, Validators
from coinwatch_assets.lib.news.parse import Article, FeedError, parse_feed

SEEN_PER_FEED = 500  # more than any feed shows at once


@dataclass
class FeedCursor:
    validators: dict[str, Validators] = field(default_factory=dict)
    seen: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def loads(cls, raw: str | None) -> "FeedCursor":
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(
            validators={f: Validators(**v) for f, v in data.get("validators", {}).items()},
            seen={f: list(ids) for f, ids in data.get("seen", {}).items()},
        )

    def dumps(self) -> str:
        return json.dumps(
            {
                "validators": {f: v.__dict__ for f, v in self.validators.items()},
                "seen": self.seen,
            },
            sort_keys=True,
        )


@dataclass
class FeedRead:
    """Articles read from fetch outcomes, with every feed's status and rejections."""

    articles: list[Article] = field(default_factory=list)
    status: list[dict[str, object]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)
    bozo: dict[str, str] = field(default_factory=dict)


def read_outcomes(outcomes: list[FetchOutcome]) -> FeedRead:
    """Parses every ok outcome; a feed that failed or is no feed becomes an error entry, a
    valid feed without items an `empty` one (an answer, not a failure)."""
    read = FeedRead()
    for outcome in outcomes:
        error = outcome.error
        articles: list[Article] = []
        status = outcome.status
        if outcome.status == "ok":
            try:
                parsed = parse_feed(
                    outcome.body, outcome.feed, outcome.fetched_at, outcome.content_type
                )
            except FeedError as exc:
                error = str(exc)
            else:
                articles = parsed.articles
                status = "empty" if parsed.empty else "ok"
                read.rejected.update(
                    {f"{outcome.feed}: {k}": n for k, n in parsed.rejected.items()}
                )
                if parsed.bozo:
                    read.bozo[outcome.feed] = parsed.bozo
        if error:
            read.errors[outcome.feed] = error
        read.articles.extend(articles)
        read.status.append(
            {
                "feed": outcome.feed,
                "status": "error" if error else status,
                "last_attempt_at": outcome.fetched_at,
                "last_success_at": None if error else outcome.fetched_at,
                "last_error": error,
                "new_articles": 0,
            }
        )
    return read


@dataclass
class PollResult:
    cursor: FeedCursor
    new_by_day: dict[date, list[str]]
    read: FeedRead


def poll(read: FeedRead, validators: dict[str, Validators], cursor: FeedCursor) -> PollResult:
    """New items by publication day (UTC) and the next cursor.

    `validators`: what each feed answered with this time (only feeds whose body parsed).
    """
    by_feed: dict[str, list[Article]] = {}
    for article in read.articles:
        by_feed.setdefault(article.feed, []).append(article)
    new_by_day: dict[date, list[str]] = {}
    nxt = FeedCursor(dict(cursor.validators), {f: list(ids) for f, ids in cursor.seen.items()})
    for row in read.status:
        feed = str(row["feed"])
        if row["status"] == "error":
            continue
        if feed in validators:
            nxt.validators[feed] = validators[feed]
        seen = set(nxt.seen.get(feed, []))
        fresh = [a for a in by_feed.get(feed, []) if a.article_id not in seen]
        for article in fresh:
            new_by_day.setdefault(article.published_at.date(), []).append(article.article_id)
        row["new_articles"] = len(fresh)
        nxt.seen[feed] = (nxt.seen.get(feed, []) + [a.article_id for a in fresh])[-SEEN_PER_FEED:]
    return PollResult(nxt, new_by_day, read)


def parsed_validators(read: FeedRead, outcomes: list[FetchOutcome]) -> dict[str, Validators]:
    """Validators to keep: only of feeds whose body parsed, so a broken body is fetched again."""
    failed = set(read.errors)
    return {o.feed: o.validators for o in outcomes if o.status == "ok" and o.feed not in failed}
