"""The IO manager under real Dagster runs: every partition selection writes exactly its slice."""

from collections.abc import Iterator

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.storage import (
    FETCHED_WINDOWS,
    CoinwatchIOManager,
    DatabaseResource,
    table_metadata,
    whole_window_keys,
)
from coinwatch_assets.lib.storage.chunks import FrameChunks
from coinwatch_assets.lib.storage.frames import StorageError
from coinwatch_assets.lib.symbols import key_to_symbol
from coinwatch_assets_tests.factories import ohlcv_frame

SYMBOLS = ["BTC-USDT", "ETH-USDT", "SOL-USDT"]
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
symbols = dg.DynamicPartitionsDefinition(name="symbols")
daily = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-05")
date_x_symbol = dg.MultiPartitionsDefinition({"date": daily, "symbol": symbols})
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
# The venue and timeframe every test candle carries (the slice pins them).
PINS = {"exchange": "binance", "timeframe": "5m"}


class Prices(dg.Config):
    base_price: float = 100.0
    # a partition key whose last candle the chunked asset leaves out of its frame
    drop_last_of: str = ""


def _frames(keys: list[tuple[str, str]], base_price: float) -> pd.DataFrame:
    frames = [ohlcv_frame(key_to_symbol(sym), day, base_price=base_price) for day, sym in keys]
    return pd.concat(frames, ignore_index=True)


