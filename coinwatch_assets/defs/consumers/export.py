"""freqtrade_export_job: the freqtrade export of `coinwatch-db export freqtrade`, as a job."""

from collections.abc import Sequence

import dagster as dg

from coinwatch_assets.defs.storage import DatabaseResource
from coinwatch_assets.lib.consumers.freqtrade import export_freqtrade, resolve_venue
from coinwatch_assets.lib.venues import Venue


class FreqtradeExportConfig(dg.Config):
    """Which candles to export and where (Launchpad)."""

    venue: str  # a venue name (or the rows' exchange value)
    dest: str  # freqtrade's data directory, e.g. /freqtrade/user_data/data/binance
    timeframe: str = ""  # default: the venue's timeframe
    symbols: list[str] = []  # default: every stored symbol


def build_export_job(venues: Sequence[Venue]) -> dg.JobDefinition:
    """The job; `venue` is resolved against these venues."""

    @dg.op(out=dg.Out(dg.Nothing))
    def export_freqtrade_candles(
        context: dg.OpExecutionContext, config: FreqtradeExportConfig, database: DatabaseResource
    ):
        """Append each selected pair's closed candles newer than its file; holes stay holes."""
        exchange, timeframe = resolve_venue(config.venue, venues, config.timeframe)
        storage = database.storage()
        results = export_freqtrade(storage, exchange, timeframe, config.dest, config.symbols)
        for r in results:
            context.log.info(f"{r.path}: +{r.appended} candles, {r.total} in file")
        table = ["| file | appended | in file | first | last |", "|---|---|---|---|---|"]
        table += [
            f"| {r.path.name} | {r.appended} | {r.total} | {r.first} | {r.last} |" for r in results
        ]
        return dg.Output(
            None,
            metadata={
                "pairs": len(results),
                "appended_candles": sum(r.appended for r in results),
                "files": dg.MetadataValue.md("\n".join(table)),
            },
        )

    @dg.job(
        description="Export closed candles to freqtrade's Feather layout ({BASE}_{QUOTE}-{tf}"
        ".feather), appending what is newer than each file; same as `coinwatch-db export "
        "freqtrade`."
    )
    def freqtrade_export_job() -> None:
        export_freqtrade_candles()

    return freqtrade_export_job
