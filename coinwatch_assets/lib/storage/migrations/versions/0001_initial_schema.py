"""Initial schema: ohlcv, ohlcv_1h, markets, ohlcv_gaps as main created them before revisions.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

FROZEN: never edit this file; a table change is a new revision. lib/storage/schema.py also
compares databases created before revisions existed (`create_all`) with `frozen_metadata()`
before stamping them at this revision.
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from coinwatch_assets.lib.storage.hypertables import create_hypertable, ensure_timescaledb

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)
PRICE = sa.Double()

# table -> (time column, chunk interval)
HYPERTABLES = {
    "ohlcv": ("ts", timedelta(days=1)),
    "ohlcv_1h": ("ts", timedelta(days=7)),
    "ohlcv_gaps": ("gap_start", timedelta(days=30)),
}


def _candles(what: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("exchange", sa.Text, nullable=False, comment="ccxt exchange id"),
        sa.Column("symbol", sa.Text, nullable=False, comment="ccxt market symbol, e.g. BTC/USDT"),
        sa.Column("timeframe", sa.Text, nullable=False, comment=f"{what} timeframe, e.g. 5m"),
        sa.Column("ts", UTC_TS, nullable=False, comment="candle open time (UTC)"),
        sa.Column("open", PRICE, nullable=False),
        sa.Column("high", PRICE, nullable=False),
        sa.Column("low", PRICE, nullable=False),
        sa.Column("close", PRICE, nullable=False),
        sa.Column("volume", PRICE, nullable=False, comment="base-currency volume"),
        sa.PrimaryKeyConstraint("exchange", "symbol", "timeframe", "ts"),
    ]


def table_items() -> dict[str, list[sa.schema.SchemaItem]]:
    """Fresh columns and keys of every table of this revision (a Column belongs to one table)."""
    return {
        "ohlcv": _candles("ccxt"),
        "ohlcv_1h": _candles("source"),
        "markets": [
            sa.Column("exchange", sa.Text, nullable=False),
            sa.Column(
                "symbol", sa.Text, nullable=False, comment="ccxt market symbol, e.g. BTC/USDT"
            ),
            sa.Column("base", sa.Text, nullable=False),
            sa.Column("quote", sa.Text, nullable=False),
            sa.Column("active", sa.Boolean, nullable=False, comment="listed at the last refresh"),
            sa.Column("quote_volume_24h", PRICE, nullable=True),
            sa.Column("first_seen", sa.Date, nullable=False),
            sa.Column(
                "delisted", sa.Date, nullable=True, comment="first refresh that no longer saw it"
            ),
            sa.Column("updated_at", UTC_TS, nullable=False),
            sa.PrimaryKeyConstraint("exchange", "symbol"),
        ],
        "ohlcv_gaps": [
            sa.Column("exchange", sa.Text, nullable=False),
            sa.Column("symbol", sa.Text, nullable=False),
            sa.Column("timeframe", sa.Text, nullable=False),
            sa.Column(
                "gap_start", UTC_TS, nullable=False, comment="first missing candle open time"
            ),
            sa.Column("gap_end", UTC_TS, nullable=False, comment="last missing candle open time"),
            sa.Column("missing_candles", sa.BigInteger, nullable=False),
            sa.Column("reason", sa.Text, nullable=False, comment="missed | no_trades | confirmed"),
            sa.Column(
                "attempts", sa.BigInteger, nullable=False, comment="fetches that saw this hole"
            ),
            sa.Column("detected_at", UTC_TS, nullable=False),
            sa.PrimaryKeyConstraint("exchange", "symbol", "timeframe", "gap_start"),
        ],
    }


def frozen_metadata() -> sa.MetaData:
    """The tables of this revision as a MetaData (for checking unversioned databases)."""
    meta = sa.MetaData()
    for name, items in table_items().items():
        sa.Table(name, meta, *items)
    return meta


def upgrade() -> None:
    ensure_timescaledb()
    for name, items in table_items().items():
        op.create_table(name, *items)
    for table, (column, interval) in HYPERTABLES.items():
        create_hypertable(table, column, interval)


def downgrade() -> None:
    for name in reversed(list(table_items())):
        op.drop_table(name)
