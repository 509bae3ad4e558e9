"""The secret values this process knows, and `redact(text)` that removes them BY VALUE.

A server may echo a key back (a 400 body quoting the header it refused), a driver may print a
URL with its password, ccxt puts whole response bodies in its errors. Patterns catch the usual
shapes; only the values themselves catch everything, so every configured secret is registered
here and removed from every error, log line, metadata entry and `pipeline_errors` row.

API (plain Python, thread-safe, process-wide)::

    from coinwatch_assets.lib import secrets

    secrets.register(value)                 # one secret value (ignored when shorter than 4)
    secrets.register_env("COINGECKO_API_KEY")  # the values of these variables, when set
    secrets.register_url(url)               # a URL's password and token-like query values
    secrets.register_ccxt_config(config)    # credentials of a ccxt constructor config
    secrets.redact(text) -> str             # every registered value replaced by ***
    secrets.scrub(exc) -> exc               # redact an exception and its cause chain in place
    secrets.install_log_redaction()         # every log record of the process is redacted

`register_environment()` registers everything coinwatch reads from the environment (the
CoinGecko key, `COINWATCH_CCXT_CONFIG` and the venues' ccxt variables, the alert webhook, the
database URL's password, feed URL credentials); the code location calls it at load, so run
workers (which load it too) know the same values. A new provider registers its key with
`register_env("ITS_VARIABLE")` in its definitions, or `register(value)` where it builds its
client.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MASK = "***"
MIN_LENGTH = 4  # shorter values would mask ordinary text
# Variables whose whole value is a secret.
SECRET_VARIABLES = ("COINGECKO_API_KEY", "COINMARKETCAP_API_KEY", "COINWATCH_ALERT_WEBHOOK")
# Variables holding URLs whose password and token-like query values are secrets.
URL_VARIABLES = ("COINWATCH_DATABASE_URL", "COINWATCH_FEEDS")
# Variables holding a ccxt constructor config (JSON).
CCXT_VARIABLES = ("COINWATCH_CCXT_CONFIG",)
# ccxt's credential fields (Exchange.requiredCredentials) and the usual token names.
CCXT_CREDENTIALS = frozenset(
    {"apiKey", "secret", "uid", "login", "password", "twofa", "privateKey", "walletAddress",
     "token", "accountId"}
)  # fmt: skip
_TOKEN_NAMES = ("key", "token", "secret", "password", "passwd", "pwd", "sig", "auth")

_values: set[str] = set()
_ordered: list[str] = []  # longest first, so a secret containing another is masked whole
_lock = threading.Lock()


def register(value: object) -> None:
    """Hide `value` from now on (None, blanks and values shorter than 4 are ignored)."""
    if not isinstance(value, str):
        return
    value = value.strip()
    if len(value) < MIN_LENGTH or value in _values:
        return
    with _lock:
        _values.add(value)
        _ordered[:] = sorted(_values, key=len, reverse=True)


def register_url(url: object) -> None:
    """Hide the password and token-like query values of `url` (or of comma-separated URLs)."""
    if not isinstance(url, str):
        return
    for one in url.split(","):
        try:
            parts = urlsplit(one.strip())
        except ValueError:
            continue
        register(parts.password)
        if parts.password is not None and parts.username:
            register(f"{parts.username}:{parts.password}")
        for name, value in parse_qsl(parts.query, keep_blank_values=False):
            if any(t in name.lower() for t in _TOKEN_NAMES):
                register(value)


def register_ccxt_config(config: Mapping[str, Any] | None) -> None:
    """Hide the credentials of a ccxt config (top level and `options`), and proxy passwords."""
    if not isinstance(config, Mapping):
        return
    for name, value in config.items():
        if name in CCXT_CREDENTIALS:
            register(value)
        elif isinstance(value, str) and "://" in value:
            register_url(value)  # httpProxy, socksProxy...
        elif isinstance(value, Mapping):
            register_ccxt_config(value)


def register_env(*names: str, environ: Mapping[str, str] | None = None) -> None:
    """Hide the values of these environment variables, when set."""
    env = os.environ if environ is None else environ
    for name in names:
        register(env.get(name))


def register_environment(
    ccxt_variables: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> None:
    """Register every secret coinwatch reads from the environment (see the module docstring)."""
    env = os.environ if environ is None else environ
    register_env(*SECRET_VARIABLES, environ=env)
    for name in URL_VARIABLES:
        register_url(env.get(name))
    for name in {*CCXT_VARIABLES, *ccxt_variables}:
        try:
            register_ccxt_config(json.loads(env.get(name) or "{}"))
        except (json.JSONDecodeError, TypeError):
            continue  # reported, without its value, where the config is read


def redact(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    if not _ordered or not text:
        return text
    for secret in list(_ordered):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_value(value: Any) -> Any:
    """Strings redacted; lists, tuples and dicts redacted inside; anything else unchanged."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    return value


def scrub(exc: BaseException) -> BaseException:
    """Redact the messages of `exc` and of its causes and contexts, in place; returns `exc`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _ordered:
            current.args = tuple(redact_value(a) for a in current.args)
        current = current.__cause__ or current.__context__
    return exc


_previous_factory = None


def install_log_redaction() -> None:
    """Make every log record of this process carry its message redacted (once per process).

    A record factory rather than a handler filter: it sees the records of every logger
    (coinwatch's, Dagster's run loggers, tenacity, ccxt) before any handler formats them.
    """
    global _previous_factory
    with _lock:
        if _previous_factory is not None:
            return
        _previous_factory = logging.getLogRecordFactory()
        make = _previous_factory

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if _ordered:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string: leave it to logging to report
                return record
            clean = redact(message)
            if clean != message:
                record.msg, record.args = clean, None
        return record

    logging.setLogRecordFactory(factory)
