"""Market symbols and the Dagster partition keys that stand for them.

Dagster forbids `| , [ ]` in dynamic partition keys and `/` reads badly in URLs, so a ccxt
symbol `BTC/USDT` becomes the key `BTC-USDT` (and a settle suffix `:USDT` becomes `_USDT`).
The mapping is reversible on every symbol it accepts; symbols it cannot represent
unambiguously are refused rather than silently merged.
"""

from __future__ import annotations

_UNREPRESENTABLE = set("-_|,[]")


class SymbolKeyError(ValueError):
    """A symbol or partition key that cannot be mapped."""


def symbol_to_key(symbol: str) -> str:
    """`BTC/USDT` -> `BTC-USDT`; `BTC/USDT:USDT` -> `BTC-USDT_USDT`."""
    if not symbol or "/" not in symbol:
        raise SymbolKeyError(f"symbol {symbol!r} is not a ccxt market symbol like 'BTC/USDT'")
    bad = _UNREPRESENTABLE & set(symbol)
    if bad or any(ch.isspace() for ch in symbol):
        raise SymbolKeyError(
            f"symbol {symbol!r} contains {sorted(bad) or 'whitespace'}: "
            "it cannot be a partition key"
        )
    return symbol.replace("/", "-").replace(":", "_")


def key_to_symbol(key: str) -> str:
    """`BTC-USDT` -> `BTC/USDT`; the inverse of :func:`symbol_to_key`."""
    if not key or key.count("-") != 1 or key.startswith("-") or key.endswith("-"):
        raise SymbolKeyError(f"partition key {key!r} is not a symbol key like 'BTC-USDT'")
    symbol = key.replace("-", "/").replace("_", ":")
    if symbol_to_key(symbol) != key:
        raise SymbolKeyError(f"partition key {key!r} is not a symbol key like 'BTC-USDT'")
    return symbol
