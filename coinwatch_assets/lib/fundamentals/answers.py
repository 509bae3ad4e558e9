"""Turning one CoinGecko HTTP answer into JSON or a clear error (never mentioning the key)."""

import json
import re
from typing import Any

import httpx

from coinwatch_assets.lib.fundamentals.errors import (
    FIXES,
    CoinGeckoAnswerError,
    CoinGeckoBodyError,
    CoinGeckoConfigError,
    CoinGeckoTransientError,
)
from coinwatch_assets.lib.fundamentals.mixed_text import decode_mixed

# Cloudflare's block page says "error code: 1020" (HTML or plain text, status 403).
_CDN_BLOCK = re.compile(rb"error code:?\s*1020|Error 1020", re.IGNORECASE)
_SNIPPET = 60  # characters of a non-JSON body quoted in its error


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (CoinGecko sends seconds); None when absent or a date."""
    value = response.headers.get("retry-after")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def _error_code(body: Any) -> tuple[int | None, str]:
    """CoinGecko's `{"status": {"error_code", "error_message"}}` or `{"error": ...}`."""
    if not isinstance(body, dict):
        return None, ""
    status = body.get("status")
    if isinstance(status, dict) and "error_code" in status:
        try:
            return int(status["error_code"]), str(status.get("error_message", ""))
        except (TypeError, ValueError):
            return None, str(status.get("error_message", ""))
    if "error_code" in body:
        try:
            return int(body["error_code"]), str(body.get("error_message", ""))
        except (TypeError, ValueError):
            return None, str(body.get("error_message", ""))
    error = body.get("error")
    if isinstance(error, dict):
        return _error_code({"status": error})
    return None, str(error) if error is not None else ""


def decode_json(response: httpx.Response, what: str, repair: bool = False) -> Any:
    """The body as JSON; HTML, truncated or non-UTF-8 bodies raise a CoinGeckoBodyError
    (`repair`: stray non-UTF-8 bytes are read as cp1252 instead, see :mod:`mixed_text`)."""
    raw = response.content
    try:
        text = decode_mixed(raw)[0] if repair else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CoinGeckoBodyError(
            f"CoinGecko answered {what} with a body that is not valid UTF-8 (byte "
            f"0x{raw[exc.start]:02x} at offset {exc.start} of {len(raw)}); nothing was "
            "written. A proxy or CDN re-encoded the answer: retry later, or call CoinGecko "
            "without that proxy."
        ) from None
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if (media and "json" not in media) or text.lstrip().startswith("<"):
        head = " ".join(text[:_SNIPPET].split())
        raise CoinGeckoBodyError(
            f"CoinGecko answered {what} with {media or 'no Content-Type'}, not JSON (HTTP "
            f"{response.status_code}, {len(raw)} bytes: {head!r}...); nothing was written. A "
            "captive portal, proxy or CDN error page answered instead of the API: check "
            "COINGECKO_API_URL and the network in between, then retry."
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        declared = response.headers.get("content-length")
        raise CoinGeckoBodyError(
            f"CoinGecko answered {what} with a truncated or malformed JSON body ({len(raw)} "
            f"bytes{', Content-Length ' + declared if declared else ''}; {exc.msg} at char "
            f"{exc.pos}); nothing was written. Retry later; if it persists, ask for fewer "
            "rows per call (per_page) or check the proxy in between."
        ) from None


def check_answer(response: httpx.Response, what: str, repair: bool = False) -> Any:
    """JSON of a good answer; else the clear error its status and error code call for."""
    status = response.status_code
    if status == 429:
        raise CoinGeckoTransientError(
            f"CoinGecko rate-limited {what} (429). Lower COINGECKO_CALLS_PER_MINUTE below your "
            "plan's limit; the call is retried after Retry-After.",
            retry_after_seconds(response),
        )
    if status >= 500:
        raise CoinGeckoTransientError(
            f"CoinGecko failed {what} with HTTP {status}; see https://status.coingecko.com",
            retry_after_seconds(response),
        )
    if status == 403 and _CDN_BLOCK.search(response.content[:4096]):
        raise CoinGeckoConfigError(f"{what}: {FIXES[1020]}")
    if status < 400:
        return decode_json(response, what, repair)
    try:
        body = json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    code, message = _error_code(body)
    if code in FIXES:
        raise CoinGeckoConfigError(f"{what}: {FIXES[code]} (CoinGecko: {message!r})")
    if status in (401, 403):
        raise CoinGeckoConfigError(f"{what}: HTTP {status}. {FIXES[10002]}")
    detail = message or response.content[:200].decode("utf-8", "replace")
    raise CoinGeckoAnswerError(f"CoinGecko refused {what} with HTTP {status}: {detail}")
