"""A venue's market assets: the symbol universe (`markets`) and exchange candles (`ohlcv`)."""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
import numpy as np
import pandas as pd

from coinwatch_assets.defs.market.partitions import VenuePartitions
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import (
    FETCHED_WINDOWS,
    SKIPPED_PARTITIONS,
    DatabaseResource,
    table_metadata,
)
from coinwatch_assets.lib.market.fetch_plan import (
    FETCH_FROM_TAG,
    FETCH_WINDOWS_TAG,
    LAST_STORED,
    OVERLAP_CANDLES,
    decode_windows,
    fetch_windows,
    group_by_symbol,
    narrow_plan,
    partition_windows,
)
from coinwatch_assets.lib.market.grain import (
    MONTH_FMT,
    SYMBOL_DIMENSION,
    TIME_DIMENSION,
    clip_to_month,
    join_key,
)
from coinwatch_assets.lib.market.universe import delisted_since, merge_markets
from coinwatch_assets.lib.quality.timeframes import parse_timeframe
from coinwatch_assets.lib.sources.history import HISTORY_SOURCE_TAG
from coinwatch_assets.lib.storage.chunks import FrameChunks
from coinwatch_assets.lib.storage.frames import label_codes
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.symbols import key_to_symbol, symbol_to_key
from coinwatch_assets.lib.venues import Venue

# When the fetch happened: the checks judge the candles closed by then, not by their own clock.
FETCHED_AT = "fetched_at"


def build_markets(venue: Venue) -> dg.AssetsDefinition:
    source_key = venue.named("market_source")

    @dg.asset(
        name="markets",
        key_prefix=venue.key_prefix(),
        group_name=venue.group,
        metadata=table_metadata("markets", exchange=venue.exchange_label),
        required_resource_keys={source_key, "database"},
        kinds={"python", "sql"},
    )
    def markets(context: dg.AssetExecutionContext) -> pd.DataFrame:
        """Tracked spot markets of the venue, with first-seen and delisted dates."""
        market_source: MarketSourceResource = getattr(context.resources, source_key)
        database: DatabaseResource = context.resources.database
        source = market_source.build()
        current = source.list_markets(
            quote=market_source.quote,
            top_n=None if market_source.symbols else market_source.top_n,
            symbols=list(market_source.symbols) or None,
        )
        now = datetime.now(UTC)
        table = merge_markets(database.read("markets"), current, today=now.date(), now=now)
        # This venue's rows only: the write is pinned to its exchange.
        mine = table[table["exchange"] == source.exchange_id].reset_index(drop=True)
        context.add_output_metadata(
            {
                "active": int(mine["active"].sum()),
                "delisted": int((~mine["active"].astype(bool)).sum()),
                "symbols": ", ".join(mine.loc[mine["active"], "symbol"]),
            }
        )
        return mine

    return markets


def _run_keys(context: dg.AssetExecutionContext) -> list[tuple[str, str]]:
    return [
        (key.keys_by_dimension[TIME_DIMENSION], key.keys_by_dimension[SYMBOL_DIMENSION])
        for key in context.partition_keys
    ]


def _narrowed(
    context: dg.AssetExecutionContext,
    database: DatabaseResource,
    plan: list[tuple[str, datetime, datetime]],
    pins: dict[str, str],
) -> list[tuple[str, datetime, datetime]]:
    """The run's fetch plan cut by its tags: incremental, from a time, or hole windows."""
    tags = context.run.tags
    fetch_from, windows = tags.get(FETCH_FROM_TAG), tags.get(FETCH_WINDOWS_TAG)
    if windows:
        try:
            return narrow_plan(plan, windows=decode_windows(windows))
        except ValueError as exc:
            raise dg.Failure(str(exc)) from None
    if not fetch_from:
        return plan
    if fetch_from != LAST_STORED:
        try:
            moment = datetime.fromisoformat(fetch_from)
            if moment.tzinfo is None:
                raise ValueError("no UTC offset")
        except ValueError:
            raise dg.Failure(
                f"run tag {FETCH_FROM_TAG}={fetch_from!r}: expected {LAST_STORED!r} or an ISO "
                "time with a UTC offset, e.g. 2024-01-31T00:00:00+00:00"
            ) from None
        return narrow_plan(plan, fetch_from=moment)
    if not plan:
        return plan
    # Each symbol's latest candle within the run's months: one index lookup per symbol.
    spec = table_spec("ohlcv")
    earliest = min(start for _, start, _ in plan)
    symbols = sorted({key_to_symbol(symbol_key) for symbol_key, _, _ in plan})
    cells = tuple(Cell(equals=(("symbol", s),), start=earliest) for s in symbols)
    where = Slice("ohlcv", "ts", cells).pinned(pins)
    latest = {
        symbol_to_key(str(s)): t.to_pydatetime()
        for s, t in database.storage().last_times(spec, where, "symbol").items()
    }
    step = parse_timeframe(pins["timeframe"]).to_pytimedelta()
    return narrow_plan(plan, latest=latest, overlap=step * OVERLAP_CANDLES)


