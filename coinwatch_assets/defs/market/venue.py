"""One factory builds a venue's definitions: assets, checks, partitions, pool, automation.

Adding a venue is an entry in the venue file (see `coinwatch_assets.lib.venues`): its asset
keys are prefixed by its name (`binance/ohlcv`), its partitions, schedules, sensors and
resource key carry the name (`binance_symbols`, `binance_gap_repair_sensor`,
`binance_market_source`), its pool is `exchange_<exchange>`; the tables stay shared.
"""

from dataclasses import dataclass
from typing import Any

import dagster as dg

from coinwatch_assets.defs.market.assets import build_markets, build_ohlcv
from coinwatch_assets.defs.market.automation import build_automation
from coinwatch_assets.defs.market.derived import build_bar_assets, build_derived_sensor
from coinwatch_assets.defs.market.indicators import build_indicators
from coinwatch_assets.defs.market.partitions import VenuePartitions, venue_partitions
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.quality.accept import build_accept_holes_job
from coinwatch_assets.defs.quality.checks import build_gaps_node, build_quality_checks
from coinwatch_assets.defs.quality.freshness import build_freshness
from coinwatch_assets.defs.quality.repair import build_gap_repair_sensor
from coinwatch_assets.defs.resource_defaults import with_defaults
from coinwatch_assets.lib.venues import Venue


@dataclass(frozen=True)
class VenueDefs:
    """Everything one venue contributes, by role (tests and scripts pick parts of it)."""

    venue: Venue
    partitions: VenuePartitions
    markets: dg.AssetsDefinition
    ohlcv: dg.AssetsDefinition
    gaps: dg.AssetSpec  # ohlcv_gaps, the quality node the checks write
    # ohlcv_1h, ohlcv_1d: only those coarser than the venue's timeframe
    bars: tuple[dg.AssetsDefinition, ...]
    indicators: dg.AssetsDefinition
    quality_checks: dg.AssetChecksDefinition
    freshness: dg.AssetChecksDefinition
    freshness_job: Any
    accept_holes_job: dg.JobDefinition
    schedules: tuple[dg.ScheduleDefinition, ...]
    sensors: tuple[dg.SensorDefinition, ...]
    source_key: str

    @property
    def derived(self) -> tuple[dg.AssetsDefinition, ...]:
        """The assets derived from `ohlcv` (declarative automation, gated by its checks)."""
        return (*self.bars, self.indicators)

    def bar(self, table: str) -> dg.AssetsDefinition:
        """The venue's bar asset `table`, with an error when its timeframe has none."""
        for asset in self.bars:
            if asset.key.path[-1] == table:
                return asset
        raise KeyError(
            f"venue {self.venue.name or self.venue.exchange_label!r} derives no {table}: "
            f"its {self.venue.timeframe} candles are not finer than that bar"
        )

    def definitions(self, market_source: MarketSourceResource | None = None) -> dg.Definitions:
        return dg.Definitions(
            assets=[self.markets, self.ohlcv, self.gaps, *self.derived],
            asset_checks=[self.quality_checks, self.freshness],
            jobs=[self.freshness_job, self.accept_holes_job],
            schedules=list(self.schedules),
            sensors=list(self.sensors),
            resources={self.source_key: market_source or market_source_resource(self.venue)},
        )


def market_source_resource(venue: Venue) -> MarketSourceResource:
    """The venue's source, whose field DEFAULTS are the venue's values.

    Dagster replaces a resource's whole config when run config sets any field; as defaults of
    a per-venue class, the venue's values survive a partial override (`symbols` alone).
    """
    defaults: dict[str, object] = {
        "source": venue.source,
        "exchange": venue.exchange if venue.source == "live" else "binance",
        "label": venue.exchange_label,
        "ccxt_config_env": venue.ccxt_config_env or "",
        "symbols": list(venue.symbols),
        "top_n": venue.top_n,
        "quote": venue.quote,
        "requests_per_minute": venue.requests_per_minute,
        "seed": venue.seed,
        "price_offset": venue.price_offset,
        "archive": venue.archive,
        "archive_url": venue.archive_url,
    }
    name = "".join(p.capitalize() for p in (venue.name or "default").split("_")) + "MarketSource"
    doc = f"Market data of venue {venue.name or venue.exchange_label!r}."
    return with_defaults(MarketSourceResource, defaults, name, doc)


def build_venue(venue: Venue) -> VenueDefs:
    """The definitions of one venue."""
    partitions = venue_partitions(venue)
    markets = build_markets(venue)
    ohlcv = build_ohlcv(venue, partitions, markets)
    bars = build_bar_assets(venue, ohlcv)
    indicators = build_indicators(venue, ohlcv)
    freshness, job, freshness_schedule = build_freshness(venue, ohlcv, partitions.symbols.name)
    schedules, sensors = build_automation(venue, partitions, markets, ohlcv)
    return VenueDefs(
        venue=venue,
        partitions=partitions,
        markets=markets,
        ohlcv=ohlcv,
        gaps=build_gaps_node(venue, ohlcv),
        bars=bars,
        indicators=indicators,
        quality_checks=build_quality_checks(venue, ohlcv),
        freshness=freshness,
        freshness_job=job,
        accept_holes_job=build_accept_holes_job(venue, ohlcv),
        schedules=(*schedules, freshness_schedule),
        sensors=(
            *sensors,
            build_gap_repair_sensor(venue, partitions, ohlcv),
            build_derived_sensor(venue, [*bars, indicators]),
        ),
        source_key=venue.named("market_source"),
    )
