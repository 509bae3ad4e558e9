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

SOURCE_KINDS = ("live", "sample")


def parse_ccxt_config(text: str | None) -> dict[str, Any]:
    """The `COINWATCH_CCXT_CONFIG` JSON as a dict ({} when unset or blank)."""
    if not text or not text.strip():
        return {}
    # The messages never quote the value: it may carry API keys.
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(
            f"COINWATCH_CCXT_CONFIG is not valid JSON ({err.msg} at line {err.lineno} column "
            f'{err.colno}): set it to a JSON object such as {{"options": {{}}}}, or unset it'
        ) from None
    if not isinstance(config, dict):
        raise ValueError(
            "COINWATCH_CCXT_CONFIG must be a JSON object (got a JSON "
            f'{type(config).__name__}): e.g. {{"urls": {{"api": {{...}}}}, "options": {{}}}}'
        )
    return config


def build_source(
    kind: str = "live",
    exchange_id: str = "binance",
    ccxt_config: dict[str, Any] | None = None,
    *,
    label: str | None = None,
    **exchange_kwargs: Any,
) -> MarketDataSource:
    """A source of `kind`; `exchange_kwargs` go to ExchangeSource (page_limit, retry...).

    `label` is the exchange the sample source plays (default `sample`).
    """
    if kind == "sample":
        from coinwatch_assets.lib.sources.sample import SampleSource

        return SampleSource(label or "sample")
    if kind == "live":
        from coinwatch_assets.lib.sources.exchange import ExchangeSource

        return ExchangeSource(exchange_id, ccxt_config, **exchange_kwargs)
    raise ValueError(f"COINWATCH_SOURCE must be one of {SOURCE_KINDS}, got {kind!r}")


def source_from_env(env: Mapping[str, str] | None = None) -> MarketDataSource:
    """The source the environment asks for (see the module docstring)."""
    env = os.environ if env is None else env
    return build_source(
        kind=env.get("COINWATCH_SOURCE", "live").strip().lower() or "live",
        exchange_id=env.get("COINWATCH_EXCHANGE", "binance").strip() or "binance",
        ccxt_config=parse_ccxt_config(env.get("COINWATCH_CCXT_CONFIG")),
    )