@dg.asset(
    name="ohlcv",
    metadata=PINS,
    partitions_def=date_x_symbol,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def ohlcv_multi(context: dg.AssetExecutionContext, config: Prices) -> pd.DataFrame:
    keys = [
        (k.keys_by_dimension["date"], k.keys_by_dimension["symbol"]) for k in context.partition_keys
    ]
    return _frames(keys, config.base_price)


@dg.asset(partitions_def=date_x_symbol, backfill_policy=dg.BackfillPolicy.single_run())
def ohlcv_echo(context: dg.AssetExecutionContext, ohlcv: pd.DataFrame) -> None:
    """Reads its upstream slice and records what it saw."""
    context.add_output_metadata(
        {"rows": len(ohlcv), "symbols": ",".join(sorted(ohlcv["symbol"].unique()))}
    )


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions("symbols", SYMBOLS)
        yield inst


@pytest.fixture
def database(database_url: str) -> DatabaseResource:
    return DatabaseResource(url=database_url)


def run(assets, instance, database, *, key=None, start=None, end=None, base_price=100.0):
    tags = {RANGE_START: start, RANGE_END: end} if start else None
    return dg.materialize(
        assets,
        instance=instance,
        partition_key=key,
        tags=tags,
        resources={"io_manager": CoinwatchIOManager(database=database)},
        run_config={"ops": {"ohlcv": {"config": {"base_price": base_price}}}},
    )


def seed_everything(instance, database) -> None:
    for sym in SYMBOLS:
        result = run(
            [ohlcv_multi], instance, database, start=f"{DAYS[0]}|{sym}", end=f"{DAYS[-1]}|{sym}"
        )
        assert result.success


def prices_by_cell(database: DatabaseResource) -> dict[tuple[str, str], set[float]]:
    rows = database.read("ohlcv")
    day = rows["ts"].dt.strftime("%Y-%m-%d")
    opens = rows["open"] - rows.groupby([rows["symbol"], day]).cumcount() * 0.01
    grouped = opens.round(3).groupby([rows["symbol"], day]).agg(lambda s: set(s.round(1)))
    return {k: v for k, v in grouped.items()}


def changed_cells(database: DatabaseResource) -> set[tuple[str, str]]:
    cells = prices_by_cell(database)
    assert all(len(v) == 1 for v in cells.values()), "a cell mixes old and new rows"
    assert len(cells) == len(SYMBOLS) * len(DAYS)
    return {k for k, v in cells.items() if v != {100.0}}


def test_one_key_writes_its_cell_only(instance, database) -> None:
    seed_everything(instance, database)
    result = run([ohlcv_multi], instance, database, key="2024-01-02|ETH-USDT", base_price=7.0)
    assert result.success
    assert changed_cells(database) == {("ETH/USDT", "2024-01-02")}
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows_written"].value == 288 and meta["rows_updated"].value == 288
    assert meta["write_mode"].value == "upsert" and meta["candles_not_returned"].value == 0
    assert meta["dagster/table_name"].value == "ohlcv"
    assert meta["window_start"].value == "2024-01-02T00:00:00+00:00"
    assert meta["keys"].value == "ETH/USDT"
    assert [c.name for c in meta["dagster/column_schema"].schema.columns][:4] == [
        "exchange",
        "symbol",
        "timeframe",
        "ts",
    ]


def test_date_range_of_one_symbol_in_one_run(instance, database) -> None:
    seed_everything(instance, database)
    result = run(
        [ohlcv_multi],
        instance,
        database,
        start="2024-01-02|SOL-USDT",
        end="2024-01-04|SOL-USDT",
        base_price=7.0,
    )
    assert result.success
    assert changed_cells(database) == {
        ("SOL/USDT", "2024-01-02"),
        ("SOL/USDT", "2024-01-03"),
        ("SOL/USDT", "2024-01-04"),
    }
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows_written"].value == 3 * 288 and meta["partitions"].value == 3


def test_n_symbols_by_m_days_in_one_run(instance, database) -> None:
    seed_everything(instance, database)
    result = run(
        [ohlcv_multi],
        instance,
        database,
        start="2024-01-01|BTC-USDT",
        end="2024-01-02|ETH-USDT",
        base_price=7.0,
    )
    assert result.success
    assert changed_cells(database) == {
        ("BTC/USDT", "2024-01-01"),
        ("BTC/USDT", "2024-01-02"),
        ("ETH/USDT", "2024-01-01"),
        ("ETH/USDT", "2024-01-02"),
    }


def test_same_partition_three_times_is_idempotent(instance, database) -> None:
    seed_everything(instance, database)
    before = database.read("ohlcv")
    for _ in range(3):
        assert run([ohlcv_multi], instance, database, key="2024-01-03|BTC-USDT").success
    pd.testing.assert_frame_equal(database.read("ohlcv"), before)


def test_downstream_loads_exactly_its_upstream_slice(instance, database) -> None:
    seed_everything(instance, database)
    result = dg.materialize(
        [ohlcv_multi.to_source_asset(), ohlcv_echo],
        instance=instance,
        tags={RANGE_START: "2024-01-02|BTC-USDT", RANGE_END: "2024-01-03|ETH-USDT"},
        resources={"io_manager": CoinwatchIOManager(database=database)},
    )
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows"].value == 4 * 288
    assert meta["symbols"].value == "BTC/USDT,ETH/USDT"


def test_time_window_partitions(instance, database) -> None:
    @dg.asset(name="ohlcv", metadata=PINS, partitions_def=daily)
    def ohlcv_daily(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return _frames([(context.partition_key, s) for s in SYMBOLS], 100.0)

    for day in DAYS:
        assert run([ohlcv_daily], instance, database, key=day).success
    assert run([ohlcv_daily], instance, database, key="2024-01-02").success
    rows = database.read("ohlcv")
    assert len(rows) == len(DAYS) * len(SYMBOLS) * 288
    assert not rows.duplicated(["symbol", "ts"]).any()


def test_dynamic_partitions(instance, database) -> None:
    @dg.asset(name="ohlcv", metadata=PINS, partitions_def=symbols)
    def ohlcv_by_symbol(context: dg.AssetExecutionContext, config: Prices) -> pd.DataFrame:
        return _frames([(d, context.partition_key) for d in DAYS[:2]], config.base_price)

    for sym in SYMBOLS:
        assert run([ohlcv_by_symbol], instance, database, key=sym).success
    assert run([ohlcv_by_symbol], instance, database, key="ETH-USDT", base_price=7.0).success
    rows = database.read("ohlcv")
    assert len(rows) == len(SYMBOLS) * 2 * 288
    changed = set(rows.loc[rows["open"] < 50, "symbol"])
    assert changed == {"ETH/USDT"}


def test_unpartitioned_asset_upserts_the_table(instance, database) -> None:
    @dg.asset(name="ohlcv", metadata=PINS)
    def ohlcv_all(config: Prices) -> pd.DataFrame:
        return _frames([("2024-01-01", "BTC-USDT")], config.base_price)

    assert run([ohlcv_all], instance, database).success
    assert run([ohlcv_all], instance, database, base_price=7.0).success
    rows = database.read("ohlcv")
    assert len(rows) == 288 and rows["close"].iloc[0] == 7.0


def test_a_schema_in_the_definition_is_not_repeated_in_each_materialization(
    instance, database
) -> None:
    @dg.asset(name="ohlcv", metadata=table_metadata("ohlcv", **PINS))
    def ohlcv_defined(config: Prices) -> pd.DataFrame:
        return _frames([("2024-01-01", "BTC-USDT")], config.base_price)

    result = run([ohlcv_defined], instance, database)
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows_written"].value == 288 and meta["dagster/table_name"].value == "ohlcv"
    assert "dagster/column_schema" not in meta
    definition = ohlcv_defined.specs_by_key[dg.AssetKey("ohlcv")].metadata
    assert definition["dagster/column_schema"].columns[3].name == "ts"


def test_unmapped_partition_dimension_is_refused(instance, database) -> None:
    other = dg.MultiPartitionsDefinition(
        {"date": daily, "venue": dg.StaticPartitionsDefinition(["a", "b"])}
    )

    @dg.asset(name="ohlcv", metadata=PINS, partitions_def=other)
    def ohlcv_bad() -> pd.DataFrame:
        return ohlcv_frame()

    with pytest.raises(StorageError, match="dimension 'venue' maps to no column"):
        run([ohlcv_bad], instance, database, key="2024-01-01|a")
    assert database.read("ohlcv").empty


def test_rows_outside_the_run_fail_the_run_and_write_nothing(instance, database) -> None:
    seed_everything(instance, database)
    before = database.read("ohlcv")

    @dg.asset(name="ohlcv", metadata=PINS, partitions_def=date_x_symbol)
    def ohlcv_leaky() -> pd.DataFrame:
        return ohlcv_frame("BTC/USDT", "2024-01-01", periods=300)  # spills into the next day

    with pytest.raises(StorageError, match=r"2024-01-01\|BTC-USDT.*outside the partition"):
        run([ohlcv_leaky], instance, database, key="2024-01-01|BTC-USDT")
    pd.testing.assert_frame_equal(database.read("ohlcv"), before)


def test_a_range_written_outside_a_run_needs_no_run_context(instance, database) -> None:
    # Scripts and benchmarks call handle_output with a context built outside a run: the
    # range is written; per-partition metadata, which only a run records, is left out.
    context = dg.build_output_context(
        asset_key=dg.AssetKey("ohlcv"),
        asset_partitions_def=date_x_symbol,
        asset_partition_key_range=dg.PartitionKeyRange(
            "2024-01-01|BTC-USDT", "2024-01-02|BTC-USDT"
        ),
        instance=instance,
        definition_metadata=PINS,
    )
    frame = _frames([(d, "BTC-USDT") for d in DAYS[:2]], 100.0)
    CoinwatchIOManager(database=database).handle_output(context, frame)
    assert len(database.read("ohlcv")) == 2 * 288


@dg.asset(
    name="ohlcv",
    metadata=PINS,
    partitions_def=date_x_symbol,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def ohlcv_chunked(context: dg.AssetExecutionContext, config: Prices) -> FrameChunks:
    """One chunk per symbol, each stating its keys; produced only as the IO manager asks."""
    keys = [
        (k.keys_by_dimension["date"], k.keys_by_dimension["symbol"]) for k in context.partition_keys
    ]
    produced: list[str] = []

    def chunks() -> Iterator[pd.DataFrame]:
        for sym in sorted({s for _, s in keys}):
            mine = [(d, s) for d, s in keys if s == sym]
            frame = _frames(mine, config.base_price)
            if config.drop_last_of in {f"{d}|{s}" for d, s in mine}:
                day_of = config.drop_last_of.split("|")[0]
                last = frame[frame["ts"] < pd.Timestamp(day_of, tz="UTC") + pd.Timedelta(days=1)]
                frame = frame.drop(index=last.index[-1]).reset_index(drop=True)
            day = pd.Timedelta(days=1)
            frame.attrs[FETCHED_WINDOWS] = {
                f"{d}|{s}": [(pd.Timestamp(d, tz="UTC"), pd.Timestamp(d, tz="UTC") + day)]
                for d, s in mine
            }
            produced.append(sym)
            yield frame

    return FrameChunks(chunks(), lambda: {"chunks_produced": ",".join(produced)})


def test_chunked_output_writes_each_chunk_into_its_own_keys(instance, database) -> None:
    seed_everything(instance, database)
    result = run(
        [ohlcv_chunked],
        instance,
        database,
        start="2024-01-02|BTC-USDT",
        end="2024-01-03|ETH-USDT",
        base_price=7.0,
    )
    assert result.success
    assert changed_cells(database) == {
        ("BTC/USDT", "2024-01-02"),
        ("BTC/USDT", "2024-01-03"),
        ("ETH/USDT", "2024-01-02"),
        ("ETH/USDT", "2024-01-03"),
    }
    events = result.get_asset_materialization_events()
    assert len(events) == 4  # one per partition, each with its own rows
    for event in events:
        meta = event.materialization.metadata
        assert meta["dagster/row_count"].value == 288 and meta["partition_rows"].value == 288
        # the run's totals and what is known only once every chunk was produced
        assert meta["rows_written"].value == 4 * 288 and meta["rows_updated"].value == 4 * 288
        assert meta["chunks_produced"].value == "BTC-USDT,ETH-USDT"


def test_each_partition_counts_the_rows_it_stores_also_those_a_chunk_did_not_return(
    instance, database
) -> None:
    seed_everything(instance, database)
    config = {
        "ops": {"ohlcv": {"config": {"base_price": 7.0, "drop_last_of": "2024-01-03|BTC-USDT"}}}
    }
    result = dg.materialize(
        [ohlcv_chunked],
        instance=instance,
        resources={"io_manager": CoinwatchIOManager(database=database)},
        tags={RANGE_START: "2024-01-02|BTC-USDT", RANGE_END: "2024-01-03|ETH-USDT"},
        run_config=config,
    )
    assert result.success
    by_key = {
        e.partition: e.materialization.metadata for e in result.get_asset_materialization_events()
    }
    short = by_key.pop("2024-01-03|BTC-USDT")
    # 287 candles returned, the 288th stored earlier and kept: the partition holds 288.
    assert short["partition_rows"].value == 287
    assert short["dagster/row_count"].value == short["stored_rows"].value == 288
    for meta in by_key.values():
        assert meta["partition_rows"].value == meta["dagster/row_count"].value == 288


def test_whole_window_keys_need_their_partition_window_covered() -> None:
    day = pd.Timedelta(days=1)
    t = pd.Timestamp("2024-01-02", tz="UTC")
    windows = {
        "2024-01-02|BTC-USDT": [(t, t + day)],
        "2024-01-02|ETH-USDT": [
            (t + pd.Timedelta(hours=12), t + day),
            (t, t + pd.Timedelta(hours=12)),
        ],
        "2024-01-02|SOL-USDT": [(t, t + pd.Timedelta(hours=23))],
        "2024-01-03|SOL-USDT": [
            (t + day, t + day + pd.Timedelta(hours=6)),
            (t + day + pd.Timedelta(hours=7), t + 2 * day),
        ],
    }
    assert whole_window_keys(date_x_symbol, windows) == {
        "2024-01-02|BTC-USDT",
        "2024-01-02|ETH-USDT",
    }
