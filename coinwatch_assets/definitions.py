"""The one place where coinwatch's Dagster definitions are assembled.

Venues come from the venue file (`COINWATCH_CONFIG`, or `coinwatch.yaml` when present), else
one venue from the `COINWATCH_*` variables; each is built by the market factory. Other domains
add their own `dg.Definitions` to the merge below.
"""

import os
from datetime import timedelta

import dagster as dg

from coinwatch_assets.defs import news
from coinwatch_assets.defs.fundamentals import definitions as fundamentals
from coinwatch_assets.defs.market.venue import build_venue
from coinwatch_assets.defs.quality.divergence import divergence_definitions
from coinwatch_assets.defs.quality.resources import QualityPolicyResource
from coinwatch_assets.defs.schema import migrate_database_job
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource
from coinwatch_assets.defs.venues import SOURCE, VENUES
from coinwatch_assets.lib.venues import Venue


def _env_or_none(name: str) -> dg.EnvVar | None:
    # dg.EnvVar keeps the value out of the UI and run config; unset means "use the default".
    return dg.EnvVar(name) if os.environ.get(name) else None


def shared_definitions(database: DatabaseResource) -> dg.Definitions:
    """Resources and jobs every domain shares."""
    return dg.Definitions(
        jobs=[migrate_database_job],
        resources={
            "io_manager": CoinwatchIOManager(database=database),
            "database": database,
            "quality_policy": QualityPolicyResource(),
        },
    )


def build_definitions(venues: list[Venue], database: DatabaseResource) -> dg.Definitions:
    """The code location: the shared parts, one factory call per venue, cross-venue checks."""
    built = [build_venue(venue) for venue in venues]
    return dg.Definitions.merge(
        shared_definitions(database),
        *(venue.definitions() for venue in built),
        divergence_definitions([(v.venue, v.ohlcv) for v in built]),
    )


# Read once at load (defs/venues.py): the venues shape the definitions (keys, partitions,
# pools, schedules).
defs = build_definitions(
    VENUES,
    DatabaseResource(
        url=_env_or_none("COINWATCH_DATABASE_URL"),
        sqlite_path=os.environ.get("COINWATCH_SQLITE_PATH", "data/coinwatch.sqlite"),
    ),
)

# Fundamentals (CoinGecko): their own assets, checks, schedules and `coingecko` resource.
defs = dg.Definitions.merge(defs, fundamentals.fundamentals_defs)

# ---- news and sentiment (issue 10) ----
defs = dg.Definitions.merge(
    defs,
    dg.Definitions(
        assets=news.NEWS_ASSETS,
        asset_checks=news.NEWS_CHECKS,
        jobs=news.NEWS_JOBS,
        schedules=news.NEWS_SCHEDULES,
        sensors=news.NEWS_SENSORS,
        resources={
            "news_feeds": news.NewsFeedsResource(
                source=SOURCE,
                feeds=os.environ.get("COINWATCH_FEEDS") or ",".join(news.DEFAULT_FEEDS),
            ),
            "sentiment": news.SentimentResource(
                scorer=os.environ.get("COINWATCH_SENTIMENT") or "lexicon",
                ollama_url=_env_or_none("OLLAMA_URL") or "http://127.0.0.1:11434",
                ollama_model=os.environ.get("OLLAMA_MODEL") or "llama3.2",
            ),
        },
    ),
)
# ---- end news and sentiment ----

# --- run-failure monitor (issue 12): pipeline_errors rows and the optional webhook alert ---
from coinwatch_assets.defs.monitor.failure_sensor import pipeline_failure_sensor  # noqa: E402
from coinwatch_assets.defs.monitor.resources import AlertWebhookResource  # noqa: E402

defs = dg.Definitions.merge(
    defs,
    dg.Definitions(
        sensors=[pipeline_failure_sensor],
        resources={
            "alert_webhook": AlertWebhookResource(url=_env_or_none("COINWATCH_ALERT_WEBHOOK"))
        },
    ),
)

# Owners shown on every asset in the UI: COINWATCH_OWNERS, comma-separated emails or
# `team:<name>` (Dagster's two owner forms); a newcomer sees whom to ask.
OWNERS = [o.strip() for o in os.environ.get("COINWATCH_OWNERS", "team:coinwatch").split(",")]
for owner in OWNERS:
    if not (owner.startswith("team:") and len(owner) > 5) and "@" not in owner:
        raise ValueError(
            f"COINWATCH_OWNERS: {owner!r} is neither an email nor team:<name>, "
            "e.g. COINWATCH_OWNERS=team:data,alice@example.com"
        )
# ohlcv's freshness on its own cadence: Dagster's freshness daemon judges the time since the
# last materialization (warn after the intraday interval + grace, fail after an hour), so the
# UI shows it whichever run ran last; ohlcv_freshness adds the per-symbol lags and the reason.
OHLCV_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=1), warn_window=timedelta(minutes=20)
)


def _ui_attributes(spec: dg.AssetSpec) -> dg.AssetSpec:
    spec = spec.replace_attributes(owners=OWNERS)
    if spec.key.path[-1] == "ohlcv":  # every venue's candles
        spec = spec.replace_attributes(freshness_policy=OHLCV_FRESHNESS)
    return spec


defs = defs.map_asset_specs(func=_ui_attributes)
# --- end run-failure monitor ---
