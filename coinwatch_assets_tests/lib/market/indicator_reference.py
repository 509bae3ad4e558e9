"""Textbook indicators in plain numpy, independent of TA-Lib (the reference of the tests).

Wilder's RSI (averages seeded with the mean of the first n changes, then
avg = (avg * (n - 1) + x) / n), EMA with alpha = 2 / (n + 1) seeded with the mean of the first
n values, MACD = EMA(12) - EMA(26) with its signal the EMA(9) of that line, Bollinger bands
from the rolling mean and population standard deviation (two-pass, per window), SMA.
Also the recorded candles as one long continuous canonical series, and the tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coinwatch_assets.lib.ohlcv_frame import PRICE_COLUMNS, to_canonical
from coinwatch_assets_tests.shared_data import read_candles_csv, shared_path

# Pure relative 1e-9 for every column, except that the MACD family (differences of two
# EMAs of ~equal size) also passes within 1e-13 x the series' price scale (median close):
# MACD, signal and histogram cross zero, and at a value of 1e-8 x price the double rounding
# of the EMAs (measured at most 1.2e-15 x price on the 10 recorded BTC pairs, TA-Lib vs this
# module) alone is 1e-7 relative. 1e-13 x price is ~80x that measured rounding.
RTOL = 1e-9
MACD_ATOL_PER_PRICE = 1e-13
MACD_COLUMNS = ("macd", "macd_signal", "macd_hist")


def recorded_series(pair: str, *, exchange: str = "test", symbol: str | None = None):
    """Recorded Binance 5m candles of `pair` (e.g. "ETH_BTC") as one canonical series."""
    rows = read_candles_csv(shared_path("ohlcv", "freqtrade", f"{pair}-5m.csv"))
    frame = pd.DataFrame(rows, columns=["ts", *PRICE_COLUMNS])
    frame["ts"] = pd.to_datetime(frame["ts"].astype("int64"), unit="ms", utc=True)
    frame["exchange"] = exchange
    frame["symbol"] = symbol or pair.replace("_", "/")
    frame["timeframe"] = "5m"
    return to_canonical(frame)


def ema(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    if len(x) < n:
        return out
    alpha = 2.0 / (n + 1)
    prev = float(np.mean(x[:n]))
    out[n - 1] = prev
    for i in range(n, len(x)):
        prev = alpha * x[i] + (1.0 - alpha) * prev
        out[i] = prev
    return out


def rsi(close: np.ndarray, n: int = 14) -> np.ndarray:
    out = np.full(len(close), np.nan)
    change = np.diff(close)
    if len(change) < n:
        return out
    gain, loss = np.clip(change, 0, None), np.clip(-change, 0, None)
    avg_gain, avg_loss = float(np.mean(gain[:n])), float(np.mean(loss[:n]))
    out[n] = 100.0 * avg_gain / (avg_gain + avg_loss)
    for i in range(n, len(change)):
        avg_gain = (avg_gain * (n - 1) + gain[i]) / n
        avg_loss = (avg_loss * (n - 1) + loss[i]) / n
        out[i + 1] = 100.0 * avg_gain / (avg_gain + avg_loss)
    return out


def _rolling(x: np.ndarray, n: int, reduce) -> np.ndarray:
    out = np.full(len(x), np.nan)
    if len(x) >= n:
        out[n - 1 :] = reduce(np.lib.stride_tricks.sliding_window_view(x, n), axis=1)
    return out


def sma(x: np.ndarray, n: int) -> np.ndarray:
    return _rolling(x, n, np.mean)


def reference(series: pd.DataFrame) -> pd.DataFrame:
    """Every indicator of ONE continuous series (sorted by ts), indexed by ts."""
    close = series["close"].to_numpy(dtype="float64")
    volume = series["volume"].to_numpy(dtype="float64")
    macd = ema(close, 12) - ema(close, 26)
    signal = np.full(len(close), np.nan)
    signal[25:] = ema(macd[25:], 9)
    middle, std = sma(close, 20), _rolling(close, 20, np.std)  # np.std: population (ddof 0)
    return pd.DataFrame(
        {
            "rsi_14": rsi(close),
            "ema_12": ema(close, 12),
            "ema_26": ema(close, 26),
            "macd": macd,
            "macd_signal": signal,
            "macd_hist": macd - signal,
            "bb_middle": middle,
            "bb_upper": middle + 2 * std,
            "bb_lower": middle - 2 * std,
            "volume_sma_20": sma(volume, 20),
        },
        index=pd.DatetimeIndex(series["ts"]),
    )


def worst_errors(
    actual: pd.DataFrame, expected: pd.DataFrame, price_scale: float
) -> dict[str, tuple[float, float]]:
    """{column: (worst relative error, worst error / tolerance)}; rows aligned by position."""
    out = {}
    for col in expected.columns:
        a = actual[col].to_numpy(dtype="float64")
        e = expected[col].to_numpy(dtype="float64")
        assert np.array_equal(np.isnan(a), np.isnan(e)), f"{col}: NaN where the other is not"
        ok = ~np.isnan(e)
        diff = np.abs(a[ok] - e[ok])
        atol = MACD_ATOL_PER_PRICE * price_scale if col in MACD_COLUMNS else 0.0
        tol = RTOL * np.abs(e[ok]) + atol
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(diff == 0, 0.0, diff / np.abs(e[ok]))
            ratio = np.where(diff == 0, 0.0, diff / tol)
        out[col] = (float(rel.max(initial=0.0)), float(ratio.max(initial=0.0)))
    return out


def assert_matches(actual: pd.DataFrame, expected: pd.DataFrame, price_scale: float, what: str):
    """Every column within RTOL (MACD family: or within the price-scaled floor)."""
    errors = worst_errors(actual, expected, price_scale)
    over = {c: e for c, e in errors.items() if e[1] > 1.0}
    assert not over, f"{what}: beyond tolerance (worst relative error, error/tolerance): {over}"
    return errors


# NULLs (NaN in the frame) a series starts with: TA-Lib's warm-up of each indicator (the MACD
# line starts with its signal: 26 + 9 - 2).
WARM_UP = {
    "rsi_14": 14,
    "ema_12": 11,
    "ema_26": 25,
    "macd": 33,
    "macd_signal": 33,
    "macd_hist": 33,
    "bb_middle": 19,
    "bb_upper": 19,
    "bb_lower": 19,
    "volume_sma_20": 19,
}
