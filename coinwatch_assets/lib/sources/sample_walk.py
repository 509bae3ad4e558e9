"""Closed-form pseudo-random candles for the sample source (numpy, vectorised).

Every random number is a pure function of (seed, stream, index) through the splitmix64
finaliser, so a candle depends only on its symbol, timeframe and open time, never on the
window it was requested in. Prices: closed-form daily anchor levels (a few slow sinusoids
with symbol-specific phases plus noise), joined within each day by a Brownian bridge of the
timeframe's steps, so consecutive candles chain (close == next open) across day boundaries.
"""

from __future__ import annotations

import zlib

import numpy as np

from coinwatch_assets.lib.quality.timeframes import DAY_MS

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
# random streams: one per use, so draws never correlate
_ANCHOR, _STEP, _HIGH, _LOW, _VOLUME = 1, 2, 3, 4, 5


def stable_seed(*parts: str) -> int:
    """A seed that is the same in every process (unlike `hash()`, which is salted)."""
    return zlib.crc32("|".join(parts).encode())


def _uniform(seed: int, stream: int, index: np.ndarray) -> np.ndarray:
    """Uniform (0, 1) draws, one per index."""
    # the key is mixed in Python ints: numpy warns on scalar uint64 overflow
    key = np.uint64(((((seed & 0xFFFFFFFF) << 16) ^ stream) * int(_MIX2)) & 0xFFFFFFFFFFFFFFFF)
    z = (index.astype(np.uint64) * _GOLDEN) ^ key
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53


def normal(seed: int, stream: int, index: np.ndarray) -> np.ndarray:
    """Standard normal draws (Box-Muller), one per index."""
    u1 = _uniform(seed, 2 * stream, index)
    u2 = _uniform(seed, 2 * stream + 1, index)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def anchors(seed: int, log_base: float, days: np.ndarray) -> np.ndarray:
    """Log price at 00:00 UTC of each epoch day."""
    phases = [((seed >> (8 * k)) & 0xFF) / 256.0 * 2.0 * np.pi for k in range(3)]
    d = days.astype(np.float64)
    return (
        log_base
        + 0.25 * np.sin(2.0 * np.pi * d / 365.25 + phases[0])
        + 0.10 * np.sin(2.0 * np.pi * d / 61.0 + phases[1])
        + 0.05 * np.sin(2.0 * np.pi * d / 13.0 + phases[2])
        + 0.02 * normal(seed, _ANCHOR, days)
    )


def candles(
    *,
    symbol: str,
    timeframe: str,
    tf_ms: int,
    first: int,
    last: int,
    base_price: float,
    daily_quote_volume: float,
    daily_vol: float = 0.03,
    seed: int = 0,
) -> np.ndarray:
    """(n, 6) `ts_ms, o, h, l, c, v` for every grid candle with open time in [first, last].

    `first` and `last` must be on the `tf_ms` grid; timeframes must divide a day or be whole
    days (callers check). `seed` (a venue's) changes wicks and volumes, never the path of
    opens and closes, so two sample venues agree on prices unless told otherwise.
    """
    price_seed = stable_seed(symbol)
    step_seed = stable_seed(symbol, timeframe)
    log_base = float(np.log(base_price))
    if tf_ms < DAY_MS:
        per_day = DAY_MS // tf_ms
        days = np.arange(first // DAY_MS, last // DAY_MS + 1, dtype=np.int64)
        level = anchors(price_seed, log_base, np.append(days, days[-1] + 1))
        index = days[:, None] * per_day + np.arange(per_day)[None, :]
        step_sd = daily_vol / np.sqrt(per_day)
        walk = np.zeros((len(days), per_day + 1))
        walk[:, 1:] = np.cumsum(step_sd * normal(step_seed, _STEP, index), axis=1)
        frac = np.arange(per_day + 1)[None, :] / per_day
        bridge = walk - frac * walk[:, -1:]
        path = level[:-1, None] + frac * (level[1:] - level[:-1])[:, None] + bridge
        log_open, log_close = path[:, :-1].ravel(), path[:, 1:].ravel()
        index = index.ravel()
        keep = (index >= first // tf_ms) & (index <= last // tf_ms)
        index, log_open, log_close = index[keep], log_open[keep], log_close[keep]
    else:
        span = tf_ms // DAY_MS
        index = np.arange(first // tf_ms, last // tf_ms + 1, dtype=np.int64)
        day0 = index * span
        log_open = anchors(price_seed, log_base, day0)
        log_close = anchors(price_seed, log_base, day0 + span)
        step_sd = daily_vol * np.sqrt(span)
    wick = 0.6 * step_sd
    if seed:
        step_seed = stable_seed(symbol, timeframe, str(seed))
    log_high = np.maximum(log_open, log_close) + wick * np.abs(normal(step_seed, _HIGH, index))
    log_low = np.minimum(log_open, log_close) - wick * np.abs(normal(step_seed, _LOW, index))
    ts = index * tf_ms
    seasonal = 1.0 + 0.4 * np.sin(2.0 * np.pi * (ts % DAY_MS) / DAY_MS)
    mean_volume = daily_quote_volume / base_price * tf_ms / DAY_MS
    volume = mean_volume * seasonal * np.exp(0.5 * normal(step_seed, _VOLUME, index) - 0.125)
    open_, high, low, close = np.exp([log_open, log_high, log_low, log_close])
    # exp is monotone, but guard the OHLC invariant against rounding anyway
    high = np.maximum(high, np.maximum(open_, close))
    low = np.minimum(low, np.minimum(open_, close))
    return np.column_stack([ts.astype(np.float64), open_, high, low, close, volume])
