"""The canonical OHLCV DataFrame every source returns and the `ohlcv` table stores."""

from __future__ import annotations

import pandas as pd

KEY_COLUMNS = ["exchange", "symbol", "timeframe", "ts"]
PRICE_COLUMNS = ["open", "high", "low", "close", "volume"]
OHLCV_COLUMNS = KEY_COLUMNS + PRICE_COLUMNS


def empty_ohlcv() -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes."""
    return to_canonical(pd.DataFrame(columns=OHLCV_COLUMNS))


def to_canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Columns in canonical order and dtypes: text keys, `ts` as UTC datetimes, float prices."""
    out = df.loc[:, OHLCV_COLUMNS].copy()
    for col in ("exchange", "symbol", "timeframe"):
        out[col] = out[col].astype(object)
    out["ts"] = pd.to_datetime(out["ts"], utc=True).astype("datetime64[us, UTC]")
    for col in PRICE_COLUMNS:
        out[col] = out[col].astype("float64")
    return out.reset_index(drop=True)


def from_ccxt_rows(
    rows: list[list[float]], *, exchange: str, symbol: str, timeframe: str
) -> pd.DataFrame:
    """ccxt `[[ms, o, h, l, c, v], ...]` -> canonical frame (rows assumed already validated)."""
    frame = pd.DataFrame(rows, columns=["ts", *PRICE_COLUMNS])
    frame["ts"] = pd.to_datetime(frame["ts"].astype("int64"), unit="ms", utc=True)
    frame["exchange"] = exchange
    frame["symbol"] = symbol
    frame["timeframe"] = timeframe
    return to_canonical(frame)
