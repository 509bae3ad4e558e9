"""Shared pieces of the "now"-only fundamentals assets and their checks."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd


def current_partition_start(context: dg.AssetExecutionContext, provider: str) -> datetime:
    """The run's partition start, when the partition is the current one; else a clear failure
    (the endpoint answers as things are now: a past partition cannot be recovered)."""
    window = context.partition_time_window
    if not window.start <= datetime.now(UTC) < window.end:
        raise dg.Failure(
            f"{context.asset_key.to_user_string()} {context.partition_key}: only the current "
            f"partition can be fetched; {provider} answers as it is now, so a past one cannot "
            "be recovered (nothing was written)."
        )
    return window.start.astimezone(UTC)


def unresolved_tickers(table: pd.DataFrame, id_column: str, overrides: str) -> dg.AssetCheckResult:
    """WARN: the tickers of an id map that map to no id, with their candidates and the fix."""
    unresolved = table[table[id_column].isna()]
    return dg.AssetCheckResult(
        passed=unresolved.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unresolved": len(unresolved),
            "tickers": dg.MetadataValue.json(
                [
                    {"ticker": r.ticker, "status": r.status, "candidates": r.candidates}
                    for r in unresolved.itertuples()
                ]
            ),
            "fix": f"add TICKER=id to {overrides} for each one you want tracked",
        },
    )
