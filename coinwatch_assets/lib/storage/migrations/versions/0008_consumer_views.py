"""Views for the people who use the data: latest_candles, latest_sentiment, coverage

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-04 15:40:00.000000

- `view_settings`: one row (id = 1) of settings the views read; `sentiment_stale_hours`
  (default 4) is the age past which `latest_sentiment.stale` is true.
- `article_sentiment.scored_at`: when the score was computed (NULL for rows scored before).
- Views `latest_candles`, `latest_sentiment`, `coverage` (README, "Using the data"). Their SQL
  is frozen here; only the time arithmetic differs per backend (epoch seconds), so both return
  the same rows. A later revision that rebuilds a table these views read on SQLite (batch
  mode) works: migrations run with `legacy_alter_table` on (lib/storage/schema.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DEFAULT_STALE_HOURS = 4.0


def _sql(dialect: str) -> dict[str, str]:
    if dialect == "postgresql":
        epoch = "CAST(floor(EXTRACT(EPOCH FROM {})) AS BIGINT)"
        now = "CAST(floor(EXTRACT(EPOCH FROM now())) AS BIGINT)"
        position = "strpos"

        def cutoff(seconds: str) -> str:
            return f"now() - {seconds} * interval '1 second'"

    else:
        epoch = "CAST(strftime('%s', {}) AS INTEGER)"
        now = "CAST(strftime('%s', 'now') AS INTEGER)"
        position = "instr"

        def cutoff(seconds: str) -> str:
            # SQLAlchemy's text format of a UTC time, as `ts` is stored
            return f"strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || {seconds} || ' seconds') || '000'"

    def step(column: str) -> str:
        # Seconds of a ccxt timeframe ("5m", "1h", "1d", "1w"); NULL for "1M" (months vary).
        unit = (
            f"CASE substr({column}, length({column}), 1) WHEN 's' THEN 1 WHEN 'm' THEN 60 "
            "WHEN 'h' THEN 3600 WHEN 'd' THEN 86400 WHEN 'w' THEN 604800 END"
        )
        return f"({unit} * CAST(substr({column}, 1, length({column}) - 1) AS INTEGER))"

    def ep(column: str) -> str:
        return epoch.format(column)

    # The last candle closed by now: one index probe per series (the primary key ends in
    # `ts`) under the cutoff `now - timeframe`, instead of computing every row's close time.
    latest_candles = f"""
SELECT o.exchange, o.symbol, o.timeframe, o.ts, o.open, o.high, o.low, o.close, o.volume,
       {now} - ({ep("o.ts")} + {step("o.timeframe")}) AS age_seconds
FROM (
    SELECT s.exchange, s.symbol, s.timeframe, (
        SELECT max(c.ts) FROM ohlcv c
        WHERE c.exchange = s.exchange AND c.symbol = s.symbol AND c.timeframe = s.timeframe
          AND c.ts <= {cutoff(step("s.timeframe"))}
    ) AS ts
    FROM (SELECT DISTINCT exchange, symbol, timeframe FROM ohlcv) s
) l
JOIN ohlcv o ON o.exchange = l.exchange AND o.symbol = l.symbol AND o.timeframe = l.timeframe
   AND o.ts = l.ts
"""

    reasons = ("missed", "confirmed", "no_trades", "accepted")
    by_reason = ",\n    ".join(
        f"CAST(sum(CASE WHEN g.reason = '{r}' THEN g.missing_candles ELSE 0 END) AS BIGINT) "
        f"AS {r}_candles"
        for r in reasons
    )
    reason_columns = ",\n       ".join(
        f"CAST(COALESCE(h.{r}_candles, 0) AS BIGINT) AS {r}_candles" for r in reasons
    )
    coverage = f"""
