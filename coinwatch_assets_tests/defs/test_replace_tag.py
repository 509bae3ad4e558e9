"""The replace tag under real Dagster runs: stored candles are replaced only as the user says."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from coinwatch_assets.defs.storage import REPLACE_TAG, CoinwatchIOManager
from coinwatch_assets.lib.storage.frames import StorageError
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.defs.test_io_manager import (
    PINS,
    RANGE_END,
    RANGE_START,
    database,  # noqa: F401 (fixture)
    date_x_symbol,
    instance,  # noqa: F401 (fixture)
)
from coinwatch_assets_tests.factories import ohlcv_frame


class Answer(dg.Config):
    empty_days: list[str] = []  # days the "exchange" answers [] for


@dg.asset(
    name="ohlcv",
    metadata=PINS,
    partitions_def=date_x_symbol,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def ohlcv_answer(context: dg.AssetExecutionContext, config: Answer) -> pd.DataFrame:
    days = sorted({k.keys_by_dimension["date"] for k in context.partition_keys})
    frames = [ohlcv_frame("BTC/USDT", d, base_price=200.0) for d in days]
    frame = pd.concat(frames, ignore_index=True)
    return frame[~frame["ts"].dt.strftime("%Y-%m-%d").isin(config.empty_days)]


def replace_run(instance, database, value, *, empty_days, raise_on_error=True):  # noqa: F811
    return dg.materialize(
        [ohlcv_answer],
        instance=instance,
        tags={
            RANGE_START: "2024-01-01|BTC-USDT",
            RANGE_END: "2024-01-02|BTC-USDT",
            **({REPLACE_TAG: value} if value is not None else {}),
        },
        resources={"io_manager": CoinwatchIOManager(database=database)},
        run_config={"ops": {"ohlcv": {"config": {"empty_days": empty_days}}}},
        raise_on_error=raise_on_error,
    )


def days_stored(database) -> dict[str, int]:  # noqa: F811
    rows = database.read("ohlcv")
    return rows["ts"].dt.strftime("%Y-%m-%d").value_counts().sort_index().to_dict()


def test_replacing_a_day_with_nothing_is_refused_unless_said_exactly(
    instance,  # noqa: F811
    database,  # noqa: F811
) -> None:
    stored = pd.concat([ohlcv_frame("BTC/USDT", d) for d in ("2024-01-01", "2024-01-02")])
    database.storage().write(table_spec("ohlcv"), stored, Slice.whole_table("ohlcv"))
    before = database.read("ohlcv")
    # the exchange answers [] for one day of the two: `true` refuses, the run fails, nothing moves
    with pytest.raises(StorageError) as err:
        replace_run(instance, database, "true", empty_days=["2024-01-02"])
    text = str(err.value)
    assert "no candles for 1 day(s) that store some: 2024-01-02 binance BTC/USDT 5m (288" in text
    assert f"{REPLACE_TAG}=allow_empty" in text
    pd.testing.assert_frame_equal(database.read("ohlcv"), before)
    # a value that is not documented is an error, not a silent upsert
    for value in ("yes", "TRUE!", ""):
        with pytest.raises(StorageError, match="is not one of true, allow_empty, false"):
            replace_run(instance, database, value, empty_days=[])
        pd.testing.assert_frame_equal(database.read("ohlcv"), before)
    # `true` with a full answer replaces both days
    assert replace_run(instance, database, "true", empty_days=[]).success
    assert days_stored(database) == {"2024-01-01": 288, "2024-01-02": 288}
    assert database.read("ohlcv")["open"].min() > 199.0  # the new answer's prices (not 100)
    # said exactly: the empty day goes
    assert replace_run(instance, database, "allow_empty", empty_days=["2024-01-02"]).success
    assert days_stored(database) == {"2024-01-01": 288}


def test_the_documented_headless_command_carries_the_tag(tmp_path) -> None:
    # `dagster asset materialize` has no tag option: the README's `dagster job execute` line
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "COINWATCH_SOURCE": "sample",
        "COINWATCH_SYMBOLS": "BTC/USDT",
        "COINWATCH_START_DATE": "2024-01-01",
        "COINWATCH_SQLITE_PATH": str(tmp_path / "cw.sqlite"),
    }
    env.pop("COINWATCH_CONFIG", None)
    env.pop("COINWATCH_DATABASE_URL", None)
    (tmp_path / "home").mkdir()
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as inst:
        inst.add_dynamic_partitions("symbols", ["BTC-USDT"])
    dagster = Path(sys.executable).with_name("dagster")
    tags = {"dagster/partition": "2024-01|BTC-USDT", REPLACE_TAG: "true"}
    command = [dagster, "job", "execute", "-m", "coinwatch_assets.definitions"]
    command += ["-j", "__ASSET_JOB", "--op-selection", "ohlcv", "--tags", json.dumps(tags)]
    proc = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as inst:
        event = inst.get_latest_materialization_event(dg.AssetKey("ohlcv"))
        assert (
            event is not None and event.asset_materialization.partition == tags["dagster/partition"]
        )
        assert event.asset_materialization.metadata["write_mode"].value == "replace"
