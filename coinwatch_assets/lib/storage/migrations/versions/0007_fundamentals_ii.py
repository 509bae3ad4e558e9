"""Fundamentals II: CoinMarketCap beside CoinGecko, CMC DEX pairs, CoinGecko trending/exchanges

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04 15:40:00

- `market_metrics.provider` (coingecko | coinmarketcap), part of the primary key so both
  providers' rows of one coin and hour coexist; every stored row is CoinGecko's.
- `coin_metadata` gains CoinGecko's community sentiment votes (percent up / down).
- New tables: `cmc_credit_ledger` (credits spent per month), `cmc_ids`, `cmc_metadata`,
  `dex_pairs` (hypertable), `coingecko_trending`, `coingecko_exchanges`.
"""

import warnings
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from coinwatch_assets.lib.storage.hypertables import create_hypertable

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _new_tables() -> None:
    op.create_table(
        "cmc_credit_ledger",
        sa.Column("month", sa.Text(), nullable=False, comment="UTC calendar month, YYYY-MM"),
        sa.Column("credits", sa.BigInteger(), nullable=False, comment="sum of status.credit_count"),
        sa.Column("calls", sa.BigInteger(), nullable=False, comment="answers counted"),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("month"),
    )
    op.create_table(
        "cmc_ids",
        sa.Column(
            "ticker", sa.Text(), nullable=False, comment="base asset of tracked markets, e.g. BTC"
        ),
        sa.Column(
            "cmc_id", sa.Text(), nullable=True, comment="CoinMarketCap id; NULL = not mapped"
        ),
        sa.Column(
            "status",
            sa.Text(),
            nullable=False,
            comment="override | mapped | active_only | ambiguous | unmapped | unknown_override",
        ),
        sa.Column(
            "candidates", sa.Text(), nullable=False, comment="id:name:active:rank of each match"
        ),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("ticker"),
    )
    op.create_table(
        "cmc_metadata",
        sa.Column("cmc_id", sa.Text(), nullable=False),
        sa.Column("week", TS, nullable=False, comment="start of the weekly partition (UTC)"),
        sa.Column("symbol", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("slug", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True, comment="coin | token"),
        sa.Column("tags", sa.Text(), nullable=False, comment="JSON list of tag names"),
        sa.Column("description", sa.Text(), nullable=True, comment="plain text"),
        sa.Column("homepage", sa.Text(), nullable=True),
        sa.Column("platform", sa.Text(), nullable=True, comment="JSON platform object of a token"),
        sa.Column("date_added", TS, nullable=True),
        sa.Column("date_launched", TS, nullable=True),
        sa.Column("fetched_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("cmc_id", "week"),
    )
    op.create_table(
        "dex_pairs",
        sa.Column(
            "network", sa.Text(), nullable=False, comment="CMC DEX network slug, e.g. ethereum"
        ),
        sa.Column("contract_address", sa.Text(), nullable=False, comment="pair (pool) address"),
        sa.Column("ts", TS, nullable=False, comment="fetch slot start (UTC, 5-minute grid)"),
        sa.Column("dex", sa.Text(), nullable=True, comment="dex slug, e.g. uniswap-v3"),
        sa.Column("base_symbol", sa.Text(), nullable=True),
        sa.Column("quote_symbol", sa.Text(), nullable=True),
        sa.Column(
            "price", sa.Double(), nullable=True, comment="base priced in the quote convert (USD)"
        ),
        sa.Column("volume_24h", sa.Double(), nullable=True),
        sa.Column("liquidity", sa.Double(), nullable=True),
        sa.Column("percent_change_24h", sa.Double(), nullable=True),
        sa.Column("last_updated", TS, nullable=True),
        sa.PrimaryKeyConstraint("network", "contract_address", "ts"),
    )
    op.create_table(
        "coingecko_trending",
        sa.Column("ts", TS, nullable=False, comment="fetch slot start (UTC, hourly)"),
        sa.Column("kind", sa.Text(), nullable=False, comment="coin | nft | category"),
        sa.Column("position", sa.BigInteger(), nullable=False, comment="0 = most searched"),
        sa.Column(
            "item_id",
            sa.Text(),
            nullable=False,
            comment="CoinGecko id of the coin/nft/category",
        ),
        sa.Column("symbol", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("market_cap_rank", sa.BigInteger(), nullable=True),
        sa.Column("price_usd", sa.Double(), nullable=True),
        sa.Column("price_change_pct_24h_usd", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("ts", "kind", "position"),
    )
    op.create_table(
        "coingecko_exchanges",
        sa.Column("day", TS, nullable=False, comment="UTC day of the fetch (midnight)"),
        sa.Column("exchange_id", sa.Text(), nullable=False, comment="CoinGecko exchange id"),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("year_established", sa.BigInteger(), nullable=True),
        sa.Column("trust_score", sa.BigInteger(), nullable=True, comment="1..10"),
        sa.Column("trust_score_rank", sa.BigInteger(), nullable=True),
        sa.Column("trade_volume_24h_btc", sa.Double(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("day", "exchange_id"),
    )
    # the same chunk interval as dex_pairs' TableSpec; a no-op on SQLite
    create_hypertable("dex_pairs", "ts", timedelta(days=7))


def _market_metrics_provider() -> None:
    bind = op.get_bind()
    # every stored row is CoinGecko's: the default fills them, then goes away
    op.add_column(
        "market_metrics",
        sa.Column(
            "provider",
            sa.Text(),
            nullable=False,
            server_default="coingecko",
            comment="coingecko | coinmarketcap (coin_id is that provider's id)",
        ),
    )
    source_comment = (
        "endpoint: coins/markets (all columns) | market_chart/range (price, cap, volume) | "
        "quotes/latest (CoinMarketCap)"
    )
    if bind.dialect.name == "postgresql":
        # a hypertable: its primary key is swapped in place (it keeps the time column)
        op.alter_column("market_metrics", "provider", server_default=None)
        op.alter_column(
            "market_metrics",
            "source",
            existing_type=sa.Text(),
            existing_nullable=False,
            comment=source_comment,
        )
        op.execute("ALTER TABLE market_metrics DROP CONSTRAINT market_metrics_pkey")
        op.create_primary_key(
            "market_metrics_pkey", "market_metrics", ["provider", "coin_id", "ts"]
        )
        return
    # SQLite cannot change a primary key in place: the table is copied (batch mode), and
    # SQLAlchemy warns that the copy's key differs from the reflected one: that is the point
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_market_metrics'", sa.exc.SAWarning)
        with op.batch_alter_table("market_metrics", recreate="always") as batch_op:
            batch_op.alter_column("provider", existing_type=sa.Text(), server_default=None)
            batch_op.create_primary_key("pk_market_metrics", ["provider", "coin_id", "ts"])


def upgrade() -> None:
    _new_tables()
    _market_metrics_provider()
    with op.batch_alter_table("coin_metadata", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sentiment_votes_up_pct",
                sa.Double(),
                nullable=True,
                comment="CoinGecko community votes up, %",
            )
        )
        batch_op.add_column(
            sa.Column(
                "sentiment_votes_down_pct",
                sa.Double(),
                nullable=True,
                comment="CoinGecko community votes down, %",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("coin_metadata", schema=None) as batch_op:
        batch_op.drop_column("sentiment_votes_down_pct")
        batch_op.drop_column("sentiment_votes_up_pct")
    op.execute("DELETE FROM market_metrics WHERE provider <> 'coingecko'")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE market_metrics DROP CONSTRAINT market_metrics_pkey")
        op.create_primary_key("market_metrics_pkey", "market_metrics", ["coin_id", "ts"])
        op.drop_column("market_metrics", "provider")
    else:
        with op.batch_alter_table("market_metrics", recreate="always") as batch_op:
            batch_op.create_primary_key("pk_market_metrics", ["coin_id", "ts"])
            batch_op.drop_column("provider")
    for table in (
        "coingecko_exchanges",
        "coingecko_trending",
        "dex_pairs",
        "cmc_metadata",
        "cmc_ids",
        "cmc_credit_ledger",
    ):
        op.drop_table(table)
