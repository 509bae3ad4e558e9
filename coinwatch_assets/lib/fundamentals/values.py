"""Numbers of a CoinGecko answer, checked one by one before any row is built.

A fetch is a claim: JSON may carry `NaN`, `Infinity` or negative prices (Python's json module
accepts the first two). Once in a DataFrame, NaN is indistinguishable from CoinGecko's
legitimate `null` ("unknown"), so the raw values are checked here, naming coin, field and value.
"""

import math
from typing import Any

from coinwatch_assets.lib.fundamentals.errors import CoinGeckoBodyError

# Fields that may be negative (changes); every other number must be >= 0.
SIGNED = frozenset({"price_change_24h", "price_change_pct_24h"})
# Fields that must be > 0 when present (a rank starts at 1).
POSITIVE = frozenset({"market_cap_rank"})


def checked_number(value: Any, coin_id: str, field: str, what: str) -> float | int | None:
    """`value` when it is a usable number for `field` (None stays None); else a clear error."""
    if value is None:
        return None
    problem = None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problem = "is not a number"
    elif not math.isfinite(value):
        problem = "is not a finite number"
    elif field in POSITIVE and value <= 0:
        problem = "is not positive"
    elif field not in SIGNED and value < 0:
        problem = "is negative"
    if problem is None:
        return value
    raise CoinGeckoBodyError(
        f"CoinGecko answered {what} with {field} {value!r} for coin {coin_id!r}, which {problem}; "
        "nothing was written and the stored rows are kept. Retry later; if it persists, "
        "report the coin to CoinGecko."
    )
