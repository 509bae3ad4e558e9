"""The SQL that lists one partition's rows of the gap registry `ohlcv_gaps`.

Shown in the `ohlcv_quality` check metadata, so a failed check links to its rows. Values are
partition keys and settings (never user input) and are quoted as SQL string literals.
"""

from coinwatch_assets.lib.market.grain import month_window


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def gaps_query(exchange: str, symbol: str, timeframe: str, month: str) -> str:
    """SELECT of the registry rows of (exchange, symbol, timeframe) in UTC month `month`."""
    start, end = (f"{t:%Y-%m-%d}" for t in month_window(month))
    return (
        "SELECT gap_start, gap_end, missing_candles, reason, attempts, detected_at\n"
        "FROM ohlcv_gaps\n"
        f"WHERE exchange = {_literal(exchange)} AND symbol = {_literal(symbol)}"
        f" AND timeframe = {_literal(timeframe)}\n"
        # UTC offset spelled out: PostgreSQL would otherwise use the session time zone.
        f"  AND gap_start >= '{start} 00:00:00+00' AND gap_start < '{end} 00:00:00+00'\n"
        "ORDER BY gap_start;"
    )
