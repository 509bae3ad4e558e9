"""Table definitions: one SQLAlchemy Core table per asset (asset key = table name).

Every table declares how Dagster partitions map onto its columns (`TableSpec`), so the IO
manager never guesses: a partition dimension without a column is an error, not a `None` in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

import sqlalchemy as sa

from coinwatch_assets.lib.symbols import key_to_symbol

metadata = sa.MetaData()

UTC_TS = sa.DateTime(timezone=True)
PRICE = sa.Double()


def _candle_table(name: str, what: str, *extra: sa.Column) -> sa.Table:
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
        *extra,
        sa.PrimaryKeyConstraint("exchange", "symbol", "timeframe", "ts"),
    )


def _bucket_counts() -> tuple[sa.Column, sa.Column]:
    # A bar is partial when candles < expected_candles: never silently complete.
    return (
        sa.Column("candles", sa.BigInteger, nullable=False, comment="source candles in the bar"),
        sa.Column(
            "expected_candles",
            sa.BigInteger,
            nullable=False,
            comment="source candles a complete bar holds; fewer = partial bar",
        ),
    )


ohlcv = _candle_table("ohlcv", "ccxt")
# Bars resampled from `ohlcv`; `timeframe` is the SOURCE candles' timeframe, `ts` the bar's
# open time.
ohlcv_1h = _candle_table("ohlcv_1h", "source", *_bucket_counts())
ohlcv_1d = _candle_table("ohlcv_1d", "source", *_bucket_counts())


def _indicator(name: str, comment: str) -> sa.Column:
    # NULL while the series is too short for the indicator (warm-up at the start of history)
    return sa.Column(name, PRICE, nullable=True, comment=comment)


# Technical indicators on the source candles, one row per candle (`ts` = candle open time).
indicators = sa.Table(
    "indicators",
    metadata,
    sa.Column("exchange", sa.Text, nullable=False, comment="ccxt exchange id"),
    sa.Column("symbol", sa.Text, nullable=False, comment="ccxt market symbol, e.g. BTC/USDT"),
    sa.Column("timeframe", sa.Text, nullable=False, comment="source candles' timeframe"),
    sa.Column("ts", UTC_TS, nullable=False, comment="candle open time (UTC)"),
    _indicator("rsi_14", "RSI(14), Wilder smoothing, 0..100"),
    _indicator("ema_12", "EMA(12) of close"),
    _indicator("ema_26", "EMA(26) of close"),
    _indicator("macd", "MACD(12, 26) line: EMA(12) - EMA(26)"),
    _indicator("macd_signal", "EMA(9) of the MACD line"),
    _indicator("macd_hist", "macd - macd_signal"),
    _indicator("bb_middle", "Bollinger(20, 2): SMA(20) of close"),
    _indicator("bb_upper", "Bollinger(20, 2): middle + 2 population std"),
    _indicator("bb_lower", "Bollinger(20, 2): middle - 2 population std"),
    _indicator("volume_sma_20", "SMA(20) of volume"),
    sa.PrimaryKeyConstraint("exchange", "symbol", "timeframe", "ts"),
)

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
    sa.Column(
        "reason", sa.Text, nullable=False, comment="missed | no_trades | confirmed | accepted"
    ),
    sa.Column("attempts", sa.BigInteger, nullable=False, comment="fetches that saw this hole"),
    sa.Column("detected_at", UTC_TS, nullable=False),
    sa.Column("note", sa.Text, nullable=True, comment="why an accepted hole was accepted"),
    sa.PrimaryKeyConstraint("exchange", "symbol", "timeframe", "gap_start"),
)


@dataclass(frozen=True)
class TableSpec:
    """How an asset's table is stored and how Dagster partitions map onto it."""

    table: sa.Table
    # The time column that time-window partition dimensions slice on.
    time_column: str | None = None
    # Non-time partition dimensions: dimension name -> (column, partition key -> column value).
    key_columns: dict[str, tuple[str, Callable[[str], object]]] = field(default_factory=dict)
    # TimescaleDB hypertable chunk interval (None: a plain table).
    chunk_interval: timedelta | None = None
    # "upsert": facts (candles, articles, markets) - a write adds and corrects rows and never
    # removes stored ones. "replace": derived tables - a write replaces its whole slice.
    write_mode: Literal["replace", "upsert"] = "replace"
    # Columns every row of one asset shares (its venue, its timeframe). Their values come from
    # the asset's definition metadata and pin its slice, so a write never touches another
    # venue's or timeframe's rows.
    pinned_columns: tuple[str, ...] = ()
    # What a row is, for metadata and log lines ("candles_not_returned").
    noun: str = "rows"
    # Upsert only: (column, value) - a stored row whose `column` holds `value` is never
    # replaced by a row whose `column` does not (a richer source's row beats a poorer one).
    # Decided inside the write, under the slice lock, so a concurrent writer cannot slip by.
    keep_stored: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def primary_key(self) -> list[str]:
        return [c.name for c in self.table.primary_key.columns]


