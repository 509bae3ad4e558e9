"""The one place where coinwatch's Dagster definitions are assembled."""

import os

import dagster as dg

from coinwatch_assets.defs.market.assets import markets, ohlcv
from coinwatch_assets.defs.market.automation import (
    markets_schedule,
    ohlcv_daily_close_schedule,
    ohlcv_intraday_schedule,
    symbol_discovery_sensor,
)
from coinwatch_assets.defs.market.partitions import SETTINGS
from coinwatch_assets.defs.market.resources import MarketSourceResource
from coinwatch_assets.defs.storage import CoinwatchIOManager, DatabaseResource


def _env_or_none(name: str) -> dg.EnvVar | None:
    # dg.EnvVar keeps the value out of the UI and run config; unset means "use the default".
    return dg.EnvVar(name) if os.environ.get(name) else None


database = DatabaseResource(
    url=_env_or_none("COINWATCH_DATABASE_URL"),
    sqlite_path=os.environ.get("COINWATCH_SQLITE_PATH", "data/coinwatch.sqlite"),
)

defs = dg.Definitions(
    assets=[markets, ohlcv],
    schedules=[ohlcv_intraday_schedule, ohlcv_daily_close_schedule, markets_schedule],
    sensors=[symbol_discovery_sensor],
    resources={
        "io_manager": CoinwatchIOManager(database=database),
        "database": database,
        "market_source": MarketSourceResource(
            source=SETTINGS.source,
            exchange=SETTINGS.exchange,
            ccxt_config=_env_or_none("COINWATCH_CCXT_CONFIG") or "",
        ),
    },
)
