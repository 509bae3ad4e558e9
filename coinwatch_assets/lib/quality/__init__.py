"""Plain-Python OHLCV data-quality checks (no Dagster): timeframes, holes, integrity rules,
suspected outages and price jumps. Dagster asset checks wrap these."""

from __future__ import annotations

from coinwatch_assets.lib.quality.errors import CandleSeriesError, UnknownTimeframeError
from coinwatch_assets.lib.quality.gaps import (
    Gap,
    GapReport,
    find_gaps,
    irregular_timestamps,
    scan_gaps,
)
from coinwatch_assets.lib.quality.integrity import RULE_NAMES, run_all_rules
from coinwatch_assets.lib.quality.jumps import find_price_jumps
from coinwatch_assets.lib.quality.outages import SuspectedOutage, find_suspected_outages
from coinwatch_assets.lib.quality.timeframes import (
    TIMEFRAME_MS,
    parse_timeframe,
    timeframe_ms,
)

__all__ = [
    "RULE_NAMES",
    "TIMEFRAME_MS",
    "CandleSeriesError",
    "Gap",
    "GapReport",
    "SuspectedOutage",
    "UnknownTimeframeError",
    "find_gaps",
    "find_price_jumps",
    "find_suspected_outages",
    "irregular_timestamps",
    "parse_timeframe",
    "run_all_rules",
    "scan_gaps",
    "timeframe_ms",
]
