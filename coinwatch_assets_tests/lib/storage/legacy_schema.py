"""A frozen copy of the schema main created before schema revisions (commit 1c0542a).

`create_legacy_schema` is the old `Storage.ensure_schema`: `create_all(checkfirst=True)` and
then a hypertable per time-series table, with no alembic_version. Never edit: it stands for the
databases that exist out there.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

UTC_TS = sa.DateTime(timezone=True)
PRICE = sa.Double()


def _candle_table(name: str, what: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
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
    )


ohlcv = _candle_table("ohlcv", "ccxt")
# Hourly bars resampled from `ohlcv`; `timeframe` is the source candles' timeframe.
ohlcv_1h = _candle_table("ohlcv_1h", "source")

markets = sa.Table(
    "markets",
    metadata,
    sa.Column("exchange", sa.Text, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False, comment="ccxt market symbol, e.g. BTC/USDT"),
    sa.Column("base", sa.Text, nullable=False),
    sa.Column("quote", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, comment="listed at the last refresh"),
    sa.Column("quote_volume_24h", PRICE, nullable=True),
    sa.Column("first_seen", sa.Date, nullable=False),
    sa.Column("delisted", sa.Date, nullable=True, comment="first refresh that no longer saw it"),
    sa.Column("updated_at", UTC_TS, nullable=False),
    sa.PrimaryKeyConstraint("exchange", "symbol"),
)

ohlcv_gaps = sa.Table(
    "ohlcv_gaps",
    metadata,
    sa.Column("exchange", sa.Text, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("timeframe", sa.Text, nullable=False),
    sa.Column("gap_start", UTC_TS, nullable=False, comment="first missing candle open time"),
    sa.Column("gap_end", UTC_TS, nullable=False, comment="last missing candle open time"),
    sa.Column("missing_candles", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text, nullable=False, comment="missed | no_trades | confirmed"),
    sa.Column("attempts", sa.BigInteger, nullable=False, comment="fetches that saw this hole"),
    sa.Column("detected_at", UTC_TS, nullable=False),
    sa.PrimaryKeyConstraint("exchange", "symbol", "timeframe", "gap_start"),
)

CHUNK_SECONDS = {"ohlcv": 86400, "ohlcv_1h": 7 * 86400, "ohlcv_gaps": 30 * 86400}
TIME_COLUMN = {"ohlcv": "ts", "ohlcv_1h": "ts", "ohlcv_gaps": "gap_start"}


def create_legacy_schema(url: str, tables: list[str] | None = None) -> None:
    """The database as the commit before revisions left it (optionally only some tables)."""
    engine = sa.create_engine(url)
    chosen = [metadata.tables[name] for name in tables or metadata.tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS timescaledb")
        metadata.create_all(conn, tables=chosen, checkfirst=True)
        if engine.dialect.name == "postgresql":
            for table in chosen:
                if table.name not in CHUNK_SECONDS:
                    continue
                conn.execute(
                    sa.text(
                        "SELECT create_hypertable(CAST(:table AS regclass), "
                        "by_range(CAST(:column AS name), make_interval(secs => :secs)), "
                        "create_default_indexes => false, if_not_exists => true)"
                    ),
                    {
                        "table": table.name,
                        "column": TIME_COLUMN[table.name],
                        "secs": CHUNK_SECONDS[table.name],
                    },
                )
    engine.dispose()