# "symbol" is the dimension of MultiPartitions(date x symbol); "symbols" is the dynamic
# partitions definition itself when an asset is partitioned by symbol alone.
_SYMBOL_DIMENSION = {
    "symbol": ("symbol", key_to_symbol),
    "symbols": ("symbol", key_to_symbol),
}

_VENUE_TIMEFRAME = ("exchange", "timeframe")


def _venue_series(
    table: sa.Table,
    time_column: str,
    chunk_days: int,
    write_mode: Literal["replace", "upsert"] = "replace",
    noun: str = "rows",
) -> TableSpec:
    """A table of one venue's per-symbol series: date x symbol partitions, venue pinned."""
    return TableSpec(
        table,
        time_column=time_column,
        key_columns=_SYMBOL_DIMENSION,
        chunk_interval=timedelta(days=chunk_days),
        write_mode=write_mode,
        pinned_columns=_VENUE_TIMEFRAME,
        noun=noun,
    )


TABLE_SPECS: dict[str, TableSpec] = {
    spec.name: spec
    for spec in [
        _venue_series(ohlcv, "ts", 1, write_mode="upsert", noun="candles"),
        _venue_series(ohlcv_1h, "ts", 7, noun="bars"),
        _venue_series(ohlcv_1d, "ts", 365, noun="bars"),
        _venue_series(indicators, "ts", 7),
        TableSpec(markets, write_mode="upsert", pinned_columns=("exchange",), noun="markets"),
        _venue_series(ohlcv_gaps, "gap_start", 30, noun="holes"),
    ]
}


def table_spec(name: str) -> TableSpec:
    """The spec of table `name`, with an error that lists the known tables."""
    try:
        return TABLE_SPECS[name]
    except KeyError:
        raise KeyError(
            f"no table is defined for asset {name!r}; known tables: {sorted(TABLE_SPECS)}"
        ) from None


# ---- fundamentals (CoinGecko; issue 9) ------------------------------------------------------
# Prices and caps are in USD (`vs_currency=usd`).

coin_ids = sa.Table(
    "coin_ids",
    metadata,
    sa.Column("ticker", sa.Text, nullable=False, comment="base asset of tracked markets, e.g. BTC"),
    sa.Column("coin_id", sa.Text, nullable=True, comment="CoinGecko id; NULL = not mapped"),
    sa.Column(
        "status",
        sa.Text,
        nullable=False,
        comment="override | mapped | ambiguous | unmapped | unknown_override",
    ),
    sa.Column("candidates", sa.Text, nullable=False, comment="ids whose symbol is the ticker"),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("updated_at", UTC_TS, nullable=False),
    sa.PrimaryKeyConstraint("ticker"),
)

