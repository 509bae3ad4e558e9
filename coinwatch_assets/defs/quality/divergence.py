"""`price_divergence`: where two venues carry the same base/quote, hours whose closes differ.

One WARN check per pair of venues, on the first venue's `ohlcv` (the second's is a dep):
over the last `divergence_days` days up to now it compares hourly closes of every market
both list and fails when any hour differs by more than `divergence_tolerance` (default 2%).
"""

from collections.abc import Sequence
from datetime import timedelta
from itertools import combinations

import dagster as dg
import pandas as pd

from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.quality.divergence import divergent_hours, shared_markets
from coinwatch_assets.lib.storage.slices import Cell, Slice
from coinwatch_assets.lib.storage.tables import table_spec
from coinwatch_assets.lib.venues import Venue


def _candles(database: DatabaseResource, venue: Venue, symbols: list[str], since) -> pd.DataFrame:
    pins = (("exchange", venue.exchange_label), ("timeframe", venue.timeframe))
    cells = tuple(Cell(equals=(*pins, ("symbol", s)), start=since) for s in symbols)
    if not cells:
        return pd.DataFrame()
    return database.storage().read(table_spec("ohlcv"), Slice("ohlcv", "ts", cells))


def _ohlcv_key(venue: Venue) -> dg.AssetKey:
    return dg.AssetKey([*venue.key_prefix(), "ohlcv"])


def build_divergence_check(a: Venue, b: Venue) -> dg.AssetChecksDefinition:
    name = f"price_divergence_vs_{b.name or b.exchange_label}"

    @dg.asset_check(
        asset=_ohlcv_key(a),
        name=name,
        additional_deps=[_ohlcv_key(b)],
        description=f"Hourly closes agree with {b.exchange_label} within the tolerance (WARN).",
    )
    def price_divergence(
        context: dg.AssetCheckExecutionContext,
        database: DatabaseResource,
        quality_policy: QualityPolicyResource,
    ) -> dg.AssetCheckResult:
        """Hours whose closes on the two venues differ by more than the tolerance."""
        tolerance = quality_policy.divergence_tolerance
        since = pd.Timestamp.now(tz="UTC").floor("D") - timedelta(
            days=quality_policy.divergence_days
        )
        symbols = shared_markets(database.read("markets"), a.exchange_label, b.exchange_label)
        found, compared = divergent_hours(
            _candles(database, a, symbols, since), _candles(database, b, symbols, since), tolerance
        )
        rows = [
            f"| {r.symbol} | {r.hour:%Y-%m-%d %H:%M} | {r.close_a:.6g} | {r.close_b:.6g} "
            f"| {r.divergence:.2%} |"
            for r in found.head(50).itertuples()
        ]
        table = "\n".join(
            [f"| symbol | hour (UTC) | {a.exchange_label} | {b.exchange_label} | diff |"]
            + ["|---|---|---|---|---|"]
            + rows
        )
        return dg.AssetCheckResult(
            passed=found.empty,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"{len(found)} of {compared} hour(s) differ by more than {tolerance:.1%}"
                if len(found)
                else f"{compared} hour(s) of {len(symbols)} shared market(s) agree"
            ),
            metadata={
                "shared_markets": ", ".join(symbols) or "none",
                "hours_compared": compared,
                "divergent_hours": len(found),
                "tolerance": tolerance,
                "since": since.isoformat(),
                "max_divergence": float(found["divergence"].max()) if len(found) else 0.0,
                "hours": dg.MetadataValue.md(table),
            },
        )

    return price_divergence


def divergence_definitions(venues: Sequence[Venue]) -> dg.Definitions:
    """One check per pair of venues (none with a single venue)."""
    return dg.Definitions(
        asset_checks=[build_divergence_check(a, b) for a, b in combinations(venues, 2)]
    )
