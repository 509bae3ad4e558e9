"""Merging a fetch's articles into a day's stored ones: facts accumulate, never vanish."""

from datetime import date, datetime

import pandas as pd

from coinwatch_assets.lib.news.parse import Article

COLUMNS = ["article_id", "published_at", "feed", "source", "title", "summary", "link", "fetched_at"]
TEXT_COLUMNS = ["feed", "source", "title", "summary", "link"]


def with_empty_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Empty strings for missing text: TimescaleDB's CSV read-back turns '' into NaN."""
    present = [c for c in columns if c in frame.columns]
    return frame.assign(**{c: frame[c].fillna("").astype(str) for c in present})


def articles_frame(articles: list[Article], fetched_at: datetime) -> pd.DataFrame:
    rows = [a.as_row() | {"fetched_at": fetched_at} for a in articles]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
    return frame


def merge_articles(stored: pd.DataFrame, fetched: pd.DataFrame) -> pd.DataFrame:
    """Stored rows plus the fetched ones they lack.

    A stored article keeps its row (and first `fetched_at`) while a fetch may correct its text;
    one story in two feeds (same cleaned link, different ids) is kept once, the first stored.
    """
    stored = with_empty_text(stored.reindex(columns=COLUMNS), TEXT_COLUMNS)
    if not stored.empty:
        stored = stored.assign(
            published_at=pd.to_datetime(stored["published_at"], utc=True),
            fetched_at=pd.to_datetime(stored["fetched_at"], utc=True),
        )
    first_seen = stored.set_index("article_id")["fetched_at"] if len(stored) else pd.Series()
    fetched = fetched.reindex(columns=COLUMNS).drop_duplicates("article_id", keep="first")
    if len(fetched) and len(first_seen):
        known = fetched["article_id"].map(first_seen)
        fetched = fetched.assign(fetched_at=known.fillna(fetched["fetched_at"]))
    # Fetched rows first so corrections win; then stored rows the fetch no longer shows.
    rest = stored[~stored["article_id"].isin(fetched["article_id"])]
    merged = pd.concat([df for df in (fetched, rest) if len(df)], ignore_index=True)
    if merged.empty:
        return merged.reindex(columns=COLUMNS)
    merged = merged.sort_values(["fetched_at", "feed", "article_id"], kind="stable")
    has_link = merged["link"].fillna("") != ""
    dup_link = has_link & merged.duplicated("link", keep="first")
    return merged[~dup_link].sort_values(["published_at", "article_id"], ignore_index=True)


def keep_first_days(
    fetched: pd.DataFrame, stored_at: dict[str, pd.Timestamp], days: list[date]
) -> tuple[pd.DataFrame, list[str]]:
    """Fetched rows with an article's first publication day kept, and the ids re-dated.

    A feed may re-date an item (same guid, another UTC day). The article stays on the day it
    was first stored with (its text may still be corrected); a re-dated article that belongs
    to a day outside `days` is left to that day's partition, so no write ever collides with
    a row another partition owns. A new time on the same UTC day is a correction and taken.
    """
    if fetched.empty or not stored_at:
        return fetched, []
    first = pd.to_datetime(fetched["article_id"].map(stored_at), utc=True)
    published = pd.to_datetime(fetched["published_at"], utc=True)
    redated = first.notna() & (first.dt.floor("D") != published.dt.floor("D"))
    kept = fetched.assign(published_at=published.where(~redated, first))
    on_day = kept["published_at"].dt.date.isin(days)
    return kept[on_day].reset_index(drop=True), sorted(fetched.loc[redated, "article_id"])


def duplicate_ids(frame: pd.DataFrame) -> list[str]:
    return sorted(frame.loc[frame["article_id"].duplicated(keep=False), "article_id"].unique())