# Platforms and categories are JSON text columns, not child tables: they are read with their
# coin, never joined across coins, and one table keeps the weekly slice one IO-manager write.
coin_metadata = sa.Table(
    "coin_metadata",
    metadata,
    sa.Column("coin_id", sa.Text, nullable=False),
    sa.Column("week", UTC_TS, nullable=False, comment="start of the weekly partition (UTC)"),
    sa.Column("symbol", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("categories", sa.Text, nullable=False, comment="JSON list of category names"),
    sa.Column("description", sa.Text, nullable=True, comment="English, plain text (no HTML)"),
    sa.Column("homepage", sa.Text, nullable=True),
    sa.Column("genesis_date", sa.Date, nullable=True),
    sa.Column("hashing_algorithm", sa.Text, nullable=True),
    sa.Column("platforms", sa.Text, nullable=False, comment="JSON {platform: contract address}"),
    sa.Column("last_updated", UTC_TS, nullable=True, comment="CoinGecko's last update"),
    sa.Column("fetched_at", UTC_TS, nullable=False),
    sa.Column(
        "sentiment_votes_up_pct", PRICE, nullable=True, comment="CoinGecko community votes up, %"
    ),
    sa.Column(
        "sentiment_votes_down_pct",
        PRICE,
        nullable=True,
        comment="CoinGecko community votes down, %",
    ),
    sa.PrimaryKeyConstraint("coin_id", "week"),
)

market_metrics = sa.Table(
    "market_metrics",
    metadata,
    sa.Column("coin_id", sa.Text, nullable=False),
    sa.Column("symbol", sa.Text, nullable=True),
    sa.Column("ts", UTC_TS, nullable=False, comment="start of the hour (UTC)"),
    sa.Column("price", PRICE, nullable=True),
    sa.Column("market_cap", PRICE, nullable=True),
    sa.Column("market_cap_rank", sa.BigInteger, nullable=True),
    sa.Column("total_volume", PRICE, nullable=True, comment="24h volume"),
    sa.Column("circulating_supply", PRICE, nullable=True),
    sa.Column("total_supply", PRICE, nullable=True),
    sa.Column("max_supply", PRICE, nullable=True),
    sa.Column("ath", PRICE, nullable=True),
    sa.Column("ath_date", UTC_TS, nullable=True),
    sa.Column("atl", PRICE, nullable=True),
    sa.Column("atl_date", UTC_TS, nullable=True),
    sa.Column("price_change_24h", PRICE, nullable=True),
    sa.Column("price_change_pct_24h", PRICE, nullable=True),
    sa.Column("last_updated", UTC_TS, nullable=True, comment="time of CoinGecko's value"),
    sa.Column(
        "source",
        sa.Text,
        nullable=False,
        comment="endpoint: coins/markets (all columns) | market_chart/range (price, cap, "
        "volume) | quotes/latest (CoinMarketCap)",
    ),
    sa.Column(
        "provider",
        sa.Text,
        nullable=False,
        comment="coingecko | coinmarketcap (coin_id is that provider's id)",
    ),
    sa.PrimaryKeyConstraint("provider", "coin_id", "ts"),
)

TABLE_SPECS.update(
    {
        "coin_ids": TableSpec(coin_ids),
        "coin_metadata": TableSpec(coin_metadata, time_column="week"),
        # Facts: a re-fetch adds and corrects hours; a backfill's price/cap/volume-only row
        # (market_chart/range) never replaces a full live row (coins/markets). Each
        # provider's asset writes only its own rows.
        "market_metrics": TableSpec(
            market_metrics,
            time_column="ts",
            chunk_interval=timedelta(days=7),
            pinned_columns=("provider",),
            write_mode="upsert",
            keep_stored=("source", "coins/markets"),
        ),
    }
)
# ---- end fundamentals -----------------------------------------------------------------------

# ---- news and sentiment (issue 10) -------------------------------------------------------
# Plain tables, no hypertables: a few hundred articles a day, and a hypertable's unique keys
# would have to include the time column (an article whose date a feed corrects would then be
# stored twice).

news_articles = sa.Table(
    "news_articles",
    metadata,
    sa.Column("article_id", sa.Text, nullable=False, comment="hash of feed + guid/link/title"),
    sa.Column("published_at", UTC_TS, nullable=False, comment="publication time (UTC)"),
    sa.Column("feed", sa.Text, nullable=False, comment="feed URL, credentials redacted"),
    sa.Column("source", sa.Text, nullable=False, comment="the feed's title"),
    sa.Column("title", sa.Text, nullable=False, comment="plain text"),
    sa.Column("summary", sa.Text, nullable=False, comment="plain text, may be empty"),
    sa.Column("link", sa.Text, nullable=False, comment="without tracking parameters"),
    sa.Column("fetched_at", UTC_TS, nullable=False, comment="first fetch that saw it"),
    sa.PrimaryKeyConstraint("article_id"),
)

article_sentiment = sa.Table(
    "article_sentiment",
    metadata,
    sa.Column("article_id", sa.Text, nullable=False),
    sa.Column("published_at", UTC_TS, nullable=False),
    sa.Column("score", PRICE, nullable=False, comment="-1 (very bearish) .. 1 (very bullish)"),
    sa.Column("label", sa.Text, nullable=False, comment="very_bearish .. very_bullish"),
    sa.Column("scorer", sa.Text, nullable=False, comment="lexicon | ollama"),
    sa.Column("scorer_version", sa.Text, nullable=False),
    sa.Column("symbols", sa.Text, nullable=False, comment="matched coins, comma-separated"),
    sa.Column("crypto_relevant", sa.Boolean, nullable=False),
    sa.Column(
        "scored_at",
        UTC_TS,
        nullable=True,
        comment="when the score was computed (NULL: scored before this was kept)",
    ),
    sa.PrimaryKeyConstraint("article_id"),
)

sentiment_daily = sa.Table(
    "sentiment_daily",
    metadata,
    sa.Column("day", UTC_TS, nullable=False, comment="UTC day (midnight)"),
    sa.Column("symbol", sa.Text, nullable=False, comment="coin ticker, e.g. BTC"),
    sa.Column("mean_score", PRICE, nullable=False),
    sa.Column("article_count", sa.BigInteger, nullable=False),
    sa.Column("label", sa.Text, nullable=False, comment="label of the mean score"),
    sa.PrimaryKeyConstraint("symbol", "day"),
)

news_feed_status = sa.Table(
    "news_feed_status",
    metadata,
    sa.Column("feed", sa.Text, nullable=False, comment="feed URL, credentials redacted"),
    sa.Column("status", sa.Text, nullable=False, comment="ok | not_modified | empty | error"),
    sa.Column("last_attempt_at", UTC_TS, nullable=False),
    sa.Column("last_success_at", UTC_TS, nullable=True, comment="last ok or 304 answer"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("new_articles", sa.BigInteger, nullable=False, comment="new at the last poll"),
    sa.PrimaryKeyConstraint("feed"),
)


TABLE_SPECS.update(
    {
        spec.name: spec
        for spec in [
            TableSpec(
                news_articles, time_column="published_at", write_mode="upsert", noun="articles"
            ),
            TableSpec(article_sentiment, time_column="published_at"),
            TableSpec(sentiment_daily, time_column="day"),
            TableSpec(news_feed_status),
        ]
    }
)
# ---- end news and sentiment ----------------------------------------------------------------

# --- pipeline_errors (issue 12: run-failure monitor) ----------------------------------------
# One row per failure of a run, written by `pipeline_failure_sensor`; a re-evaluation of the
# same run replaces that run's rows (slice = run_id). Messages are redacted before writing.
pipeline_errors = sa.Table(
    "pipeline_errors",
    metadata,
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False, comment="failure number within the run"),
    sa.Column("failed_at", UTC_TS, nullable=False, comment="when the run failed"),
    sa.Column("job", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False, comment="data_quality | error"),
    sa.Column("step", sa.Text, nullable=False, comment="step key, or (run)"),
    sa.Column("asset_keys", sa.Text, nullable=False),
    sa.Column("partition_keys", sa.Text, nullable=False),
    sa.Column("error_class", sa.Text, nullable=False, comment="exception class or check name"),
    sa.Column("message", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("run_id", "seq"),
)
TABLE_SPECS[pipeline_errors.name] = TableSpec(pipeline_errors)
# --- end pipeline_errors --------------------------------------------------------------------

# --- settings of the consumer views (latest_candles, latest_sentiment, coverage) --------------
# One row (id = 1), created by the revision that created the views; users change it with
# UPDATE (README, "Using the data"). Not an asset: nothing writes it but its users.
view_settings = sa.Table(
    "view_settings",
    metadata,
    sa.Column("id", sa.BigInteger, nullable=False, comment="always 1: one row"),
    sa.Column(
        "sentiment_stale_hours",
        sa.Double,
        nullable=False,
        comment="latest_sentiment.stale: the latest article is older than this",
    ),
    sa.PrimaryKeyConstraint("id"),
)


# --- fundamentals II: CoinMarketCap, CoinMarketCap DEX, CoinGecko trending and exchanges -----
# Credits spent per calendar month (UTC), fed by every CoinMarketCap answer's
# status.credit_count; one row per month, incremented in place by every process.
cmc_credit_ledger = sa.Table(
    "cmc_credit_ledger",
    metadata,
    sa.Column("month", sa.Text, nullable=False, comment="UTC calendar month, YYYY-MM"),
    sa.Column("credits", sa.BigInteger, nullable=False, comment="sum of status.credit_count"),
    sa.Column("calls", sa.BigInteger, nullable=False, comment="answers counted"),
    sa.Column("updated_at", UTC_TS, nullable=False),
    sa.PrimaryKeyConstraint("month"),
)

cmc_ids = sa.Table(
    "cmc_ids",
    metadata,
    sa.Column("ticker", sa.Text, nullable=False, comment="base asset of tracked markets, e.g. BTC"),
    sa.Column("cmc_id", sa.Text, nullable=True, comment="CoinMarketCap id; NULL = not mapped"),
    sa.Column(
        "status",
        sa.Text,
        nullable=False,
        comment="override | mapped | active_only | ambiguous | unmapped | unknown_override",
    ),
    sa.Column("candidates", sa.Text, nullable=False, comment="id:name:active:rank of each match"),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("updated_at", UTC_TS, nullable=False),
    sa.PrimaryKeyConstraint("ticker"),
)

cmc_metadata = sa.Table(
    "cmc_metadata",
    metadata,
    sa.Column("cmc_id", sa.Text, nullable=False),
    sa.Column("week", UTC_TS, nullable=False, comment="start of the weekly partition (UTC)"),
    sa.Column("symbol", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("slug", sa.Text, nullable=True),
    sa.Column("category", sa.Text, nullable=True, comment="coin | token"),
    sa.Column("tags", sa.Text, nullable=False, comment="JSON list of tag names"),
    sa.Column("description", sa.Text, nullable=True, comment="plain text"),
    sa.Column("homepage", sa.Text, nullable=True),
    sa.Column("platform", sa.Text, nullable=True, comment="JSON platform object of a token"),
    sa.Column("date_added", UTC_TS, nullable=True),
    sa.Column("date_launched", UTC_TS, nullable=True),
    sa.Column("fetched_at", UTC_TS, nullable=False),
    sa.PrimaryKeyConstraint("cmc_id", "week"),
)

dex_pairs = sa.Table(
    "dex_pairs",
    metadata,
    sa.Column("network", sa.Text, nullable=False, comment="CMC DEX network slug, e.g. ethereum"),
    sa.Column("contract_address", sa.Text, nullable=False, comment="pair (pool) address"),
    sa.Column("ts", UTC_TS, nullable=False, comment="fetch slot start (UTC, 5-minute grid)"),
    sa.Column("dex", sa.Text, nullable=True, comment="dex slug, e.g. uniswap-v3"),
    sa.Column("base_symbol", sa.Text, nullable=True),
    sa.Column("quote_symbol", sa.Text, nullable=True),
    sa.Column("price", PRICE, nullable=True, comment="base priced in the quote convert (USD)"),
    sa.Column("volume_24h", PRICE, nullable=True),
    sa.Column("liquidity", PRICE, nullable=True),
    sa.Column("percent_change_24h", PRICE, nullable=True),
    sa.Column("last_updated", UTC_TS, nullable=True),
    sa.PrimaryKeyConstraint("network", "contract_address", "ts"),
)

coingecko_trending = sa.Table(
    "coingecko_trending",
    metadata,
    sa.Column("ts", UTC_TS, nullable=False, comment="fetch slot start (UTC, hourly)"),
    sa.Column("kind", sa.Text, nullable=False, comment="coin | nft | category"),
    sa.Column("position", sa.BigInteger, nullable=False, comment="0 = most searched"),
    sa.Column("item_id", sa.Text, nullable=False, comment="CoinGecko id of the coin/nft/category"),
    sa.Column("symbol", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("market_cap_rank", sa.BigInteger, nullable=True),
    sa.Column("price_usd", PRICE, nullable=True),
    sa.Column("price_change_pct_24h_usd", PRICE, nullable=True),
    sa.PrimaryKeyConstraint("ts", "kind", "position"),
)

coingecko_exchanges = sa.Table(
    "coingecko_exchanges",
    metadata,
    sa.Column("day", UTC_TS, nullable=False, comment="UTC day of the fetch (midnight)"),
    sa.Column("exchange_id", sa.Text, nullable=False, comment="CoinGecko exchange id"),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("country", sa.Text, nullable=True),
    sa.Column("year_established", sa.BigInteger, nullable=True),
    sa.Column("trust_score", sa.BigInteger, nullable=True, comment="1..10"),
    sa.Column("trust_score_rank", sa.BigInteger, nullable=True),
    sa.Column("trade_volume_24h_btc", PRICE, nullable=True),
    sa.Column("url", sa.Text, nullable=True),
    sa.PrimaryKeyConstraint("day", "exchange_id"),
)

TABLE_SPECS.update(
    {
        spec.name: spec
        for spec in [
            TableSpec(cmc_credit_ledger),
            TableSpec(cmc_ids),
            TableSpec(cmc_metadata, time_column="week"),
            TableSpec(dex_pairs, time_column="ts", chunk_interval=timedelta(days=7), noun="pairs"),
            TableSpec(coingecko_trending, time_column="ts"),
            TableSpec(coingecko_exchanges, time_column="day"),
        ]
    }
)
# --- end fundamentals II --------------------------------------------------------------------
