"""The consumer views in the asset graph, downstream of the tables they read.

A view has no materialization of its own (the database computes it on every query): each is
an `AssetSpec` whose deps are the assets stored in the tables it reads, so the lineage shows
who depends on what. The coverage view carries one check: its figures per calendar month.
"""

from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.consumers.coverage import HOLE_COLUMNS, coverage_by_month, months_markdown
from coinwatch_assets.lib.consumers.views import VENUE_TABLES, VIEWS, read_view
from coinwatch_assets.lib.venues import Venue

GROUP = "consumers"
COVERAGE_BY_MONTH = "coverage_by_month"


def _deps(tables: Sequence[str], venues: Sequence[Venue]) -> list[dg.AssetKey]:
    keys = []
    for table in tables:
        if table in VENUE_TABLES:
            keys += [dg.AssetKey([*v.key_prefix(), table]) for v in venues]
        else:
            keys.append(dg.AssetKey(table))
    return keys


def view_specs(venues: Sequence[Venue]) -> list[dg.AssetSpec]:
    """One spec per view, its deps every venue's (or the shared) assets it reads."""
    return [
        dg.AssetSpec(
            key=name,
            deps=_deps(tables, venues),
            group_name=GROUP,
            description=description,
            kinds={"sql"},
            metadata={"dagster/table_name": name, "view_of": ", ".join(tables)},
        )
        for name, (tables, description) in VIEWS.items()
    ]


@dg.asset_check(
    asset="coverage",
    name=COVERAGE_BY_MONTH,
    description="Coverage per calendar month; WARN when candles are missing that ohlcv_gaps "
    "does not list (holes no check has judged yet).",
)
def coverage_by_month_check(database: DatabaseResource) -> dg.AssetCheckResult:
    storage = database.storage()
    series = read_view(storage, "coverage")
    months = coverage_by_month(storage)
    registered = series[HOLE_COLUMNS].sum(axis=1) if len(series) else series["missing_candles"]
    unlisted = series[series["missing_candles"] > registered]
    below = series[series["completeness_pct"] < 99]
    return dg.AssetCheckResult(
        passed=unlisted.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "series": len(series),
            "series_below_99_pct": len(below),
            "series_with_unlisted_holes": dg.MetadataValue.json(
                [f"{r.exchange} {r.symbol} {r.timeframe}" for r in unlisted.itertuples()]
            ),
            "months": dg.MetadataValue.md(months_markdown(months)),
        },
    )
