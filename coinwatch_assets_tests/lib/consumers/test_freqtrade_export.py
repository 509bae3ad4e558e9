"""The freqtrade export of the recorded freqtrade candles, on both backends.

freqtrade's FeatherDataHandler stores `reset_index(drop=True)[DEFAULT_DATAFRAME_COLUMNS]` with
`to_feather(compression="lz4")` and loads a file by naming its columns
`date, open, high, low, close, volume`, casting the prices to float and the date with
`to_datetime(..., unit="ms", utc=True)`: `_freqtrade_load` below does exactly that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.feather as feather
import pytest

from coinwatch_assets.db_cli import main
from coinwatch_assets.lib.consumers.freqtrade import (
    COLUMNS,
    ExportError,
    export_freqtrade,
    pair_filename,
)
from coinwatch_assets.lib.storage.slices import Slice
from coinwatch_assets.lib.storage.store import Storage
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets_tests.shared_data import read_candles_csv, shared_path

PAIRS = {"ADA/BTC": "ADA_BTC-5m.csv", "TRX/BTC": "TRX_BTC-5m.csv"}
AFTER = pd.Timestamp("2018-02-01", tz="UTC")  # every recorded candle is closed by then


def _recorded(symbol: str) -> pd.DataFrame:
    raw = read_candles_csv(shared_path("ohlcv", "freqtrade", PAIRS[symbol]))
    frame = pd.DataFrame(raw, columns=["ts_ms", *COLUMNS[1:]])
    frame.insert(0, "ts", pd.to_datetime(frame.pop("ts_ms").astype("int64"), unit="ms", utc=True))
    return frame.assign(exchange="binance", symbol=symbol, timeframe="5m")


def _store(storage: Storage, candles: pd.DataFrame) -> None:
    storage.write(table_spec("ohlcv"), candles, Slice.whole_table("ohlcv"))


def _freqtrade_load(path: Path) -> pd.DataFrame:
    data = pd.read_feather(path)
    data.columns = COLUMNS
    data = data.astype({c: "float" for c in COLUMNS[1:]})
    data["date"] = pd.to_datetime(data["date"], unit="ms", utc=True)
    return data


def _expected(candles: pd.DataFrame) -> pd.DataFrame:
    out = candles.rename(columns={"ts": "date"})[COLUMNS].reset_index(drop=True)
    out["date"] = out["date"].astype("datetime64[ns, UTC]")
    return out


@pytest.fixture
def storage(database_url: str) -> Storage:
    return Storage(database_url)


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "user_data" / "data" / "binance"


def test_export_round_trips_the_recorded_candles_in_freqtrades_layout(
    storage: Storage, dest: Path
) -> None:
    candles = {s: _recorded(s) for s in PAIRS}
    for frame in candles.values():
        _store(storage, frame)
    results = export_freqtrade(storage, "binance", "5m", dest, now=AFTER)
    assert [r.symbol for r in results] == ["ADA/BTC", "TRX/BTC"]
    assert sorted(p.name for p in dest.iterdir()) == ["ADA_BTC-5m.feather", "TRX_BTC-5m.feather"]
    for result in results:
        path = dest / pair_filename(result.symbol, "5m")
        assert result.path == path
        assert result.appended == result.total == len(candles[result.symbol])
        raw = pd.read_feather(path)
        # freqtrade's dtypes and a plain index, exactly as its own handler writes them
        assert list(raw.columns) == COLUMNS and isinstance(raw.index, pd.RangeIndex)
        assert str(raw["date"].dtype) == "datetime64[ns, UTC]"
        assert all(raw[c].dtype == np.float64 for c in COLUMNS[1:])
        assert feather.read_table(path).schema.field("date").type.tz == "UTC"
        expected = _expected(candles[result.symbol])
        pd.testing.assert_frame_equal(raw, expected)
        pd.testing.assert_frame_equal(_freqtrade_load(path), expected)
        # holes stay holes: the recorded ADA/BTC outage (33 candles) is not filled
        steps = raw["date"].diff().dropna()
        assert (steps >= pd.Timedelta("5min")).all()
        assert len(raw) < (raw["date"].iloc[-1] - raw["date"].iloc[0]) / pd.Timedelta("5min") + 1
    ada = pd.read_feather(dest / "ADA_BTC-5m.feather").set_index("date")
    outage = ada.loc["2018-01-15 12:00":"2018-01-15 14:40"]
    assert outage.empty


def test_export_appends_only_newer_closed_candles(storage: Storage, dest: Path) -> None:
    candles = _recorded("ADA/BTC")
    cut = pd.Timestamp("2018-01-20", tz="UTC")
    _store(storage, candles[candles["ts"] < cut])
    # `now` mid-history: the candle still open at 2018-01-19 23:58 is not exported
    now = pd.Timestamp("2018-01-19 23:58", tz="UTC")
    (first,) = export_freqtrade(storage, "binance", "5m", dest, now=now)
    assert first.last == pd.Timestamp("2018-01-19 23:50", tz="UTC")
    closed = candles[candles["ts"] + pd.Timedelta("5min") <= now]
    assert first.appended == len(closed)

    _store(storage, candles[candles["ts"] >= cut])
    (second,) = export_freqtrade(storage, "binance", "5m", dest, now=AFTER)
    assert second.appended == len(candles) - len(closed) and second.total == len(candles)
    path = dest / "ADA_BTC-5m.feather"
    pd.testing.assert_frame_equal(pd.read_feather(path), _expected(candles))

    before = path.stat().st_mtime_ns
    (third,) = export_freqtrade(storage, "binance", "5m", dest, now=AFTER)
    assert third.appended == 0 and third.total == len(candles)
    assert path.stat().st_mtime_ns == before  # nothing new: the file is not rewritten


def test_cli_exports_a_selection_and_prints_a_summary(
    database_url: str, dest: Path, capsys: pytest.CaptureFixture
) -> None:
    storage = Storage(database_url)
    for symbol in PAIRS:
        _store(storage, _recorded(symbol))
    argv = ["--url", database_url, "export", "freqtrade", "--venue", "binance"]
    assert main([*argv, "--timeframe", "5m", "--dest", str(dest), "--symbols", "TRX/BTC"]) == 0
    out = capsys.readouterr().out
    trx = len(_recorded("TRX/BTC"))
    assert f"TRX_BTC-5m.feather: +{trx} candles, {trx} in file (2018-01-10" in out
    assert "1 pairs, +" in out and [p.name for p in dest.iterdir()] == ["TRX_BTC-5m.feather"]

    assert main([*argv, "--timeframe", "1h", "--dest", str(dest)]) == 1
    err = capsys.readouterr().err
    assert "no candles stored for exchange 'binance' and timeframe '1h'" in err
    assert main([*argv, "--timeframe", "5m", "--dest", str(dest), "--symbols", "BTC/USDT"]) == 1
    assert "['BTC/USDT']" in capsys.readouterr().err
    # the configured venue's timeframe is the default; an unknown venue needs one
    assert main([*argv, "--dest", str(dest), "--symbols", "ADA/BTC"]) == 0
    assert "ADA_BTC-5m.feather: +" in capsys.readouterr().out
    elsewhere = ["--url", database_url, "export", "freqtrade", "--venue", "nowhere"]
    assert main([*elsewhere, "--dest", str(dest)]) == 1
    assert "venue 'nowhere' is not configured here" in capsys.readouterr().err


def test_a_foreign_file_is_refused_and_left_alone(storage: Storage, dest: Path) -> None:
    _store(storage, _recorded("ADA/BTC"))
    path = dest / "ADA_BTC-5m.feather"
    dest.mkdir(parents=True)
    pd.DataFrame({"timestamp": [1], "price": [1.0]}).to_feather(path)
    before = path.read_bytes()
    with pytest.raises(ExportError, match=r"ADA_BTC-5m.feather: columns \['timestamp', 'price'\]"):
        export_freqtrade(storage, "binance", "5m", dest, now=AFTER)
    assert path.read_bytes() == before


def test_file_names_follow_freqtrade() -> None:
    assert pair_filename("BTC/USDT", "5m") == "BTC_USDT-5m.feather"
    assert pair_filename("BTC/USDT:USDT", "1h") == "BTC_USDT_USDT-1h.feather"
    assert pair_filename("ETH/BTC", "1M") == "ETH_BTC-1Mo.feather"