WITH series AS (
    SELECT exchange, symbol, timeframe, min(ts) AS first_ts, max(ts) AS last_ts,
           count(*) AS stored_candles
    FROM ohlcv
    GROUP BY exchange, symbol, timeframe
), spans AS (
    SELECT s.exchange, s.symbol, s.timeframe, s.first_ts, s.last_ts, s.stored_candles,
           ({ep("s.last_ts")} - {ep("s.first_ts")}) / {step("s.timeframe")} + 1
               AS expected_candles
    FROM series s
), holes AS (
    SELECT g.exchange, g.symbol, g.timeframe,
    {by_reason}
    FROM ohlcv_gaps g
    JOIN series s ON g.exchange = s.exchange AND g.symbol = s.symbol
                 AND g.timeframe = s.timeframe
    WHERE g.gap_start > s.first_ts AND g.gap_end < s.last_ts
    GROUP BY g.exchange, g.symbol, g.timeframe
)
SELECT p.exchange, p.symbol, p.timeframe, p.first_ts, p.last_ts,
       CAST(p.stored_candles AS BIGINT) AS stored_candles,
       CAST(p.expected_candles AS BIGINT) AS expected_candles,
       CAST(p.expected_candles - p.stored_candles AS BIGINT) AS missing_candles,
       {reason_columns},
       CAST(round(100.0 * p.stored_candles / p.expected_candles, 2) AS DOUBLE PRECISION)
           AS completeness_pct
FROM spans p
LEFT JOIN holes h ON h.exchange = p.exchange AND h.symbol = p.symbol
                 AND h.timeframe = p.timeframe
"""

    published = ep("r.published_at")
    latest_sentiment = f"""
WITH RECURSIVE split(article_id, coin, rest) AS (
    SELECT article_id, CAST('' AS TEXT), symbols || ','
    FROM article_sentiment
    WHERE symbols <> ''
    UNION ALL
    SELECT article_id, substr(rest, 1, {position}(rest, ',') - 1),
           substr(rest, {position}(rest, ',') + 1)
    FROM split
    WHERE rest <> ''
), ranked AS (
    SELECT s.coin, a.article_id, a.published_at, a.score, a.label, a.scored_at,
           row_number() OVER (
               PARTITION BY s.coin ORDER BY a.published_at DESC, a.article_id DESC
           ) AS rank_in_coin
    FROM split s
    JOIN article_sentiment a ON a.article_id = s.article_id
    WHERE s.coin <> ''
), settings AS (
    SELECT COALESCE(
        (SELECT sentiment_stale_hours FROM view_settings WHERE id = 1), {DEFAULT_STALE_HOURS}
    ) AS stale_hours
)
SELECT r.coin AS symbol, r.score, r.label, n.title AS headline, n.source, r.article_id,
       r.published_at, r.scored_at,
       d.mean_score AS day_mean_score, d.article_count AS day_article_count,
       {now} - {published} AS age_seconds,
       CAST(st.stale_hours AS DOUBLE PRECISION) AS stale_after_hours,
       ({now} - {published}) > st.stale_hours * 3600 AS stale
FROM ranked r
CROSS JOIN settings st
LEFT JOIN news_articles n ON n.article_id = r.article_id
LEFT JOIN sentiment_daily d ON d.symbol = r.coin
      AND {ep("d.day")} = {published} - {published} % 86400
WHERE r.rank_in_coin = 1
"""
    return {
        "latest_candles": latest_candles,
        "latest_sentiment": latest_sentiment,
        "coverage": coverage,
    }


def upgrade() -> None:
    op.create_table(
        "view_settings",
        sa.Column("id", sa.BigInteger(), nullable=False, comment="always 1: one row"),
        sa.Column(
            "sentiment_stale_hours",
            sa.Double(),
            nullable=False,
            comment="latest_sentiment.stale: the latest article is older than this",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    settings = sa.table("view_settings", sa.column("id"), sa.column("sentiment_stale_hours"))
    op.bulk_insert(settings, [{"id": 1, "sentiment_stale_hours": DEFAULT_STALE_HOURS}])
    with op.batch_alter_table("article_sentiment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scored_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="when the score was computed (NULL: scored before this was kept)",
            )
        )
    for name, sql in _sql(op.get_bind().dialect.name).items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def downgrade() -> None:
    for name in ("latest_candles", "latest_sentiment", "coverage"):
        op.execute(f"DROP VIEW {name}")
    with op.batch_alter_table("article_sentiment", schema=None) as batch_op:
        batch_op.drop_column("scored_at")
    op.drop_table("view_settings")