def _fetch_table(fetches: list[tuple[str, datetime, datetime]], rows: dict[str, int]) -> str:
    """The run's fetches as a table (one line per symbol window, not one log event each)."""
    lines = ["| symbol | from | to | candles |", "|---|---|---|---|"]
    for symbol_key, start, end in fetches[:500]:
        got = sum(n for k, n in rows.items() if k.endswith(f"|{symbol_key}"))
        lines.append(f"| {symbol_key} | {start:%Y-%m-%d %H:%M} | {end:%Y-%m-%d %H:%M} | {got} |")
    return "\n".join(lines)


def build_ohlcv(
    venue: Venue, partitions: VenuePartitions, markets: dg.AssetsDefinition
) -> dg.AssetsDefinition:
    source_key = venue.named("market_source")

    @dg.asset(
        name="ohlcv",
        key_prefix=venue.key_prefix(),
        group_name=venue.group,
        partitions_def=partitions.ohlcv,
        # One run fetches many months of a symbol with one paginated loop (see README, Backfills).
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=venue.pool,
        metadata=table_metadata("ohlcv", exchange=venue.exchange_label, timeframe=venue.timeframe),
        deps=[markets],
        required_resource_keys={source_key, "database"},
        kinds={"python", "sql"},
    )
    def ohlcv(context: dg.AssetExecutionContext) -> FrameChunks:
        """Closed OHLCV candles per UTC month and symbol (the current month: up to now)."""
        market_source: MarketSourceResource = getattr(context.resources, source_key)
        database: DatabaseResource = context.resources.database
        # The timeframe pins the slice in the definition metadata: it shapes the definition.
        timeframe = venue.timeframe
        # repairs ask for REST only: an archive file with holes would serve the same holes
        source = market_source.build(context.run.tags.get(HISTORY_SOURCE_TAG))
        now = datetime.now(UTC)
        delisted = delisted_since(database.read("markets"), source.exchange_id)
        run_keys = _run_keys(context)
        months_by_symbol = group_by_symbol(run_keys)
        since = datetime.combine(venue.start_date, datetime.min.time(), UTC)
        pins = {"exchange": venue.exchange_label, "timeframe": timeframe}
        plan = _narrowed(context, database, fetch_windows(months_by_symbol, now, since), pins)
        skipped, fetches = [], []
        for symbol_key, start, end in plan:
            symbol = key_to_symbol(symbol_key)
            gone = delisted.get(symbol)
            cut = datetime.combine(gone, datetime.min.time(), UTC) if gone else None
            if cut is not None and end > cut:
                # History stays; months from the delisting's month on are fetched up to the
                # delisting (live exchanges answer "bad symbol" after it), later ones not at all.
                skipped += [
                    join_key(m, symbol_key)
                    for m in months_by_symbol[symbol_key]
                    if clip_to_month(m, max(start, cut), end) is not None
                    and clip_to_month(m, start, min(end, cut)) is None
                ]
                context.log.info(f"{symbol}: delisted on {gone}, nothing fetched from then on")
                if start >= cut:
                    continue
                end = cut
            fetches.append((symbol_key, start, end))
        rows_by_key: dict[str, int] = {}
        keys = [join_key(month, sym) for month, sym in run_keys]
        skipped = sorted(set(skipped))

        def chunks() -> Iterator[pd.DataFrame]:
            # One symbol at a time: a backfill of many symbols x years holds one symbol's
            # window in memory, never the whole range (the IO manager writes each chunk).
            for symbol_key, start, end in fetches:
                frame = source.fetch_ohlcv(
                    key_to_symbol(symbol_key), timeframe, start, end, now=now
                )
                codes, months = label_codes(frame["ts"], MONTH_FMT)
                for month, count in zip(
                    months, np.bincount(codes, minlength=len(months)), strict=True
                ):
                    key = join_key(month, symbol_key)
                    rows_by_key[key] = rows_by_key.get(key, 0) + int(count)
                # The run owns what it fetched, not its partitions' whole months (storage.py).
                frame.attrs[FETCHED_WINDOWS] = partition_windows(
                    [(symbol_key, start, end)], [k for k in run_keys if k[1] == symbol_key]
                )
                yield frame

        def finish() -> dict[str, object]:
            empty = [k for k in keys if k not in rows_by_key and k not in skipped]
            # One log line, not metadata: Dagster copies a run's output metadata into every
            # partition's materialization (each partition states its own fetched window).
            context.log.info(f"fetched:\n{_fetch_table(fetches, rows_by_key)}")
            return {
                # Empty answers are recorded, not errors: an exchange can have no trades.
                # Stored candles of such a month are kept (see candles_not_returned).
                "empty_partitions": len(empty),
                "empty_partition_keys": ", ".join(empty[:50]),
                **(stats.as_metadata() if (stats := getattr(source, "stats", None)) else {}),
            }

        context.add_output_metadata(
            {
                "timeframe": timeframe,
                "source": source.exchange_id,
                "fetches": len(fetches),
                FETCHED_AT: now.isoformat(),
                SKIPPED_PARTITIONS: dg.MetadataValue.json(skipped),
            }
        )
        return FrameChunks(chunks(), finish)

    return ohlcv
