"""Per-article sentiment rows and their per-coin daily means (plain pandas)."""

import pandas as pd

from coinwatch_assets.lib.news.symbols import SymbolMatcher
from coinwatch_assets.lib.sentiment.base import Scorer, label_for

ARTICLE_COLUMNS = [
    "article_id",
    "published_at",
    "score",
    "label",
    "scorer",
    "scorer_version",
    "symbols",
    "crypto_relevant",
    "scored_at",
]
DAILY_COLUMNS = ["day", "symbol", "mean_score", "article_count", "label"]


def score_articles(
    articles: pd.DataFrame,
    scorer: Scorer,
    matcher: SymbolMatcher,
    scored_at: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One row per article: the headline's score and label, matched coins, crypto relevance,
    and when it was scored (`scored_at`, default now)."""
    if articles.empty:
        return pd.DataFrame(columns=ARTICLE_COLUMNS)
    # fillna: TimescaleDB's CSV read-back returns an empty summary as NaN.
    titles = articles["title"].fillna("").astype(str).tolist()
    summaries = articles["summary"].fillna("").astype(str)
    texts = [f"{t} {s}".strip() for t, s in zip(titles, summaries, strict=True)]
    scores = scorer.score_many(titles)  # headline sentiment: summaries drift and hedge
    return pd.DataFrame(
        {
            "article_id": articles["article_id"].to_numpy(),
            "published_at": articles["published_at"].to_numpy(),
            "score": [s.score for s in scores],
            "label": [s.label for s in scores],
            "scorer": scorer.name,
            "scorer_version": scorer.version,
            "symbols": [",".join(matcher.match(t)) for t in texts],
            "crypto_relevant": [matcher.is_crypto(t) for t in texts],
            "scored_at": scored_at or pd.Timestamp.now(tz="UTC"),
        },
        columns=ARTICLE_COLUMNS,
    )


def daily_sentiment(scored: pd.DataFrame) -> pd.DataFrame:
    """Mean score, article count and label per (UTC day, coin) over the articles naming it."""
    if scored.empty:
        return pd.DataFrame(columns=DAILY_COLUMNS)
    rows = scored.assign(symbol=scored["symbols"].fillna("").str.split(",")).explode("symbol")
    rows = rows[rows["symbol"].fillna("") != ""]
    if rows.empty:
        return pd.DataFrame(columns=DAILY_COLUMNS)
    rows = rows.assign(day=pd.to_datetime(rows["published_at"], utc=True).dt.floor("D"))
    out = (
        rows.groupby(["day", "symbol"], as_index=False)
        .agg(mean_score=("score", "mean"), article_count=("article_id", "nunique"))
        .sort_values(["day", "symbol"], ignore_index=True)
    )
    out["mean_score"] = out["mean_score"].round(4).clip(-1, 1)
    out["label"] = [label_for(s) for s in out["mean_score"]]
    return out[DAILY_COLUMNS]


def inconsistent_labels(scored: pd.DataFrame) -> pd.DataFrame:
    """Rows whose label is not the label of their score, or whose score is out of range."""
    in_range = scored["score"].between(-1, 1)
    expected = [
        label_for(s) if ok else None for s, ok in zip(scored["score"], in_range, strict=True)
    ]
    return scored[~in_range | (scored["label"] != pd.Series(expected, index=scored.index))]
