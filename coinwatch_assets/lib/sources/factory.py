"""Build the configured source from environment variables.

- `COINWATCH_SOURCE`: `live` (default: real data through ccxt) or `sample` (offline).
- `COINWATCH_EXCHANGE`: ccxt exchange id, default `binance`.
- `COINWATCH_CCXT_CONFIG`: JSON object merged into the ccxt constructor config (urls,
  options, `"sandbox": true`, proxies, ...), e.g. to reach a testnet or an emulator.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from coinwatch_assets.lib.sources.base import MarketDataSource
from coinwatch_assets.lib.venues import DEFAULT_ARCHIVE_URL, SOURCE_KINDS


def parse_ccxt_config(text: str | None, name: str = "COINWATCH_CCXT_CONFIG") -> dict[str, Any]:
    """The ccxt JSON config (from the variable `name`) as a dict ({} when unset or blank)."""
    if not text or not text.strip():
        return {}
    # The messages never quote the value: it may carry API keys.
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{name} is not valid JSON ({err.msg} at line {err.lineno} column "
            f'{err.colno}): set it to a JSON object such as {{"options": {{}}}}, or unset it'
        ) from None
    if not isinstance(config, dict):
        raise ValueError(
            f"{name} must be a JSON object (got a JSON "
            f'{type(config).__name__}): e.g. {{"urls": {{"api": {{...}}}}, "options": {{}}}}'
        )
    return config


def build_source(
    kind: str = "live",
    exchange_id: str = "binance",
    ccxt_config: dict[str, Any] | None = None,
    *,
    label: str | None = None,
    archive: str = "none",
    archive_url: str | None = None,
    archive_concurrency: int = 4,
    archive_timeout: float = 30.0,
    **exchange_kwargs: Any,
) -> MarketDataSource:
    """A source of `kind`; `exchange_kwargs` go to ExchangeSource (page_limit, retry...).

    `label` is the exchange the sample source plays (default `sample`). With
    `archive="binance_vision"` a live source takes closed months and days from the archive
    at `archive_url` (:class:`~coinwatch_assets.lib.sources.history.ArchivedSource`).
    """
    if kind == "sample":
        from coinwatch_assets.lib.sources.sample import SampleSource

        return SampleSource(
            label or "sample",
            seed=int(exchange_kwargs.get("seed", 0)),
            price_offset=float(exchange_kwargs.get("price_offset", 0.0)),
        )
    if kind == "live":
        from coinwatch_assets.lib.sources.exchange import ExchangeSource

        rest = ExchangeSource(exchange_id, ccxt_config, **exchange_kwargs)
        if archive == "none":
            return rest
        return _archived(rest, archive, archive_url, archive_concurrency, archive_timeout)
    raise ValueError(f"COINWATCH_SOURCE must be one of {SOURCE_KINDS}, got {kind!r}")


def _archived(
    rest: MarketDataSource, archive: str, url: str | None, concurrency: int, timeout: float
) -> MarketDataSource:
    from coinwatch_assets.lib.sources.archive import BinanceVisionArchive
    from coinwatch_assets.lib.sources.history import ARCHIVES, ArchivedSource

    if archive not in ARCHIVES:
        raise ValueError(f"archive must be one of {ARCHIVES}, got {archive!r}")
    client = BinanceVisionArchive(url or DEFAULT_ARCHIVE_URL, timeout=timeout)
    return ArchivedSource(rest, client, concurrency=concurrency)


def source_from_env(env: Mapping[str, str] | None = None) -> MarketDataSource:
    """The source the environment asks for (see the module docstring)."""
    env = os.environ if env is None else env
    return build_source(
        kind=env.get("COINWATCH_SOURCE", "live").strip().lower() or "live",
        exchange_id=env.get("COINWATCH_EXCHANGE", "binance").strip() or "binance",
        ccxt_config=parse_ccxt_config(env.get("COINWATCH_CCXT_CONFIG")),
    )
