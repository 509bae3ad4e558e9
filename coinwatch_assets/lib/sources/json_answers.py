"""Refuse exchange answers that are not JSON, as a transient error, instead of parsing them.

What ccxt does with a 2xx body that is not JSON (ccxt/base/exchange.py, `fetch`): `parse_json`
returns None when the body does not start with `{` or `[`, or when `json.loads` fails (a
truncated body); `handle_errors` sees no JSON and lets it pass; `fetch` then returns the raw
text, so `fetch_ohlcv` parses the characters of an HTML page as candles ("timestamp None is not
an integer number of milliseconds"). A captive portal, a CDN error page served with status 200
or a connection cut mid-body produce exactly that. `require_json` wraps two ccxt hooks of one
client instance (as `ExchangeSource` wraps `parse_ohlcv`): `on_rest_response`, which sees the
status and headers, and `parse_json`, which says whether the body parsed.
"""

from __future__ import annotations

from typing import Any

import ccxt

_SNIPPET = 60


class NotJsonAnswer(ccxt.BadResponse):
    """A 2xx answer whose body is not JSON: retried like a network error."""


def _describe(exchange: str, status: int, content_type: str, body: str) -> str:
    size = len(body.encode("utf-8", "replace"))
    if not body.strip():
        return f"{exchange} answered an empty body with HTTP {status}, not JSON"
    if "json" not in content_type.lower():
        head = " ".join(body[:_SNIPPET].split())
        media = content_type.split(";", 1)[0].strip() or "no Content-Type"
        return f"{exchange} answered {media}, not JSON (HTTP {status}, {size} bytes: {head!r}...)"
    tail = " ".join(body[-_SNIPPET:].split())
    return (
        f"{exchange} answered {content_type.split(';', 1)[0].strip()} that does not parse as "
        f"JSON, truncated or malformed (HTTP {status}, {size} bytes, ending {tail!r})"
    )


def require_json(client: ccxt.Exchange) -> None:
    """Make `client` raise NotJsonAnswer for a 2xx REST answer whose body is not JSON."""
    if getattr(client, "_coinwatch_requires_json", False):
        return
    client._coinwatch_requires_json = True  # type: ignore[attr-defined]
    on_rest_response = client.on_rest_response
    parse_json = client.parse_json
    pending: list[tuple[int, str, str]] = []

    def remember(code: Any, reason: Any, url: Any, method: Any, headers: Any, body: Any, *rest):
        pending.clear()
        if isinstance(code, int) and 200 <= code < 300:
            content_type = (headers or {}).get("Content-Type", "") if headers else ""
            pending.append((code, str(content_type), body if isinstance(body, str) else ""))
        return on_rest_response(code, reason, url, method, headers, body, *rest)

    def checked(http_response: Any) -> Any:
        parsed = parse_json(http_response)
        # Only the call `fetch` makes right after a 2xx answer is armed; ccxt's other uses of
        # parse_json (scraping helpers) keep their own behaviour.
        answer = pending.pop() if pending else None
        if parsed is None and answer is not None:
            status, content_type, body = answer
            raise NotJsonAnswer(_describe(str(client.id), status, content_type, body))
        return parsed

    client.on_rest_response = remember  # type: ignore[method-assign]
    client.parse_json = checked  # type: ignore[method-assign]
